#include "services/role/segregation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"

namespace isms::role {
namespace {

bool Lists(const google::protobuf::RepeatedPtrField<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Voided and rejected appointments never were in force; a pending waiver
// may still be approved, so it counts from its effective_from.
bool MayBeInForce(const Assignment& assignment) {
  return !assignment.has_void_time() && assignment.waiver_state() != v1::WAIVER_STATE_REJECTED;
}

bool OverlapsPeriod(const Assignment& assignment, absl::Time from, absl::Time until) {
  return MayBeInForce(assignment) && FromProto(assignment.effective_from()) < until &&
         from < EndOf(assignment);
}

void AddWithDeputised(const RoleModel& model, const Assignment& assignment, const std::string& via,
                      std::vector<HeldRole>& out) {
  const Role* role = model.FindRole(assignment.role());
  if (role == nullptr) {
    out.push_back({assignment.role(), via, &assignment});
    return;
  }
  for (HeldRole& held : RoleWithDeputised(model, *role, via, &assignment)) {
    out.push_back(std::move(held));
  }
}

// Walks every path; `keep` decides whether an assignment or delegation counts.
template <typename KeepAssignment, typename KeepDelegation>
std::vector<HeldRole> HeldRoles(const RoleModel& model, absl::string_view principal,
                                KeepAssignment keep_assignment, KeepDelegation keep_delegation) {
  std::vector<HeldRole> held;
  for (const Assignment* assignment : model.AssignmentsOfPrincipal(principal)) {
    if (keep_assignment(*assignment)) AddWithDeputised(model, *assignment, assignment->name(), held);
  }
  for (const std::string& group : model.GroupsOf(principal)) {
    for (const Assignment* assignment : model.AssignmentsOfPrincipal(group)) {
      if (!keep_assignment(*assignment)) continue;
      AddWithDeputised(model, *assignment, absl::StrCat(assignment->name(), " via group ", group),
                       held);
    }
  }
  for (const Delegation* delegation : model.DelegationsTo(principal)) {
    if (!keep_delegation(*delegation)) continue;
    const Assignment* assignment = model.FindAssignment(delegation->assignment());
    if (assignment == nullptr) continue;
    AddWithDeputised(model, *assignment,
                     absl::StrCat(delegation->name(), " of ", assignment->name()), held);
  }
  return held;
}

}  // namespace

std::vector<HeldRole> RoleWithDeputised(const RoleModel& model, const Role& role,
                                        const std::string& via, const Assignment* assignment) {
  std::vector<HeldRole> roles = {{role.name(), via, assignment}};
  if (!role.deputy_for().empty()) {
    roles.push_back({role.deputy_for(), absl::StrCat(via, " as deputy"), assignment});
  }
  return roles;
}

std::vector<HeldRole> HeldRolesInPeriod(const RoleModel& model, absl::string_view principal,
                                        absl::Time from, absl::Time until) {
  return HeldRoles(
      model, principal, [&](const Assignment& a) { return OverlapsPeriod(a, from, until); },
      [&](const Delegation& d) {
        return FromProto(d.effective_from()) < until && from < EndOf(d);
      });
}

std::vector<HeldRole> HeldRolesAt(const RoleModel& model, absl::string_view principal,
                                  const TimePoint& when) {
  return HeldRoles(
      model, principal,
      [&](const Assignment& current) {
        const Assignment* a = model.AssignmentAt(current, when);
        return a != nullptr && IsActiveAt(*a, when.at);
      },
      [&](const Delegation& current) {
        const Delegation* d = model.DelegationAt(current, when);
        return d != nullptr && IsActiveAt(*d, when.at);
      });
}

std::optional<HeldRole> FindHeldRole(const RoleModel& model, absl::string_view principal,
                                     absl::string_view role, const TimePoint& when) {
  for (HeldRole& held : HeldRolesAt(model, principal, when)) {
    if (held.role == role) return std::move(held);
  }
  return std::nullopt;
}

std::optional<HeldRole> FindHeldRoleInPeriod(const RoleModel& model, absl::string_view principal,
                                             absl::string_view role, absl::Time from,
                                             absl::Time until) {
  for (HeldRole& held : HeldRolesInPeriod(model, principal, from, until)) {
    if (held.role == role) return std::move(held);
  }
  return std::nullopt;
}

bool IsHeldAsDeputy(const HeldRole& held) {
  return held.assignment != nullptr && held.assignment->role() != held.role;
}

std::optional<HeldRole> DeputisesForHolderOf(const RoleModel& model, absl::string_view caller,
                                             absl::string_view target, absl::Time now) {
  const std::vector<HeldRole> targets =
      HeldRolesInPeriod(model, target, now, absl::InfiniteFuture());
  for (HeldRole& mine : HeldRolesInPeriod(model, caller, now, absl::InfiniteFuture())) {
    if (!IsHeldAsDeputy(mine)) continue;
    for (const HeldRole& theirs : targets) {
      if (theirs.role == mine.role && !IsHeldAsDeputy(theirs)) return std::move(mine);
    }
  }
  return std::nullopt;
}

absl::Status RefuseDeputyActingAgainst(const RoleModel& model, absl::string_view caller,
                                       absl::string_view target, absl::Time now) {
  std::optional<HeldRole> deputy = DeputisesForHolderOf(model, caller, target, now);
  if (!deputy.has_value()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("deputy rule: ", caller, " deputises for ",
                                                  deputy->role, " (", deputy->via, "), which ",
                                                  target, " holds, and may not act against its holder"));
}

absl::Status RefuseDeputyOfRole(const RoleModel& model, absl::string_view caller,
                                absl::string_view role_name, absl::Time now) {
  const Role* role = model.FindRole(role_name);
  for (const HeldRole& held : HeldRolesInPeriod(model, caller, now, absl::InfiniteFuture())) {
    if (!IsHeldAsDeputy(held)) continue;
    if (held.role == role_name || (role != nullptr && held.role == role->deputy_for())) {
      return absl::PermissionDeniedError(
          absl::StrCat("deputy rule: ", caller, " deputises for ", held.role, " through ",
                       held.via, " and may not change, fill or add to that role"));
    }
  }
  return absl::OkStatus();
}

bool RolesConflict(const RoleModel& model, absl::string_view a, absl::string_view b) {
  if (a == b) return false;
  const Role* role_a = model.FindRole(a);
  const Role* role_b = model.FindRole(b);
  return (role_a != nullptr && Lists(role_a->conflicting_roles(), b)) ||
         (role_b != nullptr && Lists(role_b->conflicting_roles(), a));
}

std::optional<Conflict> FindConflict(const RoleModel& model, const std::vector<HeldRole>& wanted,
                                     const std::vector<HeldRole>& held) {
  for (const HeldRole& w : wanted) {
    for (const HeldRole& h : held) {
      if (RolesConflict(model, w.role, h.role)) return Conflict{w, h};
    }
  }
  return std::nullopt;
}

}  // namespace isms::role
