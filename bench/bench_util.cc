#include "bench/bench_util.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
  return Run(
      threads, [count](int i) { return i < count; }, call);
}

PhaseResult RunFor(int threads, absl::Duration duration,
                   const std::function<bool(int thread, int i)>& call) {
  const absl::Time end = absl::Now() + duration;
  return Run(
      threads, [end](int) { return absl::Now() < end; }, call);
}

PhaseResult RunAsyncFor(int outstanding, absl::Duration duration,
                        const std::function<void(int slot, CallDone done)>& start) {
  // Each slot makes one call at a time, so its latencies need no lock; the
  // next call starts from the previous one's completion.
  struct Slot {
    absl::Time began;
    std::vector<double> latencies_us;
  };
  struct State {
    std::vector<Slot> slots;
    std::atomic<int> errors{0};
    absl::Time end;
    absl::Mutex mu;
    int running ABSL_GUARDED_BY(mu) = 0;
    std::function<void(int)> issue;
  };
  auto state = std::make_unique<State>();
  state->slots.resize(outstanding);
  State& st = *state;
  st.issue = [&st, &start](int slot) {
    st.slots[slot].began = absl::Now();
    start(slot, [&st, slot](bool ok) {
      const absl::Time now = absl::Now();
      st.slots[slot].latencies_us.push_back(absl::ToDoubleMicroseconds(now - st.slots[slot].began));
      if (!ok) ++st.errors;
      if (now < st.end) {
        st.issue(slot);
      } else {
        absl::MutexLock lock(&st.mu);
        --st.running;
      }
    });
  };
  const absl::Time begin = absl::Now();
  st.end = begin + duration;
  {
    absl::MutexLock lock(&st.mu);
    st.running = outstanding;
  }
  for (int slot = 0; slot < outstanding; ++slot) st.issue(slot);
  {
    absl::MutexLock lock(&st.mu);
    st.mu.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &st.running));
  }
  PhaseResult result;
  result.seconds = absl::ToDoubleSeconds(absl::Now() - begin);
  for (auto& slot : st.slots) {
    result.latencies_us.insert(result.latencies_us.end(), slot.latencies_us.begin(),
                               slot.latencies_us.end());
  }
  result.errors = st.errors;
  return result;
}

void Authorize(grpc::ClientContext& context, const char* token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

void Print(const char* name, const PhaseResult& r) {
  std::printf("%-22s %10.0f req/s   p50 %7.1f us   p99 %7.1f us   errors %d\n", name,
              r.throughput(), r.percentile(0.50), r.percentile(0.99), r.errors);
}

ProcessStats ReadProcessStats(pid_t pid) {
  ProcessStats stats;
  const std::string proc = pid == 0 ? "/proc/self" : absl::StrCat("/proc/", pid);
  std::ifstream stat_file(proc + "/stat");
  std::string line;
  if (std::getline(stat_file, line)) {
    // The command name (field 2) may hold spaces: fields are counted after
    // its closing parenthesis. utime and stime are fields 14 and 15.
    const size_t close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(line.substr(close + 2));
      std::string field;
      double ticks = 0;
      for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14 || i == 15) {
          double value = 0;
          if (absl::SimpleAtod(field, &value)) ticks += value;
        }
      }
      stats.cpu_seconds = ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  std::ifstream status_file(proc + "/status");
  while (std::getline(status_file, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      int64_t kilobytes = 0;
      fields >> kilobytes;
      stats.rss_bytes = kilobytes * 1024;
    }
  }
  return stats;
}

absl::Status PinProcess(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0) {
    const long cpus = sysconf(_SC_NPROCESSORS_CONF);
    for (long c = 0; c < cpus && c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
  } else {
    CPU_SET(cpu, &set);
  }
  // sched_setaffinity sets one thread: set every thread the process has now.
  const std::string tasks =
      pid == 0 ? std::string("/proc/self/task") : absl::StrCat("/proc/", pid, "/task");
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    pid_t tid = 0;
    if (!absl::SimpleAtoi(task.path().filename().string(), &tid)) continue;
    // A thread that ended meanwhile (ESRCH) is not an error.
    if (sched_setaffinity(tid, sizeof(set), &set) != 0 && errno != ESRCH) {
      return absl::InternalError(
          absl::StrCat("sched_setaffinity(", tid, ", cpu ", cpu, "): ", std::strerror(errno)));
    }
  }
  if (error) return absl::NotFoundError(absl::StrCat(tasks, ": ", error.message()));
  return absl::OkStatus();
}

int AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return CPU_COUNT(&set);
}

int64_t DirectoryBytes(const std::string& path) {
  int64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
    std::error_code size_error;
    if (entry.is_regular_file(size_error)) {
      const auto size = entry.file_size(size_error);
      if (!size_error) bytes += static_cast<int64_t>(size);
    }
  }
  return bytes;
}

}  // namespace isms::bench
