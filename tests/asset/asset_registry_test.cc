#include "services/asset/asset_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/testing/status_matchers.h"
#include "common/time/clock.h"
#include "services/asset/sqlite_asset_store.h"
#include "tests/asset/asset_test_util.h"
#include "tests/asset/registry_call.h"

namespace isms::asset {
namespace {

using ::isms::audit::v1::AuditEvent;
using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const absl::Time kStart = absl::FromUnixSeconds(1767000000);

// A registry on a real in-memory SQLite store, asking a fake role service.
// principals/keeper holds isms.assets.manage and isms.assets.read
// organisation-wide; principals/iao holds isms.assets.update on
// assets/hr-db; principals/nobody holds nothing.
class AssetRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteAssetStore::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    registry_ = std::make_unique<AssetRegistry>(*store_, permissions_, owners_, clock_);
    permissions_.Grant("principals/keeper", kManageAssets);
    permissions_.Grant("principals/keeper", kReadAssets);
    permissions_.Grant("principals/iao", kUpdateAssets, "assets/hr-db");
    permissions_.Grant("principals/iao", kReadAssets, "assets/hr-db");
    permissions_.Grant("principals/iao", kManageAccess, "assets/hr-db");
    permissions_.Grant("principals/iao", kSubmitAttestations, "assets/hr-db");
  }

  static CallInfo As(const std::string& principal) {
    return CallAs(principal, "/isms.asset.v1.AssetService/Test");
  }

  // Runs an asynchronous registry method and returns what it was done with.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Run(void (AssetRegistry::*method)(const CallInfo&, const Request&,
                                                             AssetRegistry::Done<Response>),
                               const CallInfo& call, const Request& request) {
    return RunRegistry(*registry_, method, call, request);
  }

  absl::StatusOr<v1::Asset> Create(const std::string& id,
                                   const std::string& as = "principals/keeper",
                                   absl::Time review = kStart + absl::Hours(24 * 90)) {
    v1::CreateAssetRequest request;
    request.set_asset_id(id);
    *request.mutable_asset() = TestAsset(review);
    return Run(&AssetRegistry::CreateAsset, As(as), request);
  }

  absl::StatusOr<v1::Asset> UpdateTitle(const std::string& as, const std::string& title,
                                        const std::string& etag = "") {
    v1::UpdateAssetRequest request;
    request.mutable_asset()->set_name("assets/hr-db");
    request.mutable_asset()->set_title(title);
    request.mutable_asset()->set_etag(etag);
    request.mutable_update_mask()->add_paths("title");
    return Run(&AssetRegistry::UpdateAsset, As(as), request);
  }

  absl::StatusOr<v1::ListAssetsResponse> List(v1::ListAssetsRequest request,
                                              const std::string& as = "principals/keeper") {
    return Run(&AssetRegistry::ListAssets, As(as), request);
  }

  absl::StatusOr<v1::Asset> Get(const std::string& name,
                                const std::string& as = "principals/keeper") {
    v1::GetAssetRequest request;
    request.set_name(name);
    return Run(&AssetRegistry::GetAsset, As(as), request);
  }

  absl::StatusOr<v1::AssetCoverage> Coverage(v1::GetAssetCoverageRequest request = {},
                                             const std::string& as = "principals/keeper") {
    return Run(&AssetRegistry::GetAssetCoverage, As(as), request);
  }

  static std::vector<std::string> Names(const v1::ListAssetsResponse& response) {
    std::vector<std::string> names;
    for (const auto& asset : response.assets()) names.push_back(asset.name());
    return names;
  }

  absl::StatusOr<v1::AccessRecord> Grant(const std::string& principal,
                                         const std::string& as = "principals/iao",
                                         absl::Duration for_how_long = absl::Hours(24 * 30),
                                         const std::string& parent = "assets/hr-db") {
    return Run(&AssetRegistry::CreateAccessRecord, As(as),
               TestAccess(parent, principal, clock_.Now() + for_how_long));
  }

  absl::StatusOr<v1::AccessRecord> RevokeAccess(const std::string& name,
                                                const std::string& as = "principals/iao") {
    v1::RevokeAccessRecordRequest request;
    request.set_name(name);
    request.set_reason("no longer needed");
    return Run(&AssetRegistry::RevokeAccessRecord, As(as), request);
  }

  absl::StatusOr<v1::ListAccessRecordsResponse> ListAccess(
      v1::ListAccessRecordsRequest request, const std::string& as = "principals/keeper") {
    return Run(&AssetRegistry::ListAccessRecords, As(as), request);
  }

  static v1::ListAccessRecordsRequest ByAsset(const std::string& parent = "assets/hr-db") {
    v1::ListAccessRecordsRequest request;
    request.set_parent(parent);
    return request;
  }

  absl::StatusOr<v1::Attestation> Attest(const std::string& as = "principals/iao") {
    v1::CreateAttestationRequest request;
    request.set_parent("assets/hr-db");
    request.mutable_attestation()->set_security_judgement("patched, access reviewed");
    request.mutable_attestation()->set_use_judgement("used for payroll only");
    request.mutable_attestation()->set_still_required(true);
    request.mutable_attestation()->set_attester("principals/mallory");  // Output only.
    return Run(&AssetRegistry::CreateAttestation, As(as), request);
  }

  std::vector<AuditEvent> Events() {
    auto outbox = store_->ReadOutbox(0, 1000);
    EXPECT_TRUE(outbox.ok()) << outbox.status();
    std::vector<AuditEvent> events;
    if (outbox.ok()) {
      for (auto& entry : *outbox) events.push_back(entry.event);
    }
    return events;
  }

  FakeClock clock_{kStart};
  FakePermissionClient permissions_;
  FakeOwnerDirectory owners_;
  std::unique_ptr<SqliteAssetStore> store_;
  std::unique_ptr<AssetRegistry> registry_;
};

