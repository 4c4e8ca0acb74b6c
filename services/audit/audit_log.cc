#include "services/audit/audit_log.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api/page_token.h"
#include "common/auth/sha256.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace isms::audit {
namespace {

std::string Canonical(const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }  // The streams hand back their unused buffer as they close.
  return bytes;
}

bool IsEventIdCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

// True when `message` or any message in it carries fields its type does not
// define. Walks the message instead of copying it: appends check every event.
bool HasUnknownFields(const google::protobuf::Message& message) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  if (!reflection.GetUnknownFields(message).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        if (HasUnknownFields(reflection.GetRepeatedMessage(message, field, i))) return true;
      }
    } else if (HasUnknownFields(reflection.GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

absl::Status ValidateEvent(const v1::AuditEvent& event, int position) {
  const std::string field = absl::StrCat("events[", position, "]");
  if (event.event_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".event_id: required"));
  }
  if (event.event_id().size() > kMaxEventIdLength ||
      !std::all_of(event.event_id().begin(), event.event_id().end(), IsEventIdCharacter)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".event_id: at most ", kMaxEventIdLength,
                                                   " characters of [A-Za-z0-9._:-]"));
  }
  if (event.ByteSizeLong() > kMaxEventBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": larger than ", kMaxEventBytes, " bytes encoded"));
  }
  if (event.has_occur_time() && !IsValidTimestamp(event.occur_time())) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".occur_time: not a valid timestamp"));
  }
  if (!v1::Outcome_IsValid(event.outcome())) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".outcome: unknown value"));
  }
  // Fields this service does not know would be signed into the leaf yet
  // invisible to every reader (and could change meaning once defined).
  if (HasUnknownFields(event)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": carries fields this audit service does not know (upgrade it first)"));
  }
  return absl::OkStatus();
}

v1::SignedTreeHead SignedHeadProto(const TreeHead& head, std::string signature) {
  v1::SignedTreeHead proto;
  proto.set_tree_size(head.tree_size);
  proto.set_root_hash(head.root_hash);
  *proto.mutable_timestamp() = ToProto(head.timestamp);
  proto.set_signature(std::move(signature));
  return proto;
}

}  // namespace

std::string EncodeLeaf(const v1::LoggedEvent& logged) { return Canonical(logged); }

