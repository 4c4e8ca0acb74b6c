#include "services/role/sqlite_role_store.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/storage/record_checksum.h"

namespace isms::role {
namespace {

// Version i+1 of the schema is migrations[i]. Append only; never edit one
// that has shipped.
const std::vector<std::string>& Migrations() {
  static const auto* migrations = new std::vector<std::string>{
      "CREATE TABLE roles (name TEXT PRIMARY KEY, resource BLOB NOT NULL);"
      "CREATE TABLE principals (name TEXT PRIMARY KEY, resource BLOB NOT NULL);"
      "CREATE TABLE assignments (name TEXT PRIMARY KEY, resource BLOB NOT NULL);"
      "CREATE TABLE delegations (name TEXT PRIMARY KEY, resource BLOB NOT NULL);",
      kOutboxMigration,
      // Record checksums; rows stored before get theirs computed here.
      "ALTER TABLE roles ADD COLUMN checksum BLOB;"
      "UPDATE roles SET checksum = isms_record_checksum('roles', name, resource);"
      "ALTER TABLE principals ADD COLUMN checksum BLOB;"
      "UPDATE principals SET checksum = isms_record_checksum('principals', name, resource);"
      "ALTER TABLE assignments ADD COLUMN checksum BLOB;"
      "UPDATE assignments SET checksum = isms_record_checksum('assignments', name, resource);"
      "ALTER TABLE delegations ADD COLUMN checksum BLOB;"
      "UPDATE delegations SET checksum = isms_record_checksum('delegations', name, resource);",
      kOutboxChecksumMigration,
  };
  return *migrations;
}

template <typename Message>
absl::Status LoadTable(SqliteDatabase& db, absl::string_view table, std::vector<Message>* out) {
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db.Prepare(absl::StrCat("SELECT name, resource, checksum FROM ", table, " ORDER BY name")));
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return absl::OkStatus();
    const std::string name = select.ColumnText(0);
    const std::string bytes = select.ColumnText(1);
    ISMS_RETURN_IF_ERROR(VerifyRecordChecksum(table, name, bytes, select.ColumnText(2)));
    Message message;
    if (!message.ParseFromString(bytes) || message.name() != name) {
      return absl::DataLossError(absl::StrCat(table, " record ", name, " is unreadable"));
    }
    out->push_back(std::move(message));
  }
}

// Inserts the messages named in `created` (AlreadyExists if one is already
// stored) and replaces the others.
template <typename Message>
absl::Status WriteAll(SqliteDatabase& db, absl::string_view table,
                      const std::vector<Message>& messages, const std::set<std::string>& created) {
  if (messages.empty()) return absl::OkStatus();
  const std::string columns = absl::StrCat(table, " (name, resource, checksum) VALUES (?, ?, ?)");
  ISMS_ASSIGN_OR_RETURN(SqliteStatement insert, db.Prepare(absl::StrCat("INSERT INTO ", columns)));
  ISMS_ASSIGN_OR_RETURN(SqliteStatement replace,
                        db.Prepare(absl::StrCat("INSERT OR REPLACE INTO ", columns)));
  for (const Message& message : messages) {
    const bool is_new = created.count(message.name()) > 0;
    SqliteStatement& write = is_new ? insert : replace;
    const std::string bytes = message.SerializeAsString();
    absl::Status written = write.Bind(1, message.name())
                               .BindBlob(2, bytes)
                               .BindBlob(3, RecordChecksum(table, message.name(), bytes))
                               .Run();
    if (is_new && written.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(
          absl::StrCat(message.name(), " already exists in storage; not replaced"));
    }
    ISMS_RETURN_IF_ERROR(written);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRoleStore>> SqliteRoleStore::Open(const std::string& path,
                                                                       Options options) {
  ISMS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, options.init));
  return Open(std::move(db), options);
}

absl::StatusOr<std::unique_ptr<SqliteRoleStore>> SqliteRoleStore::Open(
    std::unique_ptr<SqliteDatabase> db, Options options) {
  ISMS_RETURN_IF_ERROR(db->Migrate(Migrations()));
  // Resources are checked as LoadAll reads them; the outbox is not loaded,
  // so it is checked here.
  ISMS_RETURN_IF_ERROR(VerifyOutbox(*db));
  return std::unique_ptr<SqliteRoleStore>(new SqliteRoleStore(std::move(db), options.health));
}

absl::StatusOr<ChangeSet> SqliteRoleStore::LoadAll() {
  absl::MutexLock lock(&mu_);
  ChangeSet all;
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "roles", &all.roles));
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "principals", &all.principals));
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "assignments", &all.assignments));
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "delegations", &all.delegations));
  return all;
}

absl::Status SqliteRoleStore::Commit(const ChangeSet& changes) {
  absl::MutexLock lock(&mu_);
  SqliteDatabase& db = *db_;  // The transaction body runs under this lock.
  absl::Status committed = db.InTransaction([&]() -> absl::Status {
    ISMS_RETURN_IF_ERROR(WriteAll(db, "roles", changes.roles, changes.created));
    ISMS_RETURN_IF_ERROR(WriteAll(db, "principals", changes.principals, changes.created));
    ISMS_RETURN_IF_ERROR(WriteAll(db, "assignments", changes.assignments, changes.created));
    ISMS_RETURN_IF_ERROR(WriteAll(db, "delegations", changes.delegations, changes.created));
    if (!changes.deleted_roles.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement remove, db.Prepare("DELETE FROM roles WHERE name = ?"));
      for (const std::string& name : changes.deleted_roles) {
        ISMS_RETURN_IF_ERROR(remove.Bind(1, name).Run());
      }
    }
    for (const auto& event : changes.events) {
      ISMS_RETURN_IF_ERROR(AppendToOutbox(db, event));
    }
    return absl::OkStatus();
  });
  if (health_ != nullptr) health_->Record(committed);
  return committed;
}

absl::StatusOr<std::vector<OutboxEntry>> SqliteRoleStore::ReadOutbox(int64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  return isms::ReadOutbox(*db_, after, limit);
}

}  // namespace isms::role
