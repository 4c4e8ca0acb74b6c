#include "common/storage/sqlite_database.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/storage/record_checksum.h"
#include "common/storage/sqlite_status.h"

namespace isms {
namespace {

absl::string_view ValueBytes(sqlite3_value* value) {
  const void* data = sqlite3_value_blob(value);
  int size = sqlite3_value_bytes(value);
  return data == nullptr ? absl::string_view()
                         : absl::string_view(static_cast<const char*>(data), size);
}

std::string ValueText(sqlite3_value* value) {
  const unsigned char* text = sqlite3_value_text(value);
  return text == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(text), sqlite3_value_bytes(value));
}

// isms_record_checksum(table, key, bytes): see record_checksum.h.
void RecordChecksumFunction(sqlite3_context* context, int argc, sqlite3_value** argv) {
  std::string table = ValueText(argv[0]);
  std::string key = ValueText(argv[1]);  // An integer key becomes its decimal text.
  std::string checksum = RecordChecksum(table, key, ValueBytes(argv[2]));
  sqlite3_result_blob(context, checksum.data(), static_cast<int>(checksum.size()),
                      SQLITE_TRANSIENT);
}

}  // namespace

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::Bind(int index, absl::string_view text) {
  int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, absl::string_view bytes) {
  int rc = sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return SqliteStatus(bind_error_, "bind", sqlite3_errstr(bind_error_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(sqlite3_extended_errcode(db_), "step", sqlite3_errmsg(db_));
}

absl::Status SqliteStatement::Run() {
  absl::StatusOr<bool> stepped = Step();
  Reset();
  return stepped.status();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  bind_error_ = SQLITE_OK;  // Reported by the Step it failed; the next run binds afresh.
}

std::string SqliteStatement::ColumnText(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
}

int64_t SqliteStatement::ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::string& path,
                                                                     SqliteInit init) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  // A link at the database's name would have it read, migrated and written
  // wherever the link points (another service's database, a file outside
  // the data directory): refused, never followed.
  if (struct stat link; lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " is a symbolic link; refusing to follow it"));
  }
  if (init == SqliteInit::kCreateIfEmpty) {
    flags |= SQLITE_OPEN_CREATE;
  } else {
    struct stat info;
    if (stat(path.c_str(), &info) != 0 && errno == ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", path, " does not exist; refusing to start fresh without --init"));
    }
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
    sqlite3_close(db);
    return SqliteStatus(code, absl::StrCat("open database ", path), message);
  }
  std::unique_ptr<SqliteDatabase> database(new SqliteDatabase(db, path, init));
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_create_function(db, kRecordChecksumSqlFunction, 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                              nullptr, &RecordChecksumFunction, nullptr, nullptr) != SQLITE_OK) {
    return database->Error("register checksum function");
  }
  ISMS_RETURN_IF_ERROR(database->Exec("PRAGMA journal_mode=WAL"));
  ISMS_RETURN_IF_ERROR(database->Exec("PRAGMA synchronous=FULL"));
  ISMS_RETURN_IF_ERROR(database->Exec("PRAGMA foreign_keys=ON"));
  return database;
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close(db_); }

absl::Status SqliteDatabase::Error(absl::string_view what) const {
  return SqliteStatus(sqlite3_extended_errcode(db_), what, sqlite3_errmsg(db_));
}

absl::Status SqliteDatabase::Exec(absl::string_view sql) {
  std::string owned(sql);
  if (sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(absl::StrCat("exec '", sql.substr(0, 60), "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SqliteStatement> SqliteDatabase::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Error(absl::StrCat("prepare '", sql.substr(0, 60), "'"));
  }
  return SqliteStatement(db_, stmt);
}

absl::Status SqliteDatabase::InTransaction(const std::function<absl::Status()>& body) {
  ISMS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    Exec("ROLLBACK").IgnoreError();  // Nothing more to do if rollback fails.
  }
  return status;
}

absl::Status SqliteDatabase::Claim(uint32_t application_id, absl::string_view owner) {
  if (init_ == SqliteInit::kRequireInitialised) {
    // An empty database is Migrate's to refuse; marking it would write it.
    ISMS_ASSIGN_OR_RETURN(SqliteStatement probe,
                          Prepare("SELECT COUNT(*) FROM sqlite_master "
                                  "WHERE type = 'table' AND name = 'schema_version'"));
    ISMS_ASSIGN_OR_RETURN(bool has_row, probe.Step());
    if (!has_row || probe.ColumnInt64(0) == 0) return absl::OkStatus();
  }
  ISMS_ASSIGN_OR_RETURN(SqliteStatement read, Prepare("PRAGMA application_id"));
  ISMS_ASSIGN_OR_RETURN(bool has_row, read.Step());
  const uint32_t stored = has_row ? static_cast<uint32_t>(read.ColumnInt64(0)) : 0;
  read.Reset();
  if (stored == application_id) return absl::OkStatus();
  if (stored != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", path_, " belongs to another program (application_id ", stored, ", ", owner,
        "'s is ", application_id, "): a wrong file or backup in its place; refusing to touch it"));
  }
  // New, or written before databases were claimed.
  return Exec(absl::StrCat("PRAGMA application_id=", static_cast<int32_t>(application_id)));
}

absl::Status SqliteDatabase::Migrate(const std::vector<std::string>& migrations) {
  if (init_ == SqliteInit::kRequireInitialised) {
    ISMS_ASSIGN_OR_RETURN(SqliteStatement probe,
                          Prepare("SELECT COUNT(*) FROM sqlite_master "
                                  "WHERE type = 'table' AND name = 'schema_version'"));
    ISMS_ASSIGN_OR_RETURN(bool has_row, probe.Step());
    if (!has_row || probe.ColumnInt64(0) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", path_, " is empty (no schema); refusing to start fresh without --init"));
    }
  }
  ISMS_RETURN_IF_ERROR(
      Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  ISMS_ASSIGN_OR_RETURN(SqliteStatement read,
                        Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  ISMS_ASSIGN_OR_RETURN(bool has_row, read.Step());
  const int64_t current = has_row ? read.ColumnInt64(0) : 0;
  // An unfinished read of the schema would make a migration that drops a
  // table fail with "database table is locked".
  read.Reset();
  if (current > static_cast<int64_t>(migrations.size())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema version ", current, " is newer than this binary's ", migrations.size()));
  }
  for (size_t version = current + 1; version <= migrations.size(); ++version) {
    ISMS_RETURN_IF_ERROR(InTransaction([&]() -> absl::Status {
      ISMS_RETURN_IF_ERROR(Exec(migrations[version - 1]));
      ISMS_ASSIGN_OR_RETURN(SqliteStatement bump,
                            Prepare("INSERT INTO schema_version (version) VALUES (?)"));
      return bump.Bind(1, static_cast<int64_t>(version)).Run();
    }));
  }
  return absl::OkStatus();
}

}  // namespace isms
