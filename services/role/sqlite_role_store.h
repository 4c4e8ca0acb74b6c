#ifndef ISMS_SERVICES_ROLE_SQLITE_ROLE_STORE_H_
#define ISMS_SERVICES_ROLE_SQLITE_ROLE_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/sqlite_database.h"
#include "common/storage/storage_health.h"
#include "services/role/role_store.h"

namespace isms::role {

// RoleStore on an embedded SQLite database. Each resource is one row holding
// its serialized message and its record checksum (common/storage/
// record_checksum.h), keyed by resource name; the outbox rows carry one too.
//
// Errors: storage conditions come back as common/storage/sqlite_status.h
// maps them (Unavailable "storage full: ..." etc.); a record that fails its
// checksum is DataLoss naming its table and key.
class SqliteRoleStore final : public RoleStore {
 public:
  struct Options {
    // kRequireInitialised: a missing, empty or schema-less database is
    // FailedPrecondition instead of starting fresh (what a service does
    // unless started with --init).
    SqliteInit init = SqliteInit::kCreateIfEmpty;
    // If set, told the outcome of every commit. Must outlive the store.
    StorageHealth* health = nullptr;
  };

  // Opens the database at `path`, migrates it, and checks the checksum of
  // every stored record (resources and outbox): DataLoss naming the first
  // record that fails.
  static absl::StatusOr<std::unique_ptr<SqliteRoleStore>> Open(const std::string& path,
                                                               Options options);
  static absl::StatusOr<std::unique_ptr<SqliteRoleStore>> Open(const std::string& path) {
    return Open(path, Options());
  }
  // The same on a database already open (tests use it to set storage
  // conditions, e.g. PRAGMA max_page_count, on the store's own connection).
  static absl::StatusOr<std::unique_ptr<SqliteRoleStore>> Open(std::unique_ptr<SqliteDatabase> db,
                                                               Options options);

  absl::StatusOr<StoredState> LoadAll() override;
  absl::Status CommitBatch(absl::Span<const ChangeSet* const> batch) override;
  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(int64_t after, int limit) override;
  absl::Status Acknowledge(int64_t through_sequence) override;
  absl::StatusOr<OutboxBacklog> Backlog() override;

 private:
  SqliteRoleStore(std::unique_ptr<SqliteDatabase> db, StorageHealth* health)
      : db_(std::move(db)), health_(health) {}

  absl::Mutex mu_;
  std::unique_ptr<SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
  StorageHealth* const health_;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_SQLITE_ROLE_STORE_H_
