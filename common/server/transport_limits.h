#ifndef ISMS_COMMON_SERVER_TRANSPORT_LIMITS_H_
#define ISMS_COMMON_SERVER_TRANSPORT_LIMITS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace isms {

// What one server lets its clients hold: connections, streams, memory and
// time. The defaults are the flags' defaults (README "Limits").
struct TransportLimits {
  int max_connections = 512;
  int max_connections_per_peer = 64;  // 0: no limit.
  int fd_reserve = 64;
  int max_concurrent_streams = 100;
  int64_t memory_quota_bytes = int64_t{64} << 20;
  absl::Duration max_connection_idle = absl::Minutes(2);
  absl::Duration max_connection_age = absl::Minutes(10);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration min_client_ping_interval = absl::Minutes(1);
};

// TransportLimits from the flags.
TransportLimits TransportLimitsFromFlags();

// InvalidArgument naming the first limit that is not positive.
absl::Status ValidateTransportLimits(const TransportLimits& limits);

// Sets the channel arguments and memory quota for `limits` on `builder`
// (everything but the connection count, which the listener enforces).
void ApplyTransportLimits(const TransportLimits& limits, grpc::ServerBuilder& builder);

// The number of client connections to allow with `file_limit` descriptors:
// max_connections, lowered to file_limit - fd_reserve. At least 1.
int EffectiveMaxConnections(const TransportLimits& limits, int file_limit);

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_TRANSPORT_LIMITS_H_