TEST_F(AssetRegistryTest, CreateStoresTheAssetWithItsEventAndTheRoleServicesReasoning) {
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Create("hr-db"));
  EXPECT_EQ(asset.name(), "assets/hr-db");
  EXPECT_FALSE(asset.etag().empty());
  EXPECT_EQ(asset.create_time().seconds(), absl::ToUnixSeconds(kStart));
  const std::vector<AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome(), isms::audit::v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(events[0].resource(), "assets/hr-db");
  EXPECT_EQ(events[0].principal(), "principals/keeper");
  EXPECT_EQ(events[0].service(), "isms.asset.v1.AssetService");
  EXPECT_EQ(events[0].attributes().at("permission"), kManageAssets);
  EXPECT_EQ(events[0].attributes().at("permission_explanation"),
            "principals/keeper via the fake's table");
  EXPECT_FALSE(events[0].changes().empty());
}

TEST_F(AssetRegistryTest, CreateWithoutAnIdChoosesOne) {
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Create(""));
  EXPECT_THAT(asset.name(), StartsWith("assets/"));
  EXPECT_EQ(asset.name().size(), std::string("assets/").size() + 16);
}

TEST_F(AssetRegistryTest, CreateIgnoresOutputOnlyFields) {
  v1::CreateAssetRequest request;
  request.set_asset_id("hr-db");
  *request.mutable_asset() = TestAsset(kStart + absl::Hours(24));
  request.mutable_asset()->mutable_owner()->set_principal("principals/mallory");
  request.mutable_asset()->mutable_last_attestation_time()->set_seconds(1);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset,
                            Run(&AssetRegistry::CreateAsset, As("principals/keeper"), request));
  EXPECT_FALSE(asset.has_owner());
  EXPECT_FALSE(asset.has_last_attestation_time());
}

TEST_F(AssetRegistryTest, ASecondCreateOfTheSameIdIsAlreadyExistsAndAudited) {
  ASSERT_TRUE(Create("hr-db").ok());
  EXPECT_THAT(Create("hr-db"), StatusIs(absl::StatusCode::kAlreadyExists));
  const std::vector<AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].outcome(), isms::audit::v1::OUTCOME_REFUSED);
  EXPECT_EQ(events[1].status_code(), "ALREADY_EXISTS");
}

TEST_F(AssetRegistryTest, ACallerWithoutPermissionIsRefusedAndTheRefusalAudited) {
  EXPECT_THAT(Create("hr-db", "principals/nobody"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(kManageAssets)));
  const std::vector<AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome(), isms::audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(events[0].principal(), "principals/nobody");
  EXPECT_EQ(events[0].resource(), "assets/hr-db");
  EXPECT_FALSE(events[0].changes().empty()) << "what was attempted is recorded";
  auto stored = store_->Get("assets/hr-db");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
}

TEST_F(AssetRegistryTest, WithTheRoleServiceUnreachableEveryMutationIsUnavailableAndWritesNothing) {
  ASSERT_TRUE(Create("hr-db").ok());
  const size_t before = Events().size();
  permissions_.SetUnavailable(true);
  EXPECT_THAT(Create("other"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(UpdateTitle("principals/iao", "New"), StatusIs(absl::StatusCode::kUnavailable));
  v1::DeleteAssetRequest remove;
  remove.set_name("assets/hr-db");
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), remove),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Events().size(), before);
  auto stored = store_->Get("assets/hr-db");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->title(), "HR database");
}

