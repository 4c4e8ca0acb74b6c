#include "common/client/peer_channel.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "common/client/channel_credentials.h"

namespace isms {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::string line;
  std::getline(in, line);
  std::string token(absl::StripAsciiWhitespace(line));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, ": first line is empty"));
  }
  return token;
}

absl::StatusOr<std::unique_ptr<PeerChannel>> PeerChannel::Connect(const PeerConfig& config) {
  if (config.address.empty()) return absl::InvalidArgumentError("peer address: required");
  std::string token;
  if (!config.token_file.empty()) {
    absl::StatusOr<std::string> read = ReadTokenFile(config.token_file);
    if (!read.ok()) return read.status();
    token = *std::move(read);
  } else if (config.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "peer token_file: required unless a client certificate names the identity");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ClientChannelCredentials(config.tls_ca_file, config.tls_cert_file, config.tls_key_file);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments arguments;
  // Reconnect soon after a peer restarts rather than after gRPC's default
  // backoff of up to two minutes; callers retry with their own backoff.
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  auto channel = grpc::CreateCustomChannel(config.address, *credentials, arguments);
  return std::unique_ptr<PeerChannel>(new PeerChannel(std::move(channel), std::move(token)));
}

void PeerChannel::Prepare(grpc::ClientContext& context, absl::Duration timeout) const {
  if (!token_.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace isms
