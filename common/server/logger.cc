#include "common/server/logger.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace isms {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// "2026-11-23T20:41:37.123456Z". Formatting the calendar part is the
// costly bit, and every line in the same second shares it, so each thread
// keeps the last second it formatted.
std::string Timestamp(absl::Time now) {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached_text;
  const int64_t micros = absl::ToUnixMicros(now);
  const int64_t second = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  if (second != cached_second) {
    cached_text =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second), absl::UTCTimeZone());
    cached_second = second;
  }
  return absl::StrCat(cached_text, ".", absl::Dec(micros - second * 1000000, absl::kZeroPad6), "Z");
}

std::string Prefix(LogLevel level) {
  return absl::StrCat("{\"time\":\"", Timestamp(absl::Now()), "\",\"level\":\"", LevelName(level),
                      "\"");
}

// Milliseconds with three decimals, e.g. "1.500".
std::string Milliseconds(absl::Duration duration) {
  const int64_t micros = absl::ToInt64Microseconds(duration);
  return absl::StrCat(micros / 1000, ".", absl::Dec(micros % 1000, absl::kZeroPad3));
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return absl::InvalidArgumentError("log_level: want debug, info, warning or error");
}

std::string JsonEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void Logger::Log(LogLevel level, absl::string_view message, Fields fields) {
  if (level < min_level_) return;
  std::string line = Prefix(level);
  absl::StrAppend(&line, ",\"msg\":\"", JsonEscape(message), "\"");
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, ",\"", JsonEscape(key), "\":\"", JsonEscape(value), "\"");
  }
  line += "}\n";
  WriteLine(line);
}

void Logger::LogCall(absl::string_view method, absl::string_view code, absl::Duration duration,
                     absl::string_view actor, absl::string_view principal,
                     absl::string_view request_id, absl::string_view error) {
  if (LogLevel::kInfo < min_level_) return;
  std::string line = Prefix(LogLevel::kInfo);
  absl::StrAppend(&line, ",\"msg\":\"rpc\",\"method\":\"", JsonEscape(method), "\",\"code\":\"",
                  code, "\",\"duration_ms\":", Milliseconds(duration), ",\"actor\":\"",
                  JsonEscape(actor), "\",\"principal\":\"", JsonEscape(principal),
                  "\",\"request_id\":\"", JsonEscape(request_id), "\"");
  if (!error.empty()) absl::StrAppend(&line, ",\"error\":\"", JsonEscape(error), "\"");
  line += "}\n";
  WriteLine(line);
}

Logger::Logger(std::FILE* out, LogLevel min_level)
    : out_(out), min_level_(min_level), writer_([this] { WriterLoop(); }) {}

Logger::~Logger() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
}

void Logger::WriteLine(const std::string& line) {
  absl::MutexLock lock(&mu_);
  auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return buffer_.size() < kMaxBufferedBytes || stopping_;
  };
  mu_.Await(absl::Condition(&has_room));
  buffer_ += line;
  queued_bytes_ += line.size();
}

void Logger::Flush() {
  absl::MutexLock lock(&mu_);
  const uint64_t target = queued_bytes_;
  auto written = [this, target]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return written_bytes_ >= target; };
  mu_.Await(absl::Condition(&written));
}

void Logger::WriterLoop() {
  std::string batch;
  while (true) {
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !buffer_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      batch.swap(buffer_);
      stop = stopping_ && batch.empty();
    }
    if (stop) return;
    // Whole lines only, in order; one writer, so they never interleave.
    std::fwrite(batch.data(), 1, batch.size(), out_);
    std::fflush(out_);
    absl::MutexLock lock(&mu_);
    written_bytes_ += batch.size();
    batch.clear();
  }
}

}  // namespace isms
