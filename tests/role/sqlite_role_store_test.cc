// The role service's SQLite store: record checksums, creations that never
// replace, storage errors and the write health they drive, and --init.

#include "services/role/sqlite_role_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/outbox/outbox.h"
#include "common/storage/storage_health.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

v1::Principal Person(const std::string& name, const std::string& display_name) {
  v1::Principal principal;
  principal.set_name(name);
  principal.set_display_name(display_name);
  principal.set_kind(v1::PRINCIPAL_KIND_PERSON);
  return principal;
}

ChangeSet Create(const v1::Principal& principal) {
  ChangeSet changes;
  changes.principals.push_back(principal);
  changes.created.insert(principal.name());
  isms::audit::v1::AuditEvent event;
  event.set_event_id(absl::StrCat("created ", principal.display_name()));
  changes.events.push_back(event);
  return changes;
}

class SqliteRoleStoreTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.path() + "/role.db"; }

  std::unique_ptr<SqliteRoleStore> MustOpen() {
    auto store = SqliteRoleStore::Open(Path());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Flips one bit of the middle byte of `column` in the row of `table` where
  // `key_column` = `key`, as a damaged disk or a hand edit would.
  void FlipByte(const std::string& table, const std::string& column, const std::string& key_column,
                const std::string& key) {
    auto db = SqliteDatabase::Open(Path());
    ASSERT_TRUE(db.ok());
    auto select = (*db)->Prepare(
        absl::StrCat("SELECT ", column, " FROM ", table, " WHERE ", key_column, " = ?"));
    ASSERT_TRUE(select.ok());
    select->Bind(1, key);
    ASSERT_TRUE(*select->Step()) << key << " not stored";
    std::string bytes = select->ColumnText(0);
    bytes[bytes.size() / 2] ^= 0x01;
    auto update = (*db)->Prepare(
        absl::StrCat("UPDATE ", table, " SET ", column, " = ? WHERE ", key_column, " = ?"));
    ASSERT_TRUE(update.ok());
    ASSERT_THAT(update->BindBlob(1, bytes).Bind(2, key).Run(), IsOk());
  }

  isms::testing::TempDir dir_;
};

TEST_F(SqliteRoleStoreTest, FlippedByteInAStoredPrincipalRefusesLoadNamingIt) {
  {
    auto store = MustOpen();
    ASSERT_THAT(store->Commit(Create(Person("principals/alice", "Alice"))), IsOk());
  }
  FlipByte("principals", "resource", "name", "principals/alice");
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->LoadAll(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("principals record principals/alice does not match")));
}

TEST_F(SqliteRoleStoreTest, AlteredHistoryOrBackdatedRecordTimeRefusesLoadNamingIt) {
  {
    auto store = MustOpen();
    ASSERT_THAT(store->Commit(Create(Person("principals/alice", "Alice"))), IsOk());
  }
  FlipByte("history", "resource", "sequence", "1");
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(store->LoadAll(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("history record 1")));
  }
  // Moving a version's record time (rewriting when it was recorded) is caught too.
  isms::testing::TempDir other;
  const std::string path = other.path() + "/role.db";
  {
    auto store = SqliteRoleStore::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_THAT((*store)->Commit(Create(Person("principals/bob", "Bob"))), IsOk());
  }
  {
    auto db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_THAT((*db)->Exec("UPDATE history SET record_time = record_time - 1000000"), IsOk());
  }
  auto store = SqliteRoleStore::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_THAT((*store)->LoadAll(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("history")));
}

TEST_F(SqliteRoleStoreTest, RecordMovedToAnotherKeyIsRefused) {
  {
    auto store = MustOpen();
    ASSERT_THAT(store->Commit(Create(Person("principals/alice", "Alice"))), IsOk());
  }
  auto db = SqliteDatabase::Open(Path());
  ASSERT_TRUE(db.ok());
  ASSERT_THAT((*db)->Exec("UPDATE principals SET name = 'principals/mallory'"), IsOk());
  db->reset();
  auto store = MustOpen();
  EXPECT_THAT(store->LoadAll(), StatusIs(absl::StatusCode::kDataLoss,
                                         HasSubstr("principals record principals/mallory")));
}

