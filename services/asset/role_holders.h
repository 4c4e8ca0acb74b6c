#ifndef ISMS_SERVICES_ASSET_ROLE_HOLDERS_H_
#define ISMS_SERVICES_ASSET_ROLE_HOLDERS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/client/peer_channel.h"
#include "common/time/clock.h"

namespace isms::asset {

inline constexpr char kPoRole[] = "roles/po";
inline constexpr char kSiroRole[] = "roles/siro";
inline constexpr char kDsiroRole[] = "roles/dsiro";

// A role a principal holds, as the role service answers it.
struct HeldRole {
  // "principals/{id}": who holds it.
  std::string principal;
  std::string role;
  // "" for the organisation, else e.g. "assets/42".
  std::string scope;
  // The assignment, "assignments/{id}".
  std::string assignment;
};

// Whom a personal data breach goes to now, and why them.
struct BreachRecipient {
  // Empty when neither the SIRO nor a deputy is in force.
  std::string principal;
  std::string role;
  std::string source;
  std::string reason;
};

// Who holds which role now, as the role service answers it; never cached, so
// a SIRO handover is seen by the next question.
class RoleHolders {
 public:
  template <typename T>
  using Answer = std::function<void(absl::StatusOr<T>)>;
  virtual ~RoleHolders() = default;

  // Calls `answer` once with the roles `principal` holds in force now;
  // Unavailable when the role service cannot answer. May run on another
  // thread.
  virtual void RolesOf(absl::string_view principal, Answer<std::vector<HeldRole>> answer) = 0;

  // Calls `answer` once with the principal a breach goes to now: the holder
  // of roles/siro, or, when the role is vacant or its holder absent, the
  // holder of roles/dsiro (the reason says which); an empty principal, with
  // the reason, when neither is there. Unavailable when the role service
  // cannot answer.
  virtual void BreachRecipientNow(Answer<BreachRecipient> answer) = 0;
};

// RoleHolders over the role service's ListAssignments and ListAbsences, as
// this service acting for itself (read-register there).
class RoleServiceHolders final : public RoleHolders {
 public:
  // Owns `role_service`; borrows `clock`.
  RoleServiceHolders(std::unique_ptr<PeerChannel> role_service, const Clock& clock,
                     absl::Duration timeout = absl::Seconds(5));
  ~RoleServiceHolders() override;
  void RolesOf(absl::string_view principal, Answer<std::vector<HeldRole>> answer) override;
  void BreachRecipientNow(Answer<BreachRecipient> answer) override;

 private:
  struct Stub;
  // The assignments of `role` (or of `principal`) in force at `at`: one page
  // of up to 1,000; Unavailable if there are more.
  void Assignments(const std::string& role, const std::string& principal, absl::Time at,
                   Answer<std::vector<HeldRole>> answer);
  // Whether `principal` has an absence in force at `at`; its name if so.
  void AbsenceOf(const std::string& principal, absl::Time at, Answer<std::string> answer);

  std::unique_ptr<PeerChannel> role_service_;
  std::unique_ptr<Stub> stub_;
  const Clock& clock_;
  const absl::Duration timeout_;
};

// The RoleHolders of a service without a role service: every answer is
// Unavailable.
class UnconfiguredRoleHolders final : public RoleHolders {
 public:
  void RolesOf(absl::string_view, Answer<std::vector<HeldRole>> answer) override {
    answer(absl::UnavailableError("no role service configured to say who holds roles"));
  }
  void BreachRecipientNow(Answer<BreachRecipient> answer) override {
    answer(absl::UnavailableError("no role service configured to say who is SIRO"));
  }
};

// RoleHolders for the role service the --role_service_* flags name, or
// UnconfiguredRoleHolders without --role_service_address.
absl::StatusOr<std::unique_ptr<RoleHolders>> RoleHoldersFromFlags(const Clock& clock);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ROLE_HOLDERS_H_
