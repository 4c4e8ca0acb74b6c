#ifndef ISMS_SERVICES_ASSET_SQLITE_ASSET_STORE_H_
#define ISMS_SERVICES_ASSET_SQLITE_ASSET_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/sqlite_database.h"
#include "common/storage/storage_health.h"
#include "services/asset/asset_store.h"

namespace isms::asset {

// AssetStore on an embedded SQLite database. Each asset is one row, clustered
// by name (so a page is one seek), holding its serialized message, its record
// checksum (common/storage/record_checksum.h) and the columns the list
// filters read; the outbox rows carry checksums too.
//
// Errors: storage conditions come back as common/storage/sqlite_status.h
// maps them (Unavailable "storage full: ..." etc.); a record that fails its
// checksum, or whose filter columns disagree with it, is DataLoss naming it.
class SqliteAssetStore final : public AssetStore {
 public:
  struct Options {
    // kRequireInitialised: a missing, empty or schema-less database is
    // FailedPrecondition instead of starting fresh (a service's start
    // without --init).
    SqliteInit init = SqliteInit::kCreateIfEmpty;
    // If set, told the outcome of every commit. Must outlive the store.
    StorageHealth* health = nullptr;
  };

  // Opens the database at `path` (":memory:" for tests), migrates it and
  // checks the outbox's checksums.
  static absl::StatusOr<std::unique_ptr<SqliteAssetStore>> Open(const std::string& path,
                                                                Options options);
  static absl::StatusOr<std::unique_ptr<SqliteAssetStore>> Open(const std::string& path) {
    return Open(path, Options());
  }
  // The same on a database already open (tests set storage conditions on the
  // store's own connection).
  static absl::StatusOr<std::unique_ptr<SqliteAssetStore>> Open(std::unique_ptr<SqliteDatabase> db,
                                                                Options options);

  absl::StatusOr<std::optional<isms::asset::v1::Asset>> Get(absl::string_view name) override;
  absl::StatusOr<std::vector<isms::asset::v1::Asset>> List(const AssetFilter& filter,
                                                           absl::string_view after,
                                                           int limit) override;
  absl::StatusOr<std::vector<std::string>> ListNames(const AssetFilter& filter,
                                                     absl::string_view after, int limit) override;
  absl::StatusOr<int64_t> Count(const AssetFilter& filter) override;
  absl::StatusOr<std::optional<isms::asset::v1::AccessRecord>> GetAccessRecord(
      absl::string_view name) override;
  absl::StatusOr<std::vector<isms::asset::v1::AccessRecord>> ListAccessRecords(
      absl::string_view asset, absl::string_view principal, absl::string_view after,
      int limit) override;
  absl::StatusOr<std::vector<isms::asset::v1::Attestation>> ListAttestations(
      absl::string_view asset, absl::string_view after, int limit) override;
  // Risks and incidents (sqlite_risk_store.cc).
  absl::StatusOr<std::optional<isms::asset::v1::Risk>> GetRisk(absl::string_view name) override;
  absl::StatusOr<std::vector<isms::asset::v1::Risk>> ListRisks(const RiskFilter& filter,
                                                               const RiskCursor& after,
                                                               int limit) override;
  absl::StatusOr<std::optional<isms::asset::v1::Incident>> GetIncident(
      absl::string_view name) override;
  absl::StatusOr<std::vector<isms::asset::v1::Incident>> ListIncidents(const IncidentFilter& filter,
                                                                       const IncidentCursor& after,
                                                                       int limit) override;
  absl::Status Commit(const AssetChanges& changes) override;
  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(int64_t after, int limit) override;
  absl::Status Acknowledge(int64_t through_sequence) override;
  absl::StatusOr<OutboxBacklog> Backlog() override;

 private:
  SqliteAssetStore(std::unique_ptr<SqliteDatabase> db, SqliteStatement list, StorageHealth* health)
      : db_(std::move(db)), list_(std::move(list)), health_(health) {}

  absl::Mutex mu_;
  std::unique_ptr<SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
  // List's query, prepared once (every List page is one run of it). Declared
  // after db_ so it is finalized before the database closes.
  SqliteStatement list_ ABSL_GUARDED_BY(mu_);
  StorageHealth* const health_;
};

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_SQLITE_ASSET_STORE_H_
