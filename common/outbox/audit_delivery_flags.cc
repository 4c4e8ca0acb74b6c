#include "common/outbox/audit_delivery_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, audit_address, "",
          "audit service host:port to deliver the audit outbox to; empty: events wait in the "
          "outbox undelivered");
ABSL_FLAG(std::string, audit_token_file, "",
          "file whose first line is this service's bearer token at the audit service (a "
          "services/<name> identity with the append-audit capability); may be empty with "
          "--audit_tls_cert_file when the certificate names the identity");
ABSL_FLAG(std::string, audit_tls_ca_file, "",
          "CA certificate (PEM) to verify the audit service by; empty with the two below: "
          "plaintext");
ABSL_FLAG(std::string, audit_tls_cert_file, "",
          "client certificate (PEM) presented to the audit service (mutual TLS)");
ABSL_FLAG(std::string, audit_tls_key_file, "", "private key (PEM) of --audit_tls_cert_file");
ABSL_FLAG(int, audit_batch_size, 100, "events per delivery call to the audit service (1-1000)");
ABSL_FLAG(absl::Duration, audit_max_backoff, absl::Seconds(30),
          "longest wait between two delivery attempts while the audit service fails");

namespace isms {

PeerConfig AuditPeerFromFlags() {
  PeerConfig config;
  config.address = absl::GetFlag(FLAGS_audit_address);
  config.token_file = absl::GetFlag(FLAGS_audit_token_file);
  config.tls_ca_file = absl::GetFlag(FLAGS_audit_tls_ca_file);
  config.tls_cert_file = absl::GetFlag(FLAGS_audit_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_audit_tls_key_file);
  return config;
}

OutboxRelay::Options AuditRelayOptionsFromFlags() {
  OutboxRelay::Options options;
  options.batch_size = absl::GetFlag(FLAGS_audit_batch_size);
  options.max_backoff = absl::GetFlag(FLAGS_audit_max_backoff);
  return options;
}

}  // namespace isms
