#include "services/audit/query_index.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"

namespace isms::audit {
namespace {

// Version 1. `indexed` says how far the index goes and which log it is of:
// the leaf hash of the last event indexed must be the log's at that index.
const char kIndexSchema[] =
    "CREATE TABLE terms ("
    "  idx INTEGER PRIMARY KEY,"
    "  integrated_us INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  principal TEXT NOT NULL,"
    "  resource TEXT NOT NULL,"
    "  method TEXT NOT NULL,"
    "  outcome INTEGER NOT NULL);"
    "CREATE INDEX terms_by_actor ON terms (actor, idx);"
    "CREATE INDEX terms_by_principal ON terms (principal, idx);"
    "CREATE INDEX terms_by_resource ON terms (resource, idx);"
    "CREATE INDEX terms_by_method ON terms (method, idx);"
    "CREATE INDEX terms_by_time ON terms (integrated_us);"
    "CREATE TABLE indexed ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  next_index INTEGER NOT NULL,"
    "  last_leaf_hash BLOB NOT NULL);"
    "INSERT INTO indexed VALUES (1, 0, x'')";

// Events one indexing transaction takes at most. Larger batches write each
// index page once for more events (the resource index's keys are random, so
// a batch dirties about one of its pages per event until it has dirtied them
// all).
constexpr int kIndexBatch = 20000;
// How long the indexer sleeps when nothing wakes it.
constexpr absl::Duration kIdlePoll = absl::Milliseconds(500);
constexpr int kIndexCacheKib = 32 * 1024;
constexpr int kIndexerNice = 10;

void RemoveIndexFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) unlink(absl::StrCat(path, suffix).c_str());
}

absl::StatusOr<std::unique_ptr<SqliteDatabase>> OpenIndexFile(const std::string& path) {
  ISMS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, SqliteInit::kCreateIfEmpty));
  // "isai": this file is the audit query index.
  ISMS_RETURN_IF_ERROR(db->Claim(0x69736169, "the audit query index"));
  ISMS_RETURN_IF_ERROR(db->Migrate({kIndexSchema}));
  // Derived data: a commit need not reach the disk before the next one (a
  // machine crash loses the last batches, and they are indexed again).
  ISMS_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL"));
  ISMS_RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA cache_size=-", kIndexCacheKib)));
  // A batch's WAL (tens of MB) is cut back once checkpointed.
  ISMS_RETURN_IF_ERROR(db->Exec("PRAGMA journal_size_limit=67108864"));
  return db;
}

}  // namespace

