#ifndef ISMS_TESTS_ASSET_ASSET_TEST_UTIL_H_
#define ISMS_TESTS_ASSET_ASSET_TEST_UTIL_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/authz/permission_client.h"
#include "common/time/proto_time.h"
#include "isms/asset/v1/asset_service.pb.h"
#include "services/asset/owner_directory.h"

namespace isms::asset {

// A PermissionClient that answers at once from a table: a grant on resource
// "" is organisation-wide and covers every resource. Unavailable answers
// everything with UNAVAILABLE, as an unreachable role service.
class FakePermissionClient final : public PermissionClient {
 public:
  void Grant(const std::string& principal, const std::string& permission,
             const std::string& resource = "") {
    absl::MutexLock lock(&mu_);
    grants_.insert({principal, permission, resource});
  }
  void SetUnavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }
  int checks() const {
    absl::MutexLock lock(&mu_);
    return checks_;
  }

  void Check(absl::string_view principal, absl::string_view permission, absl::string_view resource,
             Answer answer) override {
    absl::StatusOr<PermissionClient::Grant> result;
    {
      absl::MutexLock lock(&mu_);
      ++checks_;
      const std::string p(principal), perm(permission), r(resource);
      if (unavailable_) {
        result = absl::UnavailableError("role service unreachable (fake)");
      } else if (grants_.count({p, perm, r}) > 0 || grants_.count({p, perm, ""}) > 0) {
        result = PermissionClient::Grant{absl::StrCat(p, " via the fake's table")};
      } else {
        result = absl::PermissionDeniedError(absl::StrCat(p, " lacks ", perm, ": not held"));
      }
    }
    answer(std::move(result));
  }

 private:
  mutable absl::Mutex mu_;
  std::set<std::tuple<std::string, std::string, std::string>> grants_ ABSL_GUARDED_BY(mu_);
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  int checks_ ABSL_GUARDED_BY(mu_) = 0;
};

// An OwnerDirectory that answers at once from a table, as the role service
// would from its IAO assignments. Unavailable answers everything with
// UNAVAILABLE, as an unreachable role service.
class FakeOwnerDirectory final : public OwnerDirectory {
 public:
  void SetOwner(const std::string& asset, const std::string& principal,
                v1::OwnerVia via = v1::OWNER_VIA_APPOINTMENT) {
    v1::AssetOwner owner;
    owner.set_principal(principal);
    owner.set_via(via);
    owner.set_source("assignments/fake");
    owner.set_explanation(
        absl::StrCat(principal, " via assignments/fake (roles/iao for ", asset, ")"));
    absl::MutexLock lock(&mu_);
    owners_[asset] = owner;
  }
  void RemoveOwner(const std::string& asset) {
    absl::MutexLock lock(&mu_);
    owners_.erase(asset);
  }
  void SetUnavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }
  int reads() const {
    absl::MutexLock lock(&mu_);
    return reads_;
  }
  // Principals not marked are active.
  void SetStanding(const std::string& principal, Standing standing) {
    absl::MutexLock lock(&mu_);
    standings_[principal] = standing;
  }

  void OwnerOf(absl::string_view asset, Answer<std::optional<v1::AssetOwner>> answer) override {
    absl::StatusOr<std::optional<v1::AssetOwner>> result;
    {
      absl::MutexLock lock(&mu_);
      ++reads_;
      if (unavailable_) {
        result = absl::UnavailableError("role service unreachable (fake)");
      } else {
        auto it = owners_.find(std::string(asset));
        result = it == owners_.end() ? std::optional<v1::AssetOwner>() : it->second;
      }
    }
    answer(std::move(result));
  }
  void StandingOf(absl::string_view principal, Answer<Standing> answer) override {
    absl::StatusOr<Standing> result;
    {
      absl::MutexLock lock(&mu_);
      ++reads_;
      auto it = standings_.find(std::string(principal));
      if (unavailable_) {
        result = absl::UnavailableError("role service unreachable (fake)");
      } else {
        result = it == standings_.end() ? Standing::kActive : it->second;
      }
    }
    answer(std::move(result));
  }
  void LeftPrincipals(Answer<std::set<std::string>> answer) override {
    absl::StatusOr<std::set<std::string>> result;
    {
      absl::MutexLock lock(&mu_);
      ++reads_;
      if (unavailable_) {
        result = absl::UnavailableError("role service unreachable (fake)");
      } else {
        std::set<std::string> left;
        for (const auto& [principal, standing] : standings_) {
          if (standing == Standing::kLeft) left.insert(principal);
        }
        result = std::move(left);
      }
    }
    answer(std::move(result));
  }
  void AllOwners(Answer<OwnerMap> answer) override {
    absl::StatusOr<OwnerMap> result;
    {
      absl::MutexLock lock(&mu_);
      ++reads_;
      if (unavailable_) {
        result = absl::UnavailableError("role service unreachable (fake)");
      } else {
        result = owners_;
      }
    }
    answer(std::move(result));
  }

 private:
  mutable absl::Mutex mu_;
  OwnerMap owners_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Standing> standings_ ABSL_GUARDED_BY(mu_);
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  int reads_ ABSL_GUARDED_BY(mu_) = 0;
};

// A valid asset to create, with review_time `review`.
inline isms::asset::v1::Asset TestAsset(absl::Time review,
                                        const std::string& title = "HR database") {
  isms::asset::v1::Asset asset;
  asset.set_title(title);
  asset.set_description("Employee records");
  asset.set_classification(isms::asset::v1::CLASSIFICATION_CONFIDENTIAL);
  asset.add_information_kinds(isms::asset::v1::INFORMATION_KIND_PERSONAL_DATA);
  asset.add_information_kinds(isms::asset::v1::INFORMATION_KIND_FINANCIAL);
  asset.set_location("hr-db-01");
  asset.mutable_retention()->set_period_days(2190);
  asset.mutable_retention()->set_basis("HMRC: 6 years");
  *asset.mutable_review_time() = ToProto(review);
  return asset;
}

// A valid request to record READ access to `parent` for `principal`,
// starting now and ending `end`.
inline isms::asset::v1::CreateAccessRecordRequest TestAccess(const std::string& parent,
                                                             const std::string& principal,
                                                             absl::Time end) {
  isms::asset::v1::CreateAccessRecordRequest request;
  request.set_parent(parent);
  request.mutable_access_record()->set_principal(principal);
  request.mutable_access_record()->set_level(isms::asset::v1::ACCESS_LEVEL_READ);
  request.mutable_access_record()->set_justification("payroll reconciliation");
  *request.mutable_access_record()->mutable_end_time() = ToProto(end);
  return request;
}

}  // namespace isms::asset

#endif  // ISMS_TESTS_ASSET_ASSET_TEST_UTIL_H_
