#ifndef ISMS_COMMON_SERVER_CALL_METADATA_H_
#define ISMS_COMMON_SERVER_CALL_METADATA_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/support/string_ref.h>

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/authenticator.h"

namespace isms {

// A call's request metadata as gRPC hands it over (a multimap: a client may
// send a key more than once).
using ClientMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

inline constexpr char kAuthorizationMetadataKey[] = "authorization";

// The value of `key`, or nullopt if absent. InvalidArgument naming the key if
// it was sent more than once: a repeated header is never resolved to one of
// its values.
absl::StatusOr<std::optional<absl::string_view>> SingleMetadataValue(const ClientMetadata& metadata,
                                                                     absl::string_view key);

// Authenticates the caller from `metadata`: Unauthenticated if
// "authorization" is sent more than once, InvalidArgument if
// kOnBehalfOfMetadataKey is, otherwise what Authenticator::Authenticate says.
// `identified` as for Authenticator::Authenticate.
absl::StatusOr<Caller> AuthenticateMetadata(const Authenticator& authenticator,
                                            const ClientMetadata& metadata,
                                            Caller* identified = nullptr);

// The service identity a verified client certificate names: the first of
// its common name and subject alternative names that is "services/<id>";
// nullopt if none is (or the connection is not TLS). REQUIRES: the server
// verified the certificate (--tls_client_ca_file).
std::optional<std::string> CertificateServiceIdentity(const grpc::AuthContext& auth_context);

// A caller made by service identity `service` (from its certificate), with
// the capabilities the token file lists for that service, acting for the
// principal in kOnBehalfOfMetadataKey if sent once; InvalidArgument if that
// header is repeated or malformed; PermissionDenied if the service lacks the
// on-behalf-of capability (`*identified` then names the service).
absl::StatusOr<Caller> CertificateCaller(const Authenticator& authenticator,
                                         const std::string& service, const ClientMetadata& metadata,
                                         Caller* identified = nullptr);

// Request ids we store and echo: 1 to 128 characters from [A-Za-z0-9._:-].
bool IsSafeRequestId(absl::string_view id);

// The client's x-request-id if sent once and safe; otherwise a new random
// 32-hex-digit id (the client's value is dropped, never stored).
std::string RequestIdFrom(const ClientMetadata& metadata);

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_CALL_METADATA_H_