TEST_F(AssetRegistryTest, InvalidInputIsRefusedBeforeTheRoleServiceIsAsked) {
  v1::CreateAssetRequest request;
  request.set_asset_id("hr-db");
  EXPECT_THAT(Run(&AssetRegistry::CreateAsset, As("principals/keeper"), request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("asset.title:")));
  v1::UpdateAssetRequest update;
  update.mutable_asset()->set_name("assets/hr-db");
  update.mutable_update_mask()->add_paths("classification");
  EXPECT_THAT(Run(&AssetRegistry::UpdateAsset, As("principals/iao"), update),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("asset.classification:")));
  EXPECT_EQ(permissions_.checks(), 0);
  EXPECT_TRUE(Events().empty());
}

TEST_F(AssetRegistryTest, UpdateChangesTheMaskedFieldsAndTheEtag) {
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset created, Create("hr-db"));
  clock_.Advance(absl::Minutes(1));
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset updated,
                            UpdateTitle("principals/iao", "People database", created.etag()));
  EXPECT_EQ(updated.title(), "People database");
  EXPECT_EQ(updated.description(), created.description());
  EXPECT_NE(updated.etag(), created.etag());
  EXPECT_EQ(updated.update_time().seconds(), absl::ToUnixSeconds(kStart + absl::Minutes(1)));
  const std::vector<AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].attributes().at("permission"), kUpdateAssets);
  EXPECT_EQ(events[1].attributes().at("update_mask"), "title");
  ASSERT_EQ(events[1].changes_size(), 2);  // title and update_time
}

TEST_F(AssetRegistryTest, AStaleEtagIsAbortedAndAudited) {
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset created, Create("hr-db"));
  ASSERT_TRUE(UpdateTitle("principals/iao", "First", created.etag()).ok());
  EXPECT_THAT(UpdateTitle("principals/iao", "Second", created.etag()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Events().back().status_code(), "ABORTED");
}

TEST_F(AssetRegistryTest, UpdateByAnIaoOfAnotherAssetIsDenied) {
  ASSERT_TRUE(Create("hr-db").ok());
  ASSERT_TRUE(Create("payroll").ok());
  v1::UpdateAssetRequest request;
  request.mutable_asset()->set_name("assets/payroll");
  request.mutable_asset()->set_title("Mine now");
  request.mutable_update_mask()->add_paths("title");
  EXPECT_THAT(Run(&AssetRegistry::UpdateAsset, As("principals/iao"), request),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AssetRegistryTest, PermissionComesBeforeExistence) {
  v1::GetAssetRequest get;
  get.set_name("assets/hr-db");
  EXPECT_THAT(Run(&AssetRegistry::GetAsset, As("principals/nobody"), get),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Run(&AssetRegistry::GetAsset, As("principals/keeper"), get),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AssetRegistryTest, ADeletedAssetsNameIsNotGivenOutAgain) {
  // Appointments in the role service name the asset: a new asset under the
  // old name would inherit the old one's owner.
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset created, Create("fin-db"));
  v1::DeleteAssetRequest remove;
  remove.set_name("assets/fin-db");
  remove.set_etag(created.etag());
  ASSERT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), remove), IsOk());
  EXPECT_THAT(Create("fin-db"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("not given out again")));
  EXPECT_THAT(Create("fin-db-2"), IsOk());
}

TEST_F(AssetRegistryTest, DeleteChecksTheEtagAndRemovesTheAsset) {
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset created, Create("hr-db"));
  v1::DeleteAssetRequest request;
  request.set_name("assets/hr-db");
  request.set_etag("stale");
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), request),
              StatusIs(absl::StatusCode::kAborted));
  request.set_etag(created.etag());
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), request), IsOk());
  v1::GetAssetRequest get;
  get.set_name("assets/hr-db");
  EXPECT_THAT(Run(&AssetRegistry::GetAsset, As("principals/keeper"), get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Events().back().description(), "deleted assets/hr-db");
}

TEST_F(AssetRegistryTest, DeleteByTheIaoIsDeniedForItNeedsTheManagePermission) {
  ASSERT_TRUE(Create("hr-db").ok());
  v1::DeleteAssetRequest request;
  request.set_name("assets/hr-db");
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/iao"), request),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AssetRegistryTest, ListPagesThroughEveryAssetOnce) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(Create(absl::StrCat("a", i)).ok());
  v1::ListAssetsRequest request;
  request.set_page_size(3);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse response, List(request));
    for (const auto& asset : response.assets()) seen.push_back(asset.name());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("assets/a0", "assets/a1", "assets/a2", "assets/a3",
                                           "assets/a4", "assets/a5", "assets/a6"));
}

