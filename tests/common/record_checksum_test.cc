#include "common/storage/record_checksum.h"

#include <gtest/gtest.h>

#include "common/outbox/outbox.h"
#include "common/storage/sqlite_database.h"
#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RecordChecksumTest, MatchesTheSameRecordOnly) {
  const std::string checksum = RecordChecksum("roles", "roles/siro", "bytes");
  EXPECT_EQ(checksum.size(), 32u);
  EXPECT_THAT(VerifyRecordChecksum("roles", "roles/siro", "bytes", checksum), IsOk());
  EXPECT_THAT(VerifyRecordChecksum("roles", "roles/siro", "bytez", checksum),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("roles record roles/siro does not match its checksum")));
  EXPECT_THAT(VerifyRecordChecksum("roles", "roles/ism", "bytes", checksum),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("roles record roles/ism")));
  EXPECT_THAT(VerifyRecordChecksum("principals", "roles/siro", "bytes", checksum),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RecordChecksumTest, FieldBoundariesMatter) {
  EXPECT_NE(RecordChecksum("ab", "c", ""), RecordChecksum("a", "bc", ""));
  EXPECT_NE(RecordChecksum("t", "k", "v"), RecordChecksum("t", "kv", ""));
}

TEST(RecordChecksumTest, MissingChecksumIsDataLoss) {
  EXPECT_THAT(VerifyRecordChecksum("outbox", "7", "bytes", ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("outbox record 7 has no checksum")));
}

TEST(RecordChecksumTest, SqlFunctionComputesTheSameChecksum) {
  auto db = SqliteDatabase::Open(":memory:");
  ASSERT_TRUE(db.ok());
  auto select = (*db)->Prepare("SELECT isms_record_checksum('outbox', 7, x'0001ff')");
  ASSERT_TRUE(select.ok()) << select.status();
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnText(0), RecordChecksum("outbox", "7", std::string("\0\1\xff", 3)));
}

class OutboxChecksumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(":memory:");
    ASSERT_TRUE(db.ok());
    db_ = *std::move(db);
  }
  absl::Status Append(const std::string& id) {
    isms::audit::v1::AuditEvent event;
    event.set_event_id(id);
    return db_->InTransaction([&] { return AppendToOutbox(*db_, event); });
  }
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(OutboxChecksumTest, AlteredEventIsDataLossNamingItsSequence) {
  ASSERT_THAT(db_->Migrate({kOutboxMigration, kOutboxChecksumMigration}), IsOk());
  ASSERT_THAT(Append("e1"), IsOk());
  ASSERT_THAT(Append("e2"), IsOk());
  ASSERT_THAT(VerifyOutbox(*db_), IsOk());
  ASSERT_THAT(db_->Exec("UPDATE outbox SET event = x'0a026533' WHERE sequence = 2"), IsOk());
  EXPECT_THAT(ReadOutbox(*db_, 0, 10),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("outbox record 2")));
  EXPECT_THAT(VerifyOutbox(*db_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("outbox record 2")));
}

TEST_F(OutboxChecksumTest, MigrationChecksumsEventsStoredBefore) {
  ASSERT_THAT(db_->Migrate({kOutboxMigration}), IsOk());
  ASSERT_THAT(db_->Exec("INSERT INTO outbox (event) VALUES (x'0a026531')"), IsOk());
  ASSERT_THAT(db_->Migrate({kOutboxMigration, kOutboxChecksumMigration}), IsOk());
  auto entries = ReadOutbox(*db_, 0, 10);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].event.event_id(), "e1");
}

}  // namespace
}  // namespace isms
