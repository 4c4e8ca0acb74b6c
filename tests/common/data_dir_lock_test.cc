#include "common/storage/data_dir_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class DataDirLockTest : public ::testing::Test {
 protected:
  isms::testing::TempDir dir_;
};

TEST_F(DataDirLockTest, SecondLockIsRefusedNamingTheHoldersPid) {
  auto first = DataDirLock::Acquire(dir_.path(), 4242);
  ASSERT_TRUE(first.ok()) << first.status();
  // A second open of the lock file conflicts as another process's would.
  auto second = DataDirLock::Acquire(dir_.path(), 5151);
  EXPECT_THAT(second,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use by process 4242")));
}

TEST_F(DataDirLockTest, MovingTheLockFileAsideDoesNotLetASecondProcessIn) {
  auto first = DataDirLock::Acquire(dir_.path(), 4242);
  ASSERT_TRUE(first.ok()) << first.status();
  // An operator clears what looks like a stale LOCK.
  ASSERT_EQ(std::rename((*first)->path().c_str(), (dir_.path() + "/LOCK.moved").c_str()), 0);
  auto second = DataDirLock::Acquire(dir_.path(), 5151);
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use")));
}

TEST_F(DataDirLockTest, LockFileHoldsTheOwnersPid) {
  auto lock = DataDirLock::Acquire(dir_.path(), 4242);
  ASSERT_TRUE(lock.ok()) << lock.status();
  std::ifstream in((*lock)->path());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "4242\n");
}

TEST_F(DataDirLockTest, ReleasedLockCanBeTakenAgain) {
  { ASSERT_TRUE(DataDirLock::Acquire(dir_.path(), 1).ok()); }
  auto again = DataDirLock::Acquire(dir_.path(), 2);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST_F(DataDirLockTest, ALinkPlantedAtTheLockFileIsNotFollowed) {
  const std::string victim = dir_.path() + "/victim";
  { std::ofstream(victim) << "precious"; }
  ASSERT_EQ(symlink(victim.c_str(), (dir_.path() + "/LOCK").c_str()), 0);
  EXPECT_FALSE(DataDirLock::Acquire(dir_.path(), 4242).ok());
  std::ifstream in(victim);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "precious");
}

TEST_F(DataDirLockTest, MissingDirectoryIsUnavailable) {
  EXPECT_THAT(DataDirLock::Acquire(dir_.path() + "/missing", 1),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("missing")));
}

}  // namespace
}  // namespace isms
