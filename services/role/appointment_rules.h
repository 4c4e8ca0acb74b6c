#ifndef ISMS_SERVICES_ROLE_APPOINTMENT_RULES_H_
#define ISMS_SERVICES_ROLE_APPOINTMENT_RULES_H_

#include "absl/status/status.h"
#include "services/role/role_model.h"

namespace isms::role {

// The catalogue's rules for appointing `principal` to `role` through
// `candidate` (an assignment not yet in the model, its effective_from set).
// Returns OK, or FailedPrecondition whose message names the rule broken:
//   - "holder rule": the principal has left, or is a person where the role
//     needs a group (or the reverse);
//   - "board-level rule": the role needs a board-level holder;
//   - "scope rule": the role is held per asset but the scope is not an
//     asset, or organisation-wide but a scope was given;
//   - "duplicate rule": the principal already holds the role for that scope
//     in an overlapping period;
//   - "maximum-holders rule": the role already has its maximum number of
//     holders for that scope in an overlapping period;
//   - "segregation-of-duties rule": the principal (each member, for a
//     group) holds through any path (own, group, delegation, deputy) in an
//     overlapping period a role conflicting with `role` or the role it
//     deputises for, and the candidate carries no waiver_justification.
// With a justification such a conflict sets *waiver_needed: the appointment
// must wait for another manager to approve the waiver.
absl::Status CheckAppointmentRules(const RoleModel& model, const Role& role,
                                   const Principal& principal, const Assignment& candidate,
                                   bool* waiver_needed);

// Whether the assignment's holder (its record as of `at`) meets its role's
// requirements (board level, holder kind, not left at `at`). Empty when it
// does; otherwise the rule it fails.
std::string RequirementFailure(const Role& role, const Principal* principal, absl::Time at);

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_APPOINTMENT_RULES_H_
