#include "common/server/logger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Capture(const std::function<void(Logger&)>& write, LogLevel level) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    Logger logger(out, level);
    write(logger);
  }
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  return text;
}

TEST(LoggerTest, CallLineIsOneJsonObjectWithEveryField) {
  const std::string line = Capture(
      [](Logger& logger) {
        logger.LogCall("/isms.role.v1.RoleService/GetRole", "NOT_FOUND", absl::Microseconds(1500),
                       "services/gateway", "principals/alice", "req-1", "roles/x not found");
      },
      LogLevel::kInfo);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_THAT(line, ::testing::ContainsRegex(
                        "^[{]\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                        "[.][0-9]{6}Z\",\"level\":\"info\""));
  EXPECT_THAT(line, HasSubstr(R"("method":"/isms.role.v1.RoleService/GetRole")"));
  EXPECT_THAT(line, HasSubstr(R"("code":"NOT_FOUND")"));
  EXPECT_THAT(line, HasSubstr(R"("duration_ms":1.500)"));
  EXPECT_THAT(line, HasSubstr(R"("actor":"services/gateway")"));
  EXPECT_THAT(line, HasSubstr(R"("principal":"principals/alice")"));
  EXPECT_THAT(line, HasSubstr(R"("request_id":"req-1")"));
  EXPECT_THAT(line, HasSubstr(R"("error":"roles/x not found")"));
}

TEST(LoggerTest, EscapesWhatWouldBreakTheLine) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
  const std::string line = Capture(
      [](Logger& logger) {
        logger.Log(LogLevel::kError, "bad\nvalue", {{"k", "v\"x"}});
      },
      LogLevel::kInfo);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_THAT(line, HasSubstr(R"("msg":"bad\nvalue")"));
  EXPECT_THAT(line, HasSubstr(R"("k":"v\"x")"));
}

TEST(LoggerTest, DropsLinesBelowTheLevel) {
  const std::string text = Capture(
      [](Logger& logger) {
        logger.Log(LogLevel::kInfo, "hidden");
        logger.LogCall("/m", "OK", absl::ZeroDuration(), "a", "a", "r", "");
        logger.Log(LogLevel::kWarning, "shown");
      },
      LogLevel::kWarning);
  EXPECT_THAT(text, Not(HasSubstr("hidden")));
  EXPECT_THAT(text, Not(HasSubstr("\"rpc\"")));
  EXPECT_THAT(text, HasSubstr("shown"));
}

TEST(LoggerTest, FlushWritesEveryLineFromManyThreadsWholeAndInEachThreadsOrder) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  std::string text;
  {
    Logger logger(out, LogLevel::kInfo);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&logger, t] {
        for (int i = 0; i < 500; ++i) {
          logger.Log(LogLevel::kInfo, "line",
                     {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
        }
      });
    }
    for (auto& thread : threads) thread.join();
    logger.Flush();  // Everything is out while the logger still runs.
    text.assign(buffer, size);
  }
  std::fclose(out);
  free(buffer);
  std::vector<int> next(4, 0);
  size_t lines = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const std::string line = text.substr(start, end - start);
    ASSERT_EQ(line.front(), '{');
    ASSERT_EQ(line.back(), '}');
    const int t = line[line.find("\"thread\":\"") + 10] - '0';
    const size_t at = line.find("\"i\":\"") + 5;
    EXPECT_EQ(std::stoi(line.substr(at)), next[t]++);
    ++lines;
    start = end + 1;
  }
  EXPECT_EQ(lines, 2000u);
}

TEST(LoggerTest, ParsesLevelNames) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_THAT(ParseLogLevel("loud"),
              isms::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_level")));
}

}  // namespace
}  // namespace isms
