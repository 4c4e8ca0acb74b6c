#ifndef ISMS_SERVICES_ROLE_SQLITE_ROLE_STORE_H_
#define ISMS_SERVICES_ROLE_SQLITE_ROLE_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/sqlite_database.h"
#include "services/role/role_store.h"

namespace isms::role {

// RoleStore on an embedded SQLite database. Each resource is one row holding
// its serialized message, keyed by resource name.
class SqliteRoleStore final : public RoleStore {
 public:
  // Opens (creating if needed) the database at `path` and migrates it.
  static absl::StatusOr<std::unique_ptr<SqliteRoleStore>> Open(const std::string& path);

  absl::StatusOr<StoredState> LoadAll() override;
  absl::Status Commit(const ChangeSet& changes) override;
  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(int64_t after, int limit) override;

 private:
  explicit SqliteRoleStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {}

  absl::Mutex mu_;
  std::unique_ptr<SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_SQLITE_ROLE_STORE_H_