TEST_F(AssetRegistryTest, AListPageStopsAtItsByteCapAndTheNextGoesOn) {
  // 300 assets of ~4 KB: a page of 1,000 would be 1.2 MB.
  for (int i = 0; i < 300; ++i) {
    v1::CreateAssetRequest request;
    request.set_asset_id(absl::StrCat("big", 1000 + i));
    *request.mutable_asset() = TestAsset(kStart + absl::Hours(24 * 90));
    request.mutable_asset()->set_description(std::string(4000, 'd'));
    ASSERT_TRUE(Run(&AssetRegistry::CreateAsset, As("principals/keeper"), request).ok());
  }
  v1::ListAssetsRequest request;
  request.set_page_size(1000);
  size_t seen = 0;
  int pages = 0;
  for (; pages < 10; ++pages) {
    ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse response, List(request));
    EXPECT_LE(response.ByteSizeLong(), kMaxListReplyBytes + 8192);
    seen += response.assets_size();
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen, 300u);
  EXPECT_EQ(pages, 1);  // Two pages: cut by bytes, then the rest.
}

TEST_F(AssetRegistryTest, APageTokenIsBoundToItsFilters) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Create(absl::StrCat("a", i)).ok());
  v1::ListAssetsRequest request;
  request.set_page_size(1);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse first, List(request));
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  request.set_review_overdue(true);
  EXPECT_THAT(List(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token")));
}

TEST_F(AssetRegistryTest, ReviewOverdueFollowsTheClock) {
  ASSERT_TRUE(Create("soon", "principals/keeper", kStart + absl::Hours(24)).ok());
  ASSERT_TRUE(Create("later", "principals/keeper", kStart + absl::Hours(24 * 30)).ok());
  v1::ListAssetsRequest request;
  request.set_review_overdue(true);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse none, List(request));
  EXPECT_EQ(none.assets_size(), 0);
  clock_.Advance(absl::Hours(48));
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse one, List(request));
  ASSERT_EQ(one.assets_size(), 1);
  EXPECT_EQ(one.assets(0).name(), "assets/soon");
}

TEST_F(AssetRegistryTest, AnAssetNeverAttestedIsAttestationOverdue) {
  ASSERT_TRUE(Create("hr-db").ok());
  v1::ListAssetsRequest request;
  request.set_attestation_overdue(true);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse response, List(request));
  ASSERT_EQ(response.assets_size(), 1);
}

TEST_F(AssetRegistryTest, GetShowsTheOwnerTheRoleServiceNamesAndHowTheyHoldIt) {
  ASSERT_TRUE(Create("hr-db").ok());
  owners_.SetOwner("assets/hr-db", "principals/iao", v1::OWNER_VIA_DEPUTY);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Get("assets/hr-db"));
  EXPECT_EQ(asset.owner().principal(), "principals/iao");
  EXPECT_EQ(asset.owner().via(), v1::OWNER_VIA_DEPUTY);
  EXPECT_THAT(asset.owner().explanation(), HasSubstr("roles/iao for assets/hr-db"));
}

TEST_F(AssetRegistryTest, TheOwnerIsNeverStoredSoARevokedIaoDisappearsAtOnce) {
  owners_.SetOwner("assets/hr-db", "principals/iao");
  ASSERT_TRUE(Create("hr-db").ok());
  owners_.RemoveOwner("assets/hr-db");
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Get("assets/hr-db"));
  EXPECT_FALSE(asset.has_owner());
  auto stored = store_->Get("assets/hr-db");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_FALSE((*stored)->has_owner()) << "the register keeps no copy of the owner";
}