TEST_F(SqliteRoleStoreTest, AlteredOutboxEventRefusesOpenNamingIt) {
  {
    auto store = MustOpen();
    ASSERT_THAT(store->Commit(Create(Person("principals/alice", "Alice"))), IsOk());
    ASSERT_THAT(store->Commit(Create(Person("principals/bob", "Bob"))), IsOk());
  }
  FlipByte("outbox", "event", "sequence", "2");
  EXPECT_THAT(SqliteRoleStore::Open(Path()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("outbox record 2")));
}

TEST_F(SqliteRoleStoreTest, MigrationAddsChecksumsToRecordsStoredBefore) {
  {
    // The schema as it shipped before checksums (versions 1 and 2).
    auto db = SqliteDatabase::Open(Path());
    ASSERT_TRUE(db.ok());
    ASSERT_THAT(
        (*db)->Migrate({"CREATE TABLE roles (name TEXT PRIMARY KEY, resource BLOB NOT NULL);"
                        "CREATE TABLE principals (name TEXT PRIMARY KEY, resource BLOB NOT NULL);"
                        "CREATE TABLE assignments (name TEXT PRIMARY KEY, resource BLOB NOT NULL);"
                        "CREATE TABLE delegations (name TEXT PRIMARY KEY, resource BLOB NOT NULL);",
                        kOutboxMigration}),
        IsOk());
    auto insert = (*db)->Prepare("INSERT INTO principals (name, resource) VALUES (?, ?)");
    ASSERT_TRUE(insert.ok());
    ASSERT_THAT(insert->Bind(1, "principals/old")
                    .BindBlob(2, Person("principals/old", "Old").SerializeAsString())
                    .Run(),
                IsOk());
    ASSERT_THAT((*db)->Exec("INSERT INTO outbox (event) VALUES (x'0a026531')"), IsOk());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto all = store->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->current.principals.size(), 1u);
  EXPECT_EQ(all->current.principals[0].display_name(), "Old");
  auto outbox = store->ReadOutbox(0, 10);
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  EXPECT_EQ(outbox->size(), 1u);
}

TEST_F(SqliteRoleStoreTest, CreatingAStoredResourceFailsAndKeepsTheFirst) {
  auto store = MustOpen();
  ASSERT_THAT(store->Commit(Create(Person("principals/alice", "First"))), IsOk());
  EXPECT_THAT(store->Commit(Create(Person("principals/alice", "Second"))),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("principals/alice already exists in storage")));
  auto all = store->LoadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->current.principals.size(), 1u);
  EXPECT_EQ(all->current.principals[0].display_name(), "First");
  auto outbox = store->ReadOutbox(0, 10);
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ(outbox->size(), 1u);  // The failed commit's event went with it.
}

TEST_F(SqliteRoleStoreTest, UpdateReplacesTheStoredResource) {
  auto store = MustOpen();
  ASSERT_THAT(store->Commit(Create(Person("principals/alice", "First"))), IsOk());
  ChangeSet update;
  update.principals.push_back(Person("principals/alice", "Second"));
  ASSERT_THAT(store->Commit(update), IsOk());
  auto all = store->LoadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->current.principals.size(), 1u);
  EXPECT_EQ(all->current.principals[0].display_name(), "Second");
}

class SqliteRoleStoreStorageTest : public SqliteRoleStoreTest {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(Path());
    ASSERT_TRUE(db.ok());
    db_ = db->get();  // Still owned by the store; this test is its only user.
    SqliteRoleStore::Options options;
    options.health = &health_;
    auto store = SqliteRoleStore::Open(*std::move(db), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_THAT(store_->Commit(Create(Person("principals/alice", "Alice"))), IsOk());
  }
  // A principal big enough to need new pages.
  ChangeSet CreateBig(const std::string& id) {
    return Create(Person(absl::StrCat("principals/", id), std::string(100000, 'x')));
  }