AuditLog::Key AuditLog::KeyOf(absl::string_view digest) {
  Key key{0, 0};
  std::memcpy(&key.first, digest.data(), std::min<size_t>(8, digest.size()));
  if (digest.size() > 8) {
    std::memcpy(&key.second, digest.data() + 8, std::min<size_t>(8, digest.size() - 8));
  }
  return key;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(SqliteAuditStore& store, QueryIndex& index,
                                                         const TreeHeadSigner& signer,
                                                         const Clock& clock) {
  std::unique_ptr<AuditLog> log(new AuditLog(store, index, signer, clock));
  absl::MutexLock lock(&log->mu_);
  ISMS_RETURN_IF_ERROR(
      store.ForEachEvent([&log](const StoredEvent& stored) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        // (Called within Open's hold of mu_.) The tree comes from the stored leaf
        // hashes, which the signed root checks below. Resends are matched by
        // what the leaf itself says whenever the leaf still hashes to its leaf
        // hash: a submitter_event column edited behind the service's back must
        // not let a resend be appended a second time.
        std::string submitter_event = stored.submitter_event;
        v1::LoggedEvent logged;
        if (LeafHash(stored.leaf) == stored.leaf_hash && logged.ParseFromString(stored.leaf)) {
          submitter_event = SubmitterEvent(logged.submitter(), logged.event().event_id());
        } else if (!log->damaged_at_start_.has_value()) {
          log->damaged_at_start_ = stored.index;
        }
        log->by_submitter_event_.try_emplace(KeyOf(Sha256Digest(submitter_event)), stored.index);
        log->by_leaf_hash_.try_emplace(KeyOf(stored.leaf_hash), stored.index);
        log->tree_.AppendLeafHash(stored.leaf_hash);
      }));
  ISMS_ASSIGN_OR_RETURN(auto latest, store.LatestHead());
  if (!latest.has_value()) {
    // Only a log created by this very start has no head yet: it gets its
    // signed empty head now. Any other log without one was emptied or
    // damaged behind the service's back; starting it afresh would hide that.
    if (log->tree_.size() != 0 || !store.created()) {
      return absl::DataLossError(absl::StrCat(
          "the log has no signed tree head (", log->tree_.size(),
          " events stored): its heads, and perhaps its events, were removed behind the "
          "service's back"));
    }
    TreeHead empty{0, EmptyRoot(), absl::FromUnixMillis(absl::ToUnixMillis(clock.Now()))};
    ISMS_RETURN_IF_ERROR(log->SignHead(empty));
    ISMS_RETURN_IF_ERROR(store.SaveHead(empty, log->head_.signature()));
    return log;
  }
  const auto& [head, signature] = *latest;
  // Heads are committed with the events they cover, so the stored events
  // are exactly those of the last head; anything else was done behind the
  // service's back, and signing it now would vouch for it.
  if (head.tree_size != log->tree_.size()) {
    return absl::DataLossError(absl::StrCat(
        "the last signed tree head covers ", head.tree_size, " events but ", log->tree_.size(),
        " are stored: events were ", head.tree_size > log->tree_.size() ? "removed" : "added",
        " behind the service's back"));
  }
  if (*log->tree_.RootAt(head.tree_size) != head.root_hash) {
    return absl::DataLossError(
        absl::StrCat("the stored leaf hashes do not give the root of the signed tree head at size ",
                     head.tree_size, ": the log was changed behind the service's back"));
  }
  if (!VerifyTreeHead(signer.public_key_pem(), head, signature).ok()) {
    return absl::DataLossError(absl::StrCat(
        "the last stored tree head (size ", head.tree_size,
        ") is not signed by this service's key: it was changed behind the service's back, or "
        "the service was started with another key"));
  }
  log->head_ = SignedHeadProto(head, signature);
  log->last_integrated_ = head.timestamp + absl::Milliseconds(1);
  return log;
}

absl::Status AuditLog::SignHead(const TreeHead& head) {
  ISMS_ASSIGN_OR_RETURN(std::string signature, signer_.Sign(head));
  head_ = SignedHeadProto(head, std::move(signature));
  return absl::OkStatus();
}

struct AuditLog::PendingAppend {
  absl::string_view submitter;
  const google::protobuf::RepeatedPtrField<v1::AuditEvent>* events;
  absl::StatusOr<v1::AppendEventsResponse> result;
  bool done = false;
};

absl::StatusOr<v1::AppendEventsResponse> AuditLog::Append(
    absl::string_view submitter, const google::protobuf::RepeatedPtrField<v1::AuditEvent>& events) {
  if (events.empty()) return absl::InvalidArgumentError("events: at least one required");
  if (events.size() > kMaxEventsPerAppend) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: at most ", kMaxEventsPerAppend, " per call, got ", events.size()));
  }
  for (int i = 0; i < events.size(); ++i) ISMS_RETURN_IF_ERROR(ValidateEvent(events[i], i));

  PendingAppend mine{submitter, &events, absl::UnknownError("not committed"), false};
  queue_mu_.Lock();
  queue_.push_back(&mine);
  while (true) {
    // Wait until a commit has answered this append, or no commit runs and
    // this caller becomes the one that commits.
    auto ready = [this, &mine]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return mine.done || !committing_; };
    queue_mu_.Await(absl::Condition(&ready));
    if (mine.done) break;
    committing_ = true;
    // The waiting appends, oldest first, up to a commit's worth of events
    // (always at least one append).
    std::vector<PendingAppend*> group;
    size_t group_events = 0;
    size_t taken = 0;
    for (; taken < queue_.size(); ++taken) {
      const size_t count = static_cast<size_t>(queue_[taken]->events->size());
      if (!group.empty() && group_events + count > kMaxEventsPerCommit) break;
      group.push_back(queue_[taken]);
      group_events += count;
    }
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    queue_mu_.Unlock();
    const std::vector<PendingAppend*> deferred = CommitGroup(group);
    queue_mu_.Lock();
    for (PendingAppend* pending : group) pending->done = true;
    // Deferred appends go first in the next commit.
    for (PendingAppend* pending : deferred) pending->done = false;
    queue_.insert(queue_.begin(), deferred.begin(), deferred.end());
    committing_ = false;
  }
  queue_mu_.Unlock();
  return std::move(mine.result);
}

