#ifndef ISMS_SERVICES_ROLE_PERMISSION_CHECKER_H_
#define ISMS_SERVICES_ROLE_PERMISSION_CHECKER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/role_model.h"

namespace isms::role {

// The permissions the role service checks for its own writes.
inline constexpr char kManageRoles[] = "isms.roles.manage";
inline constexpr char kManagePrincipals[] = "isms.principals.manage";
inline constexpr char kManageAssignments[] = "isms.assignments.manage";

// Decides whether a principal holds a permission on a resource at a time,
// and why. A principal holds a permission when, at that time, it is active
// and one of these grants it for a scope covering the resource:
//   - an assignment of its own, or of a group it is a member of, to a role
//     that lists the permission, or to a role that deputises for one that
//     does;
//   - a delegation of that permission to it, from a holder whose assignment
//     is in force and would itself grant it;
//   - bootstrap: the principal is the configured bootstrap admin, the
//     permission is one of the role service's three manage permissions, and
//     no active principal holds a role granting it.
// The first grant found is reported; direct grants before delegations.
class PermissionChecker {
 public:
  // `bootstrap_principal` may be empty: no bootstrap.
  explicit PermissionChecker(std::string bootstrap_principal)
      : bootstrap_principal_(std::move(bootstrap_principal)) {}

  // REQUIRES: the caller holds the model's lock for reading.
  isms::role::v1::CheckPermissionResponse Check(const RoleModel& model, absl::string_view principal,
                                                absl::string_view permission,
                                                absl::string_view resource, absl::Time at) const;

 private:
  bool BootstrapApplies(const RoleModel& model, absl::string_view principal,
                        absl::string_view permission, absl::Time at) const;

  const std::string bootstrap_principal_;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_PERMISSION_CHECKER_H_
