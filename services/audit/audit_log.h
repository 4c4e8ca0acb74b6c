#ifndef ISMS_SERVICES_AUDIT_AUDIT_LOG_H_
#define ISMS_SERVICES_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "isms/audit/v1/audit_service.pb.h"
#include "services/audit/audit_store.h"
#include "services/audit/merkle_tree.h"
#include "services/audit/query_index.h"
#include "services/audit/tree_head.h"

namespace isms::audit {

// Limits on what one append may carry.
inline constexpr int kMaxEventsPerAppend = 1000;
inline constexpr size_t kMaxEventBytes = 64 * 1024;
inline constexpr size_t kMaxEventIdLength = 128;
// Longest actor, principal, resource or method a query filters on.
inline constexpr size_t kMaxFilterLength = 512;
// Most entries one ReadRange / Verify step reads under the lock.
inline constexpr uint64_t kReadChunk = 500;
// Most events one commit takes from the appends waiting for it.
inline constexpr size_t kMaxEventsPerCommit = 10000;
// Most unindexed events one query reads itself before it answers (with a
// page token to go on from there).
inline constexpr uint64_t kMaxTailScan = 20000;
// Leaf bytes one ReadRange or Query answer carries at most (at least one
// entry): each entry travels as its leaf and parsed, so an answer stays near
// 2 MiB, under every client's default 4 MiB message limit, and a slow reader
// holds little memory.
inline constexpr size_t kMaxReplyLeafBytes = 1 << 20;

// The leaf bytes of `logged`: its canonical encoding (deterministic proto3
// serialization; see LoggedEvent in audit_service.proto).
std::string EncodeLeaf(const v1::LoggedEvent& logged);

// The audit log: events in storage, the Merkle tree over their leaves in
// memory, and the signed tree head after every commit. Thread-safe.
//
// Appends commit in groups: an append joins the queue, and whichever caller
// finds no commit running takes every waiting append (up to
// kMaxEventsPerCommit events) into one transaction, one fsync and one signed
// head, then answers each. Every append is still answered only once its
// events are durable, and one whose events conflict fails alone.
// Resends are matched, and leaf hashes looked up, in memory; proofs and heads
// are answered from memory; reads run on the store's read connection.
class AuditLog {
 public:
  // Borrows store, index, signer and clock. Rebuilds the tree from the
  // stored leaf hashes and checks it against the latest stored head: DataLoss
  // if events the head covered are gone or its root no longer matches (the
  // stored leaf hashes were changed).
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(SqliteAuditStore& store, QueryIndex& index,
                                                        const TreeHeadSigner& signer,
                                                        const Clock& clock);

  // Appends `events` for service identity `submitter`, durably, and answers
  // each event's index (an event_id the submitter already appended answers
  // its first index; with other content it is AlreadyExists). InvalidArgument
  // names the field at fault; nothing is appended unless all are valid.
  absl::StatusOr<v1::AppendEventsResponse> Append(
      absl::string_view submitter,
      const google::protobuf::RepeatedPtrField<v1::AuditEvent>& events);

  v1::SignedTreeHead LatestHead();
  uint64_t size();

  absl::StatusOr<v1::InclusionProof> InclusionProof(const v1::GetInclusionProofRequest& request);
  absl::StatusOr<v1::ConsistencyProof> ConsistencyProof(
      const v1::GetConsistencyProofRequest& request);

  // Entries from `start` on, before `end`: at least one, at most kReadChunk
  // and kMaxReplyLeafBytes. Each is checked against the tree: DataLoss naming
  // the first index that is missing or does not match. REQUIRES: start < end.
  absl::StatusOr<std::vector<v1::LogEntry>> ReadRange(uint64_t start, uint64_t end);
  // Up to page_size entries matching the filter, checked as ReadRange does.
  // Indexed events are found through the QueryIndex, the rest by reading
  // them (at most kMaxTailScan a call; a page may then be short or empty,
  // with a token to go on).
  absl::StatusOr<v1::QueryEventsResponse> Query(const v1::QueryEventsRequest& request);
  // Recomputes the leaf hash of every stored event in [start, end) and
  // compares it and the stored columns with the tree's leaf; reads a bounded
  // chunk at a time. One at a time: ResourceExhausted while another runs.
  absl::StatusOr<v1::VerifyLogResponse> Verify(uint64_t start, uint64_t end);

  // The first stored event found at start whose leaf does not hash to its
  // leaf hash (changed behind the service's back): VerifyLog names it too.
  std::optional<uint64_t> damaged_at_start() const { return damaged_at_start_; }

  // The range [start, end) a request names (end 0: the log's size now):
  // OutOfRange naming the field for an end beyond the log or a reversed range.
  absl::StatusOr<std::pair<uint64_t, uint64_t>> Range(uint64_t start, uint64_t end);

 private:
  // 128 bits of a SHA-256: the in-memory maps' keys. Finding two values with
  // the same key takes about 2^64 hashes.
  using Key = std::pair<uint64_t, uint64_t>;
  static Key KeyOf(absl::string_view digest);
  // An append waiting in the commit queue.
  struct PendingAppend;
  // One query's page as it fills.
  struct PageBuilder;

  AuditLog(SqliteAuditStore& store, QueryIndex& index, const TreeHeadSigner& signer,
           const Clock& clock)
      : store_(store), index_(index), signer_(signer), clock_(clock) {}
  absl::Status SignHead(const TreeHead& head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits `group` as one transaction and fills each one's result, except
  // for the appends it returns: those that meet an event another append of
  // the group brings, which wait for the next commit.
  std::vector<PendingAppend*> CommitGroup(const std::vector<PendingAppend*>& group)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<v1::LogEntry> CheckedEntry(const StoredEvent& stored) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // True when `stored`'s leaf hashes to the tree's leaf at its index and its
  // columns say what the leaf says; fills *logged from the leaf.
  bool MatchesTree(const StoredEvent& stored, v1::LoggedEvent* logged) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Offers `stored` (read in the query's direction) to `page`.
  absl::Status Offer(const StoredEvent& stored, const EventFilter& filter, PageBuilder& page)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Scans the unindexed events [low, high) in the filter's direction.
  absl::Status ScanTail(uint64_t low, uint64_t high, const EventFilter& filter, PageBuilder& page);

  absl::Mutex queue_mu_;
  std::vector<PendingAppend*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool committing_ ABSL_GUARDED_BY(queue_mu_) = false;

  absl::Mutex mu_;
  SqliteAuditStore& store_;
  QueryIndex& index_;
  MerkleTree tree_ ABSL_GUARDED_BY(mu_);
  v1::SignedTreeHead head_ ABSL_GUARDED_BY(mu_);
  absl::Time last_integrated_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Key of SubmitterEvent(submitter, event_id) -> its index.
  absl::flat_hash_map<Key, uint64_t> by_submitter_event_ ABSL_GUARDED_BY(mu_);
  // Key of the leaf hash -> the first index with it.
  absl::flat_hash_map<Key, uint64_t> by_leaf_hash_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> damaged_at_start_;  // Set by Open only.
  absl::Mutex verify_mu_;
  bool verifying_ ABSL_GUARDED_BY(verify_mu_) = false;
  const TreeHeadSigner& signer_;
  const Clock& clock_;
};

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_AUDIT_LOG_H_
