#ifndef ISMS_COMMON_AUTHZ_PERMISSION_CLIENT_H_
#define ISMS_COMMON_AUTHZ_PERMISSION_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/client/peer_channel.h"

namespace isms {

// Asks whether a principal holds a permission. Services other than the role
// service authorize their callers through it.
class PermissionClient {
 public:
  using Done = std::function<void(absl::Status)>;
  virtual ~PermissionClient() = default;
  // Calls `done` once with OK when allowed; PermissionDenied (with the role
  // service's explanation) when not; Unavailable when the answer cannot be
  // had. Never allows by default. Does not block: `done` runs on another
  // thread when the answer arrives (or on this one if it is known at once),
  // so a slow role service holds no server thread.
  virtual void Require(absl::string_view principal, absl::string_view permission,
                       absl::string_view resource, Done done) = 0;
};

// PermissionClient over the role service's CheckPermission RPC, called with
// this service's own identity (which needs the check-permissions capability
// there). No caching: a revoked appointment stops reads at once.
class RolePermissionClient final : public PermissionClient {
 public:
  explicit RolePermissionClient(std::unique_ptr<PeerChannel> role_service,
                                absl::Duration timeout = absl::Seconds(2));
  ~RolePermissionClient() override;
  void Require(absl::string_view principal, absl::string_view permission,
               absl::string_view resource, Done done) override;

 private:
  struct Stub;
  std::unique_ptr<PeerChannel> role_service_;
  std::unique_ptr<Stub> stub_;
  const absl::Duration timeout_;
};

// The PermissionClient of a service started without a role service: every
// check is Unavailable, so nothing is allowed by default.
class UnconfiguredPermissionClient final : public PermissionClient {
 public:
  void Require(absl::string_view, absl::string_view, absl::string_view, Done done) override {
    done(absl::UnavailableError("no role service configured to check permissions"));
  }
};

}  // namespace isms

#endif  // ISMS_COMMON_AUTHZ_PERMISSION_CLIENT_H_
