#ifndef ISMS_SERVICES_AUDIT_AUDIT_STORE_H_
#define ISMS_SERVICES_AUDIT_AUDIT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/storage/sqlite_database.h"
#include "common/storage/storage_health.h"
#include "services/audit/tree_head.h"

namespace isms::audit {

// One event as the log stores it: the leaf bytes (the canonical encoding of
// its LoggedEvent), the leaf hash computed when it was appended (what the
// in-memory tree is rebuilt from at start), and `submitter_event`, the
// submitter and event id ("<submitter> <event_id>"; event ids have no
// spaces) that resends are matched by. The leaf is the only truth: the other
// two are checked against it by verification.
struct StoredEvent {
  uint64_t index = 0;
  std::string submitter_event;
  std::string leaf;
  std::string leaf_hash;
};

// "<submitter> <event_id>": what StoredEvent::submitter_event holds.
std::string SubmitterEvent(absl::string_view submitter, absl::string_view event_id);

// The audit log's durable storage on SQLite: the events, one row each keyed
// by log index with no other index (an append only adds rows at the end of
// one B-tree), and the last signed tree head. Appends run on one connection;
// reads on another, so that a read never holds up an append (WAL readers see
// the last commit). WAL checkpoints run on a third connection in a background
// thread, so no append pays for copying the WAL back.
//
// The append side (Append, ReadLeaf, SaveHead) is for one caller at a time
// (AuditLog's commit path); reads may come from any thread.
class SqliteAuditStore {
 public:
  // `health`, if given, is told the outcome of every append; it must
  // outlive the store.
  static absl::StatusOr<std::unique_ptr<SqliteAuditStore>> Open(const std::string& path,
                                                                SqliteInit init,
                                                                StorageHealth* health = nullptr);
  ~SqliteAuditStore();

  const std::string& path() const { return path_; }
  // True when this Open created the log's tables (a new log, with --init).
  bool created() const { return created_; }

  // Calls `event` with every stored event in index order; FailedPrecondition
  // (naming the index) if the indexes are not 0, 1, 2, ... with no gap.
  absl::Status ForEachEvent(const std::function<void(const StoredEvent&)>& event);
  // Stores `head` as the log's last head (the signed empty head of a new log).
  absl::Status SaveHead(const TreeHead& head, absl::string_view signature);
  // The most recent signed tree head, if any.
  absl::StatusOr<std::optional<std::pair<TreeHead, std::string>>> LatestHead();

  // Appends `events` and the head that covers them in one durable
  // transaction. DataLoss when a row is already stored at one of their
  // indexes (added behind the service's back).
  absl::Status Append(const std::vector<StoredEvent>& events, const TreeHead& head,
                      absl::string_view signature);
  // The stored leaf at `index`, read on the append connection (a resend's
  // first copy, compared before the append that meets it).
  absl::StatusOr<std::optional<std::string>> ReadLeaf(uint64_t index);

  // Events [start, end) in index order (from end - 1 down when
  // `descending`). Reading stops early once the leaves
  // read reach `max_bytes` (at least one event is read), so a reply stays
  // small whatever the events' size.
  absl::StatusOr<std::vector<StoredEvent>> ReadRange(uint64_t start, uint64_t end,
                                                     size_t max_bytes = SIZE_MAX,
                                                     bool descending = false);
  // The events at `indexes`, in that order; a missing index is skipped.
  // Stops early at `max_bytes` as ReadRange does.
  absl::StatusOr<std::vector<StoredEvent>> ReadIndexes(const std::vector<uint64_t>& indexes,
                                                       size_t max_bytes = SIZE_MAX);

 private:
  SqliteAuditStore(std::string path, StorageHealth* health)
      : path_(std::move(path)), health_(health) {}
  // Writes `head` and forgets older ones. REQUIRES: inside a transaction.
  absl::Status WriteHead(const TreeHead& head, absl::string_view signature);
  // Checkpoints the WAL now and then until the store closes.
  void CheckpointLoop();

  const std::string path_;
  StorageHealth* const health_;
  bool created_ = false;
  // The append connection and the statements every append runs, prepared
  // once. Declared before them: the statements are finalized first.
  std::unique_ptr<SqliteDatabase> writer_;
  std::optional<SqliteStatement> insert_event_;
  std::optional<SqliteStatement> insert_head_;
  std::optional<SqliteStatement> forget_heads_;
  std::optional<SqliteStatement> read_leaf_;

  absl::Mutex reader_mu_;
  std::unique_ptr<SqliteDatabase> reader_ ABSL_GUARDED_BY(reader_mu_);

  std::unique_ptr<SqliteDatabase> checkpointer_;
  absl::Notification closing_;
  std::thread checkpoint_thread_;
};

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_AUDIT_STORE_H_
