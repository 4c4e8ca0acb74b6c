#ifndef ISMS_SERVICES_ROLE_CATALOGUE_H_
#define ISMS_SERVICES_ROLE_CATALOGUE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "isms/role/v1/role.pb.h"

namespace isms::role {

// Parses a role catalogue in protobuf text format (an isms.role.v1.
// RoleCatalogue) and checks it whole: every role valid, names unique, every
// role reference (accountable_to, deputy_for, conflicting_roles) resolving
// within the catalogue. Fills each role's code from its name. Returns
// InvalidArgument naming the role and field at fault.
absl::StatusOr<std::vector<isms::role::v1::Role>> ParseCatalogue(absl::string_view text);

// ParseCatalogue on a file's contents; NotFound if it cannot be read.
absl::StatusOr<std::vector<isms::role::v1::Role>> LoadCatalogueFile(const std::string& path);

// "roles/siro" → "SIRO".
std::string RoleCode(absl::string_view role_name);

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_CATALOGUE_H_
