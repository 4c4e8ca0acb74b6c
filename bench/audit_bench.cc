// Audit service throughput and latency over loopback: durable appends by
// batch size and client threads, then inclusion and consistency proofs on a
// large log, beside the floor of the cheapest authenticated RPC (GetTreeHead,
// which answers the signed head from memory) measured in the same run
// against the same server process.
//
//   build/bench/audit_bench [--append_threads=1,4] [--batch_sizes=1,10,100]
//                           [--phase_seconds=3] [--log_size=1000000]
//                           [--requests=20000] [--rounds=2]
//
// Starts the real audit service binary on a free loopback port with a fresh
// data dir (--init), an Ed25519 signing key made here and a token for a
// service identity that may append and read. Prints:
//   1. the floor (GetTreeHead) on the empty log;
//   2. appended events a second for each batch size and thread count, each
//      AppendEvents returning after its commit (SQLite WAL, synchronous=FULL);
//   3. the time to fill the log to --log_size with batches of 1000, then
//      alternating floor / GetInclusionProof (random index, tree_size 0) /
//      GetConsistencyProof (random first_size, second_size 0) phases, with
//      each proof's throughput as a ratio of the floor's.
// Each client thread has its own channel (its own connection).

#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "common/auth/sha256.h"
#include "common/testing/server_process.h"
#include "isms/audit/v1/audit_service.grpc.pb.h"

ABSL_FLAG(std::vector<std::string>, append_threads, std::vector<std::string>({"1", "4"}),
          "client thread counts for the append phases");
ABSL_FLAG(std::vector<std::string>, batch_sizes, std::vector<std::string>({"1", "10", "100"}),
          "events per AppendEvents call in the append phases");
ABSL_FLAG(int, threads, 4, "client threads for the floor, fill and proof phases");
ABSL_FLAG(double, phase_seconds, 3, "length of each append phase");
ABSL_FLAG(int, requests, 20000, "calls per floor or proof phase (split across threads)");
ABSL_FLAG(int, rounds, 2, "floor/inclusion/consistency phase triples on the full log");
ABSL_FLAG(int64_t, log_size, 1000000,
          "events in the log for the proof phases, filled in batches of 1000 (0 skips them)");
ABSL_FLAG(std::string, server_log_level, "info",
          "the service's --log_level (info logs every call, as in production)");

namespace {

namespace v1 = isms::audit::v1;
using isms::bench::Authorize;
using isms::bench::PhaseResult;
using isms::bench::Print;
using isms::bench::RunFor;
using isms::bench::RunPhase;

constexpr char kToken[] = "bench-audit-token";
constexpr int kFillBatch = 1000;

// An Ed25519 private key, PEM; empty on failure.
std::string NewSigningKeyPem() {
  std::string pem;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
      char* data = nullptr;
      const long length = BIO_get_mem_data(bio, &data);
      pem.assign(data, static_cast<size_t>(length));
    }
    BIO_free(bio);
  }
  EVP_PKEY_free(key);
  EVP_PKEY_CTX_free(ctx);
  return pem;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// Makes events shaped like the role service's: an appointment with its
// actor, resource, description and field changes, each with a fresh
// event_id. Ids are unique across every generator of one process.
class EventMaker {
 public:
  void Fill(v1::AppendEventsRequest& request, int count) {
    request.clear_events();
    for (int i = 0; i < count; ++i) Make(*request.add_events());
  }

  void Make(v1::AuditEvent& event) {
    const uint64_t n = next_id_.fetch_add(1);
    const uint64_t r = SplitMix64(n);
    const int person = static_cast<int>(r % 200);
    const int asset = static_cast<int>((r >> 16) % 5000);
    event.set_event_id(absl::StrFormat("role-%016x-%d", r, n));
    const absl::Time now = absl::Now();
    event.mutable_occur_time()->set_seconds(absl::ToUnixSeconds(now));
    event.mutable_occur_time()->set_nanos(static_cast<int>(absl::ToUnixNanos(now) % 1000000000));
    event.set_service("isms.role.v1.RoleService");
    event.set_method("/isms.role.v1.RoleService/CreateAssignment");
    event.set_actor(absl::StrCat("principals/p", person));
    event.set_principal(event.actor());
    event.set_request_id(absl::StrFormat("%016x%016x", SplitMix64(r), r));
    event.set_resource(absl::StrFormat("assignments/%016x", SplitMix64(r + 1)));
    event.set_outcome(v1::OUTCOME_SUCCEEDED);
    event.set_description(absl::StrCat("Appointed principals/p", person,
                                       " as Information Asset Owner (roles/iao) for assets/a",
                                       asset, ", effective immediately"));
    (*event.mutable_attributes())["approved_by"] = "principals/p0";
    event.clear_changes();
    v1::FieldChange* role = event.add_changes();
    role->set_field("role");
    role->set_after("roles/iao");
    v1::FieldChange* scope = event.add_changes();
    scope->set_field("scope");
    scope->set_after(absl::StrCat("assets/a", asset));
  }

