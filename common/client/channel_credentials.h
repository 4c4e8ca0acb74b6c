#ifndef ISMS_COMMON_CLIENT_CHANNEL_CREDENTIALS_H_
#define ISMS_COMMON_CLIENT_CHANNEL_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace isms {

// Credentials for a channel to one of our services. All empty: plaintext.
// `ca_file` set: TLS, the server verified against that CA; with `cert_file`
// and `key_file` also set, the client presents that certificate (mutual
// TLS, e.g. a services/<name> certificate from scripts/make-dev-certs.sh).
// NotFound if a file cannot be read; InvalidArgument for a cert without key
// or either without a CA.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file);

}  // namespace isms

#endif  // ISMS_COMMON_CLIENT_CHANNEL_CREDENTIALS_H_