std::vector<AuditLog::PendingAppend*> AuditLog::CommitGroup(
    const std::vector<PendingAppend*>& group) {
  std::vector<PendingAppend*> deferred_appends;
  absl::MutexLock lock(&mu_);
  const uint64_t first_new = tree_.size();
  // Whole microseconds, as stored in the leaf.
  const absl::Time integrated =
      absl::FromUnixMicros(absl::ToUnixMicros(std::max(clock_.Now(), last_integrated_)));
  std::vector<StoredEvent> rows;
  // Events new in this commit: key -> (index, the event, the append it came in).
  struct New {
    uint64_t index;
    const v1::AuditEvent* event;
    const PendingAppend* append;
  };
  absl::flat_hash_map<Key, New> new_events;
  std::vector<PendingAppend*> accepted;
  for (PendingAppend* pending : group) {
    const size_t rows_before = rows.size();
    std::vector<Key> added;
    v1::AppendEventsResponse response;
    absl::Status refused;
    bool deferred = false;
    for (int i = 0; i < pending->events->size() && refused.ok(); ++i) {
      const v1::AuditEvent& event = (*pending->events)[i];
      const std::string submitter_event = SubmitterEvent(pending->submitter, event.event_id());
      const Key key = KeyOf(Sha256Digest(submitter_event));
      // An earlier copy: in this commit, or in the log.
      std::optional<uint64_t> earlier_index;
      std::string earlier_content;
      bool earlier_in_batch = false;
      if (auto in_commit = new_events.find(key); in_commit != new_events.end()) {
        if (in_commit->second.append != pending) {
          // Another append of this commit brings it: this one waits for the
          // next commit and meets it there as a resend (or not at all, if
          // this commit fails).
          deferred = true;
          break;
        }
        earlier_index = in_commit->second.index;
        earlier_content = Canonical(*in_commit->second.event);
        earlier_in_batch = true;
      } else if (auto in_log = by_submitter_event_.find(key); in_log != by_submitter_event_.end()) {
        absl::StatusOr<std::optional<std::string>> leaf = store_.ReadLeaf(in_log->second);
        v1::LoggedEvent logged;
        if (!leaf.ok()) {
          refused = leaf.status();
          break;
        }
        // The first copy is what the tree holds, or nothing can be said.
        if (!leaf->has_value() || LeafHash(**leaf) != tree_.leaf_hash(in_log->second) ||
            !logged.ParseFromString(**leaf) ||
            SubmitterEvent(logged.submitter(), logged.event().event_id()) != submitter_event) {
          refused = absl::DataLossError(
              absl::StrCat("event ", in_log->second,
                           " in storage does not match the log (VerifyLog names the "
                           "first such index); events[",
                           i, "] cannot be checked against it"));
          break;
        }
        earlier_index = in_log->second;
        earlier_content = Canonical(logged.event());
      }
      if (earlier_index.has_value()) {
        if (earlier_content != Canonical(event)) {
          refused = absl::AlreadyExistsError(absl::StrCat(
              "events[", i, "].event_id: ", event.event_id(),
              earlier_in_batch ? " appears earlier in this batch"
                               : absl::StrCat(" is in the log (index ", *earlier_index, ")"),
              " with other content; nothing was appended"));
          break;
        }
        response.add_indexes(*earlier_index);
        continue;
      }
      StoredEvent row;
      row.index = first_new + rows.size();
      row.submitter_event = submitter_event;
      v1::LoggedEvent logged;
      logged.set_index(row.index);
      *logged.mutable_integrated_time() = ToProto(integrated);
      logged.set_submitter(std::string(pending->submitter));
      // Lent, not copied (a deep copy of every event was a tenth of an
      // append's cost), and taken back before `logged` goes.
      logged.unsafe_arena_set_allocated_event(const_cast<v1::AuditEvent*>(&event));
      row.leaf = EncodeLeaf(logged);
      logged.unsafe_arena_release_event();
      row.leaf_hash = LeafHash(row.leaf);
      new_events.emplace(key, New{row.index, &event, pending});
      added.push_back(key);
      response.add_indexes(row.index);
      rows.push_back(std::move(row));
    }
    if (!refused.ok() || deferred) {
      // This append fails alone, or waits: its events leave the commit.
      rows.resize(rows_before);
      for (const Key& key : added) new_events.erase(key);
      if (deferred) {
        deferred_appends.push_back(pending);
      } else {
        pending->result = refused;
      }
      continue;
    }
    pending->result = std::move(response);
    accepted.push_back(pending);
  }
  if (!rows.empty()) {
    for (const StoredEvent& row : rows) tree_.AppendLeafHash(row.leaf_hash);
    TreeHead head{tree_.size(), *tree_.RootAt(tree_.size()),
                  absl::FromUnixMillis(absl::ToUnixMillis(integrated))};
    absl::StatusOr<std::string> signature = signer_.Sign(head);
    absl::Status committed =
        signature.ok() ? store_.Append(rows, head, *signature) : signature.status();
    if (!committed.ok()) {
      tree_.Truncate(first_new);
      for (PendingAppend* pending : accepted) pending->result = committed;
      return deferred_appends;
    }
    head_ = SignedHeadProto(head, *std::move(signature));
    last_integrated_ = integrated;
    for (const auto& [key, added] : new_events) by_submitter_event_.emplace(key, added.index);
    for (const StoredEvent& row : rows) by_leaf_hash_.try_emplace(KeyOf(row.leaf_hash), row.index);
    index_.Wake();
  }
  for (PendingAppend* pending : accepted) *pending->result->mutable_tree_head() = head_;
  return deferred_appends;
}

