#include "services/role/coverage.h"

#include "services/role/appointment_rules.h"
#include "services/role/segregation.h"

namespace isms::role {
namespace {

bool Waived(const HeldRole& held) {
  return held.assignment != nullptr &&
         held.assignment->waiver_state() == isms::role::v1::WAIVER_STATE_APPROVED;
}

void AddConflicts(const RoleModel& model, const std::string& principal, const TimePoint& when,
                  isms::role::v1::CoverageReport& report) {
  const std::vector<HeldRole> held = HeldRolesAt(model, principal, when);
  for (size_t i = 0; i < held.size(); ++i) {
    for (size_t j = i + 1; j < held.size(); ++j) {
      // A deputy role and the role it deputises for come from one
      // assignment: that is the deputy's job, not a conflict.
      if (held[i].assignment != nullptr && held[i].assignment == held[j].assignment) continue;
      if (!RolesConflict(model, held[i].role, held[j].role)) continue;
      auto* conflict = report.add_conflicts();
      conflict->set_principal(principal);
      conflict->set_role(held[i].role);
      conflict->set_conflicting_role(held[j].role);
      conflict->set_role_via(held[i].via);
      conflict->set_conflicting_role_via(held[j].via);
      conflict->set_waived(Waived(held[i]) || Waived(held[j]));
    }
  }
}

}  // namespace

isms::role::v1::CoverageReport BuildCoverageReport(const RoleModel& model, const TimePoint& when,
                                                   absl::Duration window) {
  isms::role::v1::CoverageReport report;
  const absl::Time at = when.at;
  for (const auto& [name, current_role] : model.roles()) {
    const Role* role = model.RoleAt(name, when);
    if (role != nullptr && role->mandatory() &&
        role->scope_kind() == isms::role::v1::SCOPE_KIND_ORGANISATION &&
        !model.HasHolderAt(name, "", when)) {
      report.add_vacant_mandatory_roles(name);
    }
  }
  const absl::Time horizon = at + window;
  for (const auto& [name, current] : model.assignments()) {
    const Assignment* assignment = model.AssignmentAt(current, when);
    if (assignment == nullptr) continue;
    if (assignment->waiver_state() == isms::role::v1::WAIVER_STATE_PENDING &&
        !assignment->has_void_time()) {
      *report.add_pending_waivers() = *assignment;
    }
    if (!IsActiveAt(*assignment, at)) continue;
    const Role* role = model.RoleAt(assignment->role(), when);
    if (role != nullptr) {
      std::string failure =
          RequirementFailure(*role, model.PrincipalAt(assignment->principal(), when), at);
      if (!failure.empty()) {
        auto* violation = report.add_violations();
        violation->set_assignment(name);
        violation->set_role(assignment->role());
        violation->set_principal(assignment->principal());
        violation->set_rule(std::move(failure));
      }
    }
    if (EndOf(*assignment) <= horizon) *report.add_ending_assignments() = *assignment;
  }
  for (const auto& [name, current] : model.delegations()) {
    const Delegation* delegation = model.DelegationAt(current, when);
    if (delegation != nullptr && IsActiveAt(*delegation, at) && EndOf(*delegation) <= horizon) {
      *report.add_ending_delegations() = *delegation;
    }
  }
  for (const auto& [name, principal] : model.principals()) {
    if (principal.kind() != isms::role::v1::PRINCIPAL_KIND_PERSON) continue;
    if (!IsPrincipalActiveAt(model.PrincipalAt(name, when), at)) continue;
    AddConflicts(model, name, when, report);
  }
  return report;
}

}  // namespace isms::role
