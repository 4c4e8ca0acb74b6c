#ifndef ISMS_SERVICES_AUDIT_AUDIT_STORE_H_
#define ISMS_SERVICES_AUDIT_AUDIT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/storage/sqlite_database.h"
#include "common/storage/storage_health.h"
#include "isms/audit/v1/audit_service.pb.h"
#include "services/audit/tree_head.h"

namespace isms::audit {

// One event as the log stores it: the leaf bytes (the canonical encoding of
// its LoggedEvent, see leaf_encoding.h), the leaf hash computed when it was
// appended, and the columns queries filter on.
struct StoredEvent {
  uint64_t index = 0;
  std::string submitter;
  std::string event_id;
  // SHA-256 of the AuditEvent's canonical encoding: a resent event_id is the
  // same event only if this matches.
  std::string content_digest;
  std::string leaf;
  std::string leaf_hash;
  absl::Time integrated_time;
  std::string actor;
  std::string principal;
  std::string resource;
  std::string method;
  int outcome = 0;
};

struct EventFilter {
  std::string actor;
  std::string principal;
  std::string resource;
  bool include_sub_resources = false;
  std::string method;
  int outcome = 0;  // 0: any.
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  bool newest_first = false;
  // Continue after this index (exclusive), in the query's direction.
  std::optional<uint64_t> after_index;
};

// The audit log's durable storage on SQLite: the events, one row each keyed
// by log index, and every signed tree head the log has issued. The leaf hash
// stored beside each event is what the in-memory tree is rebuilt from at
// start; the leaf bytes are rehashed by verification to find an event
// changed behind the service's back.
//
// Not thread-safe: AuditLog serializes every use.
class SqliteAuditStore {
 public:
  // `health`, if given, is told the outcome of every append; it must
  // outlive the store.
  static absl::StatusOr<std::unique_ptr<SqliteAuditStore>> Open(const std::string& path,
                                                                SqliteInit init,
                                                                StorageHealth* health = nullptr);

  // Calls `leaf_hash` for every stored event in index order; FailedPrecondition
  // (naming the index) if the indexes are not 0, 1, 2, ... with no gap.
  absl::Status ForEachLeafHash(const std::function<void(std::string)>& leaf_hash);
  // True when this Open created the log's tables (a new log, with --init).
  bool created() const { return created_; }
  // Stores `head` as the log's last head (the signed empty head of a new log).
  absl::Status SaveHead(const TreeHead& head, absl::string_view signature);
  // The most recent signed tree head, if any.
  absl::StatusOr<std::optional<std::pair<TreeHead, std::string>>> LatestHead();

  // Indexes of events already in the log for (submitter, event_id), with
  // their content digests.
  struct Existing {
    uint64_t index;
    std::string content_digest;
  };
  absl::StatusOr<std::optional<Existing>> Find(absl::string_view submitter,
                                               absl::string_view event_id);

  // Appends `events` and the head that covers them in one durable
  // transaction.
  absl::Status Append(const std::vector<StoredEvent>& events, const TreeHead& head,
                      absl::string_view signature);

  // Events [start, end) in index order (leaf and leaf hash filled).
  // Reading stops early once the leaves read reach `max_bytes` (at least one
  // event is read), so a reply stays small whatever the events' size.
  absl::StatusOr<std::vector<StoredEvent>> ReadRange(uint64_t start, uint64_t end,
                                                     size_t max_bytes = SIZE_MAX);
  // Up to `limit` events matching `filter`, in its direction.
  // Stops early at `max_bytes` of leaves as ReadRange does.
  absl::StatusOr<std::vector<StoredEvent>> Query(const EventFilter& filter, int limit,
                                                 size_t max_bytes = SIZE_MAX);
  // The index of the event whose stored leaf hash is `leaf_hash`.
  absl::StatusOr<std::optional<uint64_t>> IndexOfLeafHash(absl::string_view leaf_hash);

 private:
  SqliteAuditStore(std::unique_ptr<SqliteDatabase> db, StorageHealth* health, SqliteStatement find,
                   SqliteStatement insert_event, SqliteStatement insert_head,
                   SqliteStatement forget_heads)
      : db_(std::move(db)),
        health_(health),
        find_(std::move(find)),
        insert_event_(std::move(insert_event)),
        insert_head_(std::move(insert_head)),
        forget_heads_(std::move(forget_heads)) {}
  // Declared first: the statements below are finalized before it closes.
  std::unique_ptr<SqliteDatabase> db_;
  StorageHealth* const health_;
  // Writes `head` and forgets older ones. REQUIRES: inside a transaction.
  absl::Status WriteHead(const TreeHead& head, absl::string_view signature);
  bool created_ = false;
  // Prepared once: every append runs them (Find once an event).
  SqliteStatement find_;
  SqliteStatement insert_event_;
  SqliteStatement insert_head_;
  SqliteStatement forget_heads_;
};

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_AUDIT_STORE_H_