v1::SignedTreeHead AuditLog::LatestHead() {
  absl::ReaderMutexLock lock(&mu_);
  return head_;
}

uint64_t AuditLog::size() {
  absl::ReaderMutexLock lock(&mu_);
  return tree_.size();
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> AuditLog::Range(uint64_t start, uint64_t end) {
  const uint64_t log_size = size();
  if (end == 0) end = log_size;
  if (end > log_size) {
    return absl::OutOfRangeError(
        absl::StrCat("end_index: ", end, " is beyond the log's size ", log_size));
  }
  if (start > end) {
    return absl::OutOfRangeError(absl::StrCat("start_index: ", start, " is after end_index ", end));
  }
  return std::make_pair(start, end);
}

absl::StatusOr<v1::InclusionProof> AuditLog::InclusionProof(
    const v1::GetInclusionProofRequest& request) {
  uint64_t index = 0;
  if (request.leaf_case() == v1::GetInclusionProofRequest::kIndex) {
    index = request.index();
  } else if (request.leaf_case() == v1::GetInclusionProofRequest::kLeafHash) {
    if (request.leaf_hash().size() != 32) {
      return absl::InvalidArgumentError("leaf_hash: must be 32 bytes (SHA-256)");
    }
    absl::ReaderMutexLock lock(&mu_);
    auto found = by_leaf_hash_.find(KeyOf(request.leaf_hash()));
    if (found == by_leaf_hash_.end() || found->second >= tree_.size() ||
        tree_.leaf_hash(found->second) != request.leaf_hash()) {
      return absl::NotFoundError("leaf_hash: no event in the log has this leaf hash");
    }
    index = found->second;
  } else {
    return absl::InvalidArgumentError("leaf: give index or leaf_hash");
  }
  absl::ReaderMutexLock lock(&mu_);
  const uint64_t tree_size = request.tree_size() == 0 ? tree_.size() : request.tree_size();
  if (tree_size > tree_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("tree_size: ", tree_size, " is beyond the log's size ", tree_.size()));
  }
  if (index >= tree_size) {
    return absl::OutOfRangeError(
        absl::StrCat("index: ", index, " is not in a tree of size ", tree_size));
  }
  ISMS_ASSIGN_OR_RETURN(std::vector<std::string> hashes, tree_.InclusionProof(index, tree_size));
  v1::InclusionProof proof;
  proof.set_index(index);
  proof.set_tree_size(tree_size);
  proof.set_leaf_hash(std::string(tree_.leaf_hash(index)));
  for (std::string& hash : hashes) proof.add_hashes(std::move(hash));
  return proof;
}

