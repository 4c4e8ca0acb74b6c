#include "services/role/sqlite_role_store.h"

#include <map>
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
      // Bitemporal history: every version of every record with the time it
      // was recorded; absences; registry settings (bootstrap windows). Each
      // row carries its checksum. Records written before history was kept
      // count as recorded at the epoch.
      "CREATE TABLE absences (name TEXT PRIMARY KEY, resource BLOB NOT NULL, checksum BLOB);"
      "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, checksum BLOB);"
      "CREATE TABLE history (sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  collection TEXT NOT NULL, name TEXT NOT NULL, record_time INTEGER NOT NULL,"
      "  deleted INTEGER NOT NULL, resource BLOB, checksum BLOB);"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'roles', name, 0, 0, resource FROM roles;"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'principals', name, 0, 0, resource FROM principals;"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'assignments', name, 0, 0, resource FROM assignments;"
      "INSERT INTO history (collection, name, record_time, deleted, resource)"
      "  SELECT 'delegations', name, 0, 0, resource FROM delegations;"
      "UPDATE history SET checksum = isms_record_checksum('history', "
      "  collection || '|' || name || '|' || record_time || '|' || deleted, resource);",
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

// The checksum key of a history row: everything about the row but its bytes.
std::string HistoryKey(absl::string_view collection, absl::string_view name, int64_t micros,
                       bool deleted) {
  return absl::StrCat(collection, "|", name, "|", micros, "|", deleted ? 1 : 0);
}

absl::Status AppendHistory(SqliteDatabase& db, absl::string_view collection, absl::string_view name,
                           absl::Time record_time, bool deleted, absl::string_view resource) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement insert,
                        db.Prepare("INSERT INTO history (collection, name, record_time, deleted, "
                                   "resource, checksum) VALUES (?, ?, ?, ?, ?, ?)"));
  const int64_t micros = absl::ToUnixMicros(record_time);
  return insert.Bind(1, collection)
      .Bind(2, name)
      .Bind(3, micros)
      .Bind(4, static_cast<int64_t>(deleted ? 1 : 0))
      .BindBlob(5, resource)
      .BindBlob(6,
                RecordChecksum("history", HistoryKey(collection, name, micros, deleted), resource))
      .Run();
}

// WriteAll, and one history row per message at `record_time`.
template <typename Message>
absl::Status WriteWithHistory(SqliteDatabase& db, absl::string_view table,
                              const std::vector<Message>& messages,
                              const std::set<std::string>& created, absl::Time record_time) {
  ISMS_RETURN_IF_ERROR(WriteAll(db, table, messages, created));
  for (const Message& message : messages) {
    ISMS_RETURN_IF_ERROR(
        AppendHistory(db, table, message.name(), record_time, false, message.SerializeAsString()));
  }
  return absl::OkStatus();
}

absl::Status LoadHistory(SqliteDatabase& db, std::vector<HistoryRow>* out) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db.Prepare("SELECT collection, name, record_time, deleted, resource, "
                                   "checksum, sequence FROM history ORDER BY sequence"));
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return absl::OkStatus();
    HistoryRow row;
    row.collection = select.ColumnText(0);
    row.name = select.ColumnText(1);
    const int64_t micros = select.ColumnInt64(2);
    row.record_time = absl::FromUnixMicros(micros);
    row.deleted = select.ColumnInt64(3) != 0;
    row.resource = select.ColumnText(4);
    absl::Status verified =
        VerifyRecordChecksum("history", HistoryKey(row.collection, row.name, micros, row.deleted),
                             row.resource, select.ColumnText(5));
    if (!verified.ok()) {
      return absl::DataLossError(absl::StrCat("history record ", select.ColumnInt64(6), " (",
                                              row.collection, " ", row.name,
                                              ") does not match its checksum"));
    }
    out->push_back(std::move(row));
  }
}

