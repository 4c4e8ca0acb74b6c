#include "services/audit/audit_store.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace isms::audit {
namespace {

// Version 1: every query column in the table with an index each, and the
// (submitter, event_id) key unique. Kept as written: logs made by it are
// brought to version 2 by the migration after it.
const char kSchemaV1[] =
    "CREATE TABLE events ("
    "  idx INTEGER PRIMARY KEY,"
    "  submitter TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  content_digest BLOB NOT NULL,"
    "  leaf BLOB NOT NULL,"
    "  leaf_hash BLOB NOT NULL,"
    "  integrated_us INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  principal TEXT NOT NULL,"
    "  resource TEXT NOT NULL,"
    "  method TEXT NOT NULL,"
    "  outcome INTEGER NOT NULL,"
    "  UNIQUE (submitter, event_id));"
    "CREATE INDEX events_by_leaf_hash ON events (leaf_hash);"
    "CREATE INDEX events_by_actor ON events (actor, idx);"
    "CREATE INDEX events_by_principal ON events (principal, idx);"
    "CREATE INDEX events_by_resource ON events (resource, idx);"
    "CREATE INDEX events_by_method ON events (method, idx);"
    "CREATE INDEX events_by_time ON events (integrated_us);"
    "CREATE TABLE tree_heads ("
    "  tree_size INTEGER PRIMARY KEY,"
    "  root_hash BLOB NOT NULL,"
    "  timestamp_ms INTEGER NOT NULL,"
    "  signature BLOB NOT NULL)";

// Version 2: the events table keeps only what appends need; each of the six
// indexes made every event dirty pages all over the file, and together they
// held appends to a quarter of what the log can do. Resends are matched in
// memory (AuditLog), leaf hashes are looked up in the in-memory tree, and
// queries use the separate index the QueryIndex builds in the background.
const char kSchemaV2[] =
    "CREATE TABLE log_events ("
    "  idx INTEGER PRIMARY KEY,"
    "  submitter_event TEXT NOT NULL,"
    "  leaf BLOB NOT NULL,"
    "  leaf_hash BLOB NOT NULL);"
    "INSERT INTO log_events SELECT idx, submitter || ' ' || event_id, leaf, leaf_hash FROM events;"
    "DROP TABLE events;"
    "ALTER TABLE log_events RENAME TO events";

// SQLite's page cache for the log (KiB).
constexpr int kCacheKib = 64 * 1024;
// The WAL size (pages) at which an append checkpoints by itself: only when
// the background checkpoints fall far behind (readers holding old snapshots).
constexpr int kWalCheckpointPagesSafetyNet = 100000;
// The WAL file is cut back to this size once checkpointed (bytes).
constexpr int64_t kWalSizeLimit = 64 << 20;
constexpr absl::Duration kCheckpointInterval = absl::Milliseconds(200);
// WAL frames (pages) past which the background checkpoint truncates the WAL.
constexpr int64_t kWalRestartFrames = 16384;

constexpr char kEventColumns[] = "idx, submitter_event, leaf, leaf_hash";

StoredEvent EventFromRow(const SqliteStatement& row) {
  StoredEvent event;
  event.index = static_cast<uint64_t>(row.ColumnInt64(0));
  event.submitter_event = row.ColumnText(1);
  event.leaf = row.ColumnText(2);
  event.leaf_hash = row.ColumnText(3);
  return event;
}

}  // namespace

std::string SubmitterEvent(absl::string_view submitter, absl::string_view event_id) {
  return absl::StrCat(submitter, " ", event_id);
}

