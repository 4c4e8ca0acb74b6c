#include "common/server/blocking_executor.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"

namespace isms {
namespace {

TEST(BlockingExecutorTest, RunsEveryTaskSubmittedBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    BlockingExecutor executor(4, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(executor.Submit([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 500);
}

TEST(BlockingExecutorTest, RefusesTasksBeyondItsQueueRatherThanQueueingWithoutBound) {
  absl::Notification release;
  absl::Notification started;
  BlockingExecutor executor(1, 2);
  ASSERT_TRUE(executor.Submit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();  // The one thread is busy; the queue is empty.
  EXPECT_TRUE(executor.Submit([] {}));
  EXPECT_TRUE(executor.Submit([] {}));
  EXPECT_FALSE(executor.Submit([] {}));
  release.Notify();
}

TEST(BlockingExecutorTest, TasksThatBlockDoNotHoldUpTheOthers) {
  absl::Notification release;
  absl::Notification quick_done;
  BlockingExecutor executor(2, 10);
  ASSERT_TRUE(executor.Submit([&] { release.WaitForNotification(); }));
  ASSERT_TRUE(executor.Submit([&] { quick_done.Notify(); }));
  quick_done.WaitForNotification();  // Would hang with one blocked thread.
  release.Notify();
}

}  // namespace
}  // namespace isms
