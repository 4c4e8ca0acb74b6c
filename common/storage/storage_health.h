#ifndef ISMS_COMMON_STORAGE_STORAGE_HEALTH_H_
#define ISMS_COMMON_STORAGE_STORAGE_HEALTH_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace isms {

// Whether a service's storage takes writes, as learnt from its writes: the
// last write failing with Unavailable (storage full, read-only, I/O error:
// see sqlite_status.h) or DataLoss (corrupt, or holding what its writer
// cannot trust) makes it unwritable; the next write that succeeds
// makes it writable again. Other failures (a duplicate, a bad request) say
// nothing about the storage and change nothing. Starts writable.
//
// Services report it as a health check service name (e.g.
// "isms.role.v1.RoleService/writes"), so an operator or a probe sees a full
// or read-only disk while reads go on being served. Thread-safe.
class StorageHealth {
 public:
  StorageHealth() = default;
  StorageHealth(const StorageHealth&) = delete;
  StorageHealth& operator=(const StorageHealth&) = delete;

  // Records the outcome of one write.
  void Record(const absl::Status& write_status);

  bool writable() const;

  // Calls `listener(writable())` now and again on every change, in order,
  // from the thread that records the change. Replaces any earlier listener.
  void SetListener(std::function<void(bool writable)> listener);

 private:
  mutable absl::Mutex mu_;
  bool writable_ ABSL_GUARDED_BY(mu_) = true;
  std::function<void(bool)> listener_ ABSL_GUARDED_BY(mu_);
};

}  // namespace isms

#endif  // ISMS_COMMON_STORAGE_STORAGE_HEALTH_H_
