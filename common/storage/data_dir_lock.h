#ifndef ISMS_COMMON_STORAGE_DATA_DIR_LOCK_H_
#define ISMS_COMMON_STORAGE_DATA_DIR_LOCK_H_

#include <sys/types.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace isms {

// Exclusive ownership of a service's data directory: one writer per
// directory. Held from Acquire until destruction (or until the process ends,
// however it ends: the operating system releases it on exit, kill -9 included).
//
// The lock is an advisory flock(2) on "<dir>/LOCK", which also holds the
// owner's pid so a refused process can say who holds it. It protects against
// a second process on the same host; flock on network file systems is not
// relied upon (see README "Limits").
class DataDirLock {
 public:
  // Locks `dir` (which must exist) for this process, recording `pid`.
  // FailedPrecondition naming the holder's pid if another open lock holds it
  // (another process, or another DataDirLock in this one); Unavailable if the
  // lock file cannot be created or written.
  static absl::StatusOr<std::unique_ptr<DataDirLock>> Acquire(const std::string& dir,
                                                              pid_t pid = ::getpid());

  // Creates `dir` (and its parents) if missing, then Acquire: what a
  // service does with its --data_dir at start. Unavailable if it cannot be
  // created.
  static absl::StatusOr<std::unique_ptr<DataDirLock>> CreateAndAcquire(const std::string& dir);

  // Releases the lock. The lock file stays (removing it would race with a
  // process that has just opened it).
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  // "<dir>/LOCK".
  const std::string& path() const { return path_; }

 private:
  DataDirLock(int fd, int dir_fd, std::string path)
      : fd_(fd), dir_fd_(dir_fd), path_(std::move(path)) {}
  int fd_;
  int dir_fd_;  // The directory, locked too.
  std::string path_;
};

}  // namespace isms

#endif  // ISMS_COMMON_STORAGE_DATA_DIR_LOCK_H_
