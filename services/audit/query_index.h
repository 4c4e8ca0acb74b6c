#ifndef ISMS_SERVICES_AUDIT_QUERY_INDEX_H_
#define ISMS_SERVICES_AUDIT_QUERY_INDEX_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/storage/sqlite_database.h"
#include "isms/audit/v1/audit_service.pb.h"

namespace isms::audit {

// What QueryEvents filters on. Empty strings and outcome 0 match anything.
struct EventFilter {
  std::string actor;
  std::string principal;
  std::string resource;
  bool include_sub_resources = false;
  std::string method;
  int outcome = 0;
  std::optional<absl::Time> start_time;  // Integrated time, inclusive.
  std::optional<absl::Time> end_time;    // Exclusive.
  bool newest_first = false;
  // Continue after this index (exclusive), in the query's direction.
  std::optional<uint64_t> after_index;
};

// True when `logged` passes every filter of `filter` (not after_index).
bool FilterMatches(const EventFilter& filter, const v1::LoggedEvent& logged);

// The index queries search: the columns they filter on, one row per event,
// in a database file of its own beside the log, built by a background thread
// that reads the log's new events and indexes them in large batches. An
// append then writes only the log; indexing thousands of events in one
// transaction costs a fraction of indexing them a hundred at a time, runs on
// the other core, and never holds the log's write lock.
//
// The index is derived data: it is committed without fsync (a crash of the
// machine can lose its last batches, which are indexed again), and a missing,
// unreadable or foreign index file is rebuilt from the log. Its first
// `indexed_end` events are indexed; a query scans the events after them
// itself (AuditLog::Query), so what it answers never depends on how far the
// indexer has got. Query results are checked against the leaf, so a row
// edited into a filter is dropped; a row edited out of one is missed.
class QueryIndex {
 public:
  // Opens (or creates) the index at `index_path` over the log stored at
  // `log_path`, and starts indexing.
  static absl::StatusOr<std::unique_ptr<QueryIndex>> Open(const std::string& index_path,
                                                          const std::string& log_path);
  ~QueryIndex();

  // The log has grown: index the new events.
  void Wake();

  struct Found {
    // Indexes of matching events, in the filter's direction.
    std::vector<uint64_t> indexes;
    // Events [0, indexed_end) are in the index; `indexes` are among them.
    uint64_t indexed_end = 0;
  };
  // Up to `limit` indexed events matching `filter` (after its after_index,
  // in its direction).
  absl::StatusOr<Found> Lookup(const EventFilter& filter, int limit);

  uint64_t indexed_end();
  // Why the index cannot be used now (OK when it can): it could not be
  // opened, or was found damaged. It is rebuilt in the background; queries
  // meanwhile read the log themselves.
  absl::Status unusable();
  // Waits until the first `size` events are indexed; false on timeout.
  bool WaitIndexed(uint64_t size, absl::Duration timeout);

 private:
  explicit QueryIndex(std::string path) : path_(std::move(path)) {}
  // (Re)opens the index file, emptied when `from_scratch`; on success the
  // index is usable again. Indexer thread (or Open) only.
  absl::Status OpenIndex(bool from_scratch);
  void MarkUnusable(const absl::Status& why);
  absl::StatusOr<Found> LookupLocked(const std::string& where, int limit_position, int limit,
                                     const std::vector<std::pair<int, std::string>>& texts,
                                     const std::vector<std::pair<int, int64_t>>& numbers,
                                     bool newest_first) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lookup_mu_);
  // Reads up to a batch of unindexed events from the log and indexes them;
  // false when there were none.
  absl::StatusOr<bool> IndexNextBatch();
  void IndexLoop();

  const std::string path_;
  // The indexer's connections: the index (written) and the log (read).
  std::unique_ptr<SqliteDatabase> index_writer_;
  std::unique_ptr<SqliteDatabase> log_reader_;
  uint64_t next_to_index_ = 0;  // Indexer thread only (after Open).

  absl::Mutex lookup_mu_;
  std::unique_ptr<SqliteDatabase> index_reader_ ABSL_GUARDED_BY(lookup_mu_);

  absl::Mutex mu_;
  uint64_t indexed_end_ ABSL_GUARDED_BY(mu_) = 0;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status unusable_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_QUERY_INDEX_H_
