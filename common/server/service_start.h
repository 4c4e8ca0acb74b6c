#ifndef ISMS_COMMON_SERVER_SERVICE_START_H_
#define ISMS_COMMON_SERVER_SERVICE_START_H_

#include <memory>
#include <string>

#include "common/auth/authenticator.h"
#include "common/server/logger.h"

namespace isms {

// What every service binary sets up first, the same way.
struct ServiceStart {
  std::unique_ptr<Logger> logger;
  std::string token_file;
  std::unique_ptr<Authenticator> authenticator;
};

// Blocks the shutdown signals (before any thread exists), ignores SIGXFSZ (a
// file size limit is storage full, reported as an error, not death), sets
// umask 077 (what the service creates is its user's alone), parses the flags
// (with their ISMS_* environment overrides), makes the logger at --log_level
// and loads --token_file (required). On error logs why and returns null
// authenticator; the binary then exits 1.
ServiceStart StartService(int argc, char** argv);

// Logs `status` as the reason the service cannot go on; returns 1, the exit
// status for it.
int FailStart(Logger& logger, absl::string_view what, const absl::Status& status);

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_SERVICE_START_H_
