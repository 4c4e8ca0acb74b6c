#include "common/server/server_runner.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/files/file_io.h"
#include "common/server/connection_acceptor.h"
#include "common/server/file_limits.h"
#include "common/server/server_flags.h"

namespace isms {
namespace {

// The signals RunServer waits for: SIGTERM and SIGINT stop, SIGHUP reloads.
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("tls_client_ca_file: needs tls_cert_file and tls_key_file");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("tls_cert_file and tls_key_file go together");
  }
  absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(options.tls_key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(options.tls_client_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Atomically (a watcher never reads half a line) and through a new
// exclusive temporary (a link planted at a guessable name redirects nothing).
absl::Status WriteReadyFile(const std::string& path, const std::string& address) {
  return WriteFileAtomically(path, address + "\n", 0644);
}

}  // namespace

ServerOptions ServerOptionsFromFlags() {
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.drain_grace = absl::GetFlag(FLAGS_drain_grace);
  options.shutdown_timeout = absl::GetFlag(FLAGS_shutdown_timeout);
  options.ready_file = absl::GetFlag(FLAGS_ready_file);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.limits = TransportLimitsFromFlags();
  return options;
}

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status RunServer(const ServerOptions& options, const std::vector<grpc::Service*>& services,
                       Logger& logger) {
  if (options.max_message_bytes <= 0) {
    return absl::InvalidArgumentError("max_message_bytes: must be positive");
  }
  absl::Status valid = ValidateTransportLimits(options.limits);
  if (!valid.ok()) return valid;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<int> file_limit = RaiseFileLimit();
  if (!file_limit.ok()) return file_limit.status();
  const int max_connections = EffectiveMaxConnections(options.limits, *file_limit);
  const bool tls = !options.tls_cert_file.empty();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  std::unique_ptr<ConnectionAcceptor> acceptor;
  if (tls) {
    builder.AddListeningPort(options.listen_address, *credentials, &port);
  } else {
    absl::StatusOr<std::unique_ptr<ConnectionAcceptor>> listening =
        ConnectionAcceptor::Listen(options.listen_address);
    if (!listening.ok()) return listening.status();
    acceptor = *std::move(listening);
    port = acceptor->port();
  }
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // No compressed requests: gRPC 1.51 inflates a message before it checks
  // its size, so one unauthenticated 1 MB gzip body became 1 GiB of memory.
  // A call compressed with a disabled algorithm ends UNIMPLEMENTED before
  // its message is read. (Replies may still be compressed.)
  for (int algorithm = GRPC_COMPRESS_NONE + 1; algorithm < GRPC_COMPRESS_ALGORITHMS_COUNT;
       ++algorithm) {
    builder.SetCompressionAlgorithmSupportStatus(static_cast<grpc_compression_algorithm>(algorithm),
                                                 false);
  }
  ApplyTransportLimits(options.limits, builder);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address));
  }
  if (acceptor != nullptr) {
    acceptor->Start(*server, max_connections, options.limits.max_connections_per_peer, logger);
  }
  logger.Log(LogLevel::kInfo, "limits",
             {{"open_files", absl::StrCat(*file_limit)},
              {"max_connections",
               tls ? "unlimited (TLS: gRPC's listener)" : absl::StrCat(max_connections)},
              {"max_concurrent_streams", absl::StrCat(options.limits.max_concurrent_streams)},
              {"memory_quota_bytes", absl::StrCat(options.limits.memory_quota_bytes)}});
  // Services load their state before they are handed here, so a probe sees
  // a refused connection while starting; SERVING is set before the address
  // is published so whoever reads the ready file finds the server SERVING.
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  for (const std::string& name : options.health_service_names) {
    health->SetServingStatus(name, true);
  }
  health->SetServingStatus(true);
  if (options.on_health_ready) options.on_health_ready(health);

  const std::string host = options.listen_address.substr(0, options.listen_address.rfind(':'));
  const std::string bound = absl::StrCat(host, ":", port);
  logger.Log(LogLevel::kInfo, "serving", {{"address", bound}});
  if (!options.ready_file.empty()) {
    absl::Status written = WriteReadyFile(options.ready_file, bound);
    if (!written.ok()) {
      if (acceptor != nullptr) acceptor->Stop();
      server->Shutdown();
      return written;
    }
  }

  sigset_t set = ShutdownSignals();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) == 0 && signal_number == SIGHUP) {
    logger.Log(LogLevel::kInfo, "reloading");
    if (options.on_reload) options.on_reload();
  }
  logger.Log(LogLevel::kInfo, "draining", {{"signal", strsignal(signal_number)}});
  health->SetServingStatus(false);
  absl::SleepFor(options.drain_grace);
  if (acceptor != nullptr) acceptor->Stop();
  const absl::Time deadline = absl::Now() + options.shutdown_timeout;
  // At the deadline gRPC cancels the calls still running, but a stream whose
  // client stopped reading keeps a write pending that only the end of its
  // connection completes, and Shutdown would wait for it for ever: a second
  // past the deadline, end the connections themselves.
  absl::Notification shut_down;
  std::thread closer([&] {
    if (!shut_down.WaitForNotificationWithDeadline(deadline + absl::Seconds(1)) &&
        acceptor != nullptr) {
      logger.Log(LogLevel::kWarning, "calls outlived the shutdown timeout; closing connections");
      acceptor->ShutdownConnections();
    }
  });
  server->Shutdown(absl::ToChronoTime(deadline));
  shut_down.Notify();
  closer.join();
  server->Wait();
  logger.Log(LogLevel::kInfo, "stopped");
  return absl::OkStatus();
}

}  // namespace isms
