#ifndef ISMS_BENCH_BENCH_UTIL_H_
#define ISMS_BENCH_BENCH_UTIL_H_

// What the benches share: timed phases of synchronous calls from client
// threads (or of asynchronous calls kept in flight), their throughput and
// percentiles, one line to print each; and what a bench reads about a
// server process it started: CPU time, resident memory, its data's size,
// which CPUs it may run on.

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace isms::bench {

// The calls of one phase: wall time, every call's latency, failed calls.
struct PhaseResult {
  double seconds = 0;
  std::vector<double> latencies_us;
  int errors = 0;
  // Calls a second (failed ones included).
  double throughput() const;
  // The latency (µs) below which a fraction `p` (0..1) of calls fall.
  double percentile(double p) const;
};

// Runs `call(thread, i)` `requests` times across `threads` threads (each
// makes requests / threads calls). `call` returns false for a failed call.
PhaseResult RunPhase(int threads, int requests, const std::function<bool(int thread, int i)>& call);

// Runs `call(thread, i)` on `threads` threads, each calling again until
// `duration` has passed since the phase started.
PhaseResult RunFor(int threads, absl::Duration duration,
                   const std::function<bool(int thread, int i)>& call);

// Finishes one asynchronous call: `ok` says whether it succeeded.
using CallDone = std::function<void(bool ok)>;

// Keeps `outstanding` calls in flight until `duration` has passed: each slot
// starts a call with `start(slot, done)` and, when the call calls `done`,
// starts the next. `start` must not block; `done` may run on any thread,
// once per call. Latency is from `start` to `done`.
PhaseResult RunAsyncFor(int outstanding, absl::Duration duration,
                        const std::function<void(int slot, CallDone done)>& start);

// Sets "authorization: Bearer <token>" and a 10 s deadline on `context`.
void Authorize(grpc::ClientContext& context, const char* token);

// "<name>  <n> req/s  p50 .. us  p99 .. us  errors n" on stdout.
void Print(const char* name, const PhaseResult& result);

// What /proc says about a process: CPU time it has used (user + system, all
// its threads) and its resident memory. Zeros if the process is gone.
struct ProcessStats {
  double cpu_seconds = 0;
  int64_t rss_bytes = 0;
};
ProcessStats ReadProcessStats(pid_t pid);

// Lets every thread of process `pid` (0: this process) run only on `cpu`, or
// on every CPU the machine has when `cpu` is -1. Threads the process starts
// later inherit it from the thread that starts them.
absl::Status PinProcess(pid_t pid, int cpu);

// The number of CPUs this process may run on.
int AvailableCpus();

// The bytes of every regular file under `path` (0 if it does not exist).
int64_t DirectoryBytes(const std::string& path);

}  // namespace isms::bench

#endif  // ISMS_BENCH_BENCH_UTIL_H_
