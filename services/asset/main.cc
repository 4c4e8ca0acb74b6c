// The asset register binary: flags, storage, the role service it asks about
// permissions, audit delivery, then serve.

#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/auth/authenticator.h"
#include "common/authz/role_service_flags.h"
#include "common/client/peer_channel.h"
#include "common/outbox/audit_delivery_flags.h"
#include "common/outbox/outbox_relay.h"
#include "common/ratelimit/rate_limiter.h"
#include "common/server/attempt_tally.h"
#include "common/server/logger.h"
#include "common/server/server_flags.h"
#include "common/server/server_runner.h"
#include "common/server/service_start.h"
#include "common/server/unary_call.h"
#include "common/server/writes_health.h"
#include "common/storage/data_dir_lock.h"
#include "common/storage/storage_health.h"
#include "common/time/clock.h"
#include "services/asset/asset_grpc_service.h"
#include "services/asset/asset_registry.h"
#include "services/asset/owner_directory.h"
#include "services/asset/risk_grpc_service.h"
#include "services/asset/role_holders.h"
#include "services/asset/sqlite_asset_store.h"

namespace {

// Health name that turns NOT_SERVING while storage refuses writes (full,
// read-only, failing); reads go on being served under the other names.
constexpr char kWritesHealthName[] = "isms.asset.v1.AssetService/writes";

}  // namespace

int main(int argc, char** argv) {
  isms::ServiceStart start = isms::StartService(argc, argv);
  if (start.authenticator == nullptr) return 1;
  isms::Logger& logger = *start.logger;
  const std::string& token_file = start.token_file;
  isms::Authenticator& authenticator = *start.authenticator;

  // Every call is authorized by the role service; without one every call is
  // refused UNAVAILABLE, never allowed by default.
  auto permissions = isms::PermissionClientFromFlags();
  if (!permissions.ok()) {
    return isms::FailStart(logger, "bad role service flags", permissions.status());
  }
  if (absl::GetFlag(FLAGS_role_service_address).empty()) {
    logger.Log(isms::LogLevel::kWarning,
               "no --role_service_address: every call by a person is refused UNAVAILABLE");
  }

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  // One writer per data directory, held until the process ends.
  auto lock = isms::DataDirLock::CreateAndAcquire(data_dir);
  if (!lock.ok()) return isms::FailStart(logger, "cannot lock data_dir", lock.status());
  isms::StorageHealth storage_health;
  isms::asset::SqliteAssetStore::Options store_options;
  store_options.init = absl::GetFlag(FLAGS_init) ? isms::SqliteInit::kCreateIfEmpty
                                                 : isms::SqliteInit::kRequireInitialised;
  store_options.health = &storage_health;
  auto store =
      isms::asset::SqliteAssetStore::Open(absl::StrCat(data_dir, "/asset.db"), store_options);
  if (!store.ok()) return isms::FailStart(logger, "cannot open storage", store.status());

  isms::SystemClock clock;
  // Owners are asked of the same role service (as services/asset acting for
  // itself, which needs read-register there); without one every read that
  // shows an owner is UNAVAILABLE.
  auto owners = isms::asset::OwnerDirectoryFromFlags(clock);
  if (!owners.ok()) return isms::FailStart(logger, "bad role service flags", owners.status());
  // Who holds roles now (risk owners; the SIRO a breach goes to), asked of
  // the same role service.
  auto holders = isms::asset::RoleHoldersFromFlags(clock);
  if (!holders.ok()) return isms::FailStart(logger, "bad role service flags", holders.status());
  isms::asset::AssetRegistry registry(**store, **permissions, **owners, **holders, clock);

  // Delivery of the outbox to the audit service. Without one, events wait in
  // the outbox (GetAuditDelivery reports them) until a start with one.
  std::unique_ptr<isms::PeerChannel> audit_peer;
  std::unique_ptr<isms::OutboxRelay> relay;
  const isms::PeerConfig audit_config = isms::AuditPeerFromFlags();
  if (!audit_config.address.empty()) {
    auto peer = isms::PeerChannel::Connect(audit_config);
    if (!peer.ok()) return isms::FailStart(logger, "bad audit service flags", peer.status());
    audit_peer = *std::move(peer);
    auto started = isms::OutboxRelay::Start(**store, *audit_peer, logger, clock,
                                            isms::AuditRelayOptionsFromFlags());
    if (!started.ok()) {
      return isms::FailStart(logger, "cannot start audit delivery", started.status());
    }
    relay = *std::move(started);
    registry.SetAuditRelay(relay.get());
    logger.Log(isms::LogLevel::kInfo, "audit delivery", {{"audit_address", audit_config.address}});
  } else {
    auto backlog = (*store)->Backlog();
    logger.Log(isms::LogLevel::kWarning,
               "audit delivery disabled (no --audit_address); events wait in the outbox",
               {{"waiting_events", backlog.ok() ? absl::StrCat(backlog->waiting) : "unknown"}});
  }

  auto rate_limits = isms::RateLimitsFromFlags();
  if (!rate_limits.ok()) return isms::FailStart(logger, "bad flag", rate_limits.status());
  isms::TokenBucketRateLimiter limiter(*rate_limits, clock, logger);
  isms::AttemptTally unauthenticated("unauthenticated calls", clock, logger);
  isms::UnaryCallRunner::Options runner_options;
  runner_options.write_methods = isms::asset::AssetGrpcService::WriteMethods();
  for (const std::string& method : isms::asset::RiskGrpcService::WriteMethods()) {
    runner_options.write_methods.insert(method);
  }
  runner_options.limiter = &limiter;
  runner_options.unauthenticated = &unauthenticated;
  runner_options.identity_from_certificate = absl::GetFlag(FLAGS_tls_identity_from_cert);
  runner_options.recorder = &registry;
  if (absl::Status tls = isms::CheckTlsIdentityFlags(); !tls.ok()) {
    return isms::FailStart(logger, "bad flag", tls);
  }
  isms::UnaryCallRunner runner(authenticator, logger, std::move(runner_options));
  isms::asset::AssetGrpcService service(registry, runner);
  isms::asset::RiskGrpcService risk_service(registry, runner);
  isms::ServerOptions server_options = isms::ServerOptionsFromFlags();
  server_options.health_service_names = {isms::asset::v1::AssetService::service_full_name(),
                                         isms::asset::v1::RiskService::service_full_name()};
  isms::ReportWritesHealth(server_options, storage_health, logger, kWritesHealthName);
  server_options.on_reload = [&] {
    absl::Status reloaded = authenticator.ReloadFromFile(token_file);
    logger.Log(reloaded.ok() ? isms::LogLevel::kInfo : isms::LogLevel::kError,
               reloaded.ok() ? "tokens reloaded" : "tokens not reloaded; keeping the old ones",
               {{"file", token_file}, {"error", reloaded.ToString()}});
  };
  absl::Status served = isms::RunServer(server_options, {&service, &risk_service}, logger);
  storage_health.SetListener(nullptr);  // The health service is gone.
  // No call runs now; what the relay has not delivered waits for the next start.
  registry.SetAuditRelay(nullptr);
  if (relay != nullptr) relay->Stop();
  if (!served.ok()) return isms::FailStart(logger, "cannot serve", served);
  return 0;
}