TEST_F(AssetRegistryTest, ReadsThatShowOwnersAreUnavailableWhenTheRoleServiceCannotSay) {
  ASSERT_TRUE(Create("hr-db").ok());
  owners_.SetUnavailable(true);
  EXPECT_THAT(Get("assets/hr-db"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(List(v1::ListAssetsRequest()), StatusIs(absl::StatusCode::kUnavailable));
  v1::ListAssetsRequest no_owner;
  no_owner.set_no_owner(true);
  EXPECT_THAT(List(no_owner), StatusIs(absl::StatusCode::kUnavailable))
      << "never a guess that every asset is unowned";
  EXPECT_THAT(Coverage(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(AssetRegistryTest, ListFillsEachOwnerFromOneReadOfTheRoleService) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(Create(id).ok());
  owners_.SetOwner("assets/b", "principals/iao");
  const int before = owners_.reads();
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse response, List(v1::ListAssetsRequest()));
  EXPECT_EQ(owners_.reads() - before, 1) << "one read per call, not one per asset";
  ASSERT_EQ(response.assets_size(), 3);
  EXPECT_FALSE(response.assets(0).has_owner());
  EXPECT_EQ(response.assets(1).owner().principal(), "principals/iao");
}

TEST_F(AssetRegistryTest, TheOwnerFilterListsOnlyThatPrincipalsAssetsInPages) {
  for (const char* id : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(Create(id).ok());
  for (const char* name : {"assets/a", "assets/c", "assets/e"}) {
    owners_.SetOwner(name, "principals/iao");
  }
  owners_.SetOwner("assets/b", "principals/other");
  // An IAO assignment for an asset the register does not hold is skipped.
  owners_.SetOwner("assets/ghost", "principals/iao");
  v1::ListAssetsRequest request;
  request.set_owner("principals/iao");
  request.set_page_size(2);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse first, List(request));
  EXPECT_THAT(Names(first), ::testing::ElementsAre("assets/a", "assets/c"));
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse second, List(request));
  EXPECT_THAT(Names(second), ::testing::ElementsAre("assets/e"));
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(AssetRegistryTest, TheOwnerFilterCombinesWithTheOtherFilters) {
  ASSERT_TRUE(Create("soon", "principals/keeper", kStart + absl::Hours(24)).ok());
  ASSERT_TRUE(Create("later", "principals/keeper", kStart + absl::Hours(24 * 30)).ok());
  owners_.SetOwner("assets/soon", "principals/iao");
  owners_.SetOwner("assets/later", "principals/iao");
  clock_.Advance(absl::Hours(48));
  v1::ListAssetsRequest request;
  request.set_owner("principals/iao");
  request.set_review_overdue(true);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse response, List(request));
  EXPECT_THAT(Names(response), ::testing::ElementsAre("assets/soon"));
}

TEST_F(AssetRegistryTest, NoOwnerListsTheAssetsNobodyHoldsTheIaoRoleFor) {
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_TRUE(Create(id).ok());
  owners_.SetOwner("assets/a", "principals/iao");
  owners_.SetOwner("assets/c", "principals/iao");
  v1::ListAssetsRequest request;
  request.set_no_owner(true);
  request.set_page_size(1);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse first, List(request));
  EXPECT_THAT(Names(first), ::testing::ElementsAre("assets/b"));
  EXPECT_FALSE(first.assets(0).has_owner());
  request.set_page_token(first.next_page_token());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse second, List(request));
  EXPECT_THAT(Names(second), ::testing::ElementsAre("assets/d"));
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(AssetRegistryTest, APageTokenOfOneOwnerIsRefusedForAnother) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(Create(id).ok());
    owners_.SetOwner(absl::StrCat("assets/", id), "principals/iao");
  }
  v1::ListAssetsRequest request;
  request.set_owner("principals/iao");
  request.set_page_size(1);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse first, List(request));
  request.set_page_token(first.next_page_token());
  request.set_owner("principals/other");
  EXPECT_THAT(List(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token")));
}

TEST_F(AssetRegistryTest, OwnerAndNoOwnerTogetherAreInvalidAndNameTheField) {
  v1::ListAssetsRequest request;
  request.set_owner("principals/iao");
  request.set_no_owner(true);
  EXPECT_THAT(List(request), StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("no_owner")));
  request.set_no_owner(false);
  request.set_owner("iao");
  EXPECT_THAT(List(request), StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("owner")));
}

TEST_F(AssetRegistryTest, CoverageCountsAndNamesEveryAssetWithoutAnOwner) {
  ASSERT_TRUE(Create("a", "principals/keeper", kStart + absl::Hours(1)).ok());
  for (const char* id : {"b", "c", "d"}) ASSERT_TRUE(Create(id).ok());
  owners_.SetOwner("assets/b", "principals/iao");
  owners_.SetOwner("assets/ghost", "principals/iao");  // Not in the register.
  clock_.Advance(absl::Hours(2));
  v1::GetAssetCoverageRequest request;
  request.set_page_size(2);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AssetCoverage first, Coverage(request));
  EXPECT_EQ(first.asset_count(), 4);
  EXPECT_EQ(first.without_owner_count(), 3);
  EXPECT_EQ(first.review_overdue_count(), 1);
  EXPECT_EQ(first.attestation_overdue_count(), 4) << "none has been attested";
  EXPECT_THAT(first.assets_without_owner(), ::testing::ElementsAre("assets/a", "assets/c"));
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AssetCoverage second, Coverage(request));
  EXPECT_THAT(second.assets_without_owner(), ::testing::ElementsAre("assets/d"));
  EXPECT_TRUE(second.next_page_token().empty());
  EXPECT_EQ(second.without_owner_count(), 3) << "the counts are of the whole register";
}

TEST_F(AssetRegistryTest, CoverageNeedsReadOrganisationWideAndTheRefusalIsAudited) {
  EXPECT_THAT(Coverage({}, "principals/iao"), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0].resource(), "assets");
}