 private:
  static std::atomic<uint64_t> next_id_;
};
std::atomic<uint64_t> EventMaker::next_id_{0};

// One channel (one connection) per client thread.
std::vector<std::unique_ptr<v1::AuditService::Stub>> Stubs(const std::string& address, int count) {
  std::vector<std::unique_ptr<v1::AuditService::Stub>> stubs;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(v1::AuditService::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
  }
  return stubs;
}

std::vector<int> IntList(const std::vector<std::string>& values) {
  std::vector<int> ints;
  for (const std::string& value : values) {
    int n = 0;
    if (absl::SimpleAtoi(value, &n) && n > 0) ints.push_back(n);
  }
  return ints;
}

bool Report(const grpc::Status& status, const char* what) {
  if (!status.ok()) {
    static std::atomic<int> reported{0};
    if (reported++ < 5) std::fprintf(stderr, "%s: %s\n", what, status.error_message().c_str());
  }
  return status.ok();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int requests = std::max(threads, absl::GetFlag(FLAGS_requests));
  const std::vector<int> append_threads = IntList(absl::GetFlag(FLAGS_append_threads));
  const std::vector<int> batch_sizes = IntList(absl::GetFlag(FLAGS_batch_sizes));
  const absl::Duration phase = absl::Seconds(absl::GetFlag(FLAGS_phase_seconds));
  int max_threads = threads;
  for (int n : append_threads) max_threads = std::max(max_threads, n);

  isms::testing::TempDir dir;
  {
    const std::string key = NewSigningKeyPem();
    if (key.empty()) {
      std::fprintf(stderr, "cannot make an Ed25519 key\n");
      return 1;
    }
    std::ofstream(dir.path() + "/signing.pem") << key;
    std::ofstream(dir.path() + "/tokens")
        << isms::Sha256Hex(kToken) << " service services/bench append-audit read-audit\n";
  }
  // Starts the service on the bench's data dir (a new log the first time).
  auto start_server = [&](bool init) {
    std::vector<std::string> args = {
        absl::StrCat("--data_dir=", dir.path(), "/data"),
        absl::StrCat("--token_file=", dir.path(), "/tokens"),
        absl::StrCat("--signing_key_file=", dir.path(), "/signing.pem"),
        absl::StrCat("--log_level=", absl::GetFlag(FLAGS_server_log_level))};
    if (init) args.push_back("--init");
    return isms::testing::ServerProcess::Start(ISMS_AUDIT_SERVICE_BINARY, args,
                                               dir.path() + "/server.log");
  };
  auto server = start_server(/*init=*/true);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  auto stubs = Stubs((*server)->address(), max_threads);
  // The service's memory: the tree, the resend and leaf-hash maps and the
  // SQLite caches grow with the log.
  auto print_memory = [&](const char* when) {
    std::ifstream status(absl::StrCat("/proc/", server.value()->pid(), "/status"));
    std::string line;
    while (std::getline(status, line)) {
      if (absl::StartsWith(line, "VmHWM") || absl::StartsWith(line, "VmRSS")) {
        std::printf("server %s: %s\n", when, line.c_str());
      }
    }
  };

  auto floor_call = [&](int t, int) {
    grpc::ClientContext context;
    Authorize(context, kToken);
    v1::SignedTreeHead response;
    return Report(stubs[t]->GetTreeHead(&context, {}, &response), "GetTreeHead");
  };
  EventMaker maker;
  // Requests are built outside the timed call, in each thread's slot.
  std::vector<v1::AppendEventsRequest> append_requests(max_threads);
  auto append = [&](int t, int batch) {
    maker.Fill(append_requests[t], batch);
    grpc::ClientContext context;
    Authorize(context, kToken);
    v1::AppendEventsResponse response;
    const bool ok =
        Report(stubs[t]->AppendEvents(&context, append_requests[t], &response), "AppendEvents");
    return ok && response.indexes_size() == batch;
  };

  {
    v1::AuditEvent sample;
    maker.Make(sample);
    std::printf("audit_bench: loopback %s, events of %zu bytes encoded, server log level %s\n",
                (*server)->address().c_str(), sample.ByteSizeLong(),
                absl::GetFlag(FLAGS_server_log_level).c_str());
  }
  RunPhase(threads, requests / 4, floor_call);  // Warm up connections.
  const PhaseResult empty_floor = RunPhase(threads, requests, floor_call);
  std::printf("\n1. floor: GetTreeHead (the cheapest authenticated RPC), %d threads, empty log\n",
              threads);
  Print("floor (GetTreeHead)", empty_floor);

  std::printf("\n2. durable appends (each call returns after its commit), %.1f s a phase\n",
              absl::ToDoubleSeconds(phase));
  double best_100 = 0;
  for (int n : append_threads) {
    for (int batch : batch_sizes) {
      // Untimed, so that the first size does not pay for warming up.
      RunPhase(n, n, [&](int t, int) {
        maker.Fill(append_requests[t], batch);
        return true;
      });
      PhaseResult result = RunFor(n, phase, [&](int t, int) { return append(t, batch); });
      const double events = result.throughput() * batch;
      if (batch == 100) best_100 = std::max(best_100, events);
      std::printf(
          "threads %d batch %4d %10.0f events/s %7.0f calls/s   p50 %8.1f us   p99 %8.1f "
          "us   errors %d\n",
          n, batch, events, result.throughput(), result.percentile(0.50), result.percentile(0.99),
          result.errors);
    }
  }
  if (best_100 > 0) {
    std::printf("best with batches of 100: %.0f events/s (aim >= 50,000)\n", best_100);
  }
  // Queries find indexed events through the query index and read the rest
  // themselves (at most 20,000 a call, then a page token): until the index
  // has caught up, a filtered query over the whole log takes several calls.
  // Follows one such query (an actor no event has) every 100 ms until it
  // answers in one call.
  auto index_catch_up = [&](const char* after) {
    const absl::Time start = absl::Now();
    int polls = 0;
    while (absl::Now() - start < absl::Minutes(10)) {
      v1::QueryEventsRequest request;
      request.set_actor("principals/nobody");
      request.set_page_size(1);
      int calls = 0;
      bool ok = true;
      do {
        grpc::ClientContext context;
        Authorize(context, kToken);
        v1::QueryEventsResponse response;
        ok = Report(stubs[0]->QueryEvents(&context, request, &response), "QueryEvents");
        ++calls;
        request.set_page_token(response.next_page_token());
      } while (ok && !request.page_token().empty() && calls < 1000);
      ++polls;
      if (!ok) return;
      if (calls == 1) {
        std::printf(
            "query index caught up %.1f s after %s (a filtered query of the whole log "
            "then answers in one call)\n",
            absl::ToDoubleSeconds(absl::Now() - start), after);
        return;
      }
      if (polls == 1) {
        std::printf("right after %s a filtered query of the whole log took %d calls\n", after,
                    calls);
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    std::printf("query index not caught up 10 minutes after %s\n", after);
  };
  index_catch_up("the append phases");

  const int64_t log_size = absl::GetFlag(FLAGS_log_size);
  if (log_size > 0) {
    v1::SignedTreeHead head;
    {
      grpc::ClientContext context;
      Authorize(context, kToken);
      if (!Report(stubs[0]->GetTreeHead(&context, {}, &head), "GetTreeHead")) return 1;
    }
    const int64_t missing = std::max<int64_t>(0, log_size - static_cast<int64_t>(head.tree_size()));
    // A whole number of calls a thread: the log may end up to a few batches
    // above --log_size.
    const int64_t per_round = int64_t{kFillBatch} * threads;
    const int calls = static_cast<int>((missing + per_round - 1) / per_round) * threads;
    std::printf(
        "\n3. proofs: filling the log from %llu to %llu events, batches of %d, %d threads\n",
        static_cast<unsigned long long>(head.tree_size()),
        static_cast<unsigned long long>(head.tree_size() + int64_t{calls} * kFillBatch), kFillBatch,
        threads);
    std::fflush(stdout);
    if (calls > 0) {
      const PhaseResult fill =
          RunPhase(threads, calls, [&](int t, int) { return append(t, kFillBatch); });
      std::printf("filled in %.1f s: %.0f events/s, p50 %.0f us p99 %.0f us a call, errors %d\n",
                  fill.seconds, fill.throughput() * kFillBatch, fill.percentile(0.5),
                  fill.percentile(0.99), fill.errors);
    }
    {
      grpc::ClientContext context;
      Authorize(context, kToken);
      if (!Report(stubs[0]->GetTreeHead(&context, {}, &head), "GetTreeHead")) return 1;
    }
    index_catch_up("the fill");
    {
      // A restart on the full log: start reads every leaf (the resend map is
      // built from what the leaves say) and rebuilds the tree.
      print_memory("after the fill");
      server.value()->Signal(SIGTERM);
      (void)server.value()->Wait(absl::Seconds(30));
      const absl::Time restart = absl::Now();
      server = start_server(/*init=*/false);
      if (!server.ok()) {
        std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
        return 1;
      }
      std::printf("restart on the full log: ready in %.1f s\n",
                  absl::ToDoubleSeconds(absl::Now() - restart));
      stubs = Stubs((*server)->address(), max_threads);
    }
    const uint64_t size = head.tree_size();
    std::printf("log size %llu; %d threads, %d calls a phase\n",
                static_cast<unsigned long long>(size), threads, requests);

    auto inclusion_call = [&](int t, int i) {
      grpc::ClientContext context;
      Authorize(context, kToken);
      v1::GetInclusionProofRequest request;
      request.set_index(SplitMix64(uint64_t(t) << 32 | uint64_t(i)) % size);
      v1::InclusionProof response;
      return Report(stubs[t]->GetInclusionProof(&context, request, &response),
                    "GetInclusionProof") &&
             response.hashes_size() > 0;
    };
    auto consistency_call = [&](int t, int i) {
      grpc::ClientContext context;
      Authorize(context, kToken);
      v1::GetConsistencyProofRequest request;
      // first_size in [1, size - 1]: a proof with at least one hash.
      request.set_first_size(1 +
                             SplitMix64(uint64_t(t) << 32 | uint64_t(i) | 1ull << 63) % (size - 1));
      v1::ConsistencyProof response;
      return Report(stubs[t]->GetConsistencyProof(&context, request, &response),
                    "GetConsistencyProof") &&
             response.hashes_size() > 0;
    };
    RunPhase(threads, requests / 4, inclusion_call);  // Warm up.
    RunPhase(threads, requests / 4, consistency_call);
    double floor_sum = 0, inclusion_sum = 0, consistency_sum = 0;
    const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
    for (int round = 0; round < rounds; ++round) {
      const PhaseResult floor = RunPhase(threads, requests, floor_call);
      const PhaseResult inclusion = RunPhase(threads, requests, inclusion_call);
      const PhaseResult consistency = RunPhase(threads, requests, consistency_call);
      Print("floor (GetTreeHead)", floor);
      Print("GetInclusionProof", inclusion);
      Print("GetConsistencyProof", consistency);
      floor_sum += floor.throughput();
      inclusion_sum += inclusion.throughput();
      consistency_sum += consistency.throughput();
    }
    // A filtered page of 100 (one of 200 actors, newest first) through the
    // index; each query is itself appended to the log as a read.
    auto query_call = [&](int t, int i) {
      grpc::ClientContext context;
      Authorize(context, kToken);
      v1::QueryEventsRequest request;
      request.set_actor(absl::StrCat("principals/p", SplitMix64(uint64_t(t) << 32 | i) % 200));
      request.set_page_size(100);
      request.set_newest_first(true);
      v1::QueryEventsResponse response;
      return Report(stubs[t]->QueryEvents(&context, request, &response), "QueryEvents") &&
             response.entries_size() == 100;
    };
    const PhaseResult query = RunPhase(threads, requests / 10, query_call);
    Print("QueryEvents by actor, page of 100", query);
    std::printf("ratio GetInclusionProof/floor throughput: %.2fx (aim >= 0.5x)\n",
                inclusion_sum / floor_sum);
    std::printf("ratio GetConsistencyProof/floor throughput: %.2fx (aim >= 0.5x)\n",
                consistency_sum / floor_sum);
  }
  print_memory("at the end");
  server.value()->Signal(SIGTERM);
  (void)server.value()->Wait(absl::Seconds(30));
  return 0;
}
