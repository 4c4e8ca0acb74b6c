#ifndef ISMS_COMMON_CLIENT_PEER_CHANNEL_H_
#define ISMS_COMMON_CLIENT_PEER_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace isms {

// How one service reaches another (the role service its audit service, the
// audit service the role service): where, as whom, over what.
struct PeerConfig {
  // "host:port". Empty: the peer is not configured.
  std::string address;
  // File whose first line is this service's bearer token for the peer (its
  // services/<name> identity there). Empty with mutual TLS: the client
  // certificate names the identity.
  std::string token_file;
  // TLS as ClientChannelCredentials takes it; all empty: plaintext.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
};

// A channel to a peer and the token to present on it.
class PeerChannel {
 public:
  // Reads the token file and TLS files. InvalidArgument for an empty address
  // or token file line; NotFound for a file that cannot be read.
  static absl::StatusOr<std::unique_ptr<PeerChannel>> Connect(const PeerConfig& config);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // Sets the authorization header (when there is a token) and a deadline of
  // `timeout` from now on `context`.
  void Prepare(grpc::ClientContext& context, absl::Duration timeout) const;

 private:
  PeerChannel(std::shared_ptr<grpc::Channel> channel, std::string token)
      : channel_(std::move(channel)), token_(std::move(token)) {}
  std::shared_ptr<grpc::Channel> channel_;
  const std::string token_;
};

// The first line of `path`, without surrounding whitespace. NotFound if it
// cannot be read; InvalidArgument if that line is empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace isms

#endif  // ISMS_COMMON_CLIENT_PEER_CHANNEL_H_
