#include "services/asset/asset_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/testing/status_matchers.h"
#include "tests/asset/asset_test_util.h"

namespace isms::asset {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1767000000);  // Late December 2025.

v1::CreateAssetRequest ValidCreate() {
  v1::CreateAssetRequest request;
  request.set_asset_id("hr-db");
  *request.mutable_asset() = TestAsset(kNow + absl::Hours(24 * 100));
  return request;
}

// The status of creating ValidCreate() changed by `change`.
template <typename Change>
absl::Status CreateWith(Change change) {
  v1::CreateAssetRequest request = ValidCreate();
  change(request);
  return ValidateCreateAssetRequest(request, kNow);
}

TEST(AssetValidationTest, AcceptsAValidCreate) {
  EXPECT_THAT(ValidateCreateAssetRequest(ValidCreate(), kNow), IsOk());
}

TEST(AssetValidationTest, AcceptsAnEmptyAssetIdForAServerChosenOne) {
  EXPECT_THAT(CreateWith([](auto& r) { r.clear_asset_id(); }), IsOk());
}

TEST(AssetValidationTest, NamesEveryBadFieldOfACreate) {
  struct Case {
    std::string field;
    std::function<void(v1::CreateAssetRequest&)> change;
  };
  const std::vector<Case> cases = {
      {"asset_id", [](auto& r) { r.set_asset_id("Not An Id"); }},
      {"asset_id", [](auto& r) { r.set_asset_id(std::string(64, 'a')); }},
      {"asset.title", [](auto& r) { r.mutable_asset()->clear_title(); }},
      {"asset.title", [](auto& r) { r.mutable_asset()->set_title(std::string(257, 'x')); }},
      {"asset.title", [](auto& r) { r.mutable_asset()->set_title("bell\a"); }},
      {"asset.description",
       [](auto& r) { r.mutable_asset()->set_description(std::string(4097, 'x')); }},
      {"asset.classification", [](auto& r) { r.mutable_asset()->clear_classification(); }},
      {"asset.classification",
       [](auto& r) { r.mutable_asset()->set_classification(static_cast<v1::Classification>(9)); }},
      {"asset.information_kinds", [](auto& r) { r.mutable_asset()->clear_information_kinds(); }},
      {"asset.information_kinds[2]",
       [](auto& r) {
         r.mutable_asset()->add_information_kinds(v1::INFORMATION_KIND_PERSONAL_DATA);
       }},
      {"asset.information_kinds[2]",
       [](auto& r) { r.mutable_asset()->add_information_kinds(v1::INFORMATION_KIND_UNSPECIFIED); }},
      {"asset.information_kinds[2]",
       [](auto& r) {
         r.mutable_asset()->add_information_kinds(static_cast<v1::InformationKind>(99));
       }},
      {"asset.location", [](auto& r) { r.mutable_asset()->clear_location(); }},
      {"asset.location", [](auto& r) { r.mutable_asset()->set_location(std::string(257, 'x')); }},
      {"asset.retention.period_days",
       [](auto& r) { r.mutable_asset()->mutable_retention()->set_period_days(-1); }},
      {"asset.retention.period_days",
       [](auto& r) { r.mutable_asset()->mutable_retention()->set_period_days(36501); }},
      {"asset.retention.basis",
       [](auto& r) { r.mutable_asset()->mutable_retention()->set_basis(std::string(257, 'x')); }},
      {"asset.review_time", [](auto& r) { r.mutable_asset()->clear_review_time(); }},
      {"asset.review_time",
       [](auto& r) { r.mutable_asset()->mutable_review_time()->set_nanos(-1); }},
      {"asset.review_time",
       [](auto& r) {
         *r.mutable_asset()->mutable_review_time() = ToProto(kNow + absl::Hours(24 * 3660));
       }},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(CreateWith(c.change),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(c.field + ":")))
        << c.field;
  }
}

TEST(AssetValidationTest, UpdateNeedsANameAndAMaskOfUpdatableFields) {
  v1::UpdateAssetRequest request;
  request.mutable_asset()->set_name("assets/hr-db");
  EXPECT_THAT(ValidateUpdateAssetRequest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("update_mask:")));
  request.mutable_update_mask()->add_paths("etag");
  EXPECT_THAT(ValidateUpdateAssetRequest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("update_mask:")));
  request.mutable_update_mask()->set_paths(0, "retention.basis");
  EXPECT_THAT(ValidateUpdateAssetRequest(request), IsOk());
  request.mutable_asset()->set_name("roles/siro");
  EXPECT_THAT(ValidateUpdateAssetRequest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("asset.name:")));
}

TEST(AssetValidationTest, NamesBadListFilters) {
  v1::ListAssetsRequest request;
  EXPECT_THAT(ValidateListAssetsRequest(request), IsOk());
  request.set_page_size(-1);
  EXPECT_THAT(ValidateListAssetsRequest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_size")));
  request.set_page_size(0);
  request.set_classification(static_cast<v1::Classification>(42));
  EXPECT_THAT(ValidateListAssetsRequest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("classification:")));
  request.clear_classification();
  request.set_information_kind(static_cast<v1::InformationKind>(42));
  EXPECT_THAT(ValidateListAssetsRequest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("information_kind:")));
  request.clear_information_kind();
  request.set_owner("bob");
  EXPECT_THAT(ValidateListAssetsRequest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("owner:")));
}

