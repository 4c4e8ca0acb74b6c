#include "common/storage/sqlite_database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outbox/outbox.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

int64_t CountRows(SqliteDatabase& db, const std::string& table) {
  auto select = db.Prepare("SELECT COUNT(*) FROM " + table);
  EXPECT_TRUE(select.ok());
  EXPECT_TRUE(*select->Step());
  return select->ColumnInt64(0);
}

TEST(SqliteDatabaseTest, MigrationsRunOnceInOrderAcrossReopens) {
  isms::testing::TempDir dir;
  const std::string path = dir.path() + "/test.db";
  std::vector<std::string> migrations = {"CREATE TABLE a (x INTEGER)",
                                         "INSERT INTO a (x) VALUES (1)"};
  {
    auto db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_THAT((*db)->Migrate(migrations), IsOk());
    ASSERT_THAT((*db)->Migrate(migrations), IsOk());
    EXPECT_EQ(CountRows(**db, "a"), 1);
  }
  migrations.push_back("INSERT INTO a (x) VALUES (2)");
  auto db = SqliteDatabase::Open(path);
  ASSERT_TRUE(db.ok());
  ASSERT_THAT((*db)->Migrate(migrations), IsOk());
  EXPECT_EQ(CountRows(**db, "a"), 2);
}

TEST(SqliteDatabaseTest, NewerSchemaThanBinaryIsRefused) {
  auto db = SqliteDatabase::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ASSERT_THAT((*db)->Migrate({"CREATE TABLE a (x)", "CREATE TABLE b (x)"}), IsOk());
  EXPECT_THAT((*db)->Migrate({"CREATE TABLE a (x)"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SqliteDatabaseTest, FailedTransactionLeavesNothing) {
  auto db = SqliteDatabase::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ASSERT_THAT((*db)->Exec("CREATE TABLE a (x INTEGER)"), IsOk());
  absl::Status result = (*db)->InTransaction([&]() -> absl::Status {
    EXPECT_THAT((*db)->Exec("INSERT INTO a (x) VALUES (1)"), IsOk());
    return absl::AbortedError("changed my mind");
  });
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(CountRows(**db, "a"), 0);
}

TEST(SqliteDatabaseTest, OutboxKeepsEventsInOrder) {
  auto db = SqliteDatabase::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ASSERT_THAT((*db)->Migrate({kOutboxMigration, kOutboxChecksumMigration}), IsOk());
  ASSERT_THAT((*db)->InTransaction([&]() -> absl::Status {
    for (const char* id : {"e1", "e2", "e3"}) {
      isms::audit::v1::AuditEvent event;
      event.set_event_id(id);
      absl::Status appended = AppendToOutbox(**db, event);
      if (!appended.ok()) return appended;
    }
    return absl::OkStatus();
  }),
              IsOk());
  auto entries = ReadOutbox(**db, 0, 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].event.event_id(), "e1");
  EXPECT_EQ((*entries)[2].event.event_id(), "e3");
  auto after_first = ReadOutbox(**db, (*entries)[0].sequence, 10);
  ASSERT_TRUE(after_first.ok());
  EXPECT_EQ(after_first->size(), 2u);
}

TEST(SqliteDatabaseClaimTest, ADatabaseOfAnotherProgramIsRefusedBeforeAnyMigration) {
  isms::testing::TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto db = SqliteDatabase::Open(path);
    ASSERT_THAT((*db)->Claim(0x69736d61, "the audit log"), IsOk());
    ASSERT_THAT((*db)->Migrate({"CREATE TABLE events (x)"}), IsOk());
  }
  auto db = SqliteDatabase::Open(path, SqliteInit::kRequireInitialised);
  ASSERT_THAT(db.status(), IsOk());
  EXPECT_THAT((*db)->Claim(0x69736173, "the asset service"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another program")));
  // Its own owner opens it as before.
  EXPECT_THAT((*db)->Claim(0x69736d61, "the audit log"), IsOk());
}

TEST(SqliteDatabaseClaimTest, ALinkInPlaceOfTheDatabaseIsNotFollowed) {
  isms::testing::TempDir dir;
  const std::string target = dir.path() + "/elsewhere.db";
  const std::string path = dir.path() + "/db";
  ASSERT_EQ(symlink(target.c_str(), path.c_str()), 0);
  EXPECT_THAT(SqliteDatabase::Open(path).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("symbolic link")));
  struct stat info;
  EXPECT_NE(stat(target.c_str(), &info), 0) << "created at the link's target";
}

}  // namespace
}  // namespace isms