absl::Status LoadSettings(SqliteDatabase& db, std::map<std::string, std::string>* out) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db.Prepare("SELECT key, value, checksum FROM settings"));
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return absl::OkStatus();
    const std::string key = select.ColumnText(0);
    const std::string value = select.ColumnText(1);
    ISMS_RETURN_IF_ERROR(VerifyRecordChecksum("settings", key, value, select.ColumnText(2)));
    (*out)[key] = value;
  }
}

absl::Status WriteChangeSet(SqliteDatabase& db, const ChangeSet& changes) {
  const absl::Time at = changes.record_time;
  const std::set<std::string>& created = changes.created;
  ISMS_RETURN_IF_ERROR(WriteWithHistory(db, "roles", changes.roles, created, at));
  ISMS_RETURN_IF_ERROR(WriteWithHistory(db, "principals", changes.principals, created, at));
  ISMS_RETURN_IF_ERROR(WriteWithHistory(db, "assignments", changes.assignments, created, at));
  ISMS_RETURN_IF_ERROR(WriteWithHistory(db, "delegations", changes.delegations, created, at));
  ISMS_RETURN_IF_ERROR(WriteWithHistory(db, "absences", changes.absences, created, at));
  if (!changes.deleted_roles.empty()) {
    ISMS_ASSIGN_OR_RETURN(SqliteStatement remove, db.Prepare("DELETE FROM roles WHERE name = ?"));
    for (const std::string& name : changes.deleted_roles) {
      ISMS_RETURN_IF_ERROR(remove.Bind(1, name).Run());
      ISMS_RETURN_IF_ERROR(AppendHistory(db, "roles", name, at, true, ""));
    }
  }
  if (!changes.settings.empty()) {
    ISMS_ASSIGN_OR_RETURN(
        SqliteStatement put,
        db.Prepare("INSERT OR REPLACE INTO settings (key, value, checksum) VALUES (?, ?, ?)"));
    for (const auto& [key, value] : changes.settings) {
      ISMS_RETURN_IF_ERROR(put.Bind(1, key)
                               .Bind(2, value)
                               .BindBlob(3, RecordChecksum("settings", key, value))
                               .Run());
    }
  }
  for (const auto& event : changes.events) {
    ISMS_RETURN_IF_ERROR(AppendToOutbox(db, event));
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
  // "ismr": this file is the role service's.
  ISMS_RETURN_IF_ERROR(db->Claim(0x69736d72, "the role service"));
  ISMS_RETURN_IF_ERROR(db->Migrate(Migrations()));
  // Resources are checked as LoadAll reads them; the outbox is not loaded,
  // so it is checked here.
  ISMS_RETURN_IF_ERROR(VerifyOutbox(*db));
  return std::unique_ptr<SqliteRoleStore>(new SqliteRoleStore(std::move(db), options.health));
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

absl::Status SqliteRoleStore::CommitBatch(absl::Span<const ChangeSet* const> batch) {
  absl::MutexLock lock(&mu_);
  SqliteDatabase& db = *db_;  // The transaction body runs under this lock.
  absl::Status committed = db.InTransaction([&]() -> absl::Status {
    for (const ChangeSet* changes : batch) ISMS_RETURN_IF_ERROR(WriteChangeSet(db, *changes));
    return absl::OkStatus();
  });
  if (health_ != nullptr) health_->Record(committed);
  return committed;
}

absl::StatusOr<std::vector<OutboxEntry>> SqliteRoleStore::ReadOutbox(int64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  return isms::ReadOutbox(*db_, after, limit);
}

absl::Status SqliteRoleStore::Acknowledge(int64_t through_sequence) {
  absl::MutexLock lock(&mu_);
  return DeleteFromOutboxThrough(*db_, through_sequence);
}

absl::StatusOr<OutboxBacklog> SqliteRoleStore::Backlog() {
  absl::MutexLock lock(&mu_);
  return ReadOutboxBacklog(*db_);
}

}  // namespace isms::role
