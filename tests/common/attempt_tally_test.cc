#include "common/server/attempt_tally.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/time/clock.h"

namespace isms {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AttemptTallyTest : public ::testing::Test {
 protected:
  AttemptTallyTest() : out_(open_memstream(&buffer_, &size_)), logger_(out_, LogLevel::kInfo) {}
  ~AttemptTallyTest() override {
    logger_.Flush();
    std::fclose(out_);
    free(buffer_);
  }
  std::string Logged() {
    logger_.Flush();  // The logger writes in the background.
    std::fflush(out_);
    return std::string(buffer_, size_);
  }

  char* buffer_ = nullptr;
  size_t size_ = 0;
  std::FILE* out_;
  Logger logger_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  AttemptTally tally_{"unauthenticated calls", clock_, logger_};
};

TEST_F(AttemptTallyTest, CountsPerPeerAddressAndLogsOnceAMinute) {
  for (int i = 0; i < 3; ++i) tally_.Record("ipv4:10.0.0.1:5000");
  tally_.Record("ipv4:10.0.0.1:5001");  // Same address, another port.
  tally_.Record("ipv6:[::1]:7000");
  EXPECT_EQ(Logged(), "");  // Nothing within the minute.
  EXPECT_EQ(tally_.total(), 5);

  clock_.Advance(absl::Minutes(1));
  tally_.Record("ipv4:10.0.0.2:1");
  const std::string logged = Logged();
  EXPECT_THAT(logged, HasSubstr("\"peer\":\"ipv4:10.0.0.1\",\"count\":\"4\""));
  EXPECT_THAT(logged, HasSubstr("\"peer\":\"ipv6:[::1]\",\"count\":\"1\""));
  EXPECT_THAT(logged, Not(HasSubstr("10.0.0.2")));  // Counted in the new minute.
  EXPECT_EQ(std::count(logged.begin(), logged.end(), '\n'), 2);
}

}  // namespace
}  // namespace isms
