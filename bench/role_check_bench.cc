// CheckPermission throughput and latency over loopback, beside the floor of
// an empty RPC (the standard health Check) measured in the same run against
// the same server process.
//
//   build/bench/role_check_bench [--threads=4] [--requests=20000] [--rounds=2]
//                                [--writes=2000]
//
// Starts the real role service binary on a free loopback port, loads a
// realistic population (people, per-asset IAOs, a deputy, delegations), then
// alternates floor and CheckPermission phases and prints throughput, p50/p99
// and the ratio of CheckPermission to floor throughput; then a write phase
// (CreatePrincipal, each a durable transaction) for scale.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "common/auth/sha256.h"
#include "common/testing/server_process.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "isms/role/v1/role.grpc.pb.h"

ABSL_FLAG(int, threads, 4, "concurrent client threads");
ABSL_FLAG(int, requests, 20000, "requests per phase (split across threads)");
ABSL_FLAG(int, rounds, 2, "floor/check phase pairs");
ABSL_FLAG(int, people, 200, "principals loaded before measuring");
ABSL_FLAG(std::string, server_log_level, "info",
          "the service's --log_level (info logs every call, as in production)");
ABSL_FLAG(int, writes, 2000, "CreatePrincipal calls in the write phase (0 skips it)");

namespace {

namespace v1 = isms::role::v1;
using isms::bench::Authorize;
using isms::bench::PhaseResult;
using isms::bench::Print;
using isms::bench::RunPhase;
constexpr char kToken[] = "bench-token";
// principals/p0, appointed SIRO by Populate: after that only holders of the
// management roles may write.
constexpr char kSiroToken[] = "bench-siro-token";
// A service identity allowed to check anyone's permissions, as the asset
// register and the gateway are: the checks are made with it.
constexpr char kCheckerToken[] = "bench-checker-token";

bool Populate(v1::RoleService::Stub& stub, int people) {
  auto call_ok = [](const grpc::Status& status, const char* what) {
    if (!status.ok()) std::fprintf(stderr, "%s: %s\n", what, status.error_message().c_str());
    return status.ok();
  };
  for (int i = 0; i < people; ++i) {
    grpc::ClientContext context;
    Authorize(context, kToken);
    v1::CreatePrincipalRequest request;
    request.set_principal_id(absl::StrCat("p", i));
    request.mutable_principal()->set_display_name(absl::StrCat("Person ", i));
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    request.mutable_principal()->set_board_level(i == 0);
    v1::Principal response;
    if (!call_ok(stub.CreatePrincipal(&context, request, &response), "CreatePrincipal"))
      return false;
  }
  // Every person is staff and owns one asset; p1 deputises for the SIRO.
  auto appoint = [&](const std::string& role, int person, const std::string& scope) {
    grpc::ClientContext context;
    Authorize(context, kToken);
    v1::CreateAssignmentRequest request;
    request.mutable_assignment()->set_role(role);
    request.mutable_assignment()->set_principal(absl::StrCat("principals/p", person));
    request.mutable_assignment()->set_scope(scope);
    v1::Assignment response;
    return call_ok(stub.CreateAssignment(&context, request, &response), "CreateAssignment");
  };
  for (int i = 2; i < people; ++i) {
    if (!appoint("roles/ts", i, "") || !appoint("roles/iao", i, absl::StrCat("assets/", i))) {
      return false;
    }
  }
  return appoint("roles/dsiro", 1, "") && appoint("roles/siro", 0, "");
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int requests = std::max(threads, absl::GetFlag(FLAGS_requests));
  const int people = std::max(3, absl::GetFlag(FLAGS_people));

  isms::testing::TempDir dir;
  {
    std::ofstream tokens(dir.path() + "/tokens");
    tokens << isms::Sha256Hex(kToken) << " principal principals/bench\n"
           << isms::Sha256Hex(kSiroToken) << " principal principals/p0\n"
           << isms::Sha256Hex(kCheckerToken) << " service services/checker check-permissions\n";
  }
  auto server = isms::testing::ServerProcess::Start(
      ISMS_ROLE_SERVICE_BINARY,
      {absl::StrCat("--data_dir=", dir.path(), "/data"),
       absl::StrCat("--token_file=", dir.path(), "/tokens"),
       absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                    "/services/role/catalogue/roles.textproto"),
       "--bootstrap_principal=principals/bench",
       // Loading the register and the write phase are one principal's bulk
       // writes: lift the per-principal write rate limit for the bench.
       "--write_rate=1000000", "--write_burst=1000000", "--init",
       absl::StrCat("--log_level=", absl::GetFlag(FLAGS_server_log_level))},
      dir.path() + "/server.log");
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto roles = v1::RoleService::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  if (!Populate(*roles, people)) return 1;

