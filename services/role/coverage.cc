#include "services/role/coverage.h"

#include <algorithm>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
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

void AddPendingWaiver(const Assignment& assignment, isms::role::v1::CoverageReport& report) {
  if (assignment.waiver_state() == isms::role::v1::WAIVER_STATE_PENDING &&
      !assignment.has_void_time()) {
    *report.add_pending_waivers() = assignment;
  }
}

// `assignment` as recorded at `when`, if it is then in force.
void AddViolation(const RoleModel& model, const Assignment& assignment, const TimePoint& when,
                  isms::role::v1::CoverageReport& report) {
  const Role* role = model.RoleAt(assignment.role(), when);
  if (role == nullptr) return;
  std::string failure =
      RequirementFailure(*role, model.PrincipalAt(assignment.principal(), when), when.at);
  if (failure.empty()) return;
  auto* violation = report.add_violations();
  violation->set_assignment(assignment.name());
  violation->set_role(assignment.role());
  violation->set_principal(assignment.principal());
  violation->set_rule(std::move(failure));
}

// Every record, for a question about what was recorded in the past (or
// about principals as they stood before a later change).
void WalkEverything(const RoleModel& model, const TimePoint& when, absl::Time horizon,
                    isms::role::v1::CoverageReport& report) {
  const absl::Time at = when.at;
  for (const auto& [name, current] : model.assignments()) {
    const Assignment* assignment = model.AssignmentAt(current, when);
    if (assignment == nullptr) continue;
    AddPendingWaiver(*assignment, report);
    if (!IsActiveAt(*assignment, at)) continue;
    AddViolation(model, *assignment, when, report);
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
}

// The records in force whose end falls in (at, horizon], in name order.
template <typename T, typename Find>
std::vector<const T*> EndingIn(const RoleModel::ByEnd& by_end, absl::Time at, absl::Time horizon,
                               Find find) {
  std::vector<const T*> ending;
  for (auto it = by_end.upper_bound({at, std::string()}); it != by_end.end(); ++it) {
    if (it->first > horizon) break;
    const T* record = find(it->second);
    if (record != nullptr && IsActiveAt(*record, at)) ending.push_back(record);
  }
  std::sort(ending.begin(), ending.end(),
            [](const T* a, const T* b) { return a->name() < b->name(); });
  return ending;
}

// Roles that take part in a conflict, directly or as the deputy of one.
absl::flat_hash_set<std::string> ConflictBearingRoles(const RoleModel& model) {
  absl::flat_hash_set<std::string> bearing;
  for (const auto& [name, role] : model.roles()) {
    if (role.conflicting_roles().empty()) continue;
    bearing.insert(name);
    bearing.insert(role.conflicting_roles().begin(), role.conflicting_roles().end());
  }
  for (const auto& [name, role] : model.roles()) {
    if (!role.deputy_for().empty() && bearing.contains(role.deputy_for())) bearing.insert(name);
  }
  return bearing;
}

// From the indexes the model maintains, for the register as it stands
// (current records and principals): costs grow with what the report finds
// and with the holders of a few kinds of role, not with the register.
void FromIndexes(const RoleModel& model, const TimePoint& when, absl::Time horizon,
                 isms::role::v1::CoverageReport& report) {
  const absl::Time at = when.at;
  for (const Assignment* assignment : model.pending_waivers()) {
    AddPendingWaiver(*assignment, report);
  }
  // A requirement can fail only for a leaver, a group, or a role that asks
  // for a board-level holder or a group.
  NameIndex<Assignment> suspects;
  for (const auto* names : {&model.leavers(), &model.groups()}) {
    for (const std::string& principal : *names) {
      for (const Assignment* a : model.AssignmentsOfPrincipal(principal)) suspects.insert(a);
    }
  }
  for (const auto& [name, current] : model.roles()) {
    const Role* role = model.RoleAt(name, when);
    if (role == nullptr || (!role->board_level_required() &&
                            role->holder_kind() != isms::role::v1::HOLDER_KIND_GROUP)) {
      continue;
    }
    for (const Assignment* a : model.AssignmentsOfRole(name)) suspects.insert(a);
  }
  for (const Assignment* assignment : suspects) {
    if (IsActiveAt(*assignment, at)) AddViolation(model, *assignment, when, report);
  }
  for (const Assignment* assignment :
       EndingIn<Assignment>(model.assignments_by_end(), at, horizon,
                            [&](const std::string& name) { return model.FindAssignment(name); })) {
    *report.add_ending_assignments() = *assignment;
  }
  for (const Delegation* delegation :
       EndingIn<Delegation>(model.delegations_by_end(), at, horizon,
                            [&](const std::string& name) { return model.FindDelegation(name); })) {
    *report.add_ending_delegations() = *delegation;
  }
  // A conflict needs a role that conflicts: only their holders, the members
  // of groups holding them and their delegates can have one.
  absl::btree_set<std::string> candidates;
  for (const std::string& role : ConflictBearingRoles(model)) {
    for (const Assignment* assignment : model.AssignmentsOfRole(role)) {
      const Principal* holder = model.FindPrincipal(assignment->principal());
      if (holder != nullptr && holder->kind() == isms::role::v1::PRINCIPAL_KIND_GROUP) {
        candidates.insert(holder->members().begin(), holder->members().end());
      } else {
        candidates.insert(assignment->principal());
      }
      for (const Delegation* delegation : model.DelegationsOf(assignment->name())) {
        candidates.insert(delegation->delegate());
      }
    }
  }
  for (const std::string& name : candidates) {
    const Principal* principal = model.FindPrincipal(name);
    if (principal == nullptr || principal->kind() != isms::role::v1::PRINCIPAL_KIND_PERSON)
      continue;
    if (!IsPrincipalActiveAt(principal, at)) continue;
    AddConflicts(model, name, when, report);
  }
}

}  // namespace

isms::role::v1::CoverageReport BuildCoverageReport(const RoleModel& model, const TimePoint& when,
                                                   absl::Duration window) {
  isms::role::v1::CoverageReport report;
  for (const auto& [name, current_role] : model.roles()) {
    const Role* role = model.RoleAt(name, when);
    if (role != nullptr && role->mandatory() &&
        role->scope_kind() == isms::role::v1::SCOPE_KIND_ORGANISATION &&
        !model.HasHolderAt(name, "", when)) {
      report.add_vacant_mandatory_roles(name);
    }
  }
  const absl::Time horizon = when.at + window;
  if (when.current_record() && model.PrincipalsCurrentAt(when)) {
    FromIndexes(model, when, horizon, report);
  } else {
    WalkEverything(model, when, horizon, report);
  }
  return report;
}

}  // namespace isms::role
