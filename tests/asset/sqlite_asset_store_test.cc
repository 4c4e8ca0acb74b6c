#include "services/asset/sqlite_asset_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "tests/asset/asset_test_util.h"

namespace isms::asset {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1767000000);

class SqliteAssetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(":memory:");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = db->get();
    auto store = SqliteAssetStore::Open(*std::move(db), SqliteAssetStore::Options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  static v1::Asset Named(const std::string& id, absl::Time review = kNow + absl::Hours(240)) {
    v1::Asset asset = TestAsset(review, id);
    asset.set_name("assets/" + id);
    return asset;
  }

  absl::Status Create(const v1::Asset& asset) {
    AssetChanges changes;
    changes.created.push_back(asset);
    return store_->Commit(changes);
  }

  std::vector<std::string> Names(const AssetFilter& filter, const std::string& after = "",
                                 int limit = 100) {
    auto page = store_->List(filter, after, limit);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok()) {
      for (const auto& asset : *page) names.push_back(asset.name());
    }
    return names;
  }

  static AssetFilter Now() {
    AssetFilter filter;
    filter.now = kNow;
    return filter;
  }

  SqliteDatabase* db_ = nullptr;  // Owned by store_.
  std::unique_ptr<SqliteAssetStore> store_;
};

TEST_F(SqliteAssetStoreTest, StoresAndReadsBackAnAsset) {
  ASSERT_THAT(Create(Named("hr-db")), IsOk());
  auto found = store_->Get("assets/hr-db");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->title(), "hr-db");
  auto missing = store_->Get("assets/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteAssetStoreTest, ACreateOfATakenNameIsAlreadyExistsAndWritesNothing) {
  ASSERT_THAT(Create(Named("hr-db")), IsOk());
  AssetChanges changes;
  changes.created.push_back(Named("hr-db"));
  isms::audit::v1::AuditEvent event;
  event.set_event_id("e1");
  changes.events.push_back(event);
  EXPECT_THAT(store_->Commit(changes), StatusIs(absl::StatusCode::kAlreadyExists));
  auto backlog = store_->Backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->waiting, 0) << "the event went with the failed change";
}

TEST_F(SqliteAssetStoreTest, WritesEventsInTheSameTransactionAsTheChange) {
  AssetChanges changes;
  changes.created.push_back(Named("hr-db"));
  isms::audit::v1::AuditEvent event;
  event.set_event_id("e1");
  changes.events.push_back(event);
  ASSERT_THAT(store_->Commit(changes), IsOk());
  auto outbox = store_->ReadOutbox(0, 10);
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->size(), 1u);
  EXPECT_EQ((*outbox)[0].event.event_id(), "e1");
}

TEST_F(SqliteAssetStoreTest, UpdateAndDeleteOfAMissingAssetAreNotFound) {
  AssetChanges update;
  update.updated.push_back(Named("ghost"));
  EXPECT_THAT(store_->Commit(update), StatusIs(absl::StatusCode::kNotFound));
  AssetChanges remove;
  remove.deleted.push_back("assets/ghost");
  EXPECT_THAT(store_->Commit(remove), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SqliteAssetStoreTest, ListsInNameOrderAfterTheGivenName) {
  for (const char* id : {"c", "a", "d", "b"}) ASSERT_THAT(Create(Named(id)), IsOk());
  EXPECT_THAT(Names(Now()), ElementsAre("assets/a", "assets/b", "assets/c", "assets/d"));
  EXPECT_THAT(Names(Now(), "assets/b", 1), ElementsAre("assets/c"));
}

TEST_F(SqliteAssetStoreTest, FiltersByClassificationAndKindOfInformation) {
  v1::Asset secret = Named("secret");
  secret.set_classification(v1::CLASSIFICATION_RESTRICTED);
  secret.clear_information_kinds();
  secret.add_information_kinds(v1::INFORMATION_KIND_CREDENTIALS);
  ASSERT_THAT(Create(secret), IsOk());
  ASSERT_THAT(Create(Named("hr")), IsOk());
  AssetFilter restricted = Now();
  restricted.classification = v1::CLASSIFICATION_RESTRICTED;
  EXPECT_THAT(Names(restricted), ElementsAre("assets/secret"));
  AssetFilter financial = Now();
  financial.information_kind = v1::INFORMATION_KIND_FINANCIAL;
  EXPECT_THAT(Names(financial), ElementsAre("assets/hr"));
}

TEST_F(SqliteAssetStoreTest, ReviewOverdueListsAssetsWhoseReviewTimeHasPassed) {
  ASSERT_THAT(Create(Named("late", kNow - absl::Hours(1))), IsOk());
  ASSERT_THAT(Create(Named("due-now", kNow)), IsOk());
  ASSERT_THAT(Create(Named("later", kNow + absl::Hours(1))), IsOk());
  AssetFilter filter = Now();
  filter.review_overdue = true;
  EXPECT_THAT(Names(filter), ElementsAre("assets/due-now", "assets/late"));
}

TEST_F(SqliteAssetStoreTest, AttestationOverdueCountsMissingAndYearOldAttestations) {
  v1::Asset fresh = Named("fresh");
  *fresh.mutable_last_attestation_time() = ToProto(kNow - absl::Hours(24 * 30));
  v1::Asset stale = Named("stale");
  *stale.mutable_last_attestation_time() = ToProto(kNow - absl::Hours(24 * 366));
  ASSERT_THAT(Create(fresh), IsOk());
  ASSERT_THAT(Create(stale), IsOk());
  ASSERT_THAT(Create(Named("never")), IsOk());
  AssetFilter filter = Now();
  filter.attestation_overdue = true;
  EXPECT_THAT(Names(filter), ElementsAre("assets/never", "assets/stale"));
}

TEST_F(SqliteAssetStoreTest, ListNamesAndCountApplyTheSameFiltersAsList) {
  for (const char* id : {"a", "b", "c"}) ASSERT_THAT(Create(Named(id)), IsOk());
  ASSERT_THAT(Create(Named("old", kNow - absl::Hours(1))), IsOk());
  ISMS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> all, store_->ListNames(Now(), "", 100));
  EXPECT_THAT(all, ElementsAre("assets/a", "assets/b", "assets/c", "assets/old"));
  ISMS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> after,
                            store_->ListNames(Now(), "assets/a", 2));
  EXPECT_THAT(after, ElementsAre("assets/b", "assets/c"));
  AssetFilter overdue = Now();
  overdue.review_overdue = true;
  ISMS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> late, store_->ListNames(overdue, "", 100));
  EXPECT_THAT(late, ElementsAre("assets/old"));
  ISMS_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count(Now()));
  EXPECT_EQ(count, 4);
  ISMS_ASSERT_OK_AND_ASSIGN(int64_t overdue_count, store_->Count(overdue));
  EXPECT_EQ(overdue_count, 1);
}

