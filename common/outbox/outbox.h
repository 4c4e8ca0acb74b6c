#ifndef ISMS_COMMON_OUTBOX_OUTBOX_H_
#define ISMS_COMMON_OUTBOX_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/storage/sqlite_database.h"
#include "isms/audit/v1/audit_event.pb.h"

namespace isms {

// The transactional outbox: audit events are written to the service's own
// database in the same transaction as the change they describe, so a change
// and its event are kept or lost together. Delivery to the audit service
// reads them in sequence order (a later issue).

// Schema migration that creates the outbox table; services include it in
// their migration list.
extern const char kOutboxMigration[];
// The next migration: adds a record checksum (record_checksum.h; key: the
// sequence number) to every event, computing it for events already stored.
// Services list it after kOutboxMigration.
extern const char kOutboxChecksumMigration[];

// Appends `event`. REQUIRES: called inside a transaction of `db`.
absl::Status AppendToOutbox(SqliteDatabase& db, const isms::audit::v1::AuditEvent& event);

struct OutboxEntry {
  int64_t sequence;
  isms::audit::v1::AuditEvent event;
};

// Up to `limit` events with sequence numbers above `after`, in order.
// DataLoss naming the sequence number if an event fails its checksum or
// cannot be parsed.
absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(SqliteDatabase& db, int64_t after, int limit);

// Deletes every event with a sequence number at or below `sequence`: those
// the audit service has acknowledged. Deleting nothing is OK.
absl::Status DeleteFromOutboxThrough(SqliteDatabase& db, int64_t sequence);

// What waits in the outbox.
struct OutboxBacklog {
  int64_t waiting = 0;
  // The occur_time of the oldest waiting event (lowest sequence number);
  // unset when nothing waits or that event carries no occur_time.
  std::optional<absl::Time> oldest_occur_time;
};

// Counts the waiting events and reads the oldest, checking it as ReadOutbox
// does (DataLoss naming its sequence number).
absl::StatusOr<OutboxBacklog> ReadOutboxBacklog(SqliteDatabase& db);

// Reads every event, checking each as ReadOutbox does: OK, or the first
// DataLoss. Services call it at start.
absl::Status VerifyOutbox(SqliteDatabase& db);

}  // namespace isms

#endif  // ISMS_COMMON_OUTBOX_OUTBOX_H_
