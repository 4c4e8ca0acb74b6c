// The role service binary: flags, storage, catalogue seeding, then serve.

#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/auth/authenticator.h"
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
#include "services/role/catalogue.h"
#include "services/role/role_grpc_service.h"
#include "services/role/role_registry.h"
#include "services/role/sqlite_role_store.h"

ABSL_FLAG(std::string, catalogue_file, "",
          "role catalogue (text format isms.role.v1.RoleCatalogue) loaded at first start");
ABSL_FLAG(std::string, bootstrap_principal, "",
          "principal that may manage roles, principals and assignments until the first "
          "appointment to a management role ends bootstrap for good; empty disables bootstrap");
ABSL_FLAG(bool, break_glass_bootstrap, false,
          "operator's break-glass: reopen bootstrap for --bootstrap_principal at this start "
          "(audited) until the next management appointment; use once, then restart without it");
ABSL_FLAG(absl::Duration, backdate_tolerance, absl::Minutes(5),
          "appointments starting further in the past need a late_justification");
ABSL_FLAG(absl::Duration, max_delegation, absl::Hours(24 * 365),
          "the longest a delegation or an absence may last");

ABSL_FLAG(int, write_threads, 64,
          "threads running writes while they wait for their group commit: how many writes can "
          "share one commit");

namespace {

// Writes waiting for a write thread beyond this are refused RESOURCE_EXHAUSTED.
constexpr size_t kMaxQueuedWrites = 10000;

// Health name that turns NOT_SERVING while storage refuses writes (full,
// read-only, failing); reads go on being served under the other names.
constexpr char kWritesHealthName[] = "isms.role.v1.RoleService/writes";

}  // namespace

int main(int argc, char** argv) {
  isms::ServiceStart start = isms::StartService(argc, argv);
  if (start.authenticator == nullptr) return 1;
  isms::Logger& logger = *start.logger;
  const std::string& token_file = start.token_file;
  isms::Authenticator& authenticator = *start.authenticator;

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  // One writer per data directory, held until the process ends.
  auto lock = isms::DataDirLock::CreateAndAcquire(data_dir);
  if (!lock.ok()) return isms::FailStart(logger, "cannot lock data_dir", lock.status());

  isms::StorageHealth storage_health;
  isms::role::SqliteRoleStore::Options store_options;
  store_options.init = absl::GetFlag(FLAGS_init) ? isms::SqliteInit::kCreateIfEmpty
                                                 : isms::SqliteInit::kRequireInitialised;
  store_options.health = &storage_health;
  auto store = isms::role::SqliteRoleStore::Open(absl::StrCat(data_dir, "/role.db"), store_options);
  if (!store.ok()) return isms::FailStart(logger, "cannot open storage", store.status());

  isms::SystemClock clock;
  isms::role::RoleRegistry::Options options;
  options.bootstrap_principal = absl::GetFlag(FLAGS_bootstrap_principal);
  options.break_glass_bootstrap = absl::GetFlag(FLAGS_break_glass_bootstrap);
  options.backdate_tolerance = absl::GetFlag(FLAGS_backdate_tolerance);
  options.max_delegation = absl::GetFlag(FLAGS_max_delegation);
  if (options.break_glass_bootstrap) {
    logger.Log(isms::LogLevel::kWarning, "break-glass: reopening bootstrap",
               {{"bootstrap_principal", options.bootstrap_principal}});
  }
  auto registry = isms::role::RoleRegistry::Open(**store, clock, std::move(options));
  if (!registry.ok()) return isms::FailStart(logger, "cannot load state", registry.status());

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
    if (!started.ok())
      return isms::FailStart(logger, "cannot start audit delivery", started.status());
    relay = *std::move(started);
    (*registry)->SetAuditRelay(relay.get());
    logger.Log(isms::LogLevel::kInfo, "audit delivery", {{"audit_address", audit_config.address}});
  } else {
    auto backlog = (*store)->Backlog();
    logger.Log(isms::LogLevel::kWarning,
               "audit delivery disabled (no --audit_address); events wait in the outbox",
               {{"waiting_events", backlog.ok() ? absl::StrCat(backlog->waiting) : "unknown"}});
  }

  const std::string catalogue_file = absl::GetFlag(FLAGS_catalogue_file);
  if (!catalogue_file.empty()) {
    auto catalogue = isms::role::LoadCatalogueFile(catalogue_file);
    if (!catalogue.ok()) return isms::FailStart(logger, "bad catalogue", catalogue.status());
    auto seeded = (*registry)->SeedCatalogue(*catalogue);
    if (!seeded.ok()) return isms::FailStart(logger, "cannot seed catalogue", seeded.status());
    logger.Log(isms::LogLevel::kInfo, "catalogue",
               {{"loaded_roles", absl::StrCat(*seeded)}, {"file", catalogue_file}});
  }

  auto rate_limits = isms::RateLimitsFromFlags();
  if (!rate_limits.ok()) return isms::FailStart(logger, "bad flag", rate_limits.status());
  isms::TokenBucketRateLimiter limiter(*rate_limits, clock, logger);
  isms::AttemptTally unauthenticated("unauthenticated calls", clock, logger);
  isms::UnaryCallRunner::Options runner_options;
  runner_options.write_methods = isms::role::RoleGrpcService::WriteMethods();
  runner_options.limiter = &limiter;
  runner_options.unauthenticated = &unauthenticated;
  runner_options.identity_from_certificate = absl::GetFlag(FLAGS_tls_identity_from_cert);
  runner_options.recorder = registry->get();
  if (absl::Status tls = isms::CheckTlsIdentityFlags(); !tls.ok()) {
    return isms::FailStart(logger, "bad flag", tls);
  }
  // Writes wait for their group commit on threads of their own, so many can
  // wait (and share one commit) while gRPC's threads serve reads.
  isms::BlockingExecutor write_executor(absl::GetFlag(FLAGS_write_threads), kMaxQueuedWrites);
  runner_options.blocking_writes = &write_executor;
  isms::UnaryCallRunner runner(authenticator, logger, std::move(runner_options));
  isms::role::RoleGrpcService service(**registry, runner);
  isms::ServerOptions server_options = isms::ServerOptionsFromFlags();
  server_options.health_service_names = {isms::role::v1::RoleService::service_full_name()};
  isms::ReportWritesHealth(server_options, storage_health, logger, kWritesHealthName);
  server_options.on_reload = [&] {
    absl::Status reloaded = authenticator.ReloadFromFile(token_file);
    if (reloaded.ok()) {
      logger.Log(isms::LogLevel::kInfo, "tokens reloaded", {{"file", token_file}});
    } else {
      logger.Log(isms::LogLevel::kError, "tokens not reloaded; keeping the old ones",
                 {{"error", reloaded.ToString()}});
    }
  };
  absl::Status served = isms::RunServer(server_options, {&service}, logger);
  storage_health.SetListener(nullptr);  // The health service is gone.
  // No call runs now; what the relay has not delivered waits for the next start.
  (*registry)->SetAuditRelay(nullptr);
  if (relay != nullptr) relay->Stop();
  if (!served.ok()) return isms::FailStart(logger, "cannot serve", served);
  return 0;
}
