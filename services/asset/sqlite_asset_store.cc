#include "services/asset/sqlite_asset_store.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/storage/record_checksum.h"
#include "common/time/proto_time.h"
#include "services/asset/sqlite_risk_rows.h"

namespace isms::asset {
namespace {

using isms::asset::v1::Asset;

// Stored as the last attestation time of an asset never attested: before any
// cutoff, so "no attestation" is overdue as the filter's rule says.
constexpr int64_t kNeverAttested = std::numeric_limits<int64_t>::min();

// SQLite's page cache for the store, in KiB.
constexpr int kCacheKib = 64 * 1024;

// One page of List: filters that are 0 match everything.
constexpr char kListQuery[] =
    "SELECT name, resource, checksum FROM assets WHERE name > ?1"
    " AND (?2 = 0 OR classification = ?2)"
    " AND (?3 = 0 OR (information_kinds & ?3) != 0)"
    " AND (?4 = 0 OR review_time <= ?5)"
    " AND (?6 = 0 OR last_attestation_time <= ?7)"
    " ORDER BY name LIMIT ?8";

// The same filters as kListQuery, for names only and for a count.
constexpr char kFilterClause[] =
    " AND (?2 = 0 OR classification = ?2)"
    " AND (?3 = 0 OR (information_kinds & ?3) != 0)"
    " AND (?4 = 0 OR review_time <= ?5)"
    " AND (?6 = 0 OR last_attestation_time <= ?7)";

// Version i+1 of the schema is migrations[i]. Append only; never edit one
// that has shipped.
const std::vector<std::string>& Migrations() {
  static const auto* migrations = new std::vector<std::string>{
      // Clustered by name: a List page is one seek and a short walk.
      // information_kinds is a bit set (1 << kind); times are Unix micros.
      "CREATE TABLE assets (name TEXT PRIMARY KEY, resource BLOB NOT NULL,"
      "  checksum BLOB NOT NULL, classification INTEGER NOT NULL,"
      "  information_kinds INTEGER NOT NULL, review_time INTEGER NOT NULL,"
      "  last_attestation_time INTEGER NOT NULL) WITHOUT ROWID;",
      kOutboxMigration,
      kOutboxChecksumMigration,
      // Who has access to which asset. The asset and principal columns are
      // the record's own, copied out to be searched by (and checked against
      // the record when read).
      "CREATE TABLE access_records (name TEXT PRIMARY KEY, asset TEXT NOT NULL,"
      "  principal TEXT NOT NULL, resource BLOB NOT NULL, checksum BLOB NOT NULL)"
      "  WITHOUT ROWID;"
      "CREATE INDEX access_records_by_asset ON access_records (asset, name);"
      "CREATE INDEX access_records_by_principal ON access_records (principal, name);",
      // The IAO's annual judgements. Names sort by attest time.
      "CREATE TABLE attestations (name TEXT PRIMARY KEY, asset TEXT NOT NULL,"
      "  resource BLOB NOT NULL, checksum BLOB NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX attestations_by_asset ON attestations (asset, name);",
      // Names of deleted assets, never given out again: the role service's
      // IAO appointments and delegations name the asset, and a new asset
      // under an old name would inherit its predecessor's owner.
      "CREATE TABLE retired_asset_names (name TEXT PRIMARY KEY) WITHOUT ROWID;",
      // Risks and incidents (sqlite_risk_store.cc).
      kRiskTablesMigration,
  };
  return *migrations;
}

int64_t KindBits(const Asset& asset) {
  int64_t bits = 0;
  for (int kind : asset.information_kinds()) bits |= int64_t{1} << kind;
  return bits;
}

int64_t Micros(const google::protobuf::Timestamp& time) {
  return absl::ToUnixMicros(FromProto(time));
}

absl::StatusOr<Asset> ParseRow(const SqliteStatement& row) {
  const std::string name = row.ColumnText(0);
  const std::string bytes = row.ColumnText(1);
  ISMS_RETURN_IF_ERROR(VerifyRecordChecksum("assets", name, bytes, row.ColumnText(2)));
  Asset asset;
  if (!asset.ParseFromString(bytes) || asset.name() != name) {
    return absl::DataLossError(absl::StrCat("assets record ", name, " is unreadable"));
  }
  return asset;
}

absl::Status Exists(SqliteDatabase& db, const std::string& name, bool* exists) {
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select, db.Prepare("SELECT 1 FROM assets WHERE name = ?"));
  ISMS_ASSIGN_OR_RETURN(*exists, select.Bind(1, name).Step());
  return absl::OkStatus();
}

absl::Status WriteAsset(SqliteStatement& write, const Asset& asset) {
  const std::string bytes = asset.SerializeAsString();
  return write.Bind(1, asset.name())
      .BindBlob(2, bytes)
      .BindBlob(3, RecordChecksum("assets", asset.name(), bytes))
      .Bind(4, static_cast<int64_t>(asset.classification()))
      .Bind(5, KindBits(asset))
      .Bind(6, Micros(asset.review_time()))
      .Bind(7, asset.has_last_attestation_time() ? Micros(asset.last_attestation_time())
                                                 : kNeverAttested)
      .Run();
}

// Binds `filter` to parameters 2..7 of a query using kFilterClause.
void BindFilter(SqliteStatement& select, const AssetFilter& filter) {
  select.Bind(2, static_cast<int64_t>(filter.classification))
      .Bind(3, filter.information_kind == v1::INFORMATION_KIND_UNSPECIFIED
                   ? int64_t{0}
                   : int64_t{1} << filter.information_kind)
      .Bind(4, int64_t{filter.review_overdue ? 1 : 0})
      .Bind(5, absl::ToUnixMicros(filter.now))
      .Bind(6, int64_t{filter.attestation_overdue ? 1 : 0})
      .Bind(7, absl::ToUnixMicros(filter.now - kAttestationPeriod));
}

// The asset "assets/{a}" of access record "assets/{a}/accessRecords/{id}".
std::string AssetOfRecord(absl::string_view name) {
  const size_t slash = name.find("/accessRecords/");
  return std::string(name.substr(0, slash == absl::string_view::npos ? 0 : slash));
}

absl::StatusOr<v1::AccessRecord> ParseAccessRow(const SqliteStatement& row) {
  const std::string name = row.ColumnText(0);
  const std::string bytes = row.ColumnText(1);
  ISMS_RETURN_IF_ERROR(VerifyRecordChecksum("access_records", name, bytes, row.ColumnText(2)));
  v1::AccessRecord record;
  if (!record.ParseFromString(bytes) || record.name() != name) {
    return absl::DataLossError(absl::StrCat("access_records record ", name, " is unreadable"));
  }
  return record;
}

absl::Status WriteAccessRecord(SqliteStatement& write, const v1::AccessRecord& record) {
  const std::string bytes = record.SerializeAsString();
  return write.Bind(1, record.name())
      .Bind(2, AssetOfRecord(record.name()))
      .Bind(3, record.principal())
      .BindBlob(4, bytes)
      .BindBlob(5, RecordChecksum("access_records", record.name(), bytes))
      .Run();
}

// The asset "assets/{a}" of "assets/{a}/attestations/{id}".
std::string AssetOfAttestation(absl::string_view name) {
  const size_t slash = name.find("/attestations/");
  return std::string(name.substr(0, slash == absl::string_view::npos ? 0 : slash));
}

// Runs the kept List query `select` (kListQuery) to the end of one page.
// The caller resets it.
absl::StatusOr<std::vector<Asset>> RunList(SqliteStatement& select, const AssetFilter& filter,
                                           absl::string_view after, int limit) {
  select.Bind(1, after)
      .Bind(2, static_cast<int64_t>(filter.classification))
      .Bind(3, filter.information_kind == v1::INFORMATION_KIND_UNSPECIFIED
                   ? int64_t{0}
                   : int64_t{1} << filter.information_kind)
      .Bind(4, int64_t{filter.review_overdue ? 1 : 0})
      .Bind(5, absl::ToUnixMicros(filter.now))
      .Bind(6, int64_t{filter.attestation_overdue ? 1 : 0})
      .Bind(7, absl::ToUnixMicros(filter.now - kAttestationPeriod))
      .Bind(8, int64_t{limit});
  std::vector<Asset> page;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return page;
    ISMS_ASSIGN_OR_RETURN(Asset asset, ParseRow(select));
    // The filter columns are not under the checksum: a row they let through
    // must pass on its checked content too.
    if (!Matches(filter, asset)) {
      return absl::DataLossError(absl::StrCat("assets record ", asset.name(),
                                              ": its filter columns disagree with the record"));
    }
    page.push_back(std::move(asset));
  }
}

}  // namespace

