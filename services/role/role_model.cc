#include "services/role/role_model.h"

#include <algorithm>

#include "absl/strings/match.h"
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

template <typename T>
bool IsActiveAtImpl(const T& resource, absl::Time t) {
  return FromProto(resource.effective_from()) <= t && t < EndOfImpl(resource);
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

}  // namespace

absl::Time EndOf(const Assignment& assignment) { return EndOfImpl(assignment); }
absl::Time EndOf(const Delegation& delegation) { return EndOfImpl(delegation); }
bool IsActiveAt(const Assignment& assignment, absl::Time t) {
  return IsActiveAtImpl(assignment, t);
}
bool IsActiveAt(const Delegation& delegation, absl::Time t) {
  return IsActiveAtImpl(delegation, t);
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

void RoleModel::Apply(const ChangeSet& changes) {
  for (const Role& role : changes.roles) roles_[role.name()] = role;
  for (const std::string& name : changes.deleted_roles) roles_.erase(name);
  for (const Principal& principal : changes.principals) {
    auto [it, inserted] = principals_.try_emplace(principal.name(), principal);
    if (!inserted) {
      IndexGroup(it->second, /*add=*/false);
      it->second = principal;
    }
    IndexGroup(it->second, /*add=*/true);
  }
  for (const Assignment& assignment : changes.assignments) {
    auto [it, inserted] = assignments_.try_emplace(assignment.name(), assignment);
    if (inserted) {
      by_principal_[assignment.principal()].push_back(&it->second);
      by_role_[assignment.role()].push_back(&it->second);
    } else {
      it->second = assignment;  // Principal and role never change.
    }
  }
  for (const Delegation& delegation : changes.delegations) {
    auto [it, inserted] = delegations_.try_emplace(delegation.name(), delegation);
    if (inserted) {
      by_delegate_[delegation.delegate()].push_back(&it->second);
    } else {
      it->second = delegation;
    }
  }
}

void RoleModel::IndexGroup(const Principal& group, bool add) {
  for (const std::string& member : group.members()) {
    std::vector<std::string>& groups = groups_by_member_[member];
    if (add) {
      groups.push_back(group.name());
    } else {
      groups.erase(std::remove(groups.begin(), groups.end(), group.name()), groups.end());
    }
  }
}

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

const std::vector<const Assignment*>& RoleModel::AssignmentsOfPrincipal(
    absl::string_view principal) const {
  return FindOrEmpty(by_principal_, principal);
}
const std::vector<const Assignment*>& RoleModel::AssignmentsOfRole(absl::string_view role) const {
  return FindOrEmpty(by_role_, role);
}
const std::vector<const Delegation*>& RoleModel::DelegationsTo(absl::string_view delegate) const {
  return FindOrEmpty(by_delegate_, delegate);
}
const std::vector<std::string>& RoleModel::GroupsOf(absl::string_view member) const {
  return FindOrEmpty(groups_by_member_, member);
}

std::vector<std::string> RoleModel::HoldersAt(absl::string_view role, absl::string_view scope,
                                              absl::Time t) const {
  std::vector<std::string> holders;
  for (const Assignment* assignment : AssignmentsOfRole(role)) {
    if (assignment->scope() == scope && IsActiveAt(*assignment, t) &&
        std::find(holders.begin(), holders.end(), assignment->principal()) == holders.end()) {
      holders.push_back(assignment->principal());
    }
  }
  return holders;
}

}  // namespace isms::role
