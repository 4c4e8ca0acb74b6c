#include "common/auth/authenticator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/auth/sha256.h"
#include "common/validation/validate.h"

namespace isms {

const std::vector<absl::string_view>& KnownCapabilities() {
  static const auto* const known = new std::vector<absl::string_view>{
      kCapabilityOnBehalfOf, kCapabilityCheckPermissions, kCapabilityReadRegister,
      kCapabilityAppendAudit, kCapabilityReadAudit};
  return *known;
}
namespace {

// RFC 7235 2.1: the scheme is case-insensitive.
constexpr absl::string_view kBearerPrefix = "bearer ";

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::exists(path, error) && !std::filesystem::is_regular_file(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is not a regular file"));
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("token file ", path, " cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTokenFile(path);
  if (!text.ok()) return text.status();
  return FromText(*text);
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromText(absl::string_view text) {
  absl::StatusOr<std::shared_ptr<const IdentityMap>> identities = Parse(text);
  if (!identities.ok()) return identities.status();
  return std::unique_ptr<Authenticator>(new Authenticator(*std::move(identities)));
}

absl::Status Authenticator::ReloadFromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTokenFile(path);
  if (!text.ok()) return text.status();
  return ReloadFromText(*text);
}

absl::Status Authenticator::ReloadFromText(absl::string_view text) {
  absl::StatusOr<std::shared_ptr<const IdentityMap>> identities = Parse(text);
  if (!identities.ok()) return identities.status();
  std::atomic_store(&identities_by_hash_, *std::move(identities));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Authenticator::IdentityMap>> Authenticator::Parse(
    absl::string_view text) {
  auto identities = std::make_shared<IdentityMap>();
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat("token file line ", line_number);
    if (fields.size() < 3 || (fields.size() > 3 && fields[1] != "service")) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": want '<sha256> principal <name>' or '<sha256> service <name> "
                              "[capability ...]'"));
    }
    for (size_t i = 3; i < fields.size(); ++i) {
      const auto& known = KnownCapabilities();
      if (std::find(known.begin(), known.end(), fields[i]) == known.end()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": unknown capability '", fields[i],
                                                       "' (want one of ",
                                                       absl::StrJoin(known, ", "), ")"));
      }
    }
    std::string hash = absl::AsciiStrToLower(fields[0]);
    if (!IsLowerHex64(hash)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": hash is not 64 hex digits"));
    }
    Identity identity;
    identity.name = std::string(fields[2]);
    for (size_t i = 3; i < fields.size(); ++i) identity.capabilities.emplace_back(fields[i]);
    if (fields[1] == "principal") {
      identity.is_service = false;
      if (!ValidateResourceName("principal", identity.name, "principals").ok()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": want principals/<id>"));
      }
    } else if (fields[1] == "service") {
      identity.is_service = true;
      if (!ValidateResourceName("service", identity.name, "services").ok()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": want services/<id>"));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": kind must be 'principal' or 'service'"));
    }
    if (!identities->emplace(hash, std::move(identity)).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate token hash"));
    }
  }
  if (identities->empty()) {
    // An empty or comment-only file is an operator's mistake (a truncated
    // copy, a wrong path); accepting it would lock every caller out.
    return absl::InvalidArgumentError("token file has no token line");
  }
  return std::shared_ptr<const IdentityMap>(std::move(identities));
}

std::vector<std::string> Authenticator::ServiceCapabilities(absl::string_view service) const {
  const std::shared_ptr<const IdentityMap> identities = std::atomic_load(&identities_by_hash_);
  std::vector<std::string> capabilities;
  for (const auto& [hash, identity] : *identities) {
    if (!identity.is_service || identity.name != service) continue;
    for (const std::string& capability : identity.capabilities) {
      if (std::find(capabilities.begin(), capabilities.end(), capability) == capabilities.end()) {
        capabilities.push_back(capability);
      }
    }
  }
  return capabilities;
}

absl::StatusOr<Caller> Authenticator::Authenticate(std::optional<absl::string_view> authorization,
                                                   std::optional<absl::string_view> on_behalf_of,
                                                   Caller* identified) const {
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError("missing authorization: want 'Bearer <token>'");
  }
  if (!absl::StartsWithIgnoreCase(*authorization, kBearerPrefix) ||
      authorization->size() == kBearerPrefix.size()) {
    return absl::UnauthenticatedError("malformed authorization: want 'Bearer <token>'");
  }
  const std::shared_ptr<const IdentityMap> identities = std::atomic_load(&identities_by_hash_);
  auto it = identities->find(Sha256Hex(authorization->substr(kBearerPrefix.size())));
  if (it == identities->end()) {
    return absl::UnauthenticatedError("unknown bearer token");
  }
  const Identity& identity = it->second;
  Caller caller{identity.name, identity.name, identity.is_service, identity.capabilities};
  if (identified != nullptr) *identified = caller;
  if (on_behalf_of.has_value()) {
    if (!identity.is_service) {
      return absl::PermissionDeniedError(
          absl::StrCat(kOnBehalfOfMetadataKey, ": ", identity.name,
                       " tried to act on behalf of ", on_behalf_of->substr(0, 100),
                       "; only service identities may act on behalf of a principal"));
    }
    if (!caller.Has(kCapabilityOnBehalfOf)) {
      return absl::PermissionDeniedError(absl::StrCat(
          kOnBehalfOfMetadataKey, ": ", identity.name, " may not act on behalf of principals (its "
          "token file line does not list ", kCapabilityOnBehalfOf, ")"));
    }
    absl::Status valid = ValidateResourceName(kOnBehalfOfMetadataKey, *on_behalf_of, "principals");
    if (!valid.ok()) return valid;
    caller.principal = std::string(*on_behalf_of);
  }
  return caller;
}

}  // namespace isms
