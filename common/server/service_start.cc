#include "common/server/service_start.h"

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "common/server/server_flags.h"
#include "common/server/server_runner.h"
#include "google/protobuf/stubs/logging.h"

namespace isms {

int FailStart(Logger& logger, absl::string_view what, const absl::Status& status) {
  logger.Log(LogLevel::kError, what, {{"error", status.ToString()}});
  return 1;
}

ServiceStart StartService(int argc, char** argv) {
  BlockShutdownSignals();
  signal(SIGXFSZ, SIG_IGN);
  umask(077);
  // protobuf writes a raw "[libprotobuf ERROR ...]" line for every request
  // that does not parse (invalid UTF-8 in a string field, say), before
  // authentication: any client could fill the JSON log with them, past the
  // once-a-minute tally of unauthenticated calls. gRPC already answers such
  // a call with an error.
  google::protobuf::SetLogHandler(nullptr);
  // Debian's Abseil checks every lock for deadlock cycles (a debug aid that
  // costs a graph lookup per lock on every call). The tests keep it; the
  // clang thread-safety analysis in CI checks the lock order statically.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ParseFlagsWithEnvironment(argc, argv);

  ServiceStart start;
  absl::StatusOr<LogLevel> level = ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  start.logger = std::make_unique<Logger>(stderr, level.ok() ? *level : LogLevel::kInfo);
  if (!level.ok()) {
    FailStart(*start.logger, "bad flag", level.status());
    return start;
  }
  start.token_file = absl::GetFlag(FLAGS_token_file);
  if (start.token_file.empty()) {
    FailStart(*start.logger, "bad flag", absl::InvalidArgumentError("token_file: required"));
    return start;
  }
  absl::StatusOr<std::unique_ptr<Authenticator>> authenticator =
      Authenticator::FromFile(start.token_file);
  if (!authenticator.ok()) {
    FailStart(*start.logger, "cannot load tokens", authenticator.status());
    return start;
  }
  start.authenticator = *std::move(authenticator);
  return start;
}

}  // namespace isms