bool Matches(const AssetFilter& filter, const Asset& asset) {
  if (filter.classification != v1::CLASSIFICATION_UNSPECIFIED &&
      asset.classification() != filter.classification) {
    return false;
  }
  if (filter.information_kind != v1::INFORMATION_KIND_UNSPECIFIED) {
    bool holds = false;
    for (int kind : asset.information_kinds()) holds = holds || kind == filter.information_kind;
    if (!holds) return false;
  }
  if (filter.review_overdue && FromProto(asset.review_time()) > filter.now) return false;
  if (filter.attestation_overdue && asset.has_last_attestation_time() &&
      FromProto(asset.last_attestation_time()) > filter.now - kAttestationPeriod) {
    return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<SqliteAssetStore>> SqliteAssetStore::Open(const std::string& path,
                                                                         Options options) {
  ISMS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(path, options.init));
  return Open(std::move(db), options);
}

absl::StatusOr<std::unique_ptr<SqliteAssetStore>> SqliteAssetStore::Open(
    std::unique_ptr<SqliteDatabase> db, Options options) {
  // "isas": this file is the asset service's.
  ISMS_RETURN_IF_ERROR(db->Claim(0x69736173, "the asset service"));
  ISMS_RETURN_IF_ERROR(db->Migrate(Migrations()));
  // Assets are checked as they are read; the outbox is checked here, as the
  // relay would otherwise find a bad event only when it reached it.
  ISMS_RETURN_IF_ERROR(VerifyOutbox(*db));
  // Pages are read from all over a register of 100,000 assets (~40 MB): keep
  // them in memory rather than reading each back from the file (SQLite's
  // default cache is 2 MiB).
  ISMS_RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA cache_size=-", kCacheKib)));
  ISMS_ASSIGN_OR_RETURN(SqliteStatement list, db->Prepare(kListQuery));
  return std::unique_ptr<SqliteAssetStore>(
      new SqliteAssetStore(std::move(db), std::move(list), options.health));
}

absl::StatusOr<std::optional<Asset>> SqliteAssetStore::Get(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT name, resource, checksum FROM assets WHERE name = ?"));
  ISMS_ASSIGN_OR_RETURN(bool found, select.Bind(1, name).Step());
  if (!found) return std::nullopt;
  ISMS_ASSIGN_OR_RETURN(Asset asset, ParseRow(select));
  return asset;
}

absl::StatusOr<std::vector<Asset>> SqliteAssetStore::List(const AssetFilter& filter,
                                                          absl::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<Asset>> page = RunList(list_, filter, after, limit);
  list_.Reset();  // Ends the run, releasing its read of the database.
  return page;
}

absl::StatusOr<std::vector<std::string>> SqliteAssetStore::ListNames(const AssetFilter& filter,
                                                                     absl::string_view after,
                                                                     int limit) {
  absl::MutexLock lock(&mu_);
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare(absl::StrCat("SELECT name FROM assets WHERE name > ?1",
                                                  kFilterClause, " ORDER BY name LIMIT ?8")));
  select.Bind(1, after).Bind(8, int64_t{limit});
  BindFilter(select, filter);
  std::vector<std::string> names;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return names;
    names.push_back(select.ColumnText(0));
  }
}

