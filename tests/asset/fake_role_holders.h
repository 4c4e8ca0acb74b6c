#ifndef ISMS_TESTS_ASSET_FAKE_ROLE_HOLDERS_H_
#define ISMS_TESTS_ASSET_FAKE_ROLE_HOLDERS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/asset/role_holders.h"

namespace isms::asset {

// RoleHolders answering at once from a table, as the role service would from
// its assignments and absences. Unavailable answers everything UNAVAILABLE.
class FakeRoleHolders final : public RoleHolders {
 public:
  void Hold(const std::string& principal, const std::string& role, const std::string& scope = "") {
    absl::MutexLock lock(&mu_);
    held_.push_back(
        HeldRole{principal, role, scope, absl::StrCat("assignments/", held_.size() + 1)});
  }
  void Release(const std::string& principal, const std::string& role) {
    absl::MutexLock lock(&mu_);
    for (auto it = held_.begin(); it != held_.end();) {
      it = it->principal == principal && it->role == role ? held_.erase(it) : it + 1;
    }
  }
  void SetAbsent(const std::string& principal, bool absent) {
    absl::MutexLock lock(&mu_);
    absent_[principal] = absent;
  }
  void SetUnavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }

  void RolesOf(absl::string_view principal, Answer<std::vector<HeldRole>> answer) override {
    absl::StatusOr<std::vector<HeldRole>> result;
    {
      absl::MutexLock lock(&mu_);
      if (unavailable_) {
        result = absl::UnavailableError("role service unreachable (fake)");
      } else {
        std::vector<HeldRole> held;
        for (const HeldRole& role : held_) {
          if (role.principal == principal) held.push_back(role);
        }
        result = std::move(held);
      }
    }
    answer(std::move(result));
  }

  void BreachRecipientNow(Answer<BreachRecipient> answer) override {
    absl::StatusOr<BreachRecipient> result;
    {
      absl::MutexLock lock(&mu_);
      if (unavailable_) {
        result = absl::UnavailableError("role service unreachable (fake)");
      } else {
        const HeldRole* siro = Holder(kSiroRole);
        const HeldRole* dsiro = Holder(kDsiroRole);
        BreachRecipient recipient;
        std::string why;
        if (siro != nullptr && !absent_[siro->principal]) {
          recipient = {siro->principal, kSiroRole, siro->assignment,
                       absl::StrCat(siro->principal, " holds ", kSiroRole)};
        } else {
          why = siro == nullptr ? absl::StrCat(kSiroRole, " is vacant")
                                : absl::StrCat("the SIRO ", siro->principal, " is absent");
          if (dsiro != nullptr) {
            recipient = {
                dsiro->principal, kDsiroRole, dsiro->assignment,
                absl::StrCat(why, "; its deputy ", dsiro->principal, " holds ", kDsiroRole)};
          } else {
            recipient.reason = absl::StrCat(why, "; ", kDsiroRole, " is vacant too");
          }
        }
        result = recipient;
      }
    }
    answer(std::move(result));
  }

 private:
  const HeldRole* Holder(const std::string& role) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const HeldRole& held : held_) {
      if (held.role == role) return &held;
    }
    return nullptr;
  }

  absl::Mutex mu_;
  std::vector<HeldRole> held_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> absent_ ABSL_GUARDED_BY(mu_);
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace isms::asset

#endif  // ISMS_TESTS_ASSET_FAKE_ROLE_HOLDERS_H_
