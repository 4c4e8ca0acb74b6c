// A filtered ListAssets page of 100 over a register of 100,000 assets, beside
// the floor of an empty RPC (the standard health Check on the same asset
// service process) measured in the same run.
//
//   build/bench/asset_list_bench [--assets=100000] [--threads=2]
//                                [--requests=4000] [--rounds=2]
//
// Writes the register straight into the asset service's SQLite store (the
// store's own Commit, a thousand assets a transaction: loading through
// CreateAsset would measure durable writes, not listing), then starts the
// real role and asset services on free loopback ports. Each List is served
// as in production: the asset service asks the role service whether the
// caller holds isms.assets.read, then reads one page by seek. The pages
// mix four filters (classification; a kind of information; review overdue;
// classification and kind together) and positions across the register (page
// tokens collected by walking each filter first).
//
// Beside them, in the same run: the top 100 risks (highest score first) of a
// risk register of --risks (100,000) written into the same store, as
// RiskService.ListRisks serves it (a CheckPermission, then one walk of the
// score index).

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "common/auth/sha256.h"
#include "common/testing/server_process.h"
#include "common/time/proto_time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "isms/asset/v1/asset_service.grpc.pb.h"
#include "isms/asset/v1/risk_service.grpc.pb.h"
#include "isms/role/v1/role.grpc.pb.h"
#include "services/asset/sqlite_asset_store.h"

ABSL_FLAG(int, assets, 100000, "assets in the register");
ABSL_FLAG(int, risks, 100000, "risks in the risk register");
ABSL_FLAG(int, threads, 2, "concurrent client threads");
ABSL_FLAG(int, requests, 4000, "requests per phase (split across threads)");
ABSL_FLAG(int, rounds, 2, "floor/list phase pairs");
ABSL_FLAG(int, page_size, 100, "assets a page");
ABSL_FLAG(std::string, server_log_level, "info",
          "the services' --log_level (info logs every call, as in production)");

namespace {

namespace v1 = isms::asset::v1;
using isms::bench::Authorize;
using isms::bench::PhaseResult;
using isms::bench::Print;
using isms::bench::RunPhase;

constexpr char kAdminToken[] = "bench-admin-token";    // principals/bench (bootstrap)
constexpr char kReaderToken[] = "bench-reader-token";  // principals/reader, the ISM
constexpr char kAssetServiceToken[] = "bench-asset-token";

// Writes `count` assets (ids a000000...) with classifications, kinds, review
// times and attestations spread over the register, a thousand a transaction.
bool Prefill(const std::string& path, int count) {
  auto store = isms::asset::SqliteAssetStore::Open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "prefill: %s\n", store.status().ToString().c_str());
    return false;
  }
  const absl::Time now = absl::Now();
  for (int start = 0; start < count; start += 1000) {
    isms::asset::AssetChanges changes;
    for (int i = start; i < std::min(count, start + 1000); ++i) {
      v1::Asset asset;
      asset.set_name(absl::StrFormat("assets/a%06d", i));
      asset.set_title(absl::StrCat("Asset ", i));
      asset.set_description("A register entry loaded for the benchmark.");
      asset.set_classification(static_cast<v1::Classification>(1 + i % 4));
      asset.add_information_kinds(static_cast<v1::InformationKind>(1 + i % 10));
      if ((i * 7) % 10 != i % 10) {
        asset.add_information_kinds(static_cast<v1::InformationKind>(1 + (i * 7) % 10));
      }
      asset.set_location(absl::StrCat("system-", i % 50));
      asset.mutable_retention()->set_period_days(365 * (1 + i % 7));
      // Reviews from a year back to a year ahead: about half are overdue.
      *asset.mutable_review_time() = isms::ToProto(now + absl::Hours(24 * (i % 731 - 365)));
      if (i % 3 != 0) {
        *asset.mutable_last_attestation_time() = isms::ToProto(now - absl::Hours(24 * (i % 500)));
      }
      *asset.mutable_create_time() = isms::ToProto(now);
      *asset.mutable_update_time() = isms::ToProto(now);
      asset.set_etag(absl::StrCat("\"", i, "\""));
      changes.created.push_back(std::move(asset));
    }
    absl::Status committed = (*store)->Commit(changes);
    if (!committed.ok()) {
      std::fprintf(stderr, "prefill: %s\n", committed.ToString().c_str());
      return false;
    }
  }
  return true;
}

