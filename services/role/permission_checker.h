#ifndef ISMS_SERVICES_ROLE_PERMISSION_CHECKER_H_
#define ISMS_SERVICES_ROLE_PERMISSION_CHECKER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/role_model.h"

namespace isms::role {

// The permissions the role service checks for its own writes. They are
// never delegable.
inline constexpr char kManageRoles[] = "isms.roles.manage";
inline constexpr char kManagePrincipals[] = "isms.principals.manage";
inline constexpr char kManageAssignments[] = "isms.assignments.manage";
// Reading other people's records and appointments, and checking their
// permissions.
inline constexpr char kReadPrincipals[] = "isms.principals.read";
// Reading the audit trail, and how its delivery stands.
inline constexpr char kReadAudit[] = "isms.audit.read";

// True for the three manage permissions above.
bool IsManagePermission(absl::string_view permission);

// Decides whether a principal holds a permission on a resource at a time
// point, and why. A principal holds a permission when, at when.at, as the
// register stood at when.as_recorded_at, it had not left, and one of these
// grants it for a scope covering the resource:
//   - an assignment in force of its own, or of a group it was then a member
//     of, to a role that lists the permission;
//   - such an assignment to a deputy role (deputy_for) whose deputised role
//     lists it, while the deputised role is vacant in that scope or every
//     holder of it has an absence in force (the seeds: the deputy acts "when
//     necessary");
//   - a delegation in force to it of that permission, or of a responsibility
//     tied to it, from a holder whose assignment is in force and would
//     itself grant it; never for a manage permission;
//   - bootstrap: the principal is the configured bootstrap admin, the
//     permission is a manage permission (or the read permission that goes
//     with managing), and when.at lies in a bootstrap
//     window (see RoleModel: bootstrap ends for good at the first management
//     appointment and only an operator's break-glass start opens a new one).
// Own assignments are reported before groups, groups before delegations.
class PermissionChecker {
 public:
  // `bootstrap_principal` may be empty: no bootstrap.
  explicit PermissionChecker(std::string bootstrap_principal)
      : bootstrap_principal_(std::move(bootstrap_principal)) {}

  const std::string& bootstrap_principal() const { return bootstrap_principal_; }

  // REQUIRES: the caller holds the model's lock for reading.
  isms::role::v1::CheckPermissionResponse Check(const RoleModel& model, absl::string_view principal,
                                                absl::string_view permission,
                                                absl::string_view resource,
                                                const TimePoint& when) const;

 private:
  const std::string bootstrap_principal_;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_PERMISSION_CHECKER_H_