  StorageHealth health_;
  SqliteDatabase* db_ = nullptr;
  std::unique_ptr<SqliteRoleStore> store_;
};

TEST_F(SqliteRoleStoreStorageTest, FullStorageIsUnavailableUntilAWriteSucceeds) {
  auto pages = db_->Prepare("PRAGMA page_count");
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(*pages->Step());
  ASSERT_THAT(db_->Exec(absl::StrCat("PRAGMA max_page_count = ", pages->ColumnInt64(0))), IsOk());
  EXPECT_THAT(store_->Commit(CreateBig("big")),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage full: ")));
  EXPECT_FALSE(health_.writable());

  ASSERT_THAT(db_->Exec("PRAGMA max_page_count = 1000000"), IsOk());
  EXPECT_THAT(store_->Commit(CreateBig("big")), IsOk());
  EXPECT_TRUE(health_.writable());
}

TEST_F(SqliteRoleStoreStorageTest, ReadOnlyStorageIsUnavailableUntilAWriteSucceeds) {
  ASSERT_THAT(db_->Exec("PRAGMA query_only = 1"), IsOk());
  EXPECT_THAT(store_->Commit(Create(Person("principals/bob", "Bob"))),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("storage read-only: ")));
  EXPECT_FALSE(health_.writable());
  auto all = store_->LoadAll();  // Reads go on.
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->current.principals.size(), 1u);

  ASSERT_THAT(db_->Exec("PRAGMA query_only = 0"), IsOk());
  EXPECT_THAT(store_->Commit(Create(Person("principals/bob", "Bob"))), IsOk());
  EXPECT_TRUE(health_.writable());
}

TEST_F(SqliteRoleStoreTest, ZeroLengthDatabaseIsRefusedWithoutInit) {
  std::ofstream(Path()).close();
  SqliteRoleStore::Options options;
  options.init = SqliteInit::kRequireInitialised;
  EXPECT_THAT(SqliteRoleStore::Open(Path(), options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("without --init")));
  options.init = SqliteInit::kCreateIfEmpty;
  EXPECT_TRUE(SqliteRoleStore::Open(Path(), options).ok());
}

// The registry marks what it creates as new: a resource already stored (here
// written behind the registry's back) is never silently replaced.
class RegistryCreationTest : public RegistryTestBase {};

TEST_F(RegistryCreationTest, CreatePrincipalNeverReplacesAStoredOne) {
  ASSERT_THAT(store_->Commit(Create(Person("principals/zed", "Stored"))), IsOk());
  v1::CreatePrincipalRequest request;
  request.set_principal_id("zed");
  request.mutable_principal()->set_display_name("Replacement");
  request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  EXPECT_THAT(registry_->CreatePrincipal(Admin(), request),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  for (const auto& principal : all->current.principals) {
    if (principal.name() == "principals/zed") {
      EXPECT_EQ(principal.display_name(), "Stored");
    }
  }
}

TEST_F(RegistryCreationTest, CreateRoleNeverReplacesAStoredOne) {
  ChangeSet behind;
  v1::Role stored;
  stored.set_name("roles/zz");
  stored.set_title("Stored");
  behind.roles.push_back(stored);
  ASSERT_THAT(store_->Commit(behind), IsOk());
  v1::CreateRoleRequest request;
  request.set_role_id("zz");
  request.mutable_role()->set_title("Replacement");
  request.mutable_role()->set_scope_kind(v1::SCOPE_KIND_ORGANISATION);
  request.mutable_role()->set_holder_kind(v1::HOLDER_KIND_PERSON);
  auto created = registry_->CreateRole(Admin(), request);
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace isms::role