// Writes `count` risks (ids r000000...) with likelihoods and impacts spread
// over 1..5, a thousand a transaction, in their stored form.
bool PrefillRisks(const std::string& path, int count) {
  auto store = isms::asset::SqliteAssetStore::Open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "prefill risks: %s\n", store.status().ToString().c_str());
    return false;
  }
  const absl::Time now = absl::Now();
  for (int start = 0; start < count; start += 1000) {
    isms::asset::AssetChanges changes;
    for (int i = start; i < std::min(count, start + 1000); ++i) {
      v1::Risk risk;
      risk.set_name(absl::StrFormat("risks/r%06d", i));
      risk.set_title(absl::StrCat("Risk ", i));
      risk.add_assets(absl::StrFormat("assets/a%06d", i % 1000));
      risk.set_threat("A threat loaded for the benchmark.");
      risk.set_vulnerability("A vulnerability loaded for the benchmark.");
      risk.set_likelihood(1 + i % 5);
      risk.set_impact(1 + (i / 5) % 5);
      risk.set_treatment(v1::RISK_TREATMENT_MITIGATE);
      risk.set_treatment_plan("A plan.");
      risk.set_owner(absl::StrCat("principals/po", i % 20));
      *risk.mutable_next_review_time() = isms::ToProto(now + absl::Hours(24 * (i % 731 - 365)));
      v1::RiskScore* score = risk.add_score_history();
      score->set_likelihood(risk.likelihood());
      score->set_impact(risk.impact());
      score->set_scored_by(risk.owner());
      *score->mutable_score_time() = isms::ToProto(now);
      *risk.mutable_create_time() = isms::ToProto(now);
      risk.set_etag(absl::StrCat("\"", i, "\""));
      changes.risks_created.push_back(std::move(risk));
    }
    absl::Status committed = (*store)->Commit(changes);
    if (!committed.ok()) {
      std::fprintf(stderr, "prefill risks: %s\n", committed.ToString().c_str());
      return false;
    }
  }
  return true;
}

bool Call(const grpc::Status& status, const char* what) {
  if (!status.ok()) std::fprintf(stderr, "%s: %s\n", what, status.error_message().c_str());
  return status.ok();
}

// principals/reader as the ISM (which holds isms.assets.read); appointed last,
// since it ends the bootstrap admin's powers.
bool AppointReader(isms::role::v1::RoleService::Stub& roles) {
  {
    grpc::ClientContext context;
    Authorize(context, kAdminToken);
    isms::role::v1::CreatePrincipalRequest request;
    request.set_principal_id("reader");
    request.mutable_principal()->set_display_name("Reader");
    request.mutable_principal()->set_kind(isms::role::v1::PRINCIPAL_KIND_PERSON);
    isms::role::v1::Principal principal;
    if (!Call(roles.CreatePrincipal(&context, request, &principal), "CreatePrincipal")) {
      return false;
    }
  }
  grpc::ClientContext context;
  Authorize(context, kAdminToken);
  isms::role::v1::CreateAssignmentRequest request;
  request.mutable_assignment()->set_role("roles/ism");
  request.mutable_assignment()->set_principal("principals/reader");
  isms::role::v1::Assignment assignment;
  return Call(roles.CreateAssignment(&context, request, &assignment), "CreateAssignment");
}

