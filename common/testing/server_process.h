#ifndef ISMS_COMMON_TESTING_SERVER_PROCESS_H_
#define ISMS_COMMON_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace isms::testing {

// A fresh temporary folder, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A service binary run as a child process on a free loopback port, for
// integration tests and benchmarks. The child gets --listen=127.0.0.1:0 and
// --ready_file; Start returns once it has written the port it bound.
class ServerProcess {
 public:
  // Starts `binary` with `args` (plus the two flags above), its stderr to
  // `log_file`. Unavailable if it exits or is not ready within `timeout`.
  // `open_files_limit` > 0 sets the child's RLIMIT_NOFILE (soft and hard).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, const std::vector<std::string>& args, const std::string& log_file,
      absl::Duration timeout = absl::Seconds(20), int open_files_limit = 0);

  // Kills the child with SIGKILL if it is still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` to the child.
  void Signal(int signal);
  // Waits for the child to exit; returns its wait status. DeadlineExceeded
  // (child left running) after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);

 private:
  ServerProcess(pid_t pid, std::string address) : pid_(pid), address_(std::move(address)) {}
  pid_t pid_;
  std::string address_;
  bool reaped_ = false;
};

}  // namespace isms::testing

#endif  // ISMS_COMMON_TESTING_SERVER_PROCESS_H_
