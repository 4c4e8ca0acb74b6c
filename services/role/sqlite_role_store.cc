#include "services/role/sqlite_role_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

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
  };
  return *migrations;
}

template <typename Message>
absl::Status LoadTable(SqliteDatabase& db, absl::string_view table, std::vector<Message>* out) {
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db.Prepare(absl::StrCat("SELECT name, resource FROM ", table, " ORDER BY name")));
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return absl::OkStatus();
    Message message;
    if (!message.ParseFromString(select.ColumnText(1))) {
      return absl::DataLossError(
          absl::StrCat(table, " row ", select.ColumnText(0), " is unreadable"));
    }
    out->push_back(std::move(message));
  }
}

template <typename Message>
absl::Status UpsertAll(SqliteDatabase& db, absl::string_view table,
                       const std::vector<Message>& messages) {
  if (messages.empty()) return absl::OkStatus();
  ISMS_ASSIGN_OR_RETURN(SqliteStatement upsert,
                        db.Prepare(absl::StrCat("INSERT OR REPLACE INTO ", table,
                                                " (name, resource) VALUES (?, ?)")));
  for (const Message& message : messages) {
    ISMS_RETURN_IF_ERROR(
        upsert.Bind(1, message.name()).BindBlob(2, message.SerializeAsString()).Run());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRoleStore>> SqliteRoleStore::Open(const std::string& path) {
  ISMS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path));
  ISMS_RETURN_IF_ERROR(db->Migrate(Migrations()));
  return std::unique_ptr<SqliteRoleStore>(new SqliteRoleStore(std::move(db)));
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
  return db.InTransaction([&]() -> absl::Status {
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "roles", changes.roles));
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "principals", changes.principals));
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "assignments", changes.assignments));
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "delegations", changes.delegations));
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
}

absl::StatusOr<std::vector<OutboxEntry>> SqliteRoleStore::ReadOutbox(int64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  return isms::ReadOutbox(*db_, after, limit);
}

}  // namespace isms::role
