#include "services/role/sqlite_role_store.h"

#include <map>
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
      // Bitemporal history: every version of every record with the time it
      // was recorded; absences; registry settings (bootstrap windows).
      // Records written before history was kept count as recorded at the epoch.
      "CREATE TABLE absences (name TEXT PRIMARY KEY, resource BLOB NOT NULL);"
      "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE history (sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  collection TEXT NOT NULL, name TEXT NOT NULL, record_time INTEGER NOT NULL,"
      "  deleted INTEGER NOT NULL, resource BLOB);"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'roles', name, 0, 0, resource FROM roles;"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'principals', name, 0, 0, resource FROM principals;"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'assignments', name, 0, 0, resource FROM assignments;"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'delegations', name, 0, 0, resource FROM delegations;",
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

absl::Status AppendHistory(SqliteDatabase& db, absl::string_view collection,
                           absl::string_view name, absl::Time record_time, bool deleted,
                           absl::string_view resource) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement insert,
                        db.Prepare("INSERT INTO history (collection, name, record_time, deleted, "
                                   "resource) VALUES (?, ?, ?, ?, ?)"));
  return insert.Bind(1, collection)
      .Bind(2, name)
      .Bind(3, absl::ToUnixMicros(record_time))
      .Bind(4, static_cast<int64_t>(deleted ? 1 : 0))
      .BindBlob(5, resource)
      .Run();
}

template <typename Message>
absl::Status UpsertAll(SqliteDatabase& db, absl::string_view table,
                       const std::vector<Message>& messages, absl::Time record_time) {
  if (messages.empty()) return absl::OkStatus();
  ISMS_ASSIGN_OR_RETURN(SqliteStatement upsert,
                        db.Prepare(absl::StrCat("INSERT OR REPLACE INTO ", table,
                                                " (name, resource) VALUES (?, ?)")));
  for (const Message& message : messages) {
    const std::string bytes = message.SerializeAsString();
    ISMS_RETURN_IF_ERROR(upsert.Bind(1, message.name()).BindBlob(2, bytes).Run());
    ISMS_RETURN_IF_ERROR(AppendHistory(db, table, message.name(), record_time, false, bytes));
  }
  return absl::OkStatus();
}

absl::Status LoadHistory(SqliteDatabase& db, std::vector<HistoryRow>* out) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db.Prepare("SELECT collection, name, record_time, deleted, resource "
                                   "FROM history ORDER BY sequence"));
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return absl::OkStatus();
    HistoryRow row;
    row.collection = select.ColumnText(0);
    row.name = select.ColumnText(1);
    row.record_time = absl::FromUnixMicros(select.ColumnInt64(2));
    row.deleted = select.ColumnInt64(3) != 0;
    row.resource = select.ColumnText(4);
    out->push_back(std::move(row));
  }
}

absl::Status LoadSettings(SqliteDatabase& db, std::map<std::string, std::string>* out) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select, db.Prepare("SELECT key, value FROM settings"));
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return absl::OkStatus();
    (*out)[select.ColumnText(0)] = select.ColumnText(1);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRoleStore>> SqliteRoleStore::Open(const std::string& path) {
  ISMS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path));
  ISMS_RETURN_IF_ERROR(db->Migrate(Migrations()));
  return std::unique_ptr<SqliteRoleStore>(new SqliteRoleStore(std::move(db)));
}

absl::StatusOr<StoredState> SqliteRoleStore::LoadAll() {
  absl::MutexLock lock(&mu_);
  StoredState state;
  ChangeSet& all = state.current;
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "roles", &all.roles));
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "principals", &all.principals));
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "assignments", &all.assignments));
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "delegations", &all.delegations));
  ISMS_RETURN_IF_ERROR(LoadTable(*db_, "absences", &all.absences));
  ISMS_RETURN_IF_ERROR(LoadSettings(*db_, &all.settings));
  ISMS_RETURN_IF_ERROR(LoadHistory(*db_, &state.history));
  return state;
}

absl::Status SqliteRoleStore::Commit(const ChangeSet& changes) {
  absl::MutexLock lock(&mu_);
  SqliteDatabase& db = *db_;  // The transaction body runs under this lock.
  return db.InTransaction([&]() -> absl::Status {
    const absl::Time at = changes.record_time;
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "roles", changes.roles, at));
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "principals", changes.principals, at));
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "assignments", changes.assignments, at));
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "delegations", changes.delegations, at));
    ISMS_RETURN_IF_ERROR(UpsertAll(db, "absences", changes.absences, at));
    if (!changes.deleted_roles.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement remove, db.Prepare("DELETE FROM roles WHERE name = ?"));
      for (const std::string& name : changes.deleted_roles) {
        ISMS_RETURN_IF_ERROR(remove.Bind(1, name).Run());
        ISMS_RETURN_IF_ERROR(AppendHistory(db, "roles", name, at, true, ""));
      }
    }
    if (!changes.settings.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement put,
                            db.Prepare("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)"));
      for (const auto& [key, value] : changes.settings) {
        ISMS_RETURN_IF_ERROR(put.Bind(1, key).Bind(2, value).Run());
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