  auto floor_call = [&](int, int) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, {}, &response).ok();
  };
  auto check_call = [&](int t, int i) {
    grpc::ClientContext context;
    Authorize(context, kCheckerToken);
    v1::CheckPermissionRequest request;
    // Mix: own asset (allowed), another's asset (denied), deputy, staff.
    const int person = 2 + (t * 7919 + i) % (people - 2);
    switch (i % 4) {
      case 0:
        request.set_principal(absl::StrCat("principals/p", person));
        request.set_permission("isms.assets.transfers.approve");
        request.set_resource(absl::StrCat("assets/", person));
        break;
      case 1:
        request.set_principal(absl::StrCat("principals/p", person));
        request.set_permission("isms.assets.transfers.approve");
        request.set_resource(absl::StrCat("assets/", person == 2 ? 3 : 2));
        break;
      case 2:
        request.set_principal("principals/p1");
        request.set_permission("isms.risks.accept");
        break;
      default:
        request.set_principal(absl::StrCat("principals/p", person));
        request.set_permission("isms.incidents.report");
        break;
    }
    v1::CheckPermissionResponse response;
    return roles->CheckPermission(&context, request, &response).ok();
  };

  RunPhase(threads, requests / 4, floor_call);  // Warm up connections and caches.
  RunPhase(threads, requests / 4, check_call);
  std::printf("role_check_bench: %d threads, %d requests per phase, %d people, loopback %s\n",
              threads, requests, people, (*server)->address().c_str());
  double floor_sum = 0, check_sum = 0;
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  for (int round = 0; round < rounds; ++round) {
    PhaseResult floor = RunPhase(threads, requests, floor_call);
    PhaseResult check = RunPhase(threads, requests, check_call);
    Print("floor (health Check)", floor);
    Print("CheckPermission", check);
    floor_sum += floor.throughput();
    check_sum += check.throughput();
  }
  std::printf("ratio CheckPermission/floor throughput: %.2fx (aim >= 0.85x)\n",
              check_sum / floor_sum);

  // Writes: each is one SQLite transaction with fsync (synchronous=FULL) plus
  // its audit event, serialized by the registry; shown for scale, no aim.
  const int writes = absl::GetFlag(FLAGS_writes);
  if (writes > 0) {
    auto write_call = [&](int t, int i) {
      grpc::ClientContext context;
      Authorize(context, kSiroToken);
      v1::CreatePrincipalRequest request;
      request.set_principal_id(absl::StrCat("w", t, "-", i));
      request.mutable_principal()->set_display_name("Writer");
      request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
      v1::Principal response;
      return roles->CreatePrincipal(&context, request, &response).ok();
    };
    PhaseResult write = RunPhase(threads, writes, write_call);
    Print("CreatePrincipal", write);
    std::printf("ratio CreatePrincipal/floor throughput: %.3fx\n",
                write.throughput() / (floor_sum / rounds));
  }
  server.value()->Signal(SIGTERM);
  (void)server.value()->Wait(absl::Seconds(15));
  return 0;
}
