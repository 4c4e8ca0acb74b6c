// The audit service binary: flags, signing key, storage, then serve.

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/auth/authenticator.h"
#include "common/authz/role_service_flags.h"
#include "common/files/file_io.h"
#include "common/ratelimit/rate_limiter.h"
#include "common/server/attempt_tally.h"
#include "common/server/logger.h"
#include "common/server/server_flags.h"
#include "common/server/server_runner.h"
#include "common/server/service_start.h"
#include "common/server/unary_call.h"
#include "common/server/writes_health.h"
#include "common/storage/data_dir_lock.h"
#include "common/time/clock.h"
#include "services/audit/audit_grpc_service.h"
#include "services/audit/audit_log.h"
#include "services/audit/audit_store.h"
#include "services/audit/tree_head.h"

ABSL_FLAG(std::string, signing_key_file, "",
          "Ed25519 private key (PEM, `openssl genpkey -algorithm ed25519`) that signs tree heads");
ABSL_FLAG(std::string, public_key_file, "",
          "if set, the public half of the signing key is written here (PEM) for verifiers");
int main(int argc, char** argv) {
  isms::ServiceStart start = isms::StartService(argc, argv);
  if (start.authenticator == nullptr) return 1;
  isms::Logger& logger = *start.logger;
  const std::string& token_file = start.token_file;
  isms::Authenticator& authenticator = *start.authenticator;

  const std::string key_file = absl::GetFlag(FLAGS_signing_key_file);
  if (key_file.empty()) {
    return isms::FailStart(logger, "bad flag",
                           absl::InvalidArgumentError("signing_key_file: required"));
  }
  struct stat key_stat;
  if (stat(key_file.c_str(), &key_stat) == 0 && (key_stat.st_mode & 077) != 0) {
    logger.Log(isms::LogLevel::kWarning,
               "the signing key file is readable by others than its owner: whoever reads it "
               "can sign tree heads (chmod 600 it)",
               {{"file", key_file}});
  }
  absl::StatusOr<std::string> key_pem = isms::ReadWholeFile(key_file);
  if (!key_pem.ok()) return isms::FailStart(logger, "cannot read signing key", key_pem.status());
  auto signer = isms::audit::TreeHeadSigner::FromPrivateKeyPem(*key_pem);
  if (!signer.ok()) return isms::FailStart(logger, "bad signing key", signer.status());
  auto permissions = isms::PermissionClientFromFlags();
  if (!permissions.ok())
    return isms::FailStart(logger, "bad role service flags", permissions.status());
  if (absl::GetFlag(FLAGS_role_service_address).empty()) {
    logger.Log(isms::LogLevel::kWarning,
               "no --role_service_address: reads of the trail by people are refused");
  }

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  // One writer per data directory, held until the process ends.
  auto lock = isms::DataDirLock::CreateAndAcquire(data_dir);
  if (!lock.ok()) return isms::FailStart(logger, "cannot lock data_dir", lock.status());
  isms::StorageHealth storage_health;
  auto store = isms::audit::SqliteAuditStore::Open(absl::StrCat(data_dir, "/audit.db"),
                                                   absl::GetFlag(FLAGS_init)
                                                       ? isms::SqliteInit::kCreateIfEmpty
                                                       : isms::SqliteInit::kRequireInitialised,
                                                   &storage_health);
  if (!store.ok()) return isms::FailStart(logger, "cannot open storage", store.status());
  // The query index beside the log: derived data, rebuilt if missing.
  auto query_index =
      isms::audit::QueryIndex::Open(absl::StrCat(data_dir, "/audit-index.db"), (*store)->path());
  if (!query_index.ok()) {
    return isms::FailStart(logger, "cannot open the query index", query_index.status());
  }
  if (absl::Status unusable = (*query_index)->unusable(); !unusable.ok()) {
    logger.Log(isms::LogLevel::kError,
               "cannot open the query index; queries read the log until it is rebuilt",
               {{"error", unusable.ToString()}});
  }
  isms::SystemClock clock;
  auto log = isms::audit::AuditLog::Open(**store, **query_index, **signer, clock);
  if (!log.ok()) return isms::FailStart(logger, "cannot load the log", log.status());
  logger.Log(isms::LogLevel::kInfo, "log loaded", {{"tree_size", absl::StrCat((*log)->size())}});
  if (std::optional<uint64_t> damaged = (*log)->damaged_at_start(); damaged.has_value()) {
    logger.Log(isms::LogLevel::kError,
               "a stored event no longer matches its leaf hash: it was changed behind the "
               "service's back; run VerifyLog",
               {{"first_index", absl::StrCat(*damaged)}});
  }
  // Published only once the log has been checked against this key: a start
  // refused for another key leaves the file naming the key that signed it.
  const std::string public_key_file = absl::GetFlag(FLAGS_public_key_file);
  if (!public_key_file.empty()) {
    absl::Status written =
        isms::WriteFileAtomically(public_key_file, (*signer)->public_key_pem(), 0644);
    if (!written.ok()) return isms::FailStart(logger, "cannot write public key", written);
  }

  // Appends are not rate-limited as writes (no write methods are named: a
  // service delivering a backlog must not be throttled into falling behind);
  // refusals are, for their audit events.
  auto rate_limits = isms::RateLimitsFromFlags();
  if (!rate_limits.ok()) return isms::FailStart(logger, "bad flag", rate_limits.status());
  isms::TokenBucketRateLimiter limiter(*rate_limits, clock, logger);
  isms::AttemptTally unauthenticated("unauthenticated calls", clock, logger);
  isms::UnaryCallRunner::Options runner_options;
  runner_options.limiter = &limiter;
  runner_options.unauthenticated = &unauthenticated;
  runner_options.identity_from_certificate = absl::GetFlag(FLAGS_tls_identity_from_cert);
  if (absl::Status tls = isms::CheckTlsIdentityFlags(); !tls.ok()) {
    return isms::FailStart(logger, "bad flag", tls);
  }
  // The service records the runner's refusals itself; it exists only after
  // the runner, so the runner reaches it through this forwarder.
  struct Forwarder : isms::RefusalRecorder {
    isms::RefusalRecorder* target = nullptr;
    void RecordRefusal(const isms::CallInfo& call, const absl::Status& refusal) override {
      if (target != nullptr) target->RecordRefusal(call, refusal);
    }
  } forwarder;
  runner_options.recorder = &forwarder;
  isms::UnaryCallRunner runner(authenticator, logger, std::move(runner_options));
  isms::audit::AuditGrpcService service(**log, **permissions, runner, (*signer)->public_key_pem());
  forwarder.target = &service;

  isms::ServerOptions server_options = isms::ServerOptionsFromFlags();
  server_options.health_service_names = {isms::audit::v1::AuditService::service_full_name()};
  // NOT_SERVING while storage refuses appends (full, read-only, failing);
  // heads, proofs and reads go on being served.
  isms::ReportWritesHealth(server_options, storage_health, logger,
                           "isms.audit.v1.AuditService/writes");
  server_options.on_reload = [&] {
    absl::Status reloaded = authenticator.ReloadFromFile(token_file);
    logger.Log(reloaded.ok() ? isms::LogLevel::kInfo : isms::LogLevel::kError,
               reloaded.ok() ? "tokens reloaded" : "tokens not reloaded; keeping the old ones",
               {{"file", token_file}, {"error", reloaded.ToString()}});
  };
  absl::Status served = isms::RunServer(server_options, {&service}, logger);
  storage_health.SetListener(nullptr);  // The health service is gone.
  if (!served.ok()) return isms::FailStart(logger, "cannot serve", served);
  return 0;
}