absl::StatusOr<v1::ConsistencyProof> AuditLog::ConsistencyProof(
    const v1::GetConsistencyProofRequest& request) {
  absl::ReaderMutexLock lock(&mu_);
  const uint64_t second = request.second_size() == 0 ? tree_.size() : request.second_size();
  if (second > tree_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("second_size: ", second, " is beyond the log's size ", tree_.size()));
  }
  if (request.first_size() == 0) {
    return absl::InvalidArgumentError("first_size: must be at least 1");
  }
  if (request.first_size() > second) {
    return absl::OutOfRangeError(
        absl::StrCat("first_size: ", request.first_size(), " is larger than second_size ", second));
  }
  ISMS_ASSIGN_OR_RETURN(std::vector<std::string> hashes,
                        tree_.ConsistencyProof(request.first_size(), second));
  v1::ConsistencyProof proof;
  proof.set_first_size(request.first_size());
  proof.set_second_size(second);
  for (std::string& hash : hashes) proof.add_hashes(std::move(hash));
  return proof;
}

absl::StatusOr<v1::LogEntry> AuditLog::CheckedEntry(const StoredEvent& stored) const {
  v1::LogEntry entry;
  if (!MatchesTree(stored, entry.mutable_logged())) {
    return absl::DataLossError(
        absl::StrCat("event ", stored.index,
                     " in storage does not match the log: it was changed behind the "
                     "service's back (VerifyLog names the first such index)"));
  }
  entry.set_leaf(stored.leaf);
  return entry;
}

bool AuditLog::MatchesTree(const StoredEvent& stored, v1::LoggedEvent* logged) const {
  // The leaf must be the tree's, and the columns start and resends rely on
  // must say what the leaf says: a read of an edited row fails.
  if (stored.index >= tree_.size() || LeafHash(stored.leaf) != tree_.leaf_hash(stored.index) ||
      stored.leaf_hash != tree_.leaf_hash(stored.index) || !logged->ParseFromString(stored.leaf)) {
    return false;
  }
  return logged->index() == stored.index &&
         SubmitterEvent(logged->submitter(), logged->event().event_id()) == stored.submitter_event;
}

absl::StatusOr<std::vector<v1::LogEntry>> AuditLog::ReadRange(uint64_t start, uint64_t end) {
  end = std::min(end, start + kReadChunk);
  ISMS_ASSIGN_OR_RETURN(std::vector<StoredEvent> stored,
                        store_.ReadRange(start, end, kMaxReplyLeafBytes));
  absl::ReaderMutexLock lock(&mu_);
  std::vector<v1::LogEntry> entries;
  uint64_t expected = start;
  for (const StoredEvent& event : stored) {
    if (event.index != expected) break;
    ISMS_ASSIGN_OR_RETURN(v1::LogEntry entry, CheckedEntry(event));
    entries.push_back(std::move(entry));
    ++expected;
  }
  // Fewer rows than asked are fine when the byte cap stopped the read; a gap
  // or nothing at all is a missing event.
  if (entries.empty() || entries.size() != stored.size()) {
    return absl::DataLossError(absl::StrCat("event ", expected, " is missing from storage"));
  }
  return entries;
}

