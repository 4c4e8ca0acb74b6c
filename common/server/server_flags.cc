#include "common/server/server_flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "host:port to listen on; port 0 picks a free port (see --ready_file)");
ABSL_FLAG(std::string, data_dir, "./data", "folder for the service's database");
ABSL_FLAG(std::string, token_file, "",
          "bearer token file: '<sha256 hex> principal|service <name>' a line");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(int, max_message_bytes, 4 * 1024 * 1024, "largest request message accepted, in bytes");
ABSL_FLAG(absl::Duration, drain_grace, absl::ZeroDuration(),
          "time to keep serving after reporting NOT_SERVING on SIGTERM, so load "
          "balancers stop routing here (Kubernetes: a few seconds)");
ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(10),
          "how long in-flight calls may take to finish after draining");
ABSL_FLAG(std::string, ready_file, "", "once serving, write the bound host:port to this file");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate; with --tls_key_file, serve TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA; with TLS, every client must present a certificate it signed (mutual TLS)");
ABSL_FLAG(bool, tls_identity_from_cert, false,
          "with --tls_client_ca_file: a call without a bearer token whose client certificate "
          "names services/<name> (CN or a SAN) is made by that service identity");

ABSL_FLAG(bool, init, false,
          "create a fresh database if data_dir has none (or an empty one); without it the "
          "service refuses to start on a missing or empty database. Ignored once initialised");

ABSL_FLAG(int, max_connections, 512,
          "open client connections at most; further ones are accepted and closed at once "
          "(plaintext only; also capped at RLIMIT_NOFILE - fd_reserve)");
ABSL_FLAG(int, max_connections_per_peer, 64,
          "open client connections from one IP address at most (0: no limit). Behind a proxy "
          "or sidecar all clients share its address: raise it or set 0 there");
ABSL_FLAG(int, fd_reserve, 64,
          "file descriptors kept free for the database, logs and gRPC's own use; "
          "connections are refused before the process gets this close to RLIMIT_NOFILE");
ABSL_FLAG(int, max_concurrent_streams, 100, "concurrent calls per HTTP/2 connection at most");
ABSL_FLAG(int64_t, memory_quota_bytes, 64 << 20,
          "gRPC's memory quota for the whole server (read buffers, calls); under pressure "
          "gRPC shrinks windows and closes the greediest connections");
ABSL_FLAG(absl::Duration, max_connection_idle, absl::Minutes(2),
          "a connection without calls for this long is closed (GOAWAY)");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Minutes(10),
          "a connection is asked to go away after this long (clients reconnect), so a "
          "trickling request cannot hold a connection forever");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Seconds(30),
          "calls in flight when max_connection_age is reached get this long, then are cut");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10),
          "TLS handshake deadline (TLS mode; plaintext connections have no handshake and fall "
          "under max_connection_idle)");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Minutes(1),
          "the server pings an idle connection this often to find dead peers");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "a connection whose peer does not answer a ping within this is closed");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Minutes(1),
          "clients pinging more often than this without data get GOAWAY after 2 strikes");
ABSL_FLAG(double, write_rate, 5, "writes per second per principal (token bucket refill)");
ABSL_FLAG(int, write_burst, 50, "writes a principal may make at once (token bucket size)");
ABSL_FLAG(double, service_write_rate, 100, "writes per second per service identity");
ABSL_FLAG(int, service_write_burst, 500, "writes a service identity may make at once");
ABSL_FLAG(double, refusal_audit_rate, 1,
          "refused attempts per second per principal written to the audit trail; more are "
          "counted and logged in aggregate");
ABSL_FLAG(int, refusal_audit_burst, 20, "refused attempts audited at once per principal");

namespace isms {

std::vector<char*> ParseFlagsWithEnvironment(int argc, char** argv) {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string env_name = absl::StrCat("ISMS_", absl::AsciiStrToUpper(name));
    const char* value = std::getenv(env_name.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "%s: %s\n", env_name.c_str(), error.c_str());
      std::exit(2);
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

absl::StatusOr<RateLimits> RateLimitsFromFlags() {
  RateLimits limits;
  limits.principal_writes = {absl::GetFlag(FLAGS_write_rate), absl::GetFlag(FLAGS_write_burst)};
  limits.service_writes = {absl::GetFlag(FLAGS_service_write_rate),
                           absl::GetFlag(FLAGS_service_write_burst)};
  limits.refusal_audits = {absl::GetFlag(FLAGS_refusal_audit_rate),
                           absl::GetFlag(FLAGS_refusal_audit_burst)};
  for (const auto& [name, limit] :
       {std::pair<const char*, const RateLimit*>{"write", &limits.principal_writes},
        {"service_write", &limits.service_writes},
        {"refusal_audit", &limits.refusal_audits}}) {
    if (limit->per_second <= 0 || limit->burst < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, "_rate must be positive and --", name, "_burst at least 1"));
    }
  }
  return limits;
}

absl::Status CheckTlsIdentityFlags() {
  if (absl::GetFlag(FLAGS_tls_identity_from_cert) &&
      absl::GetFlag(FLAGS_tls_client_ca_file).empty()) {
    return absl::InvalidArgumentError("tls_identity_from_cert: needs tls_client_ca_file");
  }
  return absl::OkStatus();
}

}  // namespace isms