bool FilterMatches(const EventFilter& filter, const v1::LoggedEvent& logged) {
  const v1::AuditEvent& event = logged.event();
  if (!filter.actor.empty() && event.actor() != filter.actor) return false;
  if (!filter.principal.empty() && event.principal() != filter.principal) return false;
  if (!filter.method.empty() && event.method() != filter.method) return false;
  if (filter.outcome != 0 && static_cast<int>(event.outcome()) != filter.outcome) return false;
  if (!filter.resource.empty() && event.resource() != filter.resource &&
      !(filter.include_sub_resources &&
        absl::StartsWith(event.resource(), absl::StrCat(filter.resource, "/")))) {
    return false;
  }
  const int64_t integrated_us = absl::ToUnixMicros(FromProto(logged.integrated_time()));
  if (filter.start_time.has_value() && integrated_us < absl::ToUnixMicros(*filter.start_time)) {
    return false;
  }
  if (filter.end_time.has_value() && integrated_us >= absl::ToUnixMicros(*filter.end_time)) {
    return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<QueryIndex>> QueryIndex::Open(const std::string& index_path,
                                                             const std::string& log_path) {
  std::unique_ptr<QueryIndex> index(new QueryIndex(index_path));
  ISMS_ASSIGN_OR_RETURN(index->log_reader_,
                        SqliteDatabase::Open(log_path, SqliteInit::kRequireInitialised));
  // An index that cannot be opened does not stop the service: queries read
  // the log themselves meanwhile, and the indexer tries again.
  absl::Status opened = index->OpenIndex(/*from_scratch=*/false);
  if (!opened.ok()) index->MarkUnusable(opened);
  index->thread_ = std::thread([raw = index.get()] { raw->IndexLoop(); });
  return index;
}

absl::Status QueryIndex::OpenIndex(bool from_scratch) {
  {
    absl::MutexLock lock(&lookup_mu_);
    index_reader_.reset();
  }
  index_writer_.reset();
  // Derived data in the service's own directory: a link planted at one of
  // its names is removed, never followed (SQLite would create the file at
  // the link's target).
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string name = absl::StrCat(path_, suffix);
    struct stat info;
    if (lstat(name.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) unlink(name.c_str());
  }
  if (from_scratch) RemoveIndexFiles(path_);
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> writer = OpenIndexFile(path_);
  if (!writer.ok()) {
    // Unreadable, or of a version this binary does not know: rebuild it.
    RemoveIndexFiles(path_);
    writer = OpenIndexFile(path_);
  }
  ISMS_RETURN_IF_ERROR(writer.status());

  ISMS_ASSIGN_OR_RETURN(SqliteStatement position,
                        (*writer)->Prepare("SELECT next_index, last_leaf_hash FROM indexed"));
  ISMS_ASSIGN_OR_RETURN(bool has_position, position.Step());
  uint64_t next = has_position ? static_cast<uint64_t>(position.ColumnInt64(0)) : 0;
  const std::string last_leaf_hash = has_position ? position.ColumnText(1) : "";
  position.Reset();
  if (next > 0) {
    ISMS_ASSIGN_OR_RETURN(SqliteStatement leaf,
                          log_reader_->Prepare("SELECT leaf_hash FROM events WHERE idx = ?"));
    leaf.Bind(1, static_cast<int64_t>(next - 1));
    ISMS_ASSIGN_OR_RETURN(bool found, leaf.Step());
    if (!found || leaf.ColumnText(0) != last_leaf_hash) next = 0;  // Another log's index.
  }
  if (next == 0) {
    SqliteDatabase& db = **writer;
    ISMS_RETURN_IF_ERROR(db.InTransaction([&db]() -> absl::Status {
      ISMS_RETURN_IF_ERROR(db.Exec("DELETE FROM terms"));
      return db.Exec("UPDATE indexed SET next_index = 0, last_leaf_hash = x''");
    }));
  }
  ISMS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> reader,
                        SqliteDatabase::Open(path_, SqliteInit::kRequireInitialised));
  ISMS_RETURN_IF_ERROR(reader->Exec(absl::StrCat("PRAGMA cache_size=-", kIndexCacheKib)));
  index_writer_ = *std::move(writer);
  next_to_index_ = next;
  {
    absl::MutexLock lock(&lookup_mu_);
    index_reader_ = std::move(reader);
  }
  absl::MutexLock lock(&mu_);
  indexed_end_ = next;
  unusable_ = absl::OkStatus();
  return absl::OkStatus();
}

void QueryIndex::MarkUnusable(const absl::Status& why) {
  absl::MutexLock lock(&mu_);
  if (unusable_.ok()) unusable_ = why;
  indexed_end_ = 0;
}

absl::Status QueryIndex::unusable() {
  absl::MutexLock lock(&mu_);
  return unusable_;
}

QueryIndex::~QueryIndex() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void QueryIndex::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

uint64_t QueryIndex::indexed_end() {
  absl::MutexLock lock(&mu_);
  return indexed_end_;
}

bool QueryIndex::WaitIndexed(uint64_t size, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, size]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return indexed_end_ >= size; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void QueryIndex::IndexLoop() {
  // Below the appends: under a burst they keep the cores and the index falls
  // behind (queries scan the rest), catching up when the burst ends. Linux
  // sets a nice value per thread.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kIndexerNice);
  while (true) {
    bool rebuild = false;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || closing_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), kIdlePoll);
      if (closing_) return;
      woken_ = false;
      rebuild = !unusable_.ok();
    }
    // A damaged or unopenable index is built again from the log; until then
    // queries read the log themselves. Tried again at every wake.
    if (rebuild && !OpenIndex(/*from_scratch=*/true).ok()) continue;
    // Index until caught up; a failure (say, a full disk) is retried at the
    // next wake, and meanwhile queries scan what is not indexed.
    while (true) {
      absl::StatusOr<bool> indexed = IndexNextBatch();
      if (!indexed.ok() && indexed.status().code() == absl::StatusCode::kDataLoss) {
        MarkUnusable(indexed.status());  // Corrupt: rebuilt at the next wake.
      }
      if (!indexed.ok() || !*indexed) break;
      absl::MutexLock lock(&mu_);
      if (closing_) return;
    }
  }
}

