#ifndef ISMS_COMMON_AUTHZ_ROLE_SERVICE_FLAGS_H_
#define ISMS_COMMON_AUTHZ_ROLE_SERVICE_FLAGS_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "common/authz/permission_client.h"

// Where a service other than the role service asks about permissions. Like
// all flags, each may be set from the environment (ISMS_ROLE_SERVICE_ADDRESS...).
ABSL_DECLARE_FLAG(std::string, role_service_address);
ABSL_DECLARE_FLAG(std::string, role_service_token_file);
ABSL_DECLARE_FLAG(std::string, role_service_tls_ca_file);
ABSL_DECLARE_FLAG(std::string, role_service_tls_cert_file);
ABSL_DECLARE_FLAG(std::string, role_service_tls_key_file);

namespace isms {

// A RolePermissionClient for the role service the flags name, or, without
// --role_service_address, an UnconfiguredPermissionClient (every check
// Unavailable). Errors as PeerChannel::Connect.
absl::StatusOr<std::unique_ptr<PermissionClient>> PermissionClientFromFlags();

}  // namespace isms

#endif  // ISMS_COMMON_AUTHZ_ROLE_SERVICE_FLAGS_H_