TEST_F(AssetRegistryTest, CoverageRefusesAForeignPageTokenAndANegativePageSize) {
  v1::GetAssetCoverageRequest request;
  request.set_page_size(-1);
  EXPECT_THAT(Coverage(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_size")));
  for (const char* id : {"a", "b"}) ASSERT_TRUE(Create(id).ok());
  v1::ListAssetsRequest list;
  list.set_page_size(1);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse listed, List(list));
  request.set_page_size(1);
  request.set_page_token(listed.next_page_token());
  EXPECT_THAT(Coverage(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token")));
}

TEST_F(AssetRegistryTest, ListNeedsReadOrganisationWide) {
  EXPECT_THAT(List(v1::ListAssetsRequest(), "principals/iao"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0].resource(), "assets") << "the refusal names what was listed";
}

TEST_F(AssetRegistryTest, AServiceActingForItselfChangesNothing) {
  CallInfo call = As("services/gateway");
  call.caller.is_service = true;
  call.caller.capabilities = {kCapabilityReadRegister};
  v1::CreateAssetRequest request;
  request.set_asset_id("hr-db");
  *request.mutable_asset() = TestAsset(kStart + absl::Hours(24));
  EXPECT_THAT(Run(&AssetRegistry::CreateAsset, call, request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Run(&AssetRegistry::ListAssets, call, v1::ListAssetsRequest()), IsOk());
  EXPECT_EQ(permissions_.checks(), 0);
}

TEST_F(AssetRegistryTest, TheIaoRecordsAccessWithTheRoleServicesReasoning) {
  ASSERT_TRUE(Create("hr-db").ok());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord record, Grant("principals/alice"));
  EXPECT_THAT(record.name(), StartsWith("assets/hr-db/accessRecords/"));
  EXPECT_EQ(record.granted_by(), "principals/iao");
  EXPECT_EQ(record.grant_explanation(), "principals/iao via the fake's table");
  EXPECT_EQ(record.start_time().seconds(), absl::ToUnixSeconds(kStart));
  EXPECT_TRUE(record.active());
  EXPECT_FALSE(record.etag().empty());
  const std::vector<AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].resource(), record.name());
  EXPECT_EQ(events[1].attributes().at("permission"), kManageAccess);
  EXPECT_EQ(events[1].attributes().at("permission_explanation"),
            "principals/iao via the fake's table");
  v1::GetAccessRecordRequest get;
  get.set_name(record.name());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord read,
                            Run(&AssetRegistry::GetAccessRecord, As("principals/iao"), get));
  EXPECT_EQ(read.justification(), "payroll reconciliation");
  EXPECT_TRUE(read.active());
}

TEST_F(AssetRegistryTest, OthersCannotRecordOrRevokeAccessAndAreAudited) {
  ASSERT_TRUE(Create("hr-db").ok());
  ASSERT_TRUE(Create("other").ok());
  // The register's keeper is not the asset's IAO.
  EXPECT_THAT(Grant("principals/alice", "principals/keeper"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(kManageAccess)));
  // The IAO of one asset is nobody on another.
  EXPECT_THAT(Grant("principals/alice", "principals/iao", absl::Hours(24), "assets/other"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord record, Grant("principals/alice"));
  EXPECT_THAT(RevokeAccess(record.name(), "principals/nobody"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  int denied = 0;
  for (const AuditEvent& event : Events()) {
    denied += event.outcome() == isms::audit::v1::OUTCOME_DENIED;
  }
  EXPECT_EQ(denied, 3);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAccessRecordsResponse listed, ListAccess(ByAsset()));
  ASSERT_EQ(listed.access_records_size(), 1);
  EXPECT_TRUE(listed.access_records(0).active()) << "the refused revoke changed nothing";
}

TEST_F(AssetRegistryTest, NobodyRecordsAccessForThemselvesEvenTheIao) {
  ASSERT_TRUE(Create("hr-db").ok());
  EXPECT_THAT(Grant("principals/iao"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("for themselves")));
  const std::vector<AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].outcome(), isms::audit::v1::OUTCOME_DENIED);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAccessRecordsResponse listed, ListAccess(ByAsset()));
  EXPECT_EQ(listed.access_records_size(), 0);
}

