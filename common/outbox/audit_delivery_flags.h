#ifndef ISMS_COMMON_OUTBOX_AUDIT_DELIVERY_FLAGS_H_
#define ISMS_COMMON_OUTBOX_AUDIT_DELIVERY_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"
#include "common/client/peer_channel.h"
#include "common/outbox/outbox_relay.h"

// Where every service delivers its audit outbox (outbox_relay.h). Like all
// flags, each may be set from the environment (ISMS_AUDIT_ADDRESS, ...).
ABSL_DECLARE_FLAG(std::string, audit_address);
ABSL_DECLARE_FLAG(std::string, audit_token_file);
ABSL_DECLARE_FLAG(std::string, audit_tls_ca_file);
ABSL_DECLARE_FLAG(std::string, audit_tls_cert_file);
ABSL_DECLARE_FLAG(std::string, audit_tls_key_file);
ABSL_DECLARE_FLAG(int, audit_batch_size);
ABSL_DECLARE_FLAG(absl::Duration, audit_max_backoff);

namespace isms {

// The audit service as the --audit_* flags name it; address empty when
// --audit_address is not set (no delivery: events wait in the outbox).
PeerConfig AuditPeerFromFlags();
// The relay's options as --audit_batch_size and --audit_max_backoff set them
// (OutboxRelay::Start checks them).
OutboxRelay::Options AuditRelayOptionsFromFlags();

}  // namespace isms

#endif  // ISMS_COMMON_OUTBOX_AUDIT_DELIVERY_FLAGS_H_