absl::StatusOr<bool> QueryIndex::IndexNextBatch() {
  // The batch's columns are read first and the log's read ended before the
  // index is written: a read held across the index transaction would keep
  // the log's WAL from being truncated, and the truncating checkpoint holds
  // appends while it waits for readers.
  struct Terms {
    uint64_t index;
    int64_t integrated_us;
    std::string actor, principal, resource, method;
    int64_t outcome;
  };
  std::vector<Terms> batch;
  std::string last_leaf_hash;
  {
    ISMS_ASSIGN_OR_RETURN(
        SqliteStatement select,
        log_reader_->Prepare("SELECT idx, leaf, leaf_hash FROM events WHERE idx >= ? "
                             "ORDER BY idx LIMIT ?"));
    select.Bind(1, static_cast<int64_t>(next_to_index_)).Bind(2, int64_t{kIndexBatch});
    while (true) {
      ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
      if (!has_row) break;
      const uint64_t index = static_cast<uint64_t>(select.ColumnInt64(0));
      if (index != next_to_index_ + batch.size()) break;  // A gap: VerifyLog names it.
      v1::LoggedEvent logged;
      // A leaf that does not parse is indexed with empty columns: reading it
      // fails its check against the tree, as every read of it does.
      if (!logged.ParseFromString(select.ColumnText(1))) logged.Clear();
      v1::AuditEvent& event = *logged.mutable_event();
      batch.push_back(
          Terms{index, absl::ToUnixMicros(FromProto(logged.integrated_time())),
                std::move(*event.mutable_actor()), std::move(*event.mutable_principal()),
                std::move(*event.mutable_resource()), std::move(*event.mutable_method()),
                static_cast<int64_t>(event.outcome())});
      last_leaf_hash = select.ColumnText(2);
    }
  }
  if (batch.empty()) return false;
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      index_writer_->Prepare("INSERT OR REPLACE INTO terms (idx, integrated_us, actor, principal, "
                             "resource, method, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement advance,
      index_writer_->Prepare("UPDATE indexed SET next_index = ?, last_leaf_hash = ?"));
  const uint64_t next = next_to_index_ + batch.size();
  ISMS_RETURN_IF_ERROR(index_writer_->InTransaction([&]() -> absl::Status {
    for (const Terms& terms : batch) {
      insert.Bind(1, static_cast<int64_t>(terms.index))
          .Bind(2, terms.integrated_us)
          .Bind(3, terms.actor)
          .Bind(4, terms.principal)
          .Bind(5, terms.resource)
          .Bind(6, terms.method)
          .Bind(7, terms.outcome);
      ISMS_RETURN_IF_ERROR(insert.Run());
    }
    advance.Bind(1, static_cast<int64_t>(next)).BindBlob(2, last_leaf_hash);
    return advance.Run();
  }));
  next_to_index_ = next;
  absl::MutexLock lock(&mu_);
  indexed_end_ = next;
  return true;
}

