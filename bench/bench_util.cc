#include "bench/bench_util.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace isms::bench {
namespace {

// Runs `call` on `threads` threads; `more(i)` says whether a thread that has
// made i calls makes another.
PhaseResult Run(int threads, const std::function<bool(int i)>& more,
                const std::function<bool(int thread, int i)>& call) {
  std::vector<std::vector<double>> per_thread(threads);
  std::atomic<int> errors{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; more(i); ++i) {
        const absl::Time before = absl::Now();
        if (!call(t, i)) ++errors;
        per_thread[t].push_back(absl::ToDoubleMicroseconds(absl::Now() - before));
      }
    });
  }
  for (auto& worker : workers) worker.join();
  PhaseResult result;
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (auto& latencies : per_thread) {
    result.latencies_us.insert(result.latencies_us.end(), latencies.begin(), latencies.end());
  }
  result.errors = errors;
  return result;
}

}  // namespace

double PhaseResult::throughput() const { return latencies_us.size() / seconds; }

double PhaseResult::percentile(double p) const {
  if (latencies_us.empty()) return 0;
  std::vector<double> sorted = latencies_us;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  std::nth_element(sorted.begin(), sorted.begin() + index, sorted.end());
  return sorted[index];
}

PhaseResult RunPhase(int threads, int requests,
                     const std::function<bool(int thread, int i)>& call) {
  const int count = requests / threads;
  return Run(threads, [count](int i) { return i < count; }, call);
}

PhaseResult RunFor(int threads, absl::Duration duration,
                   const std::function<bool(int thread, int i)>& call) {
  const absl::Time end = absl::Now() + duration;
  return Run(threads, [end](int) { return absl::Now() < end; }, call);
}

void Authorize(grpc::ClientContext& context, const char* token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

void Print(const char* name, const PhaseResult& r) {
  std::printf("%-22s %10.0f req/s   p50 %7.1f us   p99 %7.1f us   errors %d\n", name,
              r.throughput(), r.percentile(0.50), r.percentile(0.99), r.errors);
}

}  // namespace isms::bench
