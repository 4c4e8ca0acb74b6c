#include "common/storage/sqlite_status.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "common/storage/sqlite_database.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(SqliteStatusTest, StorageConditionsAreUnavailableWithAPlainPrefix) {
  EXPECT_THAT(
      SqliteStatus(SQLITE_FULL, "step", "database or disk is full"),
      StatusIs(absl::StatusCode::kUnavailable, "storage full: step: database or disk is full"));
  EXPECT_THAT(SqliteStatus(SQLITE_READONLY_DBMOVED, "step", "x"),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage read-only: ")));
  EXPECT_THAT(SqliteStatus(SQLITE_IOERR_FSYNC, "exec 'COMMIT'", "disk I/O error"),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage I/O error: ")));
  EXPECT_THAT(SqliteStatus(SQLITE_CANTOPEN, "open database /x", "unable to open"),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage I/O error: ")));
  EXPECT_THAT(SqliteStatus(SQLITE_BUSY, "exec 'BEGIN IMMEDIATE'", "database is locked"),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage busy: ")));
}

TEST(SqliteStatusTest, CorruptionIsDataLossDuplicatesAlreadyExistsRestInternal) {
  EXPECT_THAT(SqliteStatus(SQLITE_CORRUPT, "step", "malformed"),
              StatusIs(absl::StatusCode::kDataLoss, StartsWith("storage corrupt: ")));
  EXPECT_THAT(SqliteStatus(SQLITE_NOTADB, "open", "not a database"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(SqliteStatus(SQLITE_CONSTRAINT_PRIMARYKEY, "step", "UNIQUE constraint failed"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(SqliteStatus(SQLITE_CONSTRAINT_NOTNULL, "step", "NOT NULL constraint failed"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(SqliteStatus(SQLITE_ERROR, "prepare", "no such table"),
              StatusIs(absl::StatusCode::kInternal, "sqlite prepare: no such table"));
}

// The mapping as a real database reports it.
class SqliteStorageErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(dir_.path() + "/test.db");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_THAT(db_->Migrate({"CREATE TABLE t (x BLOB)"}), IsOk());
  }
  absl::Status InsertBig() {
    return db_->InTransaction([&]() -> absl::Status {
      auto insert = db_->Prepare("INSERT INTO t (x) VALUES (zeroblob(200000))");
      if (!insert.ok()) return insert.status();
      return insert->Run();
    });
  }
  isms::testing::TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(SqliteStorageErrorTest, FullDiskIsUnavailableStorageFull) {
  ASSERT_THAT(db_->Exec("PRAGMA max_page_count = 8"), IsOk());
  EXPECT_THAT(InsertBig(), StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage full: ")));
}

TEST_F(SqliteStorageErrorTest, ReadOnlyStorageIsUnavailableStorageReadOnly) {
  ASSERT_THAT(db_->Exec("PRAGMA query_only = 1"), IsOk());
  EXPECT_THAT(InsertBig(),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage read-only: ")));
}

TEST_F(SqliteStorageErrorTest, UnopenablePathIsUnavailable) {
  EXPECT_THAT(SqliteDatabase::Open(dir_.path() + "/no/such/dir/test.db"),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage I/O error: ")));
}

class SqliteInitTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.path() + "/test.db"; }
  absl::Status OpenAndMigrate(SqliteInit init) {
    auto db = SqliteDatabase::Open(Path(), init);
    if (!db.ok()) return db.status();
    return (*db)->Migrate({"CREATE TABLE t (x)"});
  }
  isms::testing::TempDir dir_;
};

TEST_F(SqliteInitTest, MissingDatabaseIsRefusedWithoutCreatingIt) {
  EXPECT_THAT(OpenAndMigrate(SqliteInit::kRequireInitialised),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not exist")));
  struct stat info;
  EXPECT_NE(stat(Path().c_str(), &info), 0);
}

TEST_F(SqliteInitTest, ZeroLengthDatabaseIsRefused) {
  std::ofstream(Path()).close();
  EXPECT_THAT(OpenAndMigrate(SqliteInit::kRequireInitialised),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is empty")));
  // Refused again on the next try: the refusal left no schema behind.
  EXPECT_THAT(OpenAndMigrate(SqliteInit::kRequireInitialised),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is empty")));
}

TEST_F(SqliteInitTest, InitialisedDatabaseOpensEitherWay) {
  ASSERT_THAT(OpenAndMigrate(SqliteInit::kCreateIfEmpty), IsOk());
  EXPECT_THAT(OpenAndMigrate(SqliteInit::kRequireInitialised), IsOk());
  EXPECT_THAT(OpenAndMigrate(SqliteInit::kCreateIfEmpty), IsOk());
}

}  // namespace
}  // namespace isms