std::vector<v1::ListAssetsRequest> Filters(int page_size) {
  std::vector<v1::ListAssetsRequest> filters(4);
  filters[0].set_classification(v1::CLASSIFICATION_CONFIDENTIAL);
  filters[1].set_information_kind(v1::INFORMATION_KIND_PERSONAL_DATA);
  filters[2].set_review_overdue(true);
  filters[3].set_classification(v1::CLASSIFICATION_RESTRICTED);
  filters[3].set_information_kind(v1::INFORMATION_KIND_FINANCIAL);
  for (auto& filter : filters) filter.set_page_size(page_size);
  return filters;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int requests = std::max(threads, absl::GetFlag(FLAGS_requests));
  const int count = std::max(1, absl::GetFlag(FLAGS_assets));
  const std::string log_level = absl::StrCat("--log_level=", absl::GetFlag(FLAGS_server_log_level));

  isms::testing::TempDir dir;
  {
    std::ofstream role_tokens(dir.path() + "/role-tokens");
    role_tokens << isms::Sha256Hex(kAdminToken) << " principal principals/bench\n"
                << isms::Sha256Hex(kAssetServiceToken)
                // read-register: ListAssets reads who holds roles/iao.
                << " service services/asset check-permissions read-register\n";
    std::ofstream asset_tokens(dir.path() + "/asset-tokens");
    asset_tokens << isms::Sha256Hex(kReaderToken) << " principal principals/reader\n";
    std::ofstream asset_token(dir.path() + "/asset.token");
    asset_token << kAssetServiceToken << "\n";
  }
  const std::string asset_data = dir.path() + "/asset-data";
  mkdir(asset_data.c_str(), 0700);
  const absl::Time load_start = absl::Now();
  if (!Prefill(asset_data + "/asset.db", count)) return 1;
  std::printf("asset_list_bench: loaded %d assets in %.1f s\n", count,
              absl::ToDoubleSeconds(absl::Now() - load_start));
  const int risk_count = std::max(1, absl::GetFlag(FLAGS_risks));
  const absl::Time risk_start = absl::Now();
  if (!PrefillRisks(asset_data + "/asset.db", risk_count)) return 1;
  std::printf("asset_list_bench: loaded %d risks in %.1f s\n", risk_count,
              absl::ToDoubleSeconds(absl::Now() - risk_start));

  auto role = isms::testing::ServerProcess::Start(
      ISMS_ROLE_SERVICE_BINARY,
      {absl::StrCat("--data_dir=", dir.path(), "/role-data"),
       absl::StrCat("--token_file=", dir.path(), "/role-tokens"),
       absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                    "/services/role/catalogue/roles.textproto"),
       "--bootstrap_principal=principals/bench", "--init", log_level},
      dir.path() + "/role.log");
  if (!role.ok()) {
    std::fprintf(stderr, "%s\n", role.status().ToString().c_str());
    return 1;
  }
  auto roles = isms::role::v1::RoleService::NewStub(
      grpc::CreateChannel((*role)->address(), grpc::InsecureChannelCredentials()));
  if (!AppointReader(*roles)) return 1;

  auto asset = isms::testing::ServerProcess::Start(
      ISMS_ASSET_SERVICE_BINARY,
      {absl::StrCat("--data_dir=", asset_data),
       absl::StrCat("--token_file=", dir.path(), "/asset-tokens"),
       absl::StrCat("--role_service_address=", (*role)->address()),
       absl::StrCat("--role_service_token_file=", dir.path(), "/asset.token"), log_level},
      dir.path() + "/asset.log");
  if (!asset.ok()) {
    std::fprintf(stderr, "%s\n", asset.status().ToString().c_str());
    return 1;
  }
  auto channel = grpc::CreateChannel((*asset)->address(), grpc::InsecureChannelCredentials());
  auto assets = v1::AssetService::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto risks = v1::RiskService::NewStub(channel);

  // Page tokens at positions across the register, for every filter.
  std::vector<v1::ListAssetsRequest> pages;
  for (v1::ListAssetsRequest filter : Filters(absl::GetFlag(FLAGS_page_size))) {
    for (int page = 0; page < 200; ++page) {
      grpc::ClientContext context;
      Authorize(context, kReaderToken);
      v1::ListAssetsResponse response;
      if (!Call(assets->ListAssets(&context, filter, &response), "ListAssets")) return 1;
      if (page % 10 == 0) pages.push_back(filter);
      if (response.next_page_token().empty()) break;
      filter.set_page_token(response.next_page_token());
    }
  }

  auto floor_call = [&](int, int) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, {}, &response).ok();
  };
  auto list_call = [&](int t, int i) {
    grpc::ClientContext context;
    Authorize(context, kReaderToken);
    v1::ListAssetsResponse response;
    const v1::ListAssetsRequest& request = pages[(t * 7919 + i) % pages.size()];
    return assets->ListAssets(&context, request, &response).ok() && response.assets_size() > 0;
  };

  // The top 100 risks out of the whole register: the first page, highest
  // score first.
  auto top_risks_call = [&](int, int) {
    grpc::ClientContext context;
    Authorize(context, kReaderToken);
    v1::ListRisksRequest request;
    request.set_page_size(100);
    v1::ListRisksResponse response;
    return risks->ListRisks(&context, request, &response).ok() && response.risks_size() == 100 &&
           response.risks(0).score() == 25;
  };

  RunPhase(threads, requests / 4, floor_call);  // Warm up connections and caches.
  RunPhase(threads, requests / 4, list_call);
  if (RunPhase(threads, requests / 4, top_risks_call).errors > 0) {
    std::fprintf(stderr, "ListRisks failed; see %s/asset.log\n", dir.path().c_str());
    return 1;
  }
  std::printf("%d threads, %d requests a phase, pages of %d from %zu positions, loopback\n",
              threads, requests, absl::GetFlag(FLAGS_page_size), pages.size());
  double floor_p50 = 0, floor_p99 = 0, list_p50 = 0, list_p99 = 0, risks_p50 = 0, risks_p99 = 0;
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  for (int round = 0; round < rounds; ++round) {
    PhaseResult floor = RunPhase(threads, requests, floor_call);
    PhaseResult list = RunPhase(threads, requests, list_call);
    PhaseResult top = RunPhase(threads, requests, top_risks_call);
    Print("floor (health Check)", floor);
    Print("ListAssets (filtered page)", list);
    Print("ListRisks (top 100 of the register)", top);
    risks_p50 += top.percentile(0.5);
    risks_p99 += top.percentile(0.99);
    floor_p50 += floor.percentile(0.5);
    floor_p99 += floor.percentile(0.99);
    list_p50 += list.percentile(0.5);
    list_p99 += list.percentile(0.99);
  }
  std::printf("ratio ListAssets/floor latency: p50 %.2fx, p99 %.2fx (aim <= 5x)\n",
              list_p50 / floor_p50, list_p99 / floor_p99);
  std::printf("ratio ListRisks top 100 of %d/floor latency: p50 %.2fx, p99 %.2fx\n", risk_count,
              risks_p50 / floor_p50, risks_p99 / floor_p99);
  for (auto* server : {asset->get(), role->get()}) {
    server->Signal(SIGTERM);
    (void)server->Wait(absl::Seconds(15));
  }
  return 0;
}
