#ifndef ISMS_SERVICES_ROLE_ROLE_MODEL_H_
#define ISMS_SERVICES_ROLE_ROLE_MODEL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/change_set.h"

namespace isms::role {

using isms::role::v1::Assignment;
using isms::role::v1::Delegation;
using isms::role::v1::Principal;
using isms::role::v1::Role;

// When an assignment or delegation stops being in force: the earlier of its
// effective_until and its revoke_time; InfiniteFuture if neither is set.
absl::Time EndOf(const Assignment& assignment);
absl::Time EndOf(const Delegation& delegation);

// In force at `t`: effective_from <= t < end.
bool IsActiveAt(const Assignment& assignment, absl::Time t);
bool IsActiveAt(const Delegation& delegation, absl::Time t);

// A copy of `assignment` revoked at `at` by `by` (etag recomputed).
Assignment Revoked(const Assignment& assignment, absl::Time at, const std::string& by,
                   const std::string& reason);
// A copy of `delegation` revoked at `at` by `by` (etag recomputed).
Delegation Revoked(const Delegation& delegation, absl::Time at, const std::string& by);

// True when `scope` ("" = organisation-wide, or e.g. "assets/42") covers
// `resource`: the scope itself or anything under it.
bool ScopeCovers(absl::string_view scope, absl::string_view resource);

// True when `role` lists `permission`.
bool RoleGrants(const Role& role, absl::string_view permission);

// Everything the role service knows, in memory, with the indexes its queries
// need. Assignments and delegations are never removed (they are revoked), so
// pointers into them stay valid. Not thread-safe: the owner locks.
class RoleModel {
 public:
  // Ordered by resource name (list order); transparent so lookups by
  // string_view allocate nothing.
  template <typename T>
  using ByName = std::map<std::string, T, std::less<>>;

  RoleModel() = default;
  RoleModel(const RoleModel&) = delete;
  RoleModel& operator=(const RoleModel&) = delete;

  // Applies upserts and deletions; ignores events.
  void Apply(const ChangeSet& changes);

  const ByName<Role>& roles() const { return roles_; }
  const ByName<Principal>& principals() const { return principals_; }
  const ByName<Assignment>& assignments() const { return assignments_; }
  const ByName<Delegation>& delegations() const { return delegations_; }

  // Lookups; nullptr when absent.
  const Role* FindRole(absl::string_view name) const;
  const Principal* FindPrincipal(absl::string_view name) const;
  const Assignment* FindAssignment(absl::string_view name) const;
  const Delegation* FindDelegation(absl::string_view name) const;

  // Every assignment (any time) held by `principal` / of `role`.
  const std::vector<const Assignment*>& AssignmentsOfPrincipal(absl::string_view principal) const;
  const std::vector<const Assignment*>& AssignmentsOfRole(absl::string_view role) const;
  // Every delegation (any time) to `delegate`.
  const std::vector<const Delegation*>& DelegationsTo(absl::string_view delegate) const;
  // Groups that list `member` among their members.
  const std::vector<std::string>& GroupsOf(absl::string_view member) const;

  // Distinct principals holding `role` for `scope` at `t`.
  std::vector<std::string> HoldersAt(absl::string_view role, absl::string_view scope,
                                     absl::Time t) const;

 private:
  void IndexGroup(const Principal& group, bool add);

  ByName<Role> roles_;
  ByName<Principal> principals_;
  ByName<Assignment> assignments_;
  ByName<Delegation> delegations_;

  absl::flat_hash_map<std::string, std::vector<const Assignment*>> by_principal_;
  absl::flat_hash_map<std::string, std::vector<const Assignment*>> by_role_;
  absl::flat_hash_map<std::string, std::vector<const Delegation*>> by_delegate_;
  absl::flat_hash_map<std::string, std::vector<std::string>> groups_by_member_;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_MODEL_H_