absl::StatusOr<std::unique_ptr<SqliteAuditStore>> SqliteAuditStore::Open(const std::string& path,
                                                                         SqliteInit init,
                                                                         StorageHealth* health) {
  if (path.empty() || path == ":memory:") {
    return absl::InvalidArgumentError(
        "the audit log needs a file: its reads and checkpoints use connections of their own");
  }
  std::unique_ptr<SqliteAuditStore> store(new SqliteAuditStore(path, health));
  ISMS_ASSIGN_OR_RETURN(store->writer_, SqliteDatabase::Open(path, init));
  SqliteDatabase& db = *store->writer_;
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement has_events,
      db.Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'"));
  ISMS_RETURN_IF_ERROR(has_events.Step().status());
  store->created_ = has_events.ColumnInt64(0) == 0;
  has_events.Reset();  // Its read of the schema would block the migrations.
  // "isma": this file is the audit log.
  ISMS_RETURN_IF_ERROR(db.Claim(0x69736d61, "the audit log"));
  ISMS_RETURN_IF_ERROR(db.Migrate({kSchemaV1, kSchemaV2}));
  ISMS_RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA cache_size=-", kCacheKib)));
  ISMS_RETURN_IF_ERROR(
      db.Exec(absl::StrCat("PRAGMA wal_autocheckpoint=", kWalCheckpointPagesSafetyNet)));
  ISMS_RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA journal_size_limit=", kWalSizeLimit)));
  auto prepare = [&db](std::optional<SqliteStatement>& slot, const std::string& sql) {
    absl::StatusOr<SqliteStatement> prepared = db.Prepare(sql);
    if (prepared.ok()) slot.emplace(*std::move(prepared));
    return prepared.status();
  };
  ISMS_RETURN_IF_ERROR(
      prepare(store->insert_event_,
              absl::StrCat("INSERT INTO events (", kEventColumns, ") VALUES (?, ?, ?, ?)")));
  ISMS_RETURN_IF_ERROR(prepare(store->insert_head_,
                               "INSERT OR REPLACE INTO tree_heads (tree_size, root_hash, "
                               "timestamp_ms, signature) VALUES (?, ?, ?, ?)"));
  ISMS_RETURN_IF_ERROR(prepare(store->forget_heads_, "DELETE FROM tree_heads WHERE tree_size < ?"));
  ISMS_RETURN_IF_ERROR(prepare(store->read_leaf_, "SELECT leaf FROM events WHERE idx = ?"));
  {
    absl::MutexLock lock(&store->reader_mu_);
    ISMS_ASSIGN_OR_RETURN(store->reader_,
                          SqliteDatabase::Open(path, SqliteInit::kRequireInitialised));
    ISMS_RETURN_IF_ERROR(store->reader_->Exec(absl::StrCat("PRAGMA cache_size=-", kCacheKib)));
  }
  ISMS_ASSIGN_OR_RETURN(store->checkpointer_,
                        SqliteDatabase::Open(path, SqliteInit::kRequireInitialised));
  store->checkpoint_thread_ = std::thread([raw = store.get()] { raw->CheckpointLoop(); });
  return store;
}

SqliteAuditStore::~SqliteAuditStore() {
  closing_.Notify();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

void SqliteAuditStore::CheckpointLoop() {
  while (!closing_.WaitForNotificationWithTimeout(kCheckpointInterval)) {
    // PASSIVE copies what it can without waiting for (or blocking) the
    // appends and reads. A failure (say, a full disk) leaves the WAL to the
    // next attempt, or to the safety net on the append connection.
    absl::StatusOr<SqliteStatement> passive =
        checkpointer_->Prepare("PRAGMA wal_checkpoint(PASSIVE)");
    if (!passive.ok()) continue;
    absl::StatusOr<bool> row = passive->Step();
    // Columns: busy, frames in the WAL, frames copied back.
    const int64_t wal_frames = row.ok() && *row ? passive->ColumnInt64(1) : 0;
    passive->Reset();
    // The WAL only starts over when a commit finds it wholly copied back,
    // which never happens while appends keep coming: past a bound, wait for
    // a quiet moment (appends pause for the rest of the copy, most of it
    // done by now) and truncate it.
    if (wal_frames > kWalRestartFrames) {
      checkpointer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)").IgnoreError();
    }
  }
}

absl::Status SqliteAuditStore::ForEachEvent(const std::function<void(const StoredEvent&)>& event) {
  absl::MutexLock lock(&reader_mu_);
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      reader_->Prepare(absl::StrCat("SELECT ", kEventColumns, " FROM events ORDER BY idx")));
  uint64_t expected = 0;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return absl::OkStatus();
    const int64_t index = select.ColumnInt64(0);
    if (index < 0 || static_cast<uint64_t>(index) != expected) {
      return absl::FailedPreconditionError(
          absl::StrCat("the log has no event at index ", expected, " (next stored: ", index, ")"));
    }
    ++expected;
    event(EventFromRow(select));
  }
}

absl::StatusOr<std::optional<std::pair<TreeHead, std::string>>> SqliteAuditStore::LatestHead() {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        writer_->Prepare("SELECT tree_size, root_hash, timestamp_ms, signature "
                                         "FROM tree_heads ORDER BY tree_size DESC LIMIT 1"));
  ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
  if (!has_row) return std::nullopt;
  TreeHead head;
  head.tree_size = static_cast<uint64_t>(select.ColumnInt64(0));
  head.root_hash = select.ColumnText(1);
  head.timestamp = absl::FromUnixMillis(select.ColumnInt64(2));
  return std::make_pair(std::move(head), select.ColumnText(3));
}

