#include "common/outbox/outbox.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/storage/record_checksum.h"
#include "common/time/proto_time.h"

namespace isms {

const char kOutboxMigration[] =
    "CREATE TABLE outbox ("
    "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  event BLOB NOT NULL)";

// Rows stored before this migration get their checksums here, in the same
// transaction as the new column.
const char kOutboxChecksumMigration[] =
    "ALTER TABLE outbox ADD COLUMN checksum BLOB;"
    "UPDATE outbox SET checksum = isms_record_checksum('outbox', sequence, event);";

namespace {

constexpr char kTable[] = "outbox";
constexpr int kVerifyBatch = 1000;

}  // namespace

absl::Status AppendToOutbox(SqliteDatabase& db, const isms::audit::v1::AuditEvent& event) {
  // The checksum covers the sequence number, known only once inserted.
  ISMS_ASSIGN_OR_RETURN(SqliteStatement insert,
                        db.Prepare("INSERT INTO outbox (event) VALUES (?)"));
  ISMS_RETURN_IF_ERROR(insert.BindBlob(1, event.SerializeAsString()).Run());
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement seal,
      db.Prepare("UPDATE outbox SET checksum = isms_record_checksum('outbox', sequence, event) "
                 "WHERE sequence = last_insert_rowid()"));
  return seal.Run();
}

absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(SqliteDatabase& db, int64_t after, int limit) {
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db.Prepare("SELECT sequence, event, checksum FROM outbox WHERE sequence > ? "
                 "ORDER BY sequence LIMIT ?"));
  select.Bind(1, after).Bind(2, static_cast<int64_t>(limit));
  std::vector<OutboxEntry> entries;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    OutboxEntry entry;
    entry.sequence = select.ColumnInt64(0);
    const std::string bytes = select.ColumnText(1);
    ISMS_RETURN_IF_ERROR(
        VerifyRecordChecksum(kTable, absl::StrCat(entry.sequence), bytes, select.ColumnText(2)));
    if (!entry.event.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("outbox record ", entry.sequence, " is unreadable"));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::Status DeleteFromOutboxThrough(SqliteDatabase& db, int64_t sequence) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement remove,
                        db.Prepare("DELETE FROM outbox WHERE sequence <= ?"));
  return remove.Bind(1, sequence).Run();
}

absl::StatusOr<OutboxBacklog> ReadOutboxBacklog(SqliteDatabase& db) {
  OutboxBacklog backlog;
  ISMS_ASSIGN_OR_RETURN(SqliteStatement count, db.Prepare("SELECT COUNT(*) FROM outbox"));
  ISMS_ASSIGN_OR_RETURN(bool counted, count.Step());
  if (counted) backlog.waiting = count.ColumnInt64(0);
  if (backlog.waiting == 0) return backlog;
  ISMS_ASSIGN_OR_RETURN(std::vector<OutboxEntry> oldest, ReadOutbox(db, 0, 1));
  if (!oldest.empty() && oldest.front().event.has_occur_time()) {
    backlog.oldest_occur_time = FromProto(oldest.front().event.occur_time());
  }
  return backlog;
}

absl::Status VerifyOutbox(SqliteDatabase& db) {
  int64_t after = 0;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(std::vector<OutboxEntry> batch, ReadOutbox(db, after, kVerifyBatch));
    if (batch.empty()) return absl::OkStatus();
    after = batch.back().sequence;
  }
}

}  // namespace isms
