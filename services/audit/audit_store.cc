#include "services/audit/audit_store.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace isms::audit {
namespace {

// Version 1. The unique (submitter, event_id) key makes a resent event find
// its first copy; it is per submitter so that one service cannot take
// another's event ids first and block its delivery.
const char kEventsSchema[] =
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

// SQLite's page cache for the log (KiB) and the WAL size, in pages, that
// triggers a checkpoint (the default is 1,000 pages).
constexpr int kCacheKib = 64 * 1024;
constexpr int kWalCheckpointPages = 10000;

constexpr char kEventColumns[] =
    "idx, submitter, event_id, content_digest, leaf, leaf_hash, integrated_us, actor, principal, "
    "resource, method, outcome";

StoredEvent EventFromRow(const SqliteStatement& row) {
  StoredEvent event;
  event.index = static_cast<uint64_t>(row.ColumnInt64(0));
  event.submitter = row.ColumnText(1);
  event.event_id = row.ColumnText(2);
  event.content_digest = row.ColumnText(3);
  event.leaf = row.ColumnText(4);
  event.leaf_hash = row.ColumnText(5);
  event.integrated_time = absl::FromUnixMicros(row.ColumnInt64(6));
  event.actor = row.ColumnText(7);
  event.principal = row.ColumnText(8);
  event.resource = row.ColumnText(9);
  event.method = row.ColumnText(10);
  event.outcome = static_cast<int>(row.ColumnInt64(11));
  return event;
}

absl::StatusOr<std::vector<StoredEvent>> ReadEvents(SqliteStatement& select, size_t max_bytes) {
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

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteAuditStore>> SqliteAuditStore::Open(const std::string& path,
                                                                         SqliteInit init,
                                                                         StorageHealth* health) {
  ISMS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path, init));
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement has_events,
      db->Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'"));
  ISMS_RETURN_IF_ERROR(has_events.Step().status());
  const bool created = has_events.ColumnInt64(0) == 0;
  ISMS_RETURN_IF_ERROR(db->Migrate({kEventsSchema}));
  // Every event adds an entry to six indexes, three of them on random keys
  // (leaf hash, event id, resource), so an append touches pages all over
  // them: keep them in memory rather than reading each back from the file
  // (SQLite's default cache is 2 MiB).
  ISMS_RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA cache_size=-", kCacheKib)));
  // And let the WAL grow before it is copied back: a page dirtied by many
  // commits is then written to the database file once. Durability is
  // unchanged (every commit is still synced).
  ISMS_RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA wal_autocheckpoint=", kWalCheckpointPages)));
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement find,
      db->Prepare("SELECT idx, content_digest FROM events WHERE submitter = ? AND event_id = ?"));
  ISMS_ASSIGN_OR_RETURN(SqliteStatement insert_event,
                        db->Prepare(absl::StrCat("INSERT INTO events (", kEventColumns,
                                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement insert_head,
      db->Prepare("INSERT OR REPLACE INTO tree_heads (tree_size, root_hash, timestamp_ms, "
                  "signature) VALUES (?, ?, ?, ?)"));
  ISMS_ASSIGN_OR_RETURN(SqliteStatement forget_heads,
                        db->Prepare("DELETE FROM tree_heads WHERE tree_size < ?"));
  std::unique_ptr<SqliteAuditStore> store(
      new SqliteAuditStore(std::move(db), health, std::move(find), std::move(insert_event),
                           std::move(insert_head), std::move(forget_heads)));
  store->created_ = created;
  return store;
}

absl::Status SqliteAuditStore::ForEachLeafHash(const std::function<void(std::string)>& leaf_hash) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT idx, leaf_hash FROM events ORDER BY idx"));
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
    leaf_hash(select.ColumnText(1));
  }
}

absl::StatusOr<std::optional<std::pair<TreeHead, std::string>>> SqliteAuditStore::LatestHead() {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT tree_size, root_hash, timestamp_ms, signature "
                                     "FROM tree_heads ORDER BY tree_size DESC LIMIT 1"));
  ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
  if (!has_row) return std::nullopt;
  TreeHead head;
  head.tree_size = static_cast<uint64_t>(select.ColumnInt64(0));
  head.root_hash = select.ColumnText(1);
  head.timestamp = absl::FromUnixMillis(select.ColumnInt64(2));
  return std::make_pair(std::move(head), select.ColumnText(3));
}

absl::StatusOr<std::optional<SqliteAuditStore::Existing>> SqliteAuditStore::Find(
    absl::string_view submitter, absl::string_view event_id) {
  find_.Bind(1, submitter).Bind(2, event_id);
  absl::StatusOr<bool> has_row = find_.Step();
  std::optional<Existing> existing;
  if (has_row.ok() && *has_row) {
    existing = Existing{static_cast<uint64_t>(find_.ColumnInt64(0)), find_.ColumnText(1)};
  }
  find_.Reset();
  if (!has_row.ok()) return has_row.status();
  return existing;
}