absl::Status SqliteAuditStore::WriteHead(const TreeHead& head, absl::string_view signature) {
  insert_head_->Bind(1, static_cast<int64_t>(head.tree_size))
      .BindBlob(2, head.root_hash)
      .Bind(3, absl::ToUnixMillis(head.timestamp))
      .BindBlob(4, signature);
  ISMS_RETURN_IF_ERROR(insert_head_->Run());
  // Only the last head is kept: it is what start checks the events against,
  // and older ones would let whoever edits the file roll the log back to any
  // earlier genuine state.
  forget_heads_->Bind(1, static_cast<int64_t>(head.tree_size));
  return forget_heads_->Run();
}

absl::Status SqliteAuditStore::SaveHead(const TreeHead& head, absl::string_view signature) {
  return writer_->InTransaction([&] { return WriteHead(head, signature); });
}

absl::Status SqliteAuditStore::Append(const std::vector<StoredEvent>& events, const TreeHead& head,
                                      absl::string_view signature) {
  absl::Status committed = writer_->InTransaction([&]() -> absl::Status {
    for (const StoredEvent& event : events) {
      insert_event_->Bind(1, static_cast<int64_t>(event.index))
          .Bind(2, event.submitter_event)
          .BindBlob(3, event.leaf)
          .BindBlob(4, event.leaf_hash);
      ISMS_RETURN_IF_ERROR(insert_event_->Run());
    }
    return WriteHead(head, signature);
  });
  if (committed.code() == absl::StatusCode::kAlreadyExists) {
    // Indexes are handed out past the last stored event, so a row already
    // there was added behind the service's back: nothing can be appended
    // until it is removed.
    committed = absl::DataLossError(absl::StrCat(
        "storage holds an event at an index the log has not reached (from ", events.front().index,
        "): it was added behind the service's back; appends fail until it is removed (",
        committed.message(), ")"));
  }
  if (health_ != nullptr) health_->Record(committed);
  return committed;
}

absl::StatusOr<std::optional<std::string>> SqliteAuditStore::ReadLeaf(uint64_t index) {
  read_leaf_->Bind(1, static_cast<int64_t>(index));
  absl::StatusOr<bool> has_row = read_leaf_->Step();
  std::optional<std::string> leaf;
  if (has_row.ok() && *has_row) leaf = read_leaf_->ColumnText(0);
  read_leaf_->Reset();
  if (!has_row.ok()) return has_row.status();
  return leaf;
}

absl::StatusOr<std::vector<StoredEvent>> SqliteAuditStore::ReadRange(uint64_t start, uint64_t end,
                                                                     size_t max_bytes,
                                                                     bool descending) {
  absl::MutexLock lock(&reader_mu_);
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        reader_->Prepare(absl::StrCat("SELECT ", kEventColumns,
                                                      " FROM events WHERE idx >= ? AND idx < ? "
                                                      "ORDER BY idx ",
                                                      descending ? "DESC" : "ASC")));
  select.Bind(1, static_cast<int64_t>(start)).Bind(2, static_cast<int64_t>(end));
  std::vector<StoredEvent> events;
  size_t bytes = 0;
  while (bytes < max_bytes) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    events.push_back(EventFromRow(select));
    bytes += events.back().leaf.size();
  }
  return events;
}

absl::StatusOr<std::vector<StoredEvent>> SqliteAuditStore::ReadIndexes(
    const std::vector<uint64_t>& indexes, size_t max_bytes) {
  absl::MutexLock lock(&reader_mu_);
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      reader_->Prepare(absl::StrCat("SELECT ", kEventColumns, " FROM events WHERE idx = ?")));
  std::vector<StoredEvent> events;
  size_t bytes = 0;
  for (uint64_t index : indexes) {
    if (bytes >= max_bytes) break;
    select.Bind(1, static_cast<int64_t>(index));
    absl::StatusOr<bool> has_row = select.Step();
    if (has_row.ok() && *has_row) {
      events.push_back(EventFromRow(select));
      bytes += events.back().leaf.size();
    }
    select.Reset();
    if (!has_row.ok()) return has_row.status();
  }
  return events;
}

}  // namespace isms::audit