// The status of recording TestAccess changed by `change`.
template <typename Change>
absl::Status AccessWith(Change change) {
  v1::CreateAccessRecordRequest request =
      TestAccess("assets/hr-db", "principals/alice", kNow + absl::Hours(24 * 30));
  change(request);
  return ValidateCreateAccessRecordRequest(request, kNow);
}

TEST(AssetValidationTest, AcceptsAValidAccessRecord) {
  EXPECT_THAT(AccessWith([](auto&) {}), IsOk());
}

TEST(AssetValidationTest, NamesEveryBadFieldOfAnAccessRecord) {
  auto invalid = [](absl::string_view field) {
    return StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(std::string(field) + ":"));
  };
  EXPECT_THAT(AccessWith([](auto& r) { r.set_parent("assets/"); }), invalid("parent"));
  EXPECT_THAT(AccessWith([](auto& r) { r.set_parent("assets/-"); }), invalid("parent"));
  EXPECT_THAT(AccessWith([](auto& r) { r.mutable_access_record()->set_principal("alice"); }),
              invalid("access_record.principal"));
  EXPECT_THAT(AccessWith([](auto& r) { r.mutable_access_record()->clear_level(); }),
              invalid("access_record.level"));
  EXPECT_THAT(AccessWith([](auto& r) {
                r.mutable_access_record()->set_level(static_cast<v1::AccessLevel>(99));
              }),
              invalid("access_record.level"));
  EXPECT_THAT(AccessWith([](auto& r) { r.mutable_access_record()->clear_justification(); }),
              invalid("access_record.justification"));
  EXPECT_THAT(AccessWith([](auto& r) { r.mutable_access_record()->clear_end_time(); }),
              invalid("access_record.end_time"));
  EXPECT_THAT(AccessWith([](auto& r) {
                *r.mutable_access_record()->mutable_end_time() = ToProto(kNow - absl::Hours(1));
              }),
              invalid("access_record.end_time"));
  EXPECT_THAT(AccessWith([](auto& r) {
                *r.mutable_access_record()->mutable_end_time() =
                    ToProto(kNow + absl::Hours(24 * 365 * 6));
              }),
              invalid("access_record.end_time"));
  EXPECT_THAT(
      AccessWith([](auto& r) { r.mutable_access_record()->mutable_end_time()->set_nanos(-1); }),
      invalid("access_record.end_time"));
}

TEST(AssetValidationTest, AccessCannotBeBackdated) {
  EXPECT_THAT(AccessWith([](auto& r) {
                *r.mutable_access_record()->mutable_start_time() = ToProto(kNow - absl::Hours(24));
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("access_record.start_time")));
  // Within clock skew is fine; so is a start in the future.
  EXPECT_THAT(AccessWith([](auto& r) {
                *r.mutable_access_record()->mutable_start_time() = ToProto(kNow - absl::Minutes(1));
              }),
              IsOk());
}

TEST(AssetValidationTest, NamesBadAccessRecordNamesAndListRequests) {
  std::string asset;
  EXPECT_THAT(ValidateAccessRecordName("name", "assets/hr-db/accessRecords/0a", &asset), IsOk());
  EXPECT_EQ(asset, "assets/hr-db");
  for (const char* bad :
       {"", "assets/hr-db", "assets/hr-db/transfers/1", "assets/hr-db/accessRecords/",
        "assets/../accessRecords/1", "assets/hr-db/accessRecords/1/x"}) {
    EXPECT_THAT(ValidateAccessRecordName("name", bad, &asset),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("name")))
        << bad;
  }
  v1::RevokeAccessRecordRequest revoke;
  revoke.set_name("assets/hr-db/accessRecords/1");
  EXPECT_THAT(ValidateRevokeAccessRecordRequest(revoke),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("reason")));
  v1::ListAccessRecordsRequest list;
  list.set_parent("assets/-");
  EXPECT_THAT(ValidateListAccessRecordsRequest(list),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("principal")));
  list.set_principal("principals/alice");
  EXPECT_THAT(ValidateListAccessRecordsRequest(list), IsOk());
  list.set_parent("");
  EXPECT_THAT(ValidateListAccessRecordsRequest(list),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("parent")));
}

TEST(AssetValidationTest, NamesBadAttestationFields) {
  v1::CreateAttestationRequest request;
  request.set_parent("assets/hr-db");
  request.mutable_attestation()->set_security_judgement("fine");
  request.mutable_attestation()->set_use_judgement("fine");
  EXPECT_THAT(ValidateCreateAttestationRequest(request), IsOk());
  v1::CreateAttestationRequest bad = request;
  bad.clear_parent();
  EXPECT_THAT(ValidateCreateAttestationRequest(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("parent")));
  bad = request;
  bad.mutable_attestation()->clear_security_judgement();
  EXPECT_THAT(
      ValidateCreateAttestationRequest(bad),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("attestation.security_judgement")));
  bad = request;
  bad.mutable_attestation()->set_use_judgement(std::string(5000, 'x'));
  EXPECT_THAT(
      ValidateCreateAttestationRequest(bad),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("attestation.use_judgement")));
  v1::ListAttestationsRequest list;
  list.set_parent("assets/-");
  EXPECT_THAT(ValidateListAttestationsRequest(list),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("parent")));
}

}  // namespace
}  // namespace isms::asset
