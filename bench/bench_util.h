#ifndef ISMS_BENCH_BENCH_UTIL_H_
#define ISMS_BENCH_BENCH_UTIL_H_

// What the benches share: timed phases of synchronous calls from client
// threads, their throughput and percentiles, and one line to print each.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <vector>

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
PhaseResult RunPhase(int threads, int requests,
                     const std::function<bool(int thread, int i)>& call);

// Runs `call(thread, i)` on `threads` threads, each calling again until
// `duration` has passed since the phase started.
PhaseResult RunFor(int threads, absl::Duration duration,
                   const std::function<bool(int thread, int i)>& call);

// Sets "authorization: Bearer <token>" and a 10 s deadline on `context`.
void Authorize(grpc::ClientContext& context, const char* token);

// "<name>  <n> req/s  p50 .. us  p99 .. us  errors n" on stdout.
void Print(const char* name, const PhaseResult& result);

}  // namespace isms::bench

#endif  // ISMS_BENCH_BENCH_UTIL_H_
