// The risk register on a real in-memory store, a fake role service and a
// fake clock: derived scores, the listing order, owners as the role service
// says, acceptance by the SIRO only (never the owner), expiry and re-scoring.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "common/testing/status_matchers.h"
#include "services/asset/risk_rules.h"
#include "tests/asset/risk_test_fixture.h"

namespace isms::asset {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RiskRegistryTest : public RiskTestFixture {
 protected:
  static std::vector<std::string> Names(const v1::ListRisksResponse& response) {
    std::vector<std::string> names;
    for (const v1::Risk& risk : response.risks()) names.push_back(risk.name());
    return names;
  }
};

TEST(RiskRulesTest, BandsCoverEveryScore) {
  EXPECT_EQ(BandOf(RiskScoreOf(1, 1)), v1::RISK_BAND_LOW);
  EXPECT_EQ(BandOf(RiskScoreOf(2, 2)), v1::RISK_BAND_LOW);
  EXPECT_EQ(BandOf(RiskScoreOf(1, 5)), v1::RISK_BAND_MEDIUM);
  EXPECT_EQ(BandOf(RiskScoreOf(3, 3)), v1::RISK_BAND_MEDIUM);
  EXPECT_EQ(BandOf(RiskScoreOf(2, 5)), v1::RISK_BAND_HIGH);
  EXPECT_EQ(BandOf(RiskScoreOf(3, 5)), v1::RISK_BAND_VERY_HIGH);
  EXPECT_EQ(BandOf(RiskScoreOf(4, 5)), v1::RISK_BAND_VERY_HIGH);
  EXPECT_EQ(RiskScoreOf(0, 5), 0);
  EXPECT_EQ(RiskScoreOf(6, 1), 0);
  for (int score = 1; score <= 25; ++score) {
    const ScoreRange range = ScoresOf(BandOf(score));
    EXPECT_LE(range.low, score);
    EXPECT_GE(range.high, score);
  }
}

TEST_F(RiskRegistryTest, ScoreAndBandAreDerivedNeverStored) {
  absl::StatusOr<v1::Risk> risk = CreateRisk("ransom", TestRisk(4, 5));
  ASSERT_THAT(risk, IsOk());
  EXPECT_EQ(risk->score(), 20);
  EXPECT_EQ(risk->band(), v1::RISK_BAND_VERY_HIGH);
  ASSERT_EQ(risk->score_history_size(), 1);
  EXPECT_EQ(risk->score_history(0).score(), 20);
  EXPECT_EQ(risk->score_history(0).scored_by(), "principals/po");
  absl::StatusOr<std::optional<v1::Risk>> stored = store_->GetRisk("risks/ransom");
  ASSERT_THAT(stored, IsOk());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->score(), 0);
  EXPECT_EQ((*stored)->band(), v1::RISK_BAND_UNSPECIFIED);
  EXPECT_EQ((*stored)->score_history(0).score(), 0);
}

TEST_F(RiskRegistryTest, ListsHighestScoreFirstAcrossPages) {
  ASSERT_THAT(CreateRisk("low", TestRisk(1, 2)), IsOk());
  ASSERT_THAT(CreateRisk("top", TestRisk(4, 5)), IsOk());
  ASSERT_THAT(CreateRisk("mid-b", TestRisk(3, 3)), IsOk());
  ASSERT_THAT(CreateRisk("mid-a", TestRisk(3, 3)), IsOk());
  std::vector<std::string> seen;
  v1::ListRisksRequest request;
  request.set_page_size(1);
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<v1::ListRisksResponse> listed = ListRisks(request);
    ASSERT_THAT(listed, IsOk());
    for (const std::string& name : Names(*listed)) seen.push_back(name);
    if (listed->next_page_token().empty()) break;
    request.set_page_token(listed->next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre("risks/top", "risks/mid-a", "risks/mid-b", "risks/low"));
  v1::ListRisksRequest top;
  top.set_band(v1::RISK_BAND_VERY_HIGH);
  EXPECT_THAT(Names(*ListRisks(top)), ElementsAre("risks/top"));
  // A token is bound to its filters.
  request.set_band(v1::RISK_BAND_LOW);
  EXPECT_THAT(ListRisks(request), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RiskRegistryTest, ListsByAssetAndOwner) {
  ASSERT_THAT(CreateRisk("hr", TestRisk(2, 2, "principals/iao", {"assets/hr-db"})), IsOk());
  ASSERT_THAT(CreateRisk("org", TestRisk(5, 5)), IsOk());
  v1::ListRisksRequest by_asset;
  by_asset.set_asset("assets/hr-db");
  EXPECT_THAT(Names(*ListRisks(by_asset)), ElementsAre("risks/hr"));
  v1::ListRisksRequest by_owner;
  by_owner.set_owner("principals/po");
  EXPECT_THAT(Names(*ListRisks(by_owner)), ElementsAre("risks/org"));
}

TEST_F(RiskRegistryTest, AnAssetARiskNamesCannotBeDeleted) {
  ASSERT_THAT(CreateRisk("hr", TestRisk(2, 2, "principals/iao", {"assets/hr-db"})), IsOk());
  v1::DeleteAssetRequest request;
  request.set_name("assets/hr-db");
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), request),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("risks/hr")));
  request.set_name("assets/payroll");  // Named by no risk.
  EXPECT_THAT(Run(&AssetRegistry::DeleteAsset, As("principals/keeper"), request), IsOk());
}

