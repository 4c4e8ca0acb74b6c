#include "common/storage/data_dir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace isms {
namespace {

// The pid text the holder wrote, or "unknown" if it has not written it yet.
std::string HolderPid(int fd) {
  char buffer[32] = {};
  ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return "unknown";
  std::string pid(absl::StripAsciiWhitespace(absl::string_view(buffer, n)));
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& dir,
                                                                  pid_t pid) {
  std::string path = absl::StrCat(dir, "/LOCK");
  // The directory itself is locked as well as LOCK: an operator who moves or
  // deletes a LOCK that looks stale must not let a second process in.
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", dir, ": ", std::strerror(errno)));
  }
  // O_NOFOLLOW: a link planted at LOCK must not make us write a pid into
  // whatever file it points at.
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int error = errno;
    close(dir_fd);
    return absl::UnavailableError(
        absl::StrCat("cannot open lock file ", path, ": ", std::strerror(error)));
  }
  for (const int lock_fd : {dir_fd, fd}) {
    if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0) continue;
    int error = errno;
    std::string holder = error == EWOULDBLOCK ? HolderPid(fd) : "";
    close(fd);
    close(dir_fd);
    if (error != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", dir, " is in use by process ", holder, " (lock file ", path,
                     "); only one process may write it"));
  }
  std::string text = absl::StrCat(pid, "\n");
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    int error = errno;
    close(fd);
    close(dir_fd);
    return absl::UnavailableError(
        absl::StrCat("cannot write lock file ", path, ": ", std::strerror(error)));
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd, dir_fd, std::move(path)));
}

DataDirLock::~DataDirLock() {
  close(fd_);
  close(dir_fd_);
}

absl::StatusOr<std::unique_ptr<DataDirLock>> DataDirLock::CreateAndAcquire(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  }
  return Acquire(dir);
}

}  // namespace isms