TEST_F(AssetRegistryTest, AccessForALeaverOrAnUnknownPrincipalIsRefused) {
  ASSERT_TRUE(Create("hr-db").ok());
  owners_.SetStanding("principals/gone", OwnerDirectory::Standing::kLeft);
  owners_.SetStanding("principals/ghost", OwnerDirectory::Standing::kUnknown);
  EXPECT_THAT(Grant("principals/gone"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has left")));
  EXPECT_THAT(Grant("principals/ghost"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                  HasSubstr("not in the role register")));
}

TEST_F(AssetRegistryTest, AccessToAnAssetNotInTheRegisterIsNotFound) {
  EXPECT_THAT(Grant("principals/alice"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AssetRegistryTest, ExpiredAccessStopsCounting) {
  ASSERT_TRUE(Create("hr-db").ok());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord record,
                            Grant("principals/alice", "principals/iao", absl::Hours(1)));
  clock_.Advance(absl::Hours(2));
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAccessRecordsResponse current, ListAccess(ByAsset()));
  EXPECT_EQ(current.access_records_size(), 0);
  v1::ListAccessRecordsRequest all = ByAsset();
  all.set_show_inactive(true);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAccessRecordsResponse history, ListAccess(all));
  ASSERT_EQ(history.access_records_size(), 1);
  EXPECT_FALSE(history.access_records(0).active());
  EXPECT_THAT(RevokeAccess(record.name()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already ended")));
}

TEST_F(AssetRegistryTest, ALeaversAccessIsListedAsToBeRemoved) {
  ASSERT_TRUE(Create("hr-db").ok());
  ASSERT_TRUE(Grant("principals/alice").ok());
  ASSERT_TRUE(Grant("principals/bob").ok());
  owners_.SetStanding("principals/alice", OwnerDirectory::Standing::kLeft);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAccessRecordsResponse listed, ListAccess(ByAsset()));
  ASSERT_EQ(listed.access_records_size(), 2);
  for (const v1::AccessRecord& record : listed.access_records()) {
    EXPECT_EQ(record.to_be_removed(), record.principal() == "principals/alice");
    EXPECT_TRUE(record.active()) << "to be removed, not silently ended";
  }
}

TEST_F(AssetRegistryTest, AccessIsListedByPrincipalAcrossAssetsInPages) {
  for (const char* id : {"hr-db", "payroll"}) ASSERT_TRUE(Create(id).ok());
  permissions_.Grant("principals/iao", kManageAccess, "assets/payroll");
  ASSERT_TRUE(Grant("principals/alice").ok());
  ASSERT_TRUE(Grant("principals/bob").ok());
  ASSERT_TRUE(Grant("principals/alice", "principals/iao", absl::Hours(24), "assets/payroll").ok());
  v1::ListAccessRecordsRequest request;
  request.set_parent("assets/-");
  request.set_principal("principals/alice");
  request.set_page_size(1);
  std::vector<std::string> assets;
  for (int page = 0; page < 4; ++page) {
    ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAccessRecordsResponse response, ListAccess(request));
    for (const auto& record : response.access_records()) {
      EXPECT_EQ(record.principal(), "principals/alice");
      assets.push_back(record.name().substr(0, record.name().find("/accessRecords/")));
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_THAT(assets, ::testing::ElementsAre("assets/hr-db", "assets/payroll"));
  // Across assets is a read of the whole register: the IAO of one asset may not.
  request.clear_page_token();
  EXPECT_THAT(ListAccess(request, "principals/iao"), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AssetRegistryTest, RevokeEndsAccessOnceAndChecksTheEtag) {
  ASSERT_TRUE(Create("hr-db").ok());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord record, Grant("principals/alice"));
  v1::RevokeAccessRecordRequest stale;
  stale.set_name(record.name());
  stale.set_reason("done");
  stale.set_etag("stale");
  EXPECT_THAT(Run(&AssetRegistry::RevokeAccessRecord, As("principals/iao"), stale),
              StatusIs(absl::StatusCode::kAborted));
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord revoked, RevokeAccess(record.name()));
  EXPECT_FALSE(revoked.active());
  EXPECT_EQ(revoked.revoked_by(), "principals/iao");
  EXPECT_EQ(revoked.revoke_reason(), "no longer needed");
  EXPECT_THAT(RevokeAccess(record.name()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already revoked")));
  EXPECT_THAT(RevokeAccess("assets/hr-db/accessRecords/none"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AssetRegistryTest, DeleteIsRefusedWhileAccessIsRecordedNamingTheRecords) {
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Create("hr-db"));
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord record, Grant("principals/alice"));
  v1::DeleteAssetRequest remove;
  remove.set_name("assets/hr-db");
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), remove),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(record.name())));
  ASSERT_TRUE(RevokeAccess(record.name()).ok());
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), remove), IsOk());
  // The revoked record went with the asset (the store's cascade is tested
  // there), and the name is not given out again.
  EXPECT_THAT(Create("hr-db"), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(AssetRegistryTest, DeleteLooksAtEveryRecordNotOnlyTheFirstThousand) {
  ASSERT_TRUE(Create("hr-db").ok());
  // 1,000 revoked records sort before the one still in force.
  AssetChanges history;
  for (int i = 0; i < 1000; ++i) {
    v1::AccessRecord record;
    record.set_name(absl::StrFormat("assets/hr-db/accessRecords/a%04d", i));
    record.set_principal("principals/alice");
    *record.mutable_start_time() = ToProto(kStart);
    *record.mutable_end_time() = ToProto(kStart + absl::Hours(24));
    *record.mutable_revoke_time() = ToProto(kStart);
    history.access_created.push_back(record);
  }
  v1::AccessRecord live = history.access_created.back();
  live.set_name("assets/hr-db/accessRecords/zzz");
  live.clear_revoke_time();
  history.access_created.push_back(live);
  ASSERT_THAT(store_->Commit(history), IsOk());
  v1::DeleteAssetRequest remove;
  remove.set_name("assets/hr-db");
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), remove),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(live.name())));
}

