#ifndef ISMS_SERVICES_AUDIT_AUDIT_LOG_H_
#define ISMS_SERVICES_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "isms/audit/v1/audit_service.pb.h"
#include "services/audit/audit_store.h"
#include "services/audit/merkle_tree.h"
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
// Leaf bytes one ReadRange or Query answer carries at most (at least one
// entry): each entry travels as its leaf and parsed, so an answer stays near
// 2 MiB, under every client's default 4 MiB message limit, and a slow reader
// holds little memory.
inline constexpr size_t kMaxReplyLeafBytes = 1 << 20;

// The leaf bytes of `logged`: its canonical encoding (deterministic proto3
// serialization; see LoggedEvent in audit_service.proto).
std::string EncodeLeaf(const v1::LoggedEvent& logged);

// The audit log: events in storage, the Merkle tree over their leaves in
// memory, and the signed tree head after every append. Thread-safe; appends
// are serialized, proofs and heads are answered from memory.
class AuditLog {
 public:
  // Borrows store, signer and clock. Rebuilds the tree from the stored leaf
  // hashes and checks it against the latest stored head: DataLoss if events
  // the head covered are gone or its root no longer matches (the stored
  // leaf hashes were changed).
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(SqliteAuditStore& store,
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
  absl::StatusOr<v1::QueryEventsResponse> Query(const v1::QueryEventsRequest& request);
  // Recomputes the leaf hash of every stored event in [start, end) and
  // compares it and the stored columns with the tree's leaf; reads a bounded
  // chunk per lock hold. One at a time: ResourceExhausted while another runs.
  absl::StatusOr<v1::VerifyLogResponse> Verify(uint64_t start, uint64_t end);

  // The range [start, end) a request names (end 0: the log's size now):
  // OutOfRange naming the field for an end beyond the log or a reversed range.
  absl::StatusOr<std::pair<uint64_t, uint64_t>> Range(uint64_t start, uint64_t end);

 private:
  AuditLog(SqliteAuditStore& store, const TreeHeadSigner& signer, const Clock& clock)
      : store_(store), signer_(signer), clock_(clock) {}
  absl::Status SignHead(const TreeHead& head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::LogEntry> CheckedEntry(const StoredEvent& stored) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // True when `stored`'s leaf hashes to the tree's leaf at its index and its
  // columns say what the leaf says; fills *logged from the leaf.
  bool MatchesTree(const StoredEvent& stored, v1::LoggedEvent* logged) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  SqliteAuditStore& store_ ABSL_GUARDED_BY(mu_);
  MerkleTree tree_ ABSL_GUARDED_BY(mu_);
  v1::SignedTreeHead head_ ABSL_GUARDED_BY(mu_);
  absl::Time last_integrated_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Mutex verify_mu_;
  bool verifying_ ABSL_GUARDED_BY(verify_mu_) = false;
  const TreeHeadSigner& signer_;
  const Clock& clock_;
};

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_AUDIT_LOG_H_