absl::StatusOr<int64_t> SqliteAssetStore::Count(const AssetFilter& filter) {
  absl::MutexLock lock(&mu_);
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare(absl::StrCat("SELECT count(*) FROM assets WHERE name > ?1", kFilterClause)));
  select.Bind(1, "");
  BindFilter(select, filter);
  ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
  if (!has_row) return absl::InternalError("count(*) returned no row");
  return select.ColumnInt64(0);
}

absl::StatusOr<std::optional<v1::AccessRecord>> SqliteAssetStore::GetAccessRecord(
    absl::string_view name) {
  absl::MutexLock lock(&mu_);
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT name, resource, checksum FROM access_records WHERE name = ?"));
  ISMS_ASSIGN_OR_RETURN(bool found, select.Bind(1, name).Step());
  if (!found) return std::nullopt;
  ISMS_ASSIGN_OR_RETURN(v1::AccessRecord record, ParseAccessRow(select));
  return record;
}

absl::StatusOr<std::vector<v1::AccessRecord>> SqliteAssetStore::ListAccessRecords(
    absl::string_view asset, absl::string_view principal, absl::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  ISMS_ASSIGN_OR_RETURN(
      SqliteStatement select,
      db_->Prepare("SELECT name, resource, checksum, asset, principal FROM access_records"
                   " WHERE name > ?1 AND (?2 = '' OR asset = ?2) AND (?3 = '' OR principal = ?3)"
                   " ORDER BY name LIMIT ?4"));
  select.Bind(1, after).Bind(2, asset).Bind(3, principal).Bind(4, int64_t{limit});
  std::vector<v1::AccessRecord> records;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return records;
    ISMS_ASSIGN_OR_RETURN(v1::AccessRecord record, ParseAccessRow(select));
    // The search columns are not under the checksum: a row they selected
    // must be what its record says.
    if (select.ColumnText(3) != AssetOfRecord(record.name()) ||
        select.ColumnText(4) != record.principal()) {
      return absl::DataLossError(absl::StrCat("access_records record ", record.name(),
                                              ": its search columns disagree with the record"));
    }
    records.push_back(std::move(record));
  }
}