absl::StatusOr<QueryIndex::Found> QueryIndex::Lookup(const EventFilter& filter, int limit) {
  std::string where = "1";
  // Parameters in the order their placeholders appear.
  std::vector<std::pair<int, std::string>> texts;
  std::vector<std::pair<int, int64_t>> numbers;
  int next = 1;
  auto text = [&](absl::string_view clause, const std::string& value) {
    absl::StrAppend(&where, " AND ", clause);
    texts.emplace_back(next++, value);
  };
  auto number = [&](absl::string_view clause, int64_t value) {
    absl::StrAppend(&where, " AND ", clause);
    numbers.emplace_back(next++, value);
  };
  if (!filter.actor.empty()) text("actor = ?", filter.actor);
  if (!filter.principal.empty()) text("principal = ?", filter.principal);
  if (!filter.method.empty()) text("method = ?", filter.method);
  if (!filter.resource.empty()) {
    if (filter.include_sub_resources) {
      // resource, or anything that starts with "resource/" ('0' follows '/').
      absl::StrAppend(&where, " AND (resource = ? OR (resource >= ? AND resource < ?))");
      for (std::string bound : {filter.resource, absl::StrCat(filter.resource, "/"),
                                absl::StrCat(filter.resource, "0")}) {
        texts.emplace_back(next++, std::move(bound));
      }
    } else {
      text("resource = ?", filter.resource);
    }
  }
  if (filter.outcome != 0) number("outcome = ?", filter.outcome);
  if (filter.start_time.has_value()) {
    number("integrated_us >= ?", absl::ToUnixMicros(*filter.start_time));
  }
  if (filter.end_time.has_value()) {
    number("integrated_us < ?", absl::ToUnixMicros(*filter.end_time));
  }
  if (filter.after_index.has_value()) {
    number(filter.newest_first ? "idx < ?" : "idx > ?", static_cast<int64_t>(*filter.after_index));
  }
  const int limit_position = next;

  {
    absl::MutexLock lock(&mu_);
    if (!unusable_.ok()) return Found{};  // Nothing indexed: the caller reads the log.
  }
  absl::MutexLock lock(&lookup_mu_);
  if (index_reader_ == nullptr) return Found{};
  absl::StatusOr<Found> found =
      LookupLocked(where, limit_position, limit, texts, numbers, filter.newest_first);
  if (!found.ok() && found.status().code() == absl::StatusCode::kDataLoss) {
    // A damaged index file: rebuilt in the background, and this query reads
    // the log itself rather than fail.
    MarkUnusable(found.status());
    Wake();
    return Found{};
  }
  return found;
}

absl::StatusOr<QueryIndex::Found> QueryIndex::LookupLocked(
    const std::string& where, int limit_position, int limit,
    const std::vector<std::pair<int, std::string>>& texts,
    const std::vector<std::pair<int, int64_t>>& numbers, bool newest_first) {
  SqliteDatabase& db = *index_reader_;
  // One read transaction: the position and the matches from one snapshot.
  ISMS_RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::Cleanup end_read = [&db] { db.Exec("COMMIT").IgnoreError(); };
  Found found;
  {
    ISMS_ASSIGN_OR_RETURN(SqliteStatement position, db.Prepare("SELECT next_index FROM indexed"));
    ISMS_ASSIGN_OR_RETURN(bool has_position, position.Step());
    if (has_position) found.indexed_end = static_cast<uint64_t>(position.ColumnInt64(0));
  }
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db.Prepare(absl::StrCat("SELECT idx FROM terms WHERE ", where, " ORDER BY idx ",
                              newest_first ? "DESC" : "ASC", " LIMIT ?")));
  select.Bind(limit_position, static_cast<int64_t>(limit));
  for (const auto& [position, value] : texts) select.Bind(position, value);
  for (const auto& [position, value] : numbers) select.Bind(position, value);
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    found.indexes.push_back(static_cast<uint64_t>(select.ColumnInt64(0)));
  }
  return found;
}

}  // namespace isms::audit