TEST_F(SqliteAssetStoreTest, AccessRecordsAreListedByAssetAndByPrincipal) {
  ASSERT_THAT(Create(Named("a")), IsOk());
  ASSERT_THAT(Create(Named("b")), IsOk());
  AssetChanges changes;
  for (const auto& [name, principal] : std::vector<std::pair<std::string, std::string>>{
           {"assets/a/accessRecords/1", "principals/alice"},
           {"assets/a/accessRecords/2", "principals/bob"},
           {"assets/b/accessRecords/3", "principals/alice"}}) {
    v1::AccessRecord record;
    record.set_name(name);
    record.set_principal(principal);
    changes.access_created.push_back(record);
  }
  ASSERT_THAT(store_->Commit(changes), IsOk());
  auto names = [&](absl::string_view asset, absl::string_view principal) {
    std::vector<std::string> found;
    auto records = store_->ListAccessRecords(asset, principal, "", 100);
    EXPECT_TRUE(records.ok()) << records.status();
    if (records.ok()) {
      for (const auto& record : *records) found.push_back(record.name());
    }
    return found;
  };
  EXPECT_THAT(names("assets/a", ""),
              ElementsAre("assets/a/accessRecords/1", "assets/a/accessRecords/2"));
  EXPECT_THAT(names("", "principals/alice"),
              ElementsAre("assets/a/accessRecords/1", "assets/b/accessRecords/3"));
  // Deleting an asset removes its records with it, in the same transaction.
  AssetChanges remove;
  remove.deleted.push_back("assets/a");
  ASSERT_THAT(store_->Commit(remove), IsOk());
  EXPECT_THAT(names("", ""), ElementsAre("assets/b/accessRecords/3"));
  // Updating a record that is not stored is NotFound and writes nothing.
  AssetChanges update;
  update.access_updated.push_back(changes.access_created[0]);
  EXPECT_THAT(store_->Commit(update), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SqliteAssetStoreTest, AttestationsAreListedByAssetAndGoWithIt) {
  ASSERT_THAT(Create(Named("a")), IsOk());
  AssetChanges changes;
  for (const char* name : {"assets/a/attestations/2", "assets/a/attestations/1"}) {
    v1::Attestation attestation;
    attestation.set_name(name);
    changes.attestations_created.push_back(attestation);
  }
  ASSERT_THAT(store_->Commit(changes), IsOk());
  ISMS_ASSERT_OK_AND_ASSIGN(std::vector<v1::Attestation> listed,
                            store_->ListAttestations("assets/a", "", 10));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name(), "assets/a/attestations/1");
  ISMS_ASSERT_OK_AND_ASSIGN(std::vector<v1::Attestation> after,
                            store_->ListAttestations("assets/a", "assets/a/attestations/1", 10));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_THAT(store_->Commit(changes), StatusIs(absl::StatusCode::kAlreadyExists));
  AssetChanges remove;
  remove.deleted.push_back("assets/a");
  ASSERT_THAT(store_->Commit(remove), IsOk());
  ISMS_ASSERT_OK_AND_ASSIGN(std::vector<v1::Attestation> gone,
                            store_->ListAttestations("assets/a", "", 10));
  EXPECT_TRUE(gone.empty());
}

TEST_F(SqliteAssetStoreTest, ARecordAlteredOnDiskIsDataLoss) {
  ASSERT_THAT(Create(Named("hr-db")), IsOk());
  ASSERT_THAT(db_->Exec("UPDATE assets SET resource = x'0a0d6173736574732f68722d6462'"), IsOk());
  EXPECT_THAT(store_->Get("assets/hr-db"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("assets/hr-db")));
}

TEST_F(SqliteAssetStoreTest, FilterColumnsAlteredOnDiskAreDataLoss) {
  ASSERT_THAT(Create(Named("hr-db")), IsOk());
  ASSERT_THAT(db_->Exec("UPDATE assets SET classification = 1"), IsOk());
  AssetFilter filter = Now();
  filter.classification = v1::CLASSIFICATION_UNRESTRICTED;
  EXPECT_THAT(store_->List(filter, "", 10),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("assets/hr-db")));
}

}  // namespace
}  // namespace isms::asset
