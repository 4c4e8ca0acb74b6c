#include "common/server/call_metadata.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/validation/validate.h"

namespace isms {
namespace {

constexpr char kRequestIdKey[] = "x-request-id";
constexpr size_t kMaxRequestIdLength = 128;

}  // namespace

absl::StatusOr<std::optional<absl::string_view>> SingleMetadataValue(const ClientMetadata& metadata,
                                                                     absl::string_view key) {
  auto [first, last] = metadata.equal_range(grpc::string_ref(key.data(), key.size()));
  if (first == last) return std::optional<absl::string_view>();
  if (std::next(first) != last) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": sent more than once"));
  }
  return std::optional<absl::string_view>(
      absl::string_view(first->second.data(), first->second.size()));
}

absl::StatusOr<Caller> AuthenticateMetadata(const Authenticator& authenticator,
                                            const ClientMetadata& metadata, Caller* identified) {
  absl::StatusOr<std::optional<absl::string_view>> authorization =
      SingleMetadataValue(metadata, kAuthorizationMetadataKey);
  if (!authorization.ok()) return absl::UnauthenticatedError(authorization.status().message());
  absl::StatusOr<std::optional<absl::string_view>> on_behalf_of =
      SingleMetadataValue(metadata, kOnBehalfOfMetadataKey);
  if (!on_behalf_of.ok()) return on_behalf_of.status();
  return authenticator.Authenticate(*authorization, *on_behalf_of, identified);
}

std::optional<std::string> CertificateServiceIdentity(const grpc::AuthContext& auth_context) {
  for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
    for (const grpc::string_ref& value : auth_context.FindPropertyValues(property)) {
      const std::string name(value.data(), value.size());
      if (ValidateResourceName("certificate", name, "services").ok()) return name;
    }
  }
  return std::nullopt;
}

absl::StatusOr<Caller> CertificateCaller(const Authenticator& authenticator,
                                         const std::string& service, const ClientMetadata& metadata,
                                         Caller* identified) {
  absl::StatusOr<std::optional<absl::string_view>> on_behalf_of =
      SingleMetadataValue(metadata, kOnBehalfOfMetadataKey);
  if (!on_behalf_of.ok()) return on_behalf_of.status();
  Caller caller{service, service, true, authenticator.ServiceCapabilities(service)};
  if (identified != nullptr) *identified = caller;
  if (on_behalf_of->has_value()) {
    if (!caller.Has(kCapabilityOnBehalfOf)) {
      return absl::PermissionDeniedError(absl::StrCat(kOnBehalfOfMetadataKey, ": ", service,
                                                      " may not act on behalf of principals (no "
                                                      "token file line for it lists ",
                                                      kCapabilityOnBehalfOf, ")"));
    }
    absl::Status valid = ValidateResourceName(kOnBehalfOfMetadataKey, **on_behalf_of, "principals");
    if (!valid.ok()) return valid;
    caller.principal = std::string(**on_behalf_of);
  }
  return caller;
}

bool IsSafeRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

std::string RequestIdFrom(const ClientMetadata& metadata) {
  absl::StatusOr<std::optional<absl::string_view>> given =
      SingleMetadataValue(metadata, kRequestIdKey);
  if (given.ok() && given->has_value() && IsSafeRequestId(**given)) return std::string(**given);
  thread_local absl::BitGen gen;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16),
                      absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
}

}  // namespace isms
