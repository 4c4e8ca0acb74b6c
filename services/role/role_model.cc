#include "services/role/role_model.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api/etag.h"
#include "common/time/proto_time.h"

namespace isms::role {
namespace {

template <typename T>
absl::Time EndOfImpl(const T& resource) {
  absl::Time end = absl::InfiniteFuture();
  if (resource.has_effective_until()) end = FromProto(resource.effective_until());
  if (resource.has_revoke_time()) end = std::min(end, FromProto(resource.revoke_time()));
  return end;
}

template <typename Map>
const typename Map::mapped_type* Find(const Map& map, absl::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

template <typename V>
const V& FindOrEmpty(const absl::flat_hash_map<std::string, V>& index, absl::string_view key) {
  static const V* const kEmpty = new V();
  auto it = index.find(key);
  return it == index.end() ? *kEmpty : it->second;
}

// Role names and scopes hold no NUL (validation), so this key is unambiguous.
std::string RoleScopeKey(absl::string_view role, absl::string_view scope) {
  return absl::StrCat(role, absl::string_view("\0", 1), scope);
}

}  // namespace

absl::Time EndOf(const Assignment& assignment) { return EndOfImpl(assignment); }
absl::Time EndOf(const Delegation& delegation) { return EndOfImpl(delegation); }
absl::Time EndOf(const Absence& absence) { return EndOfImpl(absence); }

absl::Time StartOf(const Assignment& assignment) {
  if (assignment.has_void_time()) return absl::InfiniteFuture();
  const absl::Time from = FromProto(assignment.effective_from());
  switch (assignment.waiver_state()) {
    case v1::WAIVER_STATE_UNSPECIFIED:
      return from;
    case v1::WAIVER_STATE_APPROVED:
      return std::max(from, FromProto(assignment.waiver_decide_time()));
    default:  // Pending or rejected: not in force.
      return absl::InfiniteFuture();
  }
}

bool IsActiveAt(const Assignment& assignment, absl::Time t) {
  return StartOf(assignment) <= t && t < EndOf(assignment);
}
bool IsActiveAt(const Delegation& delegation, absl::Time t) {
  return FromProto(delegation.effective_from()) <= t && t < EndOf(delegation);
}
bool IsActiveAt(const Absence& absence, absl::Time t) {
  return FromProto(absence.effective_from()) <= t && t < EndOf(absence);
}

bool IsPrincipalActiveAt(const Principal* principal, absl::Time t) {
  if (principal == nullptr) return false;
  if (principal->state() != v1::PRINCIPAL_STATE_LEFT) return true;
  return principal->has_left_time() && t < FromProto(principal->left_time());
}

Assignment Revoked(const Assignment& assignment, absl::Time at, const std::string& by,
                   const std::string& reason) {
  Assignment revoked = assignment;
  *revoked.mutable_revoke_time() = ToProto(at);
  revoked.set_revoked_by(by);
  revoked.set_revoke_reason(reason);
  SetEtag(revoked);
  return revoked;
}

Delegation Revoked(const Delegation& delegation, absl::Time at, const std::string& by) {
  Delegation revoked = delegation;
  *revoked.mutable_revoke_time() = ToProto(at);
  revoked.set_revoked_by(by);
  SetEtag(revoked);
  return revoked;
}

bool ScopeCovers(absl::string_view scope, absl::string_view resource) {
  if (scope.empty()) return true;
  if (!absl::StartsWith(resource, scope)) return false;
  return resource.size() == scope.size() || resource[scope.size()] == '/';
}

bool RoleGrants(const Role& role, absl::string_view permission) {
  for (const std::string& granted : role.permissions()) {
    if (granted == permission) return true;
  }
  return false;
}

const v1::Responsibility* FindResponsibility(const Role& role, absl::string_view id) {
  for (const v1::Responsibility& responsibility : role.responsibilities()) {
    if (responsibility.id() == id) return &responsibility;
  }
  return nullptr;
}

namespace {

bool WaiverPending(const Assignment& assignment) {
  return assignment.waiver_state() == v1::WAIVER_STATE_PENDING && !assignment.has_void_time();
}

// Keeps `by_end` holding (end, name) for `resource` when its end is finite.
template <typename T>
void IndexEnd(RoleModel::ByEnd& by_end, const T& resource, bool add) {
  const absl::Time end = EndOf(resource);
  if (end == absl::InfiniteFuture()) return;
  if (add) {
    by_end.insert({end, resource.name()});
  } else {
    by_end.erase({end, resource.name()});
  }
}

}  // namespace

template <typename T>
void RoleModel::RecordVersion(History<T>& history, const std::string& name, absl::Time at,
                              const std::common_type_t<T>* replaced, bool deleted) {
  std::vector<Version<T>>& versions = history[name];
  if (replaced != nullptr && !versions.empty() && !versions.back().deleted &&
      !versions.back().value.has_value()) {
    versions.back().value = *replaced;
  }
  versions.push_back({at, deleted, std::nullopt});
}

template <typename T>
void RoleModel::ShareNewestWithCurrent(History<T>& history) {
  for (auto& [name, versions] : history) {
    if (!versions.empty() && !versions.back().deleted) versions.back().value.reset();
  }
}

void RoleModel::Apply(const ChangeSet& changes) {
  const absl::Time at = changes.record_time;
  for (const Role& role : changes.roles) {
    auto [it, inserted] = roles_.try_emplace(role.name(), role);
    RecordVersion(role_history_, role.name(), at, inserted ? nullptr : &it->second, false);
    if (!inserted) it->second = role;
    latest_role_record_ = std::max(latest_role_record_, at);
  }
  for (const std::string& name : changes.deleted_roles) {
    RecordVersion(role_history_, name, at, FindRole(name), /*deleted=*/true);
    roles_.erase(name);
    latest_role_record_ = std::max(latest_role_record_, at);
  }
  for (const Principal& principal : changes.principals) {
    auto [it, inserted] = principals_.try_emplace(principal.name(), principal);
    RecordVersion(principal_history_, principal.name(), at, inserted ? nullptr : &it->second,
                  false);
    if (!inserted) {
      IndexGroup(it->second, /*add=*/false);
      it->second = principal;
    }
    IndexGroup(it->second, /*add=*/true);
    if (principal.state() == v1::PRINCIPAL_STATE_LEFT) {
      leavers_.insert(principal.name());
    } else {
      leavers_.erase(principal.name());
    }
    if (principal.kind() == v1::PRINCIPAL_KIND_GROUP) {
      groups_.insert(principal.name());
    } else {
      groups_.erase(principal.name());
    }
    latest_principal_record_ = std::max(latest_principal_record_, at);
  }
  for (const Assignment& assignment : changes.assignments) {
    auto [it, inserted] = assignments_.try_emplace(assignment.name(), assignment);
    if (inserted) {
      const Assignment* indexed = &it->second;
      by_principal_[assignment.principal()].insert(indexed);
      by_role_[assignment.role()].insert(indexed);
      by_role_scope_[RoleScopeKey(assignment.role(), assignment.scope())].insert(indexed);
      by_scope_[assignment.scope()].insert(indexed);
    } else {
      RecordVersion(assignment_history_, assignment.name(), at, &it->second, false);
      IndexEnd(assignments_by_end_, it->second, /*add=*/false);
      pending_waivers_.erase(&it->second);
      it->second = assignment;  // Principal, role and scope never change.
    }
    if (inserted) RecordVersion(assignment_history_, assignment.name(), at, nullptr, false);
    IndexEnd(assignments_by_end_, it->second, /*add=*/true);
    if (WaiverPending(it->second)) pending_waivers_.insert(&it->second);
  }
  for (const Delegation& delegation : changes.delegations) {
    auto [it, inserted] = delegations_.try_emplace(delegation.name(), delegation);
    if (inserted) {
      by_delegate_[delegation.delegate()].insert(&it->second);
      by_assignment_[delegation.assignment()].insert(&it->second);
    } else {
      RecordVersion(delegation_history_, delegation.name(), at, &it->second, false);
      IndexEnd(delegations_by_end_, it->second, /*add=*/false);
      it->second = delegation;
    }
    if (inserted) RecordVersion(delegation_history_, delegation.name(), at, nullptr, false);
    IndexEnd(delegations_by_end_, it->second, /*add=*/true);
  }
  for (const Absence& absence : changes.absences) {
    auto [it, inserted] = absences_.try_emplace(absence.name(), absence);
    if (inserted) {
      absences_by_principal_[absence.principal()].insert(&it->second);
    } else {
      RecordVersion(absence_history_, absence.name(), at, &it->second, false);
      it->second = absence;
    }
    if (inserted) RecordVersion(absence_history_, absence.name(), at, nullptr, false);
  }
  for (const auto& [key, value] : changes.settings) ApplySetting(key, value);
}

namespace {

std::string EncodeTime(absl::Time t) {
  if (t == absl::InfinitePast()) return "-inf";
  if (t == absl::InfiniteFuture()) return "inf";
  return absl::StrCat(absl::ToUnixMicros(t));
}

bool DecodeTime(absl::string_view text, absl::Time* t) {
  int64_t micros = 0;
  if (text == "-inf") {
    *t = absl::InfinitePast();
  } else if (text == "inf") {
    *t = absl::InfiniteFuture();
  } else if (absl::SimpleAtoi(text, &micros)) {
    *t = absl::FromUnixMicros(micros);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string EncodeBootstrapWindows(const std::vector<BootstrapWindow>& windows) {
  std::vector<std::string> parts;
  for (const BootstrapWindow& window : windows) {
    parts.push_back(absl::StrCat(EncodeTime(window.start), ":", EncodeTime(window.end)));
  }
  return absl::StrJoin(parts, ";");
}

void RoleModel::ApplySetting(const std::string& key, const std::string& value) {
  if (key != kBootstrapWindowsSetting) return;
  std::vector<BootstrapWindow> windows;
  for (absl::string_view part : absl::StrSplit(value, ';', absl::SkipEmpty())) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, ':');
    BootstrapWindow window;
    if (ends.size() != 2 || !DecodeTime(ends[0], &window.start) ||
        !DecodeTime(ends[1], &window.end)) {
      continue;
    }
    windows.push_back(window);
  }
  bootstrap_windows_ = std::move(windows);
}

bool RoleModel::BootstrapOpenAt(absl::Time t) const {
  for (const BootstrapWindow& window : bootstrap_windows_) {
    if (window.start <= t && t < window.end) return true;
  }
  return false;
}

std::optional<absl::Time> RoleModel::LastBootstrapEnd() const {
  std::optional<absl::Time> last;
  for (const BootstrapWindow& window : bootstrap_windows_) {
    if (window.end != absl::InfiniteFuture()) last = window.end;
  }
  return last;
}

void RoleModel::LoadHistory(const std::vector<HistoryRow>& rows) {
  // The current state was applied first, which recorded one version of each
  // record at the epoch; the stored history replaces those.
  role_history_.clear();
  principal_history_.clear();
  assignment_history_.clear();
  delegation_history_.clear();
  absence_history_.clear();
  latest_role_record_ = absl::InfinitePast();
  latest_principal_record_ = absl::InfinitePast();
  for (const HistoryRow& row : rows) {
    if (row.collection == "roles")
      latest_role_record_ = std::max(latest_role_record_, row.record_time);
    if (row.collection == "principals") {
      latest_principal_record_ = std::max(latest_principal_record_, row.record_time);
    }
  }
  auto load = [](auto& history, const HistoryRow& row, auto message) {
    if (row.deleted) {
      history[row.name].push_back({row.record_time, true, std::nullopt});
    } else if (message.ParseFromString(row.resource)) {
      history[row.name].push_back({row.record_time, false, std::move(message)});
    }
  };
  for (const HistoryRow& row : rows) {
    if (row.collection == "roles") {
      load(role_history_, row, Role());
    } else if (row.collection == "principals") {
      load(principal_history_, row, Principal());
      const auto& versions = principal_history_[row.name];
      if (!versions.empty() && !versions.back().deleted) {
        for (const std::string& member : versions.back().value->members()) {
          groups_ever_by_member_[member].insert(row.name);
        }
      }
    } else if (row.collection == "assignments") {
      load(assignment_history_, row, Assignment());
    } else if (row.collection == "delegations") {
      load(delegation_history_, row, Delegation());
    } else if (row.collection == "absences") {
      load(absence_history_, row, Absence());
    }
  }
  ShareNewestWithCurrent(role_history_);
  ShareNewestWithCurrent(principal_history_);
  ShareNewestWithCurrent(assignment_history_);
  ShareNewestWithCurrent(delegation_history_);
  ShareNewestWithCurrent(absence_history_);
}

void RoleModel::IndexGroup(const Principal& group, bool add) {
  for (const std::string& member : group.members()) {
    if (add) {
      groups_by_member_[member].insert(group.name());
      groups_ever_by_member_[member].insert(group.name());
    } else {
      groups_by_member_[member].erase(group.name());
    }
  }
}

namespace {

// The last version recorded at or before `cutoff`; nullptr if there is none.
// `fallback_to_first` takes the first version recorded by `limit` instead.
template <typename T, typename Versions>
const T* VersionAt(const Versions* versions, const T* current, absl::Time cutoff, absl::Time limit,
                   bool fallback_to_first) {
  if (versions == nullptr || versions->empty()) return current;  // No history kept.
  if (cutoff >= versions->back().recorded) {
    return versions->back().deleted ? nullptr : current;
  }
  auto after = std::upper_bound(versions->begin(), versions->end(), cutoff,
                                [](absl::Time t, const auto& v) { return t < v.recorded; });
  if (after == versions->begin()) {
    if (!fallback_to_first || versions->front().recorded > limit) return nullptr;
    after = versions->begin() + 1;
  }
  const auto& version = *(after - 1);
  if (version.deleted) return nullptr;
  // Only the newest version leaves its value to the current record.
  return version.value.has_value() ? &*version.value : current;
}

template <typename History>
const typename History::mapped_type* FindVersions(const History& history, absl::string_view name) {
  auto it = history.find(name);
  return it == history.end() ? nullptr : &it->second;
}

}  // namespace

const Role* RoleModel::FindRole(absl::string_view name) const { return Find(roles_, name); }
const Principal* RoleModel::FindPrincipal(absl::string_view name) const {
  return Find(principals_, name);
}
const Assignment* RoleModel::FindAssignment(absl::string_view name) const {
  return Find(assignments_, name);
}
const Delegation* RoleModel::FindDelegation(absl::string_view name) const {
  return Find(delegations_, name);
}
const Absence* RoleModel::FindAbsence(absl::string_view name) const {
  return Find(absences_, name);
}

const Role* RoleModel::RoleAt(absl::string_view name, const TimePoint& when) const {
  if (when.record_cutoff() >= latest_role_record_) return FindRole(name);  // The common case.
  return VersionAt(FindVersions(role_history_, name), FindRole(name), when.record_cutoff(),
                   when.as_recorded_at, /*fallback_to_first=*/true);
}

const Principal* RoleModel::PrincipalAt(absl::string_view name, const TimePoint& when) const {
  if (when.record_cutoff() >= latest_principal_record_) return FindPrincipal(name);
  return VersionAt(FindVersions(principal_history_, name), FindPrincipal(name),
                   when.record_cutoff(), when.as_recorded_at, /*fallback_to_first=*/true);
}

const Assignment* RoleModel::AssignmentAt(const Assignment& current, const TimePoint& when) const {
  if (when.current_record()) return &current;
  return VersionAt(FindVersions(assignment_history_, current.name()), &current, when.as_recorded_at,
                   when.as_recorded_at, /*fallback_to_first=*/false);
}

const Delegation* RoleModel::DelegationAt(const Delegation& current, const TimePoint& when) const {
  if (when.current_record()) return &current;
  return VersionAt(FindVersions(delegation_history_, current.name()), &current, when.as_recorded_at,
                   when.as_recorded_at, /*fallback_to_first=*/false);
}

const Absence* RoleModel::AbsenceAt(const Absence& current, const TimePoint& when) const {
  if (when.current_record()) return &current;
  return VersionAt(FindVersions(absence_history_, current.name()), &current, when.as_recorded_at,
                   when.as_recorded_at, /*fallback_to_first=*/false);
}

const NameIndex<Assignment>& RoleModel::AssignmentsOfPrincipal(absl::string_view principal) const {
  return FindOrEmpty(by_principal_, principal);
}
const NameIndex<Assignment>& RoleModel::AssignmentsOfRole(absl::string_view role) const {
  return FindOrEmpty(by_role_, role);
}
const NameIndex<Assignment>& RoleModel::AssignmentsOfRoleInScope(absl::string_view role,
                                                                 absl::string_view scope) const {
  return FindOrEmpty(by_role_scope_, RoleScopeKey(role, scope));
}
const NameIndex<Assignment>& RoleModel::AssignmentsInScope(absl::string_view scope) const {
  return FindOrEmpty(by_scope_, scope);
}
const NameIndex<Delegation>& RoleModel::DelegationsTo(absl::string_view delegate) const {
  return FindOrEmpty(by_delegate_, delegate);
}
const NameIndex<Delegation>& RoleModel::DelegationsOf(absl::string_view assignment) const {
  return FindOrEmpty(by_assignment_, assignment);
}
const NameIndex<Absence>& RoleModel::AbsencesOf(absl::string_view principal) const {
  return FindOrEmpty(absences_by_principal_, principal);
}
const absl::btree_set<std::string>& RoleModel::GroupsOf(absl::string_view member) const {
  return FindOrEmpty(groups_by_member_, member);
}
const absl::btree_set<std::string>& RoleModel::GroupsEverOf(absl::string_view member) const {
  return FindOrEmpty(groups_ever_by_member_, member);
}

bool RoleModel::PrincipalsCurrentAt(const TimePoint& when) const {
  return when.record_cutoff() >= latest_principal_record_;
}

std::vector<std::string> RoleModel::HoldersAt(absl::string_view role, absl::string_view scope,
                                              const TimePoint& when) const {
  std::vector<std::string> holders;
  absl::flat_hash_set<absl::string_view> seen;
  for (const Assignment* current : AssignmentsOfRoleInScope(role, scope)) {
    const Assignment* assignment = AssignmentAt(*current, when);
    if (assignment != nullptr && IsActiveAt(*assignment, when.at) &&
        seen.insert(assignment->principal()).second) {
      holders.push_back(assignment->principal());
    }
  }
  return holders;
}

bool RoleModel::HasHolderAt(absl::string_view role, absl::string_view scope,
                            const TimePoint& when) const {
  for (const Assignment* current : AssignmentsOfRoleInScope(role, scope)) {
    const Assignment* assignment = AssignmentAt(*current, when);
    if (assignment != nullptr && IsActiveAt(*assignment, when.at)) return true;
  }
  return false;
}

}  // namespace isms::role
