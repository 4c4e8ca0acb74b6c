#ifndef ISMS_COMMON_SERVER_LOGGER_H_
#define ISMS_COMMON_SERVER_LOGGER_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace isms {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug" | "info" | "warning" | "error" → level; InvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);

// Writes structured logs: one JSON object a line. Thread-safe; each line is
// written whole.
class Logger {
 public:
  using Fields = std::initializer_list<std::pair<absl::string_view, absl::string_view>>;

  Logger(std::FILE* out, LogLevel min_level) : out_(out), min_level_(min_level) {}

  void Log(LogLevel level, absl::string_view message, Fields fields = {});

  // The line every RPC produces, at info level.
  void LogCall(absl::string_view method, absl::string_view code, absl::Duration duration,
               absl::string_view actor, absl::string_view principal, absl::string_view request_id,
               absl::string_view error);

 private:
  void WriteLine(const std::string& line);

  std::FILE* const out_;
  const LogLevel min_level_;
  absl::Mutex mu_;
};

// Escapes `s` for use inside a JSON string literal.
std::string JsonEscape(absl::string_view s);

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_LOGGER_H_
