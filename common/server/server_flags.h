#ifndef ISMS_COMMON_SERVER_SERVER_FLAGS_H_
#define ISMS_COMMON_SERVER_SERVER_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ratelimit/rate_limiter.h"

// Flags every service takes. Each may also be set from the environment as
// ISMS_<FLAG NAME IN UPPER CASE> (e.g. ISMS_LISTEN); a command-line flag wins
// over the environment, which wins over the default.
ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(bool, init);
ABSL_DECLARE_FLAG(std::string, token_file);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(int, max_message_bytes);
ABSL_DECLARE_FLAG(absl::Duration, drain_grace);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_timeout);
ABSL_DECLARE_FLAG(std::string, ready_file);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_client_ca_file);
ABSL_DECLARE_FLAG(bool, tls_identity_from_cert);

// Transport limits (see README "Limits").
ABSL_DECLARE_FLAG(int, max_connections);
ABSL_DECLARE_FLAG(int, max_connections_per_peer);
ABSL_DECLARE_FLAG(int, fd_reserve);
ABSL_DECLARE_FLAG(int, max_concurrent_streams);
ABSL_DECLARE_FLAG(int64_t, memory_quota_bytes);
ABSL_DECLARE_FLAG(absl::Duration, max_connection_idle);
ABSL_DECLARE_FLAG(absl::Duration, max_connection_age);
ABSL_DECLARE_FLAG(absl::Duration, max_connection_age_grace);
ABSL_DECLARE_FLAG(absl::Duration, handshake_timeout);
ABSL_DECLARE_FLAG(absl::Duration, keepalive_time);
ABSL_DECLARE_FLAG(absl::Duration, keepalive_timeout);
ABSL_DECLARE_FLAG(absl::Duration, min_client_ping_interval);

// Per-caller rate limits (see README "Limits").
ABSL_DECLARE_FLAG(double, write_rate);
ABSL_DECLARE_FLAG(int, write_burst);
ABSL_DECLARE_FLAG(double, service_write_rate);
ABSL_DECLARE_FLAG(int, service_write_burst);
ABSL_DECLARE_FLAG(double, refusal_audit_rate);
ABSL_DECLARE_FLAG(int, refusal_audit_burst);

namespace isms {

// Applies ISMS_* environment overrides, then parses the command line.
// Returns the positional arguments. Exits with a usage message on bad flags.
std::vector<char*> ParseFlagsWithEnvironment(int argc, char** argv);

// The per-caller rate limits the flags give: InvalidArgument naming the flag
// for a rate that is not positive or a burst below 1.
absl::StatusOr<RateLimits> RateLimitsFromFlags();

// InvalidArgument when --tls_identity_from_cert is set without
// --tls_client_ca_file (no client certificate would be asked for).
absl::Status CheckTlsIdentityFlags();

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_SERVER_FLAGS_H_
