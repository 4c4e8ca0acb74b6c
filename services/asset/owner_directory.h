#ifndef ISMS_SERVICES_ASSET_OWNER_DIRECTORY_H_
#define ISMS_SERVICES_ASSET_OWNER_DIRECTORY_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/client/peer_channel.h"
#include "common/time/clock.h"
#include "isms/asset/v1/asset_service.pb.h"

namespace isms::asset {

// The role whose holder for scope "assets/{id}" owns the asset.
inline constexpr char kIaoRole[] = "roles/iao";

// Owners by asset name ("assets/{id}"), in name order.
using OwnerMap = std::map<std::string, isms::asset::v1::AssetOwner>;

// Who owns which asset, and who has left, as the role service answers it
// now. The register
// keeps no copy: every answer is asked for when it is needed, so a revoked
// IAO stops being shown as owner at once.
class OwnerDirectory {
 public:
  template <typename T>
  using Answer = std::function<void(absl::StatusOr<T>)>;
  virtual ~OwnerDirectory() = default;

  // Calls `answer` once with the owner of `asset` in force now, or nullopt
  // when nobody holds the IAO role for it; Unavailable when the role service
  // cannot answer (never a guess). Does not block: `answer` may run on
  // another thread.
  virtual void OwnerOf(absl::string_view asset, Answer<std::optional<v1::AssetOwner>> answer) = 0;

  // Calls `answer` once with the owner of every asset that has one in force
  // now (assets the register does not hold included); Unavailable when the
  // role service cannot answer the whole of it. Costs one paged read of the
  // IAO assignments in force.
  virtual void AllOwners(Answer<OwnerMap> answer) = 0;

  // Where a principal stands in the role register now.
  enum class Standing { kActive, kLeft, kUnknown };
  // Calls `answer` once with where `principal` stands; Unavailable when the
  // role service cannot answer.
  virtual void StandingOf(absl::string_view principal, Answer<Standing> answer) = 0;

  // Calls `answer` once with every principal marked as having left;
  // Unavailable when the role service cannot answer the whole of it. Costs
  // one paged read of the principals.
  virtual void LeftPrincipals(Answer<std::set<std::string>> answer) = 0;
};

// OwnerDirectory over the role service's ListAssignments (role roles/iao,
// active at now), called as this service acting for itself: its identity
// there needs the read-register capability. No caching.
class RoleOwnerDirectory final : public OwnerDirectory {
 public:
  // Owns `role_service`; borrows `clock`, which must outlive it.
  RoleOwnerDirectory(std::unique_ptr<PeerChannel> role_service, const Clock& clock,
                     absl::Duration timeout = absl::Seconds(5));
  ~RoleOwnerDirectory() override;
  void OwnerOf(absl::string_view asset, Answer<std::optional<v1::AssetOwner>> answer) override;
  void AllOwners(Answer<OwnerMap> answer) override;
  void StandingOf(absl::string_view principal, Answer<Standing> answer) override;
  void LeftPrincipals(Answer<std::set<std::string>> answer) override;

 private:
  struct Stub;
  // Pages through the IAO assignments in force (for `scope`, or every scope
  // when empty), collecting them into a map; answers once at the end.
  void Fetch(const std::string& scope, Answer<OwnerMap> answer);

  std::unique_ptr<PeerChannel> role_service_;
  std::unique_ptr<Stub> stub_;
  const Clock& clock_;
  const absl::Duration timeout_;
};

// The OwnerDirectory of a service started without a role service: every
// answer is Unavailable.
class UnconfiguredOwnerDirectory final : public OwnerDirectory {
 public:
  void OwnerOf(absl::string_view, Answer<std::optional<v1::AssetOwner>> answer) override {
    answer(absl::UnavailableError("no role service configured to say who owns assets"));
  }
  void AllOwners(Answer<OwnerMap> answer) override {
    answer(absl::UnavailableError("no role service configured to say who owns assets"));
  }
  void StandingOf(absl::string_view, Answer<Standing> answer) override {
    answer(absl::UnavailableError("no role service configured to say who has left"));
  }
  void LeftPrincipals(Answer<std::set<std::string>> answer) override {
    answer(absl::UnavailableError("no role service configured to say who has left"));
  }
};

// An OwnerDirectory for the role service the --role_service_* flags name, or
// an UnconfiguredOwnerDirectory without --role_service_address. Borrows
// `clock`.
absl::StatusOr<std::unique_ptr<OwnerDirectory>> OwnerDirectoryFromFlags(const Clock& clock);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_OWNER_DIRECTORY_H_