TEST_F(AssetRegistryTest, WithTheRoleServiceUnreachableAccessChangesAreUnavailableAndWriteNothing) {
  ASSERT_TRUE(Create("hr-db").ok());
  ISMS_ASSERT_OK_AND_ASSIGN(v1::AccessRecord record, Grant("principals/alice"));
  const size_t before = Events().size();
  permissions_.SetUnavailable(true);
  EXPECT_THAT(Grant("principals/bob"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(RevokeAccess(record.name()), StatusIs(absl::StatusCode::kUnavailable));
  permissions_.SetUnavailable(false);
  owners_.SetUnavailable(true);  // Allowed, but who has left cannot be read.
  EXPECT_THAT(Grant("principals/bob"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ListAccess(ByAsset()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Events().size(), before);
}

TEST_F(AssetRegistryTest, TheIaoAttestsAndTheAssetIsNoLongerAttestationOverdue) {
  ASSERT_TRUE(Create("hr-db").ok());
  owners_.SetOwner("assets/hr-db", "principals/iao");
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Attestation attestation, Attest());
  EXPECT_EQ(attestation.attester(), "principals/iao");
  EXPECT_EQ(attestation.attest_time().seconds(), absl::ToUnixSeconds(kStart));
  EXPECT_EQ(attestation.explanation(), "principals/iao via the fake's table");
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Get("assets/hr-db"));
  EXPECT_EQ(asset.last_attestation_time().seconds(), absl::ToUnixSeconds(kStart));
  v1::ListAssetsRequest overdue;
  overdue.set_attestation_overdue(true);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse none, List(overdue));
  EXPECT_EQ(none.assets_size(), 0);
  // A year on, the judgement is due again.
  clock_.Advance(kAttestationPeriod + absl::Hours(1));
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAssetsResponse again, List(overdue));
  EXPECT_EQ(again.assets_size(), 1);
  v1::ListAttestationsRequest list;
  list.set_parent("assets/hr-db");
  ISMS_ASSERT_OK_AND_ASSIGN(v1::ListAttestationsResponse listed,
                            Run(&AssetRegistry::ListAttestations, As("principals/iao"), list));
  ASSERT_EQ(listed.attestations_size(), 1);
  EXPECT_EQ(listed.attestations(0).use_judgement(), "used for payroll only");
}

TEST_F(AssetRegistryTest, HoldingTheAttestPermissionWithoutBeingTheIaoIsRefusedAndAudited) {
  ASSERT_TRUE(Create("hr-db").ok());
  owners_.SetOwner("assets/hr-db", "principals/iao");
  // A delegate given the permission by the IAO is still not the IAO.
  permissions_.Grant("principals/delegate", kSubmitAttestations, "assets/hr-db");
  EXPECT_THAT(Attest("principals/delegate"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only the IAO")));
  EXPECT_THAT(Attest("principals/nobody"), StatusIs(absl::StatusCode::kPermissionDenied));
  const std::vector<AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].outcome(), isms::audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(events[1].principal(), "principals/delegate");
  EXPECT_EQ(events[2].outcome(), isms::audit::v1::OUTCOME_DENIED);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Get("assets/hr-db"));
  EXPECT_FALSE(asset.has_last_attestation_time());
}

TEST_F(AssetRegistryTest, AnIaoNoLongerInForceCannotAttest) {
  ASSERT_TRUE(Create("hr-db").ok());
  // The permission answer and the owner answer disagree (revoked between the
  // two reads): refused, never allowed on the stale half.
  EXPECT_THAT(Attest(), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no IAO")));
  owners_.SetOwner("assets/hr-db", "principals/iao");
  owners_.SetUnavailable(true);
  EXPECT_THAT(Attest(), StatusIs(absl::StatusCode::kUnavailable));
  owners_.SetUnavailable(false);
  permissions_.SetUnavailable(true);
  EXPECT_THAT(Attest(), StatusIs(absl::StatusCode::kUnavailable));
  permissions_.SetUnavailable(false);
  ISMS_ASSERT_OK_AND_ASSIGN(v1::Asset asset, Get("assets/hr-db"));
  EXPECT_FALSE(asset.has_last_attestation_time());
}

}  // namespace
}  // namespace isms::asset
