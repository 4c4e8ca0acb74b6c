#ifndef ISMS_COMMON_AUTH_AUTHENTICATOR_H_
#define ISMS_COMMON_AUTH_AUTHENTICATOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace isms {

// Metadata key a service identity uses to name the principal it acts for.
inline constexpr char kOnBehalfOfMetadataKey[] = "x-isms-on-behalf-of";

// What a service identity may do beyond calling for itself, as its token
// file line lists after the name:
//   on-behalf-of       act for a principal named in kOnBehalfOfMetadataKey;
//   check-permissions  ask about any principal's permissions;
//   read-register      read the role register (people, appointments);
//   append-audit       append events to the audit log (every service that
//                      delivers its outbox);
//   read-audit         read the audit log for itself (e.g. a SIEM export),
//                      where people need isms.audit.read.
inline constexpr char kCapabilityOnBehalfOf[] = "on-behalf-of";
inline constexpr char kCapabilityCheckPermissions[] = "check-permissions";
inline constexpr char kCapabilityReadRegister[] = "read-register";
inline constexpr char kCapabilityAppendAudit[] = "append-audit";
inline constexpr char kCapabilityReadAudit[] = "read-audit";
// Every capability above, in that order.
const std::vector<absl::string_view>& KnownCapabilities();

// Who is calling. `actor` is the identity the token belongs to; `principal`
// is whom the call is for: the actor itself, or, for a service identity that
// named one, the principal it acts on behalf of. Audit events record both.
struct Caller {
  std::string actor;
  std::string principal;
  bool is_service = false;
  // Service identities only; see the kCapability* names.
  std::vector<std::string> capabilities;

  bool acts_for_itself() const { return actor == principal; }
  bool Has(absl::string_view capability) const {
    for (const std::string& held : capabilities) {
      if (held == capability) return true;
    }
    return false;
  }
};

// Checks bearer tokens against a token file that stores only SHA-256 hashes.
//
// Token file format, one entry a line, '#' starts a comment:
//   <sha256 hex of token> principal principals/<id>
//   <sha256 hex of token> service services/<id> [capability ...]
// Thread-safe. The tokens can be replaced while calls are authenticated
// (Reload*), so tokens rotate without a restart.
class Authenticator {
 public:
  // Parses a token file. InvalidArgument names the line at fault, or says
  // the file holds no token line (empty, comments only) or is not a regular
  // file (e.g. a directory); NotFound if the file cannot be read.
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromFile(const std::string& path);
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromText(absl::string_view text);

  // Replaces every token with those of the new file or text, atomically.
  // On error (the same as FromFile / FromText) the current tokens stay.
  absl::Status ReloadFromFile(const std::string& path);
  absl::Status ReloadFromText(absl::string_view text);

  // `authorization` is the value of the "authorization" header, if any;
  // `on_behalf_of` the value of kOnBehalfOfMetadataKey, if any.
  // The scheme "Bearer" is matched case-insensitively (RFC 7235).
  // Returns Unauthenticated for a missing, malformed or unknown token;
  // PermissionDenied when a principal token, or a service identity without
  // the on-behalf-of capability, tries to act on behalf of someone;
  // InvalidArgument for a malformed on-behalf-of name. When the token was
  // valid but the call is refused, `*identified` (if given) receives the
  // token's identity so the refusal can be audited.
  // The capabilities the token file lists for service identity `service`
  // (on any of its lines), for callers identified another way (a client
  // certificate). Empty if none.
  std::vector<std::string> ServiceCapabilities(absl::string_view service) const;

  absl::StatusOr<Caller> Authenticate(std::optional<absl::string_view> authorization,
                                      std::optional<absl::string_view> on_behalf_of,
                                      Caller* identified = nullptr) const;

 private:
  struct Identity {
    std::string name;
    bool is_service;
    std::vector<std::string> capabilities;
  };
  using IdentityMap = absl::flat_hash_map<std::string, Identity>;
  explicit Authenticator(std::shared_ptr<const IdentityMap> identities)
      : identities_by_hash_(std::move(identities)) {}
  static absl::StatusOr<std::shared_ptr<const IdentityMap>> Parse(absl::string_view text);

  // Read and replaced with std::atomic_load / std::atomic_store only.
  std::shared_ptr<const IdentityMap> identities_by_hash_;
};

}  // namespace isms

#endif  // ISMS_COMMON_AUTH_AUTHENTICATOR_H_
