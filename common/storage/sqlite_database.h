#ifndef ISMS_COMMON_STORAGE_SQLITE_DATABASE_H_
#define ISMS_COMMON_STORAGE_SQLITE_DATABASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace isms {

// One prepared statement. Move-only; finalized on destruction.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are numbered from 1. Bound data is copied.
  SqliteStatement& Bind(int index, absl::string_view text);
  SqliteStatement& BindBlob(int index, absl::string_view bytes);
  SqliteStatement& Bind(int index, int64_t value);

  // Advances: true with a row to read, false when done; on error the status
  // SqliteStatus (sqlite_status.h) gives, e.g. Unavailable "storage full: ...".
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows, then resets it as Reset does.
  absl::Status Run();
  // Ends the current run (releasing the read it holds) so the statement can
  // run again; bindings are kept until rebound, a failed Bind is forgotten.
  // For statements kept and reused.
  void Reset();

  // Columns are numbered from 0. Valid until the next Step.
  std::string ColumnText(int index) const;
  int64_t ColumnInt64(int index) const;

 private:
  friend class SqliteDatabase;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
};

// What Open does with a database that does not exist yet or has no schema
// (a missing or zero-length file, or one Migrate never ran on).
enum class SqliteInit {
  // Create it; Migrate builds the schema from scratch. For tests and for a
  // service started with --init.
  kCreateIfEmpty,
  // Refuse: Open returns FailedPrecondition for a missing file (creating
  // nothing) and Migrate for a schema-less one. A service's normal start, so
  // a lost or truncated database never comes back empty.
  kRequireInitialised,
};

// An SQLite database opened for durable service storage: WAL journal,
// synchronous=FULL (a committed transaction survives kill -9 and power loss),
// a busy timeout, and foreign keys on.
//
// Not thread-safe: one owner uses it at a time.
class SqliteDatabase {
 public:
  // Opens the database file at `path` (":memory:" for tests); see SqliteInit
  // for a missing one. Registers the record checksum SQL function
  // (record_checksum.h). Errors as SqliteStatus (sqlite_status.h).
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(
      const std::string& path, SqliteInit init = SqliteInit::kCreateIfEmpty);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  absl::Status Exec(absl::string_view sql);
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);

  // Marks the database as `owner`'s (SQLite's application_id in the file's
  // header), or checks that it is: FailedPrecondition naming both when it
  // belongs to another program, so a service started on another service's
  // database (a wrong backup restored) refuses it before migrating it. A
  // database without a mark (new, or older than the mark) takes this one.
  // Call before Migrate.
  absl::Status Claim(uint32_t application_id, absl::string_view owner);

  // Brings the schema to version migrations.size(): applies migrations[i]
  // (version i+1) for every version above the recorded one, each in its own
  // transaction together with the version bump. FailedPrecondition if the
  // database is newer than this binary knows, or has no schema yet and was
  // opened with kRequireInitialised.
  absl::Status Migrate(const std::vector<std::string>& migrations);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back and returns
  // body's error if it fails.
  absl::Status InTransaction(const std::function<absl::Status()>& body);

 private:
  SqliteDatabase(sqlite3* db, std::string path, SqliteInit init)
      : db_(db), path_(std::move(path)), init_(init) {}
  absl::Status Error(absl::string_view what) const;

  sqlite3* db_;
  const std::string path_;
  const SqliteInit init_;
};

}  // namespace isms

#endif  // ISMS_COMMON_STORAGE_SQLITE_DATABASE_H_