absl::StatusOr<std::vector<v1::Attestation>> SqliteAssetStore::ListAttestations(
    absl::string_view asset, absl::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  ISMS_ASSIGN_OR_RETURN(SqliteStatement select,
                        db_->Prepare("SELECT name, resource, checksum FROM attestations"
                                     " WHERE asset = ?1 AND name > ?2 ORDER BY name LIMIT ?3"));
  select.Bind(1, asset).Bind(2, after).Bind(3, int64_t{limit});
  std::vector<v1::Attestation> attestations;
  while (true) {
    ISMS_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) return attestations;
    const std::string name = select.ColumnText(0);
    const std::string bytes = select.ColumnText(1);
    ISMS_RETURN_IF_ERROR(VerifyRecordChecksum("attestations", name, bytes, select.ColumnText(2)));
    v1::Attestation attestation;
    if (!attestation.ParseFromString(bytes) || attestation.name() != name ||
        AssetOfAttestation(name) != asset) {
      return absl::DataLossError(absl::StrCat("attestations record ", name, " is unreadable"));
    }
    attestations.push_back(std::move(attestation));
  }
}

absl::Status SqliteAssetStore::Commit(const AssetChanges& changes) {
  absl::MutexLock lock(&mu_);
  SqliteDatabase& db = *db_;  // The transaction body runs under this lock.
  absl::Status committed = db.InTransaction([&]() -> absl::Status {
    constexpr char kColumns[] =
        " INTO assets (name, resource, checksum, classification, information_kinds, review_time,"
        " last_attestation_time) VALUES (?, ?, ?, ?, ?, ?, ?)";
    if (!changes.created.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement insert, db.Prepare(absl::StrCat("INSERT", kColumns)));
      ISMS_ASSIGN_OR_RETURN(SqliteStatement retired,
                            db.Prepare("SELECT 1 FROM retired_asset_names WHERE name = ?"));
      for (const Asset& asset : changes.created) {
        retired.Bind(1, asset.name());
        absl::StatusOr<bool> was_deleted = retired.Step();
        retired.Reset();
        ISMS_RETURN_IF_ERROR(was_deleted.status());
        if (*was_deleted) {
          return absl::AlreadyExistsError(absl::StrCat(
              asset.name(),
              " was deleted, and names of deleted assets are not given out again (the IAO "
              "appointed for it in the role service would own the new asset); choose another "
              "asset_id"));
        }
        absl::Status written = WriteAsset(insert, asset);
        if (written.code() == absl::StatusCode::kAlreadyExists) {
          return absl::AlreadyExistsError(absl::StrCat(asset.name(), " already exists"));
        }
        ISMS_RETURN_IF_ERROR(written);
      }
    }
    if (!changes.updated.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement replace,
                            db.Prepare(absl::StrCat("INSERT OR REPLACE", kColumns)));
      for (const Asset& asset : changes.updated) {
        bool exists = false;
        ISMS_RETURN_IF_ERROR(Exists(db, asset.name(), &exists));
        if (!exists) return absl::NotFoundError(absl::StrCat(asset.name(), " not found"));
        ISMS_RETURN_IF_ERROR(WriteAsset(replace, asset));
      }
    }
    if (!changes.deleted.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement remove,
                            db.Prepare("DELETE FROM assets WHERE name = ?"));
      for (const std::string& name : changes.deleted) {
        bool exists = false;
        ISMS_RETURN_IF_ERROR(Exists(db, name, &exists));
        if (!exists) return absl::NotFoundError(absl::StrCat(name, " not found"));
        ISMS_RETURN_IF_ERROR(remove.Bind(1, name).Run());
        ISMS_ASSIGN_OR_RETURN(SqliteStatement retire,
                              db.Prepare("INSERT OR IGNORE INTO retired_asset_names VALUES (?)"));
        ISMS_RETURN_IF_ERROR(retire.Bind(1, name).Run());
        ISMS_ASSIGN_OR_RETURN(SqliteStatement remove_access,
                              db.Prepare("DELETE FROM access_records WHERE asset = ?"));
        ISMS_RETURN_IF_ERROR(remove_access.Bind(1, name).Run());
        ISMS_ASSIGN_OR_RETURN(SqliteStatement remove_attestations,
                              db.Prepare("DELETE FROM attestations WHERE asset = ?"));
        ISMS_RETURN_IF_ERROR(remove_attestations.Bind(1, name).Run());
      }
    }
    constexpr char kAccessColumns[] =
        " INTO access_records (name, asset, principal, resource, checksum) VALUES (?, ?, ?, ?, ?)";
    if (!changes.access_created.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement insert,
                            db.Prepare(absl::StrCat("INSERT", kAccessColumns)));
      for (const v1::AccessRecord& record : changes.access_created) {
        absl::Status written = WriteAccessRecord(insert, record);
        if (written.code() == absl::StatusCode::kAlreadyExists) {
          return absl::AlreadyExistsError(absl::StrCat(record.name(), " already exists"));
        }
        ISMS_RETURN_IF_ERROR(written);
      }
    }
    if (!changes.attestations_created.empty()) {
      ISMS_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db.Prepare(
              "INSERT INTO attestations (name, asset, resource, checksum) VALUES (?, ?, ?, ?)"));
      for (const v1::Attestation& attestation : changes.attestations_created) {
        const std::string bytes = attestation.SerializeAsString();
        absl::Status written =
            insert.Bind(1, attestation.name())
                .Bind(2, AssetOfAttestation(attestation.name()))
                .BindBlob(3, bytes)
                .BindBlob(4, RecordChecksum("attestations", attestation.name(), bytes))
                .Run();
        if (written.code() == absl::StatusCode::kAlreadyExists) {
          return absl::AlreadyExistsError(absl::StrCat(attestation.name(), " already exists"));
        }
        ISMS_RETURN_IF_ERROR(written);
      }
    }
    if (!changes.access_updated.empty()) {
      ISMS_ASSIGN_OR_RETURN(SqliteStatement exists,
                            db.Prepare("SELECT 1 FROM access_records WHERE name = ?"));
      ISMS_ASSIGN_OR_RETURN(SqliteStatement replace,
                            db.Prepare(absl::StrCat("INSERT OR REPLACE", kAccessColumns)));
      for (const v1::AccessRecord& record : changes.access_updated) {
        ISMS_ASSIGN_OR_RETURN(bool found, exists.Bind(1, record.name()).Step());
        exists.Reset();
        if (!found) return absl::NotFoundError(absl::StrCat(record.name(), " not found"));
        ISMS_RETURN_IF_ERROR(WriteAccessRecord(replace, record));
      }
    }
    ISMS_RETURN_IF_ERROR(CommitRiskChanges(db, changes));
    for (const auto& event : changes.events) ISMS_RETURN_IF_ERROR(AppendToOutbox(db, event));
    return absl::OkStatus();
  });
  if (health_ != nullptr) health_->Record(committed);
  return committed;
}

absl::StatusOr<std::vector<OutboxEntry>> SqliteAssetStore::ReadOutbox(int64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  return isms::ReadOutbox(*db_, after, limit);
}

absl::Status SqliteAssetStore::Acknowledge(int64_t through_sequence) {
  absl::MutexLock lock(&mu_);
  return DeleteFromOutboxThrough(*db_, through_sequence);
}

absl::StatusOr<OutboxBacklog> SqliteAssetStore::Backlog() {
  absl::MutexLock lock(&mu_);
  return ReadOutboxBacklog(*db_);
}

}  // namespace isms::asset
