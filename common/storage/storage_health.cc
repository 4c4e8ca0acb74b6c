#include "common/storage/storage_health.h"

#include <utility>

#include "common/storage/sqlite_status.h"

namespace isms {

void StorageHealth::Record(const absl::Status& write_status) {
  bool writable;
  if (write_status.ok()) {
    writable = true;
  } else if (IsStorageUnavailable(write_status) ||
             write_status.code() == absl::StatusCode::kDataLoss) {
    // Full, read-only, failing, or holding what its writer cannot trust.
    writable = false;
  } else {
    return;
  }
  absl::MutexLock lock(&mu_);
  if (writable == writable_) return;
  writable_ = writable;
  // Called under the lock so listeners see changes in the order they happened.
  if (listener_) listener_(writable_);
}

bool StorageHealth::writable() const {
  absl::MutexLock lock(&mu_);
  return writable_;
}

void StorageHealth::SetListener(std::function<void(bool writable)> listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
  if (listener_) listener_(writable_);
}

}  // namespace isms
