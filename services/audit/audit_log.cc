#include "services/audit/audit_log.h"

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
  v1::AuditEvent known = event;
  known.DiscardUnknownFields();
  if (known.ByteSizeLong() != event.ByteSizeLong()) {
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

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(SqliteAuditStore& store,
                                                         const TreeHeadSigner& signer,
                                                         const Clock& clock) {
  std::unique_ptr<AuditLog> log(new AuditLog(store, signer, clock));
  MerkleTree tree;
  ISMS_RETURN_IF_ERROR(
      store.ForEachLeafHash([&tree](std::string hash) { tree.AppendLeafHash(std::move(hash)); }));
  absl::MutexLock lock(&log->mu_);
  log->tree_ = std::move(tree);
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

absl::StatusOr<v1::AppendEventsResponse> AuditLog::Append(
    absl::string_view submitter, const google::protobuf::RepeatedPtrField<v1::AuditEvent>& events) {
  if (events.empty()) return absl::InvalidArgumentError("events: at least one required");
  if (events.size() > kMaxEventsPerAppend) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: at most ", kMaxEventsPerAppend, " per call, got ", events.size()));
  }
  for (int i = 0; i < events.size(); ++i) ISMS_RETURN_IF_ERROR(ValidateEvent(events[i], i));

  absl::MutexLock lock(&mu_);
  const uint64_t first_new = tree_.size();
  // Whole microseconds, as stored beside the leaf.
  absl::Time integrated =
      absl::FromUnixMicros(absl::ToUnixMicros(std::max(clock_.Now(), last_integrated_)));
  v1::AppendEventsResponse response;
  std::vector<StoredEvent> stored;
  // Event ids new in this batch, with their index and digest.
  absl::flat_hash_map<std::string, std::pair<uint64_t, std::string>> batch_ids;
  for (int i = 0; i < events.size(); ++i) {
    const v1::AuditEvent& event = events[i];
    std::string digest = Sha256Hex(Canonical(event));
    std::optional<std::pair<uint64_t, std::string>> earlier;
    bool earlier_in_batch = false;
    if (auto in_batch = batch_ids.find(event.event_id()); in_batch != batch_ids.end()) {
      earlier = in_batch->second;
      earlier_in_batch = true;
    } else {
      ISMS_ASSIGN_OR_RETURN(auto existing, store_.Find(submitter, event.event_id()));
      if (existing.has_value()) earlier = std::make_pair(existing->index, existing->content_digest);
    }
    if (earlier.has_value()) {
      if (earlier->second != digest) {
        return absl::AlreadyExistsError(absl::StrCat(
            "events[", i, "].event_id: ", event.event_id(),
            earlier_in_batch ? " appears earlier in this batch"
                             : absl::StrCat(" is in the log (index ", earlier->first, ")"),
            " with other content; nothing was appended"));
      }
      response.add_indexes(earlier->first);
      continue;
    }
    StoredEvent row;
    row.index = first_new + stored.size();
    row.submitter = std::string(submitter);
    row.event_id = event.event_id();
    row.content_digest = digest;
    row.integrated_time = integrated;
    row.actor = event.actor();
    row.principal = event.principal();
    row.resource = event.resource();
    row.method = event.method();
    row.outcome = event.outcome();
    v1::LoggedEvent logged;
    logged.set_index(row.index);
    *logged.mutable_integrated_time() = ToProto(integrated);
    logged.set_submitter(row.submitter);
    *logged.mutable_event() = event;
    row.leaf = EncodeLeaf(logged);
    row.leaf_hash = LeafHash(row.leaf);
    batch_ids.emplace(event.event_id(), std::make_pair(row.index, digest));
    response.add_indexes(row.index);
    stored.push_back(std::move(row));
  }
  if (stored.empty()) {
    *response.mutable_tree_head() = head_;
    return response;
  }
  for (const StoredEvent& row : stored) tree_.AppendLeafHash(row.leaf_hash);
  TreeHead head{tree_.size(), *tree_.RootAt(tree_.size()),
                absl::FromUnixMillis(absl::ToUnixMillis(integrated))};
  absl::StatusOr<std::string> signature = signer_.Sign(head);
  absl::Status committed =
      signature.ok() ? store_.Append(stored, head, *signature) : signature.status();
  if (!committed.ok()) {
    tree_.Truncate(first_new);
    return committed;
  }
  head_ = SignedHeadProto(head, *std::move(signature));
  last_integrated_ = integrated;
  *response.mutable_tree_head() = head_;
  return response;
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
    absl::MutexLock lock(&mu_);
    ISMS_ASSIGN_OR_RETURN(std::optional<uint64_t> found,
                          store_.IndexOfLeafHash(request.leaf_hash()));
    if (!found.has_value() || *found >= tree_.size() ||
        tree_.leaf_hash(*found) != request.leaf_hash()) {
      return absl::NotFoundError("leaf_hash: no event in the log has this leaf hash");
    }
    index = *found;
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
  proof.set_leaf_hash(tree_.leaf_hash(index));
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
  // The leaf must be the tree's, and every column queries and resends rely
  // on must say what the leaf says. A read of an edited row fails; a row
  // edited out of a query's filter is not read by that query, so only
  // VerifyLog (which reads every row) finds it.
  if (stored.index >= tree_.size() || LeafHash(stored.leaf) != tree_.leaf_hash(stored.index) ||
      !logged->ParseFromString(stored.leaf)) {
    return false;
  }
  const v1::AuditEvent& event = logged->event();
  return logged->index() == stored.index && logged->submitter() == stored.submitter &&
         event.event_id() == stored.event_id &&
         Sha256Hex(Canonical(event)) == stored.content_digest &&
         absl::ToUnixMicros(FromProto(logged->integrated_time())) ==
             absl::ToUnixMicros(stored.integrated_time) &&
         event.actor() == stored.actor && event.principal() == stored.principal &&
         event.resource() == stored.resource && event.method() == stored.method &&
         static_cast<int>(event.outcome()) == stored.outcome;
}

absl::StatusOr<std::vector<v1::LogEntry>> AuditLog::ReadRange(uint64_t start, uint64_t end) {
  end = std::min(end, start + kReadChunk);
  absl::MutexLock lock(&mu_);
  ISMS_ASSIGN_OR_RETURN(std::vector<StoredEvent> stored,
                        store_.ReadRange(start, end, kMaxReplyLeafBytes));
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
    absl::MutexLock lock(&mu_);
    // A chunk of rows, at most kMaxReplyLeafBytes of leaves: the lock is held
    // briefly whatever the events' size.
    ISMS_ASSIGN_OR_RETURN(
        std::vector<StoredEvent> stored,
        store_.ReadRange(next, std::min(end, next + kReadChunk), kMaxReplyLeafBytes));
    if (stored.empty()) break;  // `next` is missing.
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
    filter.after_index = index;
  }
  absl::MutexLock lock(&mu_);
  // One more than the page, to know whether another page follows.
  ISMS_ASSIGN_OR_RETURN(std::vector<StoredEvent> stored,
                        store_.Query(filter, page_size + 1, kMaxReplyLeafBytes));
  v1::QueryEventsResponse response;
  size_t bytes = 0;
  for (size_t i = 0; i < stored.size() && i < static_cast<size_t>(page_size); ++i) {
    ISMS_ASSIGN_OR_RETURN(*response.add_entries(), CheckedEntry(stored[i]));
    bytes += stored[i].leaf.size();
  }
  // Another page follows when there was one more row than the page, or when
  // the byte cap cut the page short (that next page may then be empty).
  const bool cut_by_bytes = bytes >= kMaxReplyLeafBytes;
  if (stored.size() > static_cast<size_t>(page_size) || cut_by_bytes) {
    response.set_next_page_token(EncodePageToken(
        absl::StrCat(response.entries(response.entries_size() - 1).logged().index()),
        filter_fingerprint));
  }
  return response;
}

}  // namespace isms::audit