TEST_F(RiskRegistryTest, OwnerMustHoldPoOrIaoForEveryAsset) {
  // The IAO of hr-db owns no organisation-wide risk and none of payroll.
  EXPECT_THAT(CreateRisk("org", TestRisk(2, 2, "principals/iao")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("process owner")));
  EXPECT_THAT(
      CreateRisk("both", TestRisk(2, 2, "principals/iao", {"assets/hr-db", "assets/payroll"})),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("assets/payroll")));
  EXPECT_THAT(CreateRisk("staff", TestRisk(2, 2, "principals/staff")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("principals/staff")));
  EXPECT_THAT(CreateRisk("hr", TestRisk(2, 2, "principals/iao", {"assets/hr-db"})), IsOk());
  // Refusals are in the trail.
  int refused = 0;
  for (const auto& event : Events()) {
    refused += event.status_code() == "FAILED_PRECONDITION" ? 1 : 0;
  }
  EXPECT_EQ(refused, 3);
}

TEST_F(RiskRegistryTest, OwnerWhoLostTheRoleCannotBeGivenARisk) {
  holders_.Release("principals/po", kPoRole);
  EXPECT_THAT(CreateRisk("org", TestRisk(2, 2)), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RiskRegistryTest, NamedAssetsMustBeInTheRegister) {
  EXPECT_THAT(CreateRisk("ghost", TestRisk(2, 2, "principals/po", {"assets/ghost"})),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("assets/ghost")));
}

