#include "common/server/server_flags.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "absl/flags/flag.h"

namespace isms {
namespace {

TEST(ServerFlagsTest, EnvironmentOverridesDefaultAndCommandLineOverridesEnvironment) {
  setenv("ISMS_LOG_LEVEL", "debug", 1);
  setenv("ISMS_MAX_MESSAGE_BYTES", "1234", 1);
  char program[] = "service";
  char level_flag[] = "--log_level=warning";
  char* argv[] = {program, level_flag};
  ParseFlagsWithEnvironment(2, argv);
  EXPECT_EQ(absl::GetFlag(FLAGS_log_level), "warning");
  EXPECT_EQ(absl::GetFlag(FLAGS_max_message_bytes), 1234);
  unsetenv("ISMS_LOG_LEVEL");
  unsetenv("ISMS_MAX_MESSAGE_BYTES");
}

}  // namespace
}  // namespace isms
