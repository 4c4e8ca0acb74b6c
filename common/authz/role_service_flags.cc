#include "common/authz/role_service_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, role_service_address, "",
          "the role service that answers permission checks; without it every check is refused "
          "UNAVAILABLE");
ABSL_FLAG(std::string, role_service_token_file, "",
          "file whose first line is this service's token at the role service (its services/<name> "
          "identity there needs check-permissions); may be empty with "
          "--role_service_tls_cert_file when the certificate names the identity");
ABSL_FLAG(std::string, role_service_tls_ca_file, "", "CA to verify the role service by (TLS)");
ABSL_FLAG(std::string, role_service_tls_cert_file, "",
          "client certificate presented to the role service (mutual TLS)");
ABSL_FLAG(std::string, role_service_tls_key_file, "", "key of --role_service_tls_cert_file");

namespace isms {

absl::StatusOr<std::unique_ptr<PermissionClient>> PermissionClientFromFlags() {
  PeerConfig role;
  role.address = absl::GetFlag(FLAGS_role_service_address);
  if (role.address.empty()) return std::make_unique<UnconfiguredPermissionClient>();
  role.token_file = absl::GetFlag(FLAGS_role_service_token_file);
  role.tls_ca_file = absl::GetFlag(FLAGS_role_service_tls_ca_file);
  role.tls_cert_file = absl::GetFlag(FLAGS_role_service_tls_cert_file);
  role.tls_key_file = absl::GetFlag(FLAGS_role_service_tls_key_file);
  absl::StatusOr<std::unique_ptr<PeerChannel>> channel = PeerChannel::Connect(role);
  if (!channel.ok()) return channel.status();
  return std::make_unique<RolePermissionClient>(*std::move(channel));
}

}  // namespace isms
