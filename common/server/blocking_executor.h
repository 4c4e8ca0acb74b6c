#ifndef ISMS_COMMON_SERVER_BLOCKING_EXECUTOR_H_
#define ISMS_COMMON_SERVER_BLOCKING_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace isms {

// Runs tasks that may block (a write waiting for its group commit to be
// durable) on threads of its own, so gRPC's few callback threads go on
// serving other calls, and writes waiting at once can share one commit.
// Thread-safe.
class BlockingExecutor {
 public:
  // Starts `threads` threads (at least 1); at most `max_queued` tasks wait
  // for one.
  BlockingExecutor(int threads, size_t max_queued);
  // Runs every task already submitted, then joins the threads.
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Queues `task`; false (and `task` not run) when max_queued tasks already
  // wait, so the caller can refuse the work instead of queueing it without
  // bound.
  bool Submit(std::function<void()> task);

 private:
  void Work();
  bool HasWorkOrStops() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_BLOCKING_EXECUTOR_H_