absl::Status SqliteAuditStore::WriteHead(const TreeHead& head, absl::string_view signature) {
  insert_head_.Bind(1, static_cast<int64_t>(head.tree_size))
      .BindBlob(2, head.root_hash)
      .Bind(3, absl::ToUnixMillis(head.timestamp))
      .BindBlob(4, signature);
  ISMS_RETURN_IF_ERROR(insert_head_.Run());
  // Only the last head is kept: it is what start checks the events against,
  // and older ones would let whoever edits the file roll the log back to any
  // earlier genuine state.
  forget_heads_.Bind(1, static_cast<int64_t>(head.tree_size));
  return forget_heads_.Run();
}

absl::Status SqliteAuditStore::SaveHead(const TreeHead& head, absl::string_view signature) {
  return db_->InTransaction([&] { return WriteHead(head, signature); });
}

absl::Status SqliteAuditStore::Append(const std::vector<StoredEvent>& events, const TreeHead& head,
                                      absl::string_view signature) {
  absl::Status committed = db_->InTransaction([&]() -> absl::Status {
    SqliteStatement& insert = insert_event_;
    for (const StoredEvent& event : events) {
      insert.Bind(1, static_cast<int64_t>(event.index))
          .Bind(2, event.submitter)
          .Bind(3, event.event_id)
          .BindBlob(4, event.content_digest)
          .BindBlob(5, event.leaf)
          .BindBlob(6, event.leaf_hash)
          .Bind(7, absl::ToUnixMicros(event.integrated_time))
          .Bind(8, event.actor)
          .Bind(9, event.principal)
          .Bind(10, event.resource)
          .Bind(11, event.method)
          .Bind(12, static_cast<int64_t>(event.outcome));
      ISMS_RETURN_IF_ERROR(insert.Run());
    }
    return WriteHead(head, signature);
  });
  if (health_ != nullptr) health_->Record(committed);
  return committed;
}

absl::StatusOr<std::vector<StoredEvent>> SqliteAuditStore::ReadRange(uint64_t start, uint64_t end,
                                                                     size_t max_bytes) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare(absl::StrCat("SELECT ", kEventColumns,
                                                  " FROM events WHERE idx >= ? AND idx < ? "
                                                  "ORDER BY idx")));
  select.Bind(1, static_cast<int64_t>(start)).Bind(2, static_cast<int64_t>(end));
  return ReadEvents(select, max_bytes);
}

absl::StatusOr<std::vector<StoredEvent>> SqliteAuditStore::Query(const EventFilter& filter,
                                                                 int limit, size_t max_bytes) {
  std::string where = "1";
  // Parameters in the order their placeholders appear.
  std::vector<std::string> texts;
  std::vector<int> text_positions;
  std::vector<std::pair<int, int64_t>> numbers;
  int next = 1;
  auto text = [&](absl::string_view column_clause, const std::string& value) {
    absl::StrAppend(&where, " AND ", column_clause);
    texts.push_back(value);
    text_positions.push_back(next++);
  };
  auto number = [&](absl::string_view column_clause, int64_t value) {
    absl::StrAppend(&where, " AND ", column_clause);
    numbers.emplace_back(next++, value);
  };
  if (!filter.actor.empty()) text("actor = ?", filter.actor);
  if (!filter.principal.empty()) text("principal = ?", filter.principal);
  if (!filter.method.empty()) text("method = ?", filter.method);
  if (!filter.resource.empty()) {
    if (filter.include_sub_resources) {
      // resource, or anything that starts with "resource/" ('0' follows '/').
      absl::StrAppend(&where, " AND (resource = ? OR (resource >= ? AND resource < ?))");
      for (const std::string& bound : {filter.resource, absl::StrCat(filter.resource, "/"),
                                       absl::StrCat(filter.resource, "0")}) {
        texts.push_back(bound);
        text_positions.push_back(next++);
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
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare(absl::StrCat(
                            "SELECT ", kEventColumns, " FROM events WHERE ", where,
                            " ORDER BY idx ", filter.newest_first ? "DESC" : "ASC", " LIMIT ?")));
  select.Bind(limit_position, static_cast<int64_t>(limit));
  for (size_t i = 0; i < texts.size(); ++i) select.Bind(text_positions[i], texts[i]);
  for (const auto& [position, value] : numbers) select.Bind(position, value);
  return ReadEvents(select, max_bytes);
}

absl::StatusOr<std::optional<uint64_t>> SqliteAuditStore::IndexOfLeafHash(
    absl::string_view leaf_hash) {
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT idx FROM events WHERE leaf_hash = ? ORDER BY idx LIMIT 1"));
  select.BindBlob(1, leaf_hash);
  ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
  if (!has_row) return std::nullopt;
  return static_cast<uint64_t>(select.ColumnInt64(0));
}

}  // namespace isms::audit