absl::StatusOr<v1::VerifyLogResponse> AuditLog::Verify(uint64_t start, uint64_t end) {
  // One verification at a time: each holds a server thread for as long as
  // the range takes to read, so many at once would starve every other call.
  {
    absl::MutexLock lock(&verify_mu_);
    if (verifying_) {
      return absl::ResourceExhaustedError("a verification is running; retry when it has finished");
    }
    verifying_ = true;
  }
  absl::Cleanup done = [this] {
    absl::MutexLock lock(&verify_mu_);
    verifying_ = false;
  };
  v1::VerifyLogResponse response;
  response.set_intact(true);
  uint64_t next = start;
  while (next < end) {
    // A chunk of rows, at most kMaxReplyLeafBytes of leaves: memory and the
    // time the tree is held stay small whatever the events' size.
    ISMS_ASSIGN_OR_RETURN(
        std::vector<StoredEvent> stored,
        store_.ReadRange(next, std::min(end, next + kReadChunk), kMaxReplyLeafBytes));
    if (stored.empty()) break;  // `next` is missing.
    absl::ReaderMutexLock lock(&mu_);
    for (const StoredEvent& event : stored) {
      // A missing index, or a row that does not match the tree's leaf.
      v1::LoggedEvent logged;
      if (event.index != next || !MatchesTree(event, &logged)) break;
      ++next;
      response.set_checked(response.checked() + 1);
    }
    if (next != stored.back().index + 1) break;
  }
  if (next < end) {
    response.set_intact(false);
    response.set_first_mismatch_index(next);
  }
  return response;
}

// A query's page as it fills, in the query's direction.
struct AuditLog::PageBuilder {
  int page_size = 0;
  std::vector<v1::LogEntry> entries;
  size_t bytes = 0;
  // Set once another matching event is known to follow the page, or the
  // call stopped reading before the end: the next page goes on after
  // `resume_after`.
  bool more = false;
  std::optional<uint64_t> resume_after;
  // Unindexed events read by this call.
  uint64_t scanned = 0;
  bool full() const { return more; }
};

absl::Status AuditLog::Offer(const StoredEvent& stored, const EventFilter& filter,
                             PageBuilder& page) {
  v1::LogEntry entry;
  {
    absl::ReaderMutexLock lock(&mu_);
    ISMS_ASSIGN_OR_RETURN(entry, CheckedEntry(stored));
  }
  // The index's columns are not trusted: the leaf decides.
  if (FilterMatches(filter, entry.logged())) {
    if (static_cast<int>(page.entries.size()) == page.page_size ||
        page.bytes >= kMaxReplyLeafBytes) {
      page.more = true;
      return absl::OkStatus();
    }
    page.bytes += stored.leaf.size();
    page.entries.push_back(std::move(entry));
  }
  page.resume_after = stored.index;
  return absl::OkStatus();
}

