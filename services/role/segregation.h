#ifndef ISMS_SERVICES_ROLE_SEGREGATION_H_
#define ISMS_SERVICES_ROLE_SEGREGATION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/role/role_model.h"

namespace isms::role {

// Segregation of duties on every path: a principal holds a role through its
// own assignment, a group it belongs to, a delegation it received, or as the
// deputy of a role it holds; each counts when checking conflicting roles.

// One role a principal holds and how.
struct HeldRole {
  std::string role;
  // e.g. "assignments/1", "assignments/2 via group principals/board",
  // "assignments/3 as deputy", "delegations/4 of assignments/5".
  std::string via;
  // The assignment behind it; nullptr for a role only being asked for.
  const Assignment* assignment = nullptr;
};

// The roles `principal` holds, through any path, at some time in
// [from, until). Pending waivers count (they may be approved); voided and
// rejected appointments do not.
std::vector<HeldRole> HeldRolesInPeriod(const RoleModel& model, absl::string_view principal,
                                        absl::Time from, absl::Time until);

// The roles `principal` holds, through any path, in force at `when`.
std::vector<HeldRole> HeldRolesAt(const RoleModel& model, absl::string_view principal,
                                  const TimePoint& when);

// How `principal` holds `role` at `when` through any path (deputising for
// it included); nullopt if it does not.
std::optional<HeldRole> FindHeldRole(const RoleModel& model, absl::string_view principal,
                                     absl::string_view role, const TimePoint& when);

// How `principal` holds `role` through any path (deputising for it
// included) at some time in [from, until); nullopt if it does not.
std::optional<HeldRole> FindHeldRoleInPeriod(const RoleModel& model, absl::string_view principal,
                                             absl::string_view role, absl::Time from,
                                             absl::Time until);

// True when `held` is a role held only as the deputy of it.
bool IsHeldAsDeputy(const HeldRole& held);

// How `caller` deputises, from `now` on, for a role that `target` holds
// from `now` on (through any path); nullopt if it does not. A deputy acts
// for a holder and so never acts against them.
std::optional<HeldRole> DeputisesForHolderOf(const RoleModel& model, absl::string_view caller,
                                             absl::string_view target, absl::Time now);

// PermissionDenied ("deputy rule") when `caller` deputises for a role that
// `target` holds: a deputy acts for the holder, never against them (their
// appointments, records, delegations or absences).
absl::Status RefuseDeputyActingAgainst(const RoleModel& model, absl::string_view caller,
                                       absl::string_view target, absl::Time now);

// PermissionDenied ("deputy rule") when `caller` deputises for `role_name`,
// or for the role `role_name` deputises for: a deputy does not change,
// fill, or add to the role it stands in for.
absl::Status RefuseDeputyOfRole(const RoleModel& model, absl::string_view caller,
                                absl::string_view role_name, absl::Time now);

// `role` and, if it deputises, the role it deputises for, as HeldRoles with
// the given `via`.
std::vector<HeldRole> RoleWithDeputised(const RoleModel& model, const Role& role,
                                        const std::string& via,
                                        const Assignment* assignment = nullptr);

// True when either role lists the other as conflicting.
bool RolesConflict(const RoleModel& model, absl::string_view a, absl::string_view b);

struct Conflict {
  HeldRole held;
  HeldRole other;
};

// The first pair (one from `wanted`, one from `held`) of conflicting roles.
std::optional<Conflict> FindConflict(const RoleModel& model, const std::vector<HeldRole>& wanted,
                                     const std::vector<HeldRole>& held);

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_SEGREGATION_H_
