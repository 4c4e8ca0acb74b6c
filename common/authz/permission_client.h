#ifndef ISMS_COMMON_AUTHZ_PERMISSION_CLIENT_H_
#define ISMS_COMMON_AUTHZ_PERMISSION_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/client/peer_channel.h"

namespace isms {

// Asks whether a principal holds a permission. Services other than the role
// service authorize their callers through it.
class PermissionClient {
 public:
  // How the role service says an allowed principal holds the permission.
  struct Grant {
    // Its one line for people, e.g. "principals/bob via assignments/7
    // (roles/iao for assets/42)"; kept in the audit event of the change.
    std::string explanation;
  };
  using Done = std::function<void(absl::Status)>;
  using Answer = std::function<void(absl::StatusOr<Grant>)>;
  virtual ~PermissionClient() = default;
  // Calls `answer` once with the grant when allowed; PermissionDenied (with
  // the role service's explanation) when not; Unavailable when the answer
  // cannot be had. Never allows by default. Does not block: `answer` runs on
  // another thread when the answer arrives (or on this one if it is known at
  // once), so a slow role service holds no server thread.
  virtual void Check(absl::string_view principal, absl::string_view permission,
                     absl::string_view resource, Answer answer) = 0;
  // Check, for callers that need only whether it is allowed.
  void Require(absl::string_view principal, absl::string_view permission,
               absl::string_view resource, Done done) {
    Check(principal, permission, resource,
          [done = std::move(done)](absl::StatusOr<Grant> grant) { done(grant.status()); });
  }
};

// PermissionClient over the role service's CheckPermission RPC, called with
// this service's own identity (which needs the check-permissions capability
// there). No caching: a revoked appointment stops reads at once.
class RolePermissionClient final : public PermissionClient {
 public:
  explicit RolePermissionClient(std::unique_ptr<PeerChannel> role_service,
                                absl::Duration timeout = absl::Seconds(2));
  ~RolePermissionClient() override;
  void Check(absl::string_view principal, absl::string_view permission, absl::string_view resource,
             Answer answer) override;

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
  void Check(absl::string_view, absl::string_view, absl::string_view, Answer answer) override {
    answer(absl::UnavailableError("no role service configured to check permissions"));
  }
};

}  // namespace isms

#endif  // ISMS_COMMON_AUTHZ_PERMISSION_CLIENT_H_
