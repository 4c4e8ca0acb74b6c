#include "common/server/transport_limits.h"

#include <grpcpp/resource_quota.h>

#include <algorithm>
#include <climits>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/server/server_flags.h"

namespace isms {
namespace {

constexpr int kMaxReadChunkBytes = 64 * 1024;

int Millis(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT_MAX));
}

}  // namespace

TransportLimits TransportLimitsFromFlags() {
  TransportLimits limits;
  limits.max_connections = absl::GetFlag(FLAGS_max_connections);
  limits.max_connections_per_peer = absl::GetFlag(FLAGS_max_connections_per_peer);
  limits.fd_reserve = absl::GetFlag(FLAGS_fd_reserve);
  limits.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  limits.memory_quota_bytes = absl::GetFlag(FLAGS_memory_quota_bytes);
  limits.max_connection_idle = absl::GetFlag(FLAGS_max_connection_idle);
  limits.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  limits.max_connection_age_grace = absl::GetFlag(FLAGS_max_connection_age_grace);
  limits.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  limits.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  limits.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  limits.min_client_ping_interval = absl::GetFlag(FLAGS_min_client_ping_interval);
  return limits;
}

absl::Status ValidateTransportLimits(const TransportLimits& limits) {
  if (limits.max_connections <= 0)
    return absl::InvalidArgumentError("max_connections: must be positive");
  if (limits.max_connections_per_peer < 0)
    return absl::InvalidArgumentError("max_connections_per_peer: must be 0 (no limit) or positive");
  if (limits.fd_reserve < 0) return absl::InvalidArgumentError("fd_reserve: must not be negative");
  if (limits.max_concurrent_streams <= 0) {
    return absl::InvalidArgumentError("max_concurrent_streams: must be positive");
  }
  if (limits.memory_quota_bytes <= 0) {
    return absl::InvalidArgumentError("memory_quota_bytes: must be positive");
  }
  const std::pair<const char*, absl::Duration> durations[] = {
      {"max_connection_idle", limits.max_connection_idle},
      {"max_connection_age", limits.max_connection_age},
      {"max_connection_age_grace", limits.max_connection_age_grace},
      {"handshake_timeout", limits.handshake_timeout},
      {"keepalive_time", limits.keepalive_time},
      {"keepalive_timeout", limits.keepalive_timeout},
      {"min_client_ping_interval", limits.min_client_ping_interval}};
  for (const auto& [name, value] : durations) {
    if (value <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": must be positive"));
    }
  }
  return absl::OkStatus();
}

void ApplyTransportLimits(const TransportLimits& limits, grpc::ServerBuilder& builder) {
  grpc::ResourceQuota quota("isms-server");
  quota.Resize(static_cast<size_t>(limits.memory_quota_bytes));
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, Millis(limits.max_connection_idle));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, Millis(limits.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             Millis(limits.max_connection_age_grace));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             Millis(limits.handshake_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(limits.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(limits.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Millis(limits.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  // gRPC grows a connection's read buffer up to 4 MiB by default; keep it
  // small so many connections streaming at once hold little each.
  builder.AddChannelArgument(GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE, kMaxReadChunkBytes);
}

int EffectiveMaxConnections(const TransportLimits& limits, int file_limit) {
  const int64_t by_files = int64_t{file_limit} - limits.fd_reserve;
  return static_cast<int>(
      std::max<int64_t>(1, std::min<int64_t>(limits.max_connections, by_files)));
}

}  // namespace isms
