#ifndef ISMS_COMMON_SERVER_LOGGER_H_
#define ISMS_COMMON_SERVER_LOGGER_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <thread>
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
// written whole. Lines are formatted on the caller's thread and written off
// the request path by a background writer, in the order they were logged;
// Flush() and the destructor write everything logged before them (so a
// graceful stop loses nothing; kill -9 may lose the last few milliseconds).
// When the writer falls more than kMaxBufferedBytes behind, callers wait
// for it rather than buffer without bound.
class Logger {
 public:
  using Fields = std::initializer_list<std::pair<absl::string_view, absl::string_view>>;
  static constexpr size_t kMaxBufferedBytes = 1 << 20;

  // `out` must outlive the logger.
  Logger(std::FILE* out, LogLevel min_level);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Returns once every line logged before the call is written and flushed.
  void Flush();

  void Log(LogLevel level, absl::string_view message, Fields fields = {});

  // The line every RPC produces, at info level.
  void LogCall(absl::string_view method, absl::string_view code, absl::Duration duration,
               absl::string_view actor, absl::string_view principal, absl::string_view request_id,
               absl::string_view error);

 private:
  void WriteLine(const std::string& line);
  void WriterLoop();

  std::FILE* const out_;
  const LogLevel min_level_;
  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  // Bytes ever queued / ever written, so Flush knows when its lines are out.
  uint64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

// Escapes `s` for use inside a JSON string literal.
std::string JsonEscape(absl::string_view s);

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_LOGGER_H_
