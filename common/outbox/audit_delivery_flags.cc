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

}  // namespace isms