TEST_F(RiskRegistryTest, OnlyKeepersCreateAndRefusalsAreAudited) {
  EXPECT_THAT(CreateRisk("x", TestRisk(2, 2), "principals/ism"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CreateRisk("x", TestRisk(2, 2), "principals/nobody"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_EQ(Events().size(), 4u);  // Two asset creations, two refusals.
  EXPECT_EQ(Events()[2].outcome(), isms::audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(Events()[2].resource(), "risks/x");
  EXPECT_THAT(CreateRisk("x", TestRisk(2, 2), "principals/siro"), IsOk());
}

TEST_F(RiskRegistryTest, AcceptingNeedsTheSiroAndExpires) {
  ASSERT_THAT(CreateRisk("ransom", TestRisk(4, 5)), IsOk());
  EXPECT_THAT(Accept("risks/ransom", "principals/ism"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Accept("risks/ransom", "principals/po"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  absl::StatusOr<v1::Risk> accepted = Accept("risks/ransom", "principals/siro", absl::Hours(48));
  ASSERT_THAT(accepted, IsOk());
  EXPECT_EQ(accepted->treatment(), v1::RISK_TREATMENT_ACCEPT);
  EXPECT_EQ(accepted->acceptance().accepted_by(), "principals/siro");
  EXPECT_EQ(accepted->acceptance().accepted_score().score(), 20);
  EXPECT_TRUE(accepted->acceptance().in_force());
  EXPECT_FALSE(accepted->review_due());
  v1::ListRisksRequest due;
  due.set_review_due(true);
  EXPECT_TRUE(Names(*ListRisks(due)).empty());
  clock_.Advance(absl::Hours(49));
  v1::GetRiskRequest get;
  get.set_name("risks/ransom");
  absl::StatusOr<v1::Risk> later = Run(&AssetRegistry::GetRisk, As("principals/siro"), get);
  ASSERT_THAT(later, IsOk());
  EXPECT_FALSE(later->acceptance().in_force());
  EXPECT_TRUE(later->review_due());
  EXPECT_THAT(Names(*ListRisks(due)), ElementsAre("risks/ransom"));
}

TEST_F(RiskRegistryTest, NobodyAcceptsARiskTheyOwn) {
  // The SIRO also holds the process owner role and owns the risk.
  holders_.Hold("principals/siro", kPoRole);
  ASSERT_THAT(CreateRisk("own", TestRisk(4, 5, "principals/siro")), IsOk());
  EXPECT_THAT(Accept("risks/own", "principals/siro"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("owns risks/own")));
  EXPECT_EQ(Events().back().outcome(), isms::audit::v1::OUTCOME_DENIED);
}

TEST_F(RiskRegistryTest, RescoringKeepsHistoryAndEndsTheAcceptance) {
  ASSERT_THAT(CreateRisk("ransom", TestRisk(4, 5)), IsOk());
  ASSERT_THAT(Accept("risks/ransom", "principals/siro"), IsOk());
  clock_.Advance(absl::Hours(1));
  v1::UpdateRiskRequest request;
  request.mutable_risk()->set_name("risks/ransom");
  request.mutable_risk()->set_likelihood(5);
  request.mutable_update_mask()->add_paths("likelihood");
  absl::StatusOr<v1::Risk> rescored =
      Run(&AssetRegistry::UpdateRisk, As("principals/siro"), request);
  ASSERT_THAT(rescored, IsOk());
  EXPECT_EQ(rescored->score(), 25);
  ASSERT_EQ(rescored->score_history_size(), 2);
  EXPECT_EQ(rescored->score_history(0).score(), 20);
  EXPECT_EQ(rescored->score_history(1).score(), 25);
  EXPECT_EQ(rescored->score_history(1).scored_by(), "principals/siro");
  EXPECT_EQ(FromProto(rescored->score_history(1).score_time()), kStart + absl::Hours(1));
  // Accepted at 20, now 25: the acceptance no longer covers it.
  EXPECT_FALSE(rescored->acceptance().in_force());
  EXPECT_TRUE(rescored->review_due());
  EXPECT_EQ(rescored->acceptance().accepted_score().score(), 20);
  // Putting the old score back does not bring the acceptance back.
  clock_.Advance(absl::Hours(1));
  request.mutable_risk()->set_likelihood(4);
  absl::StatusOr<v1::Risk> restored = Run(&AssetRegistry::UpdateRisk, As("principals/po"), request);
  ASSERT_THAT(restored, IsOk());
  EXPECT_EQ(restored->score(), 20);
  EXPECT_FALSE(restored->acceptance().in_force());
  EXPECT_TRUE(restored->review_due());
}

TEST_F(RiskRegistryTest, AnAcceptanceEndsWithAnOwnerChangeSoTheAccepterCannotOwnIt) {
  holders_.Hold("principals/siro", kPoRole);
  ASSERT_THAT(CreateRisk("moved", TestRisk(5, 5)), IsOk());  // Owned by principals/po.
  ASSERT_THAT(Accept("risks/moved", "principals/siro"), IsOk());
  v1::UpdateRiskRequest request;
  request.mutable_risk()->set_name("risks/moved");
  request.mutable_risk()->set_owner("principals/siro");
  request.mutable_update_mask()->add_paths("owner");
  absl::StatusOr<v1::Risk> moved = Run(&AssetRegistry::UpdateRisk, As("principals/siro"), request);
  ASSERT_THAT(moved, IsOk());
  EXPECT_EQ(moved->owner(), "principals/siro");
  EXPECT_FALSE(moved->has_acceptance());
  EXPECT_TRUE(moved->review_due());
  EXPECT_THAT(Accept("risks/moved", "principals/siro"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("owns risks/moved")));
}

TEST_F(RiskRegistryTest, StaleEtagIsAborted) {
  absl::StatusOr<v1::Risk> risk = CreateRisk("ransom", TestRisk(4, 5));
  ASSERT_THAT(risk, IsOk());
  v1::UpdateRiskRequest request;
  request.mutable_risk()->set_name("risks/ransom");
  request.mutable_risk()->set_title("first");
  request.mutable_risk()->set_etag(risk->etag());
  request.mutable_update_mask()->add_paths("title");
  ASSERT_THAT(Run(&AssetRegistry::UpdateRisk, As("principals/po"), request), IsOk());
  request.mutable_risk()->set_title("second, on the old etag");
  EXPECT_THAT(Run(&AssetRegistry::UpdateRisk, As("principals/po"), request),
              StatusIs(absl::StatusCode::kAborted));
  v1::AcceptRiskRequest accept;
  accept.set_name("risks/ransom");
  accept.set_etag(risk->etag());
  accept.set_justification("x");
  *accept.mutable_expire_time() = ToProto(clock_.Now() + absl::Hours(1));
  EXPECT_THAT(Run(&AssetRegistry::AcceptRisk, As("principals/siro"), accept),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_F(RiskRegistryTest, ChangingTheOwnerAsksTheRoleService) {
  ASSERT_THAT(CreateRisk("ransom", TestRisk(4, 5)), IsOk());
  v1::UpdateRiskRequest request;
  request.mutable_risk()->set_name("risks/ransom");
  request.mutable_risk()->set_owner("principals/staff");
  request.mutable_update_mask()->add_paths("owner");
  EXPECT_THAT(Run(&AssetRegistry::UpdateRisk, As("principals/po"), request),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RiskRegistryTest, RoleServiceUnavailableWritesNothing) {
  const size_t before = Events().size();
  holders_.SetUnavailable(true);
  EXPECT_THAT(CreateRisk("x", TestRisk(2, 2)), StatusIs(absl::StatusCode::kUnavailable));
  permissions_.SetUnavailable(true);
  EXPECT_THAT(CreateRisk("x", TestRisk(2, 2)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Events().size(), before);
  EXPECT_THAT(store_->GetRisk("risks/x"), IsOk());
  EXPECT_FALSE(store_->GetRisk("risks/x")->has_value());
}

TEST_F(RiskRegistryTest, PermissionBeforeExistence) {
  v1::GetRiskRequest get;
  get.set_name("risks/none");
  EXPECT_THAT(Run(&AssetRegistry::GetRisk, As("principals/nobody"), get),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Run(&AssetRegistry::GetRisk, As("principals/ism"), get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Accept("risks/none", "principals/nobody"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RiskRegistryTest, PagesStopAtTheCap) {
  // 1,001 risks written straight into the store.
  AssetChanges changes;
  for (int i = 0; i < 1001; ++i) {
    v1::Risk risk = TestRisk(1 + i % 5, 1 + i % 3);
    risk.set_name(absl::StrFormat("risks/r%04d", i));
    *risk.add_score_history() = v1::RiskScore();
    changes.risks_created.push_back(StoredForm(risk));
  }
  ASSERT_THAT(store_->Commit(changes), IsOk());
  v1::ListRisksRequest request;
  request.set_page_size(5000);
  absl::StatusOr<v1::ListRisksResponse> first = ListRisks(request);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->risks_size(), 1000);
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  absl::StatusOr<v1::ListRisksResponse> second = ListRisks(request);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->risks_size(), 1);
  EXPECT_TRUE(second->next_page_token().empty());
  // Every score is in order across the two pages.
  EXPECT_GE(first->risks(999).score(), second->risks(0).score());
  // A token altered by hand is refused, not followed.
  request.set_page_token(first->next_page_token() + "x");
  EXPECT_THAT(ListRisks(request), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RiskRegistryTest, ReviewOverdueIsListed) {
  ASSERT_THAT(CreateRisk("soon", TestRisk(2, 2)), IsOk());
  clock_.Advance(absl::Hours(24 * 181));
  v1::ListRisksRequest due;
  due.set_review_due(true);
  EXPECT_THAT(Names(*ListRisks(due)), ElementsAre("risks/soon"));
}

}  // namespace
}  // namespace isms::asset