absl::Status AuditLog::ScanTail(uint64_t low, uint64_t high, const EventFilter& filter,
                                PageBuilder& page) {
  const bool down = filter.newest_first;
  // The next index to read, in the query's direction.
  uint64_t next = down ? high - 1 : low;
  while (!page.full() && low <= next && next < high) {
    if (page.scanned >= kMaxTailScan) {
      page.more = true;  // Enough for one call: the client goes on from here.
      return absl::OkStatus();
    }
    const uint64_t chunk_low = down ? next - std::min(next - low, kReadChunk - 1) : next;
    const uint64_t chunk_high = down ? next + 1 : std::min(high, next + kReadChunk);
    ISMS_ASSIGN_OR_RETURN(
        std::vector<StoredEvent> stored,
        store_.ReadRange(chunk_low, chunk_high, kMaxReplyLeafBytes, /*descending=*/down));
    for (const StoredEvent& event : stored) {
      if (event.index != next) break;
      ISMS_RETURN_IF_ERROR(Offer(event, filter, page));
      ++page.scanned;
      if (page.full()) return absl::OkStatus();
      if (down && next == 0) return absl::OkStatus();
      next = down ? next - 1 : next + 1;
    }
    if (stored.empty() || stored.back().index != (down ? next + 1 : next - 1)) {
      return absl::DataLossError(absl::StrCat("event ", next, " is missing from storage"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::QueryEventsResponse> AuditLog::Query(const v1::QueryEventsRequest& request) {
  ISMS_ASSIGN_OR_RETURN(const int page_size, EffectivePageSize(request.page_size()));
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"actor", &request.actor()},
        {"principal", &request.principal()},
        {"resource", &request.resource()},
        {"method", &request.method()}}) {
    if (value->size() > kMaxFilterLength) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": at most ", kMaxFilterLength, " characters"));
    }
  }
  if (!v1::Outcome_IsValid(request.outcome())) {
    return absl::InvalidArgumentError("outcome: unknown value");
  }
  EventFilter filter;
  filter.actor = request.actor();
  filter.principal = request.principal();
  filter.resource = request.resource();
  filter.include_sub_resources = request.include_sub_resources();
  filter.method = request.method();
  filter.outcome = request.outcome();
  filter.newest_first = request.newest_first();
  if (request.has_start_time()) {
    if (!IsValidTimestamp(request.start_time())) {
      return absl::InvalidArgumentError("start_time: not a valid timestamp");
    }
    filter.start_time = FromProto(request.start_time());
  }
  if (request.has_end_time()) {
    if (!IsValidTimestamp(request.end_time())) {
      return absl::InvalidArgumentError("end_time: not a valid timestamp");
    }
    filter.end_time = FromProto(request.end_time());
  }
  if (filter.start_time.has_value() && filter.end_time.has_value() &&
      *filter.start_time > *filter.end_time) {
    return absl::InvalidArgumentError("end_time: before start_time");
  }
  // The token is bound to every filter, so it cannot be replayed with others.
  v1::QueryEventsRequest fingerprint = request;
  fingerprint.clear_page_token();
  fingerprint.clear_page_size();
  const std::string filter_fingerprint = Canonical(fingerprint);
  ISMS_ASSIGN_OR_RETURN(std::string after,
                        DecodePageToken(request.page_token(), filter_fingerprint));
  if (!after.empty()) {
    uint64_t index = 0;
    if (!absl::SimpleAtoi(after, &index))
      return absl::InvalidArgumentError("page_token: malformed");
    // Past the end reads as the end (tokens are not signed: one can be made
    // up), so no index overflows on its way to SQL.
    filter.after_index = std::min(index, size());
  }
  ISMS_ASSIGN_OR_RETURN(QueryIndex::Found found, index_.Lookup(filter, page_size + 1));
  const uint64_t log_size = size();
  PageBuilder page;
  page.page_size = page_size;
  // The indexed events are before the unindexed tail: newest first reads the
  // tail first, oldest first reads it last.
  const uint64_t tail_low = std::max(
      found.indexed_end,
      !filter.newest_first && filter.after_index.has_value() ? *filter.after_index + 1 : 0);
  const uint64_t tail_high = filter.newest_first && filter.after_index.has_value()
                                 ? std::min(log_size, *filter.after_index)
                                 : log_size;
  if (filter.newest_first && tail_low < tail_high) {
    ISMS_RETURN_IF_ERROR(ScanTail(tail_low, tail_high, filter, page));
  }
  if (!page.full() && !found.indexes.empty()) {
    ISMS_ASSIGN_OR_RETURN(std::vector<StoredEvent> stored,
                          store_.ReadIndexes(found.indexes, kMaxReplyLeafBytes));
    for (size_t i = 0; i < stored.size() && !page.full(); ++i) {
      if (stored[i].index != found.indexes[i]) {
        return absl::DataLossError(
            absl::StrCat("event ", found.indexes[i], " is missing from storage"));
      }
      ISMS_RETURN_IF_ERROR(Offer(stored[i], filter, page));
    }
    // The index had more than the page, or the byte cap stopped the read.
    if (found.indexes.size() > static_cast<size_t>(page_size) ||
        stored.size() < found.indexes.size()) {
      page.more = true;
    }
  }
  if (!filter.newest_first && !page.full() && tail_low < tail_high) {
    ISMS_RETURN_IF_ERROR(ScanTail(tail_low, tail_high, filter, page));
  }
  v1::QueryEventsResponse response;
  for (v1::LogEntry& entry : page.entries) *response.add_entries() = std::move(entry);
  if (page.more && page.resume_after.has_value()) {
    response.set_next_page_token(
        EncodePageToken(absl::StrCat(*page.resume_after), filter_fingerprint));
  }
  return response;
}

}  // namespace isms::audit
