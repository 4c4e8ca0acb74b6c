// The real role service under a flood of refused writes from one ordinary
// principal: the audit trail gets at most the refusal budget's worth of
// events, and the flood is answered RESOURCE_EXHAUSTED with a retry hint.
// Another principal's write latency during the flood is printed beside the
// p99 measured without it in the same run: a ratio to read, not a timed
// assertion (it failed on a machine busy with other builds).

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/sha256.h"
#include "common/outbox/outbox.h"
#include "common/storage/sqlite_database.h"
#include "common/testing/server_process.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms {
namespace {

namespace v1 = ::isms::role::v1;

constexpr int kFloodCalls = 10000;
constexpr int kRefusalAuditBurst = 20;   // The flag's default.
constexpr double kRefusalAuditRate = 1;  // Likewise, per second.

class RateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      std::ofstream tokens(dir_.path() + "/tokens");
      tokens << Sha256Hex("root-token") << " principal principals/root\n"
             << Sha256Hex("reader-token") << " principal principals/reader\n";
    }
    // Writes are limited to the defaults' rate but with a burst large enough
    // for root's measured writes; the refusal audit budget is the default.
    auto server = isms::testing::ServerProcess::Start(
        ISMS_ROLE_SERVICE_BINARY,
        {absl::StrCat("--data_dir=", dir_.path(), "/data"), "--init",
         absl::StrCat("--token_file=", dir_.path(), "/tokens"),
         absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                      "/services/role/catalogue/roles.textproto"),
         "--bootstrap_principal=principals/root", "--log_level=warning", "--write_burst=2000"},
        dir_.path() + "/server.log");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  static std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // Its own connection.
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  }

  static grpc::Status CreatePerson(v1::RoleService::Stub& stub, const std::string& token,
                                   const std::string& id, std::string* retry_after = nullptr) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name(id);
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    v1::Principal response;
    grpc::Status status = stub.CreatePrincipal(&context, request, &response);
    if (retry_after != nullptr) {
      auto trailers = context.GetServerTrailingMetadata();
      auto it = trailers.find("retry-after-ms");
      if (it != trailers.end()) retry_after->assign(it->second.data(), it->second.size());
    }
    return status;
  }

  // Root's write latencies while `keep_going` holds, at least `min_calls`
  // and at most `max_calls` (within root's burst).
  static std::vector<absl::Duration> RootWrites(v1::RoleService::Stub& stub, const char* tag,
                                                int min_calls,
                                                const std::function<bool()>& keep_going,
                                                int max_calls = 1000) {
    std::vector<absl::Duration> latencies;
    for (int i = 0; i < max_calls && (i < min_calls || keep_going()); ++i) {
      const absl::Time start = absl::Now();
      grpc::Status status = CreatePerson(stub, "root-token", absl::StrCat(tag, "-", i));
      latencies.push_back(absl::Now() - start);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return latencies;
  }

  static absl::Duration P99(std::vector<absl::Duration> latencies) {
    std::sort(latencies.begin(), latencies.end());
    return latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  }

  isms::testing::TempDir dir_;
  std::unique_ptr<isms::testing::ServerProcess> server_;
};

TEST_F(RateLimitTest, RefusedWriteFloodIsAuditedWithinBudgetAndOthersKeepTheirLatency) {
  auto root = v1::RoleService::NewStub(NewChannel(server_->address()));
  RootWrites(*root, "warmup", 50, [] { return false; });  // The database file grows first.
  const std::vector<absl::Duration> quiet = RootWrites(*root, "quiet", 300, [] { return false; });

  const absl::Time flood_start = absl::Now();
  std::atomic<int> done{0}, denied{0}, exhausted{0}, with_hint{0};
  std::vector<std::thread> flood;
  // One flooding client: on two cores, more would measure CPU contention
  // between test threads rather than the server.
  for (int t = 0; t < 1; ++t) {
    flood.emplace_back([&, t] {
      auto reader = v1::RoleService::NewStub(NewChannel(server_->address()));
      for (int i = t; i < kFloodCalls; i += 1) {
        std::string retry_after;
        grpc::Status status =
            CreatePerson(*reader, "reader-token", absl::StrCat("flood-", i), &retry_after);
        if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) ++denied;
        if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++exhausted;
          if (!retry_after.empty()) ++with_hint;
        }
        ++done;
      }
    });
  }
  const std::vector<absl::Duration> flooded = RootWrites(
      *root, "flooded", 50, [&] { return done.load() < kFloodCalls; }, 400);
  for (auto& thread : flood) thread.join();
  const absl::Duration flood_time = absl::Now() - flood_start;
  // A second quiet window after the flood: the baseline is the larger of
  // the two, so one lucky quiet window does not decide the ratio.
  const std::vector<absl::Duration> quiet_after =
      RootWrites(*root, "after", 300, [] { return false; });
  const absl::Duration baseline = std::max(P99(quiet), P99(quiet_after));

  server_->Signal(SIGTERM);
  ASSERT_TRUE(server_->Wait(absl::Seconds(30)).ok());
  auto db = SqliteDatabase::Open(dir_.path() + "/data/role.db");
  ASSERT_TRUE(db.ok()) << db.status();
  auto events = ReadOutbox(**db, 0, 1000000);
  ASSERT_TRUE(events.ok()) << events.status();
  int reader_events = 0;
  for (const OutboxEntry& entry : *events) {
    if (entry.event.principal() == "principals/reader") ++reader_events;
  }
  const double budget =
      kRefusalAuditBurst + kRefusalAuditRate * absl::ToDoubleSeconds(flood_time) + 1;

  std::printf(
      "refused-write flood: %d calls in %.1f s (%d PERMISSION_DENIED, %d "
      "RESOURCE_EXHAUSTED, %d with retry-after-ms); %d audit events (budget %.0f)\n"
      "root's writes: p99 %.2f ms without the flood (larger of %zu calls before and after), "
      "%.2f ms during it (%zu calls), ratio %.2f\n",
      done.load(), absl::ToDoubleSeconds(flood_time), denied.load(), exhausted.load(),
      with_hint.load(), reader_events, budget, absl::ToDoubleMilliseconds(baseline), quiet.size(),
      absl::ToDoubleMilliseconds(P99(flooded)), flooded.size(),
      absl::FDivDuration(P99(flooded), baseline));
  EXPECT_EQ(denied.load() + exhausted.load(), kFloodCalls);
  EXPECT_GT(exhausted.load(), 0);
  EXPECT_EQ(with_hint.load(), exhausted.load());
  EXPECT_GT(reader_events, 0);
  EXPECT_LE(reader_events, budget);
}

}  // namespace
}  // namespace isms
