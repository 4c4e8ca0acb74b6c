#include "common/outbox/outbox.h"

#include <string>

#include "common/status/status_macros.h"

namespace isms {

const char kOutboxMigration[] =
    "CREATE TABLE outbox ("
    "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  event BLOB NOT NULL)";

absl::Status AppendToOutbox(SqliteDatabase& db, const isms::audit::v1::AuditEvent& event) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement insert,
                        db.Prepare("INSERT INTO outbox (event) VALUES (?)"));
  return insert.BindBlob(1, event.SerializeAsString()).Run();
}

absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(SqliteDatabase& db, int64_t after, int limit) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db.Prepare("SELECT sequence, event FROM outbox WHERE sequence > ? "
                                   "ORDER BY sequence LIMIT ?"));
  select.Bind(1, after).Bind(2, static_cast<int64_t>(limit));
  std::vector<OutboxEntry> entries;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    OutboxEntry entry;
    entry.sequence = select.ColumnInt64(0);
    if (!entry.event.ParseFromString(select.ColumnText(1))) {
      return absl::DataLossError("outbox: unreadable event");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace isms
