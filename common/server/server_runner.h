#ifndef ISMS_COMMON_SERVER_SERVER_RUNNER_H_
#define ISMS_COMMON_SERVER_SERVER_RUNNER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/server/logger.h"
#include "common/server/transport_limits.h"

namespace isms {

struct ServerOptions {
  std::string listen_address;
  int max_message_bytes = 4 * 1024 * 1024;
  absl::Duration drain_grace = absl::ZeroDuration();
  absl::Duration shutdown_timeout = absl::Seconds(10);
  // If set, the bound "host:port" is written here once serving.
  std::string ready_file;
  // Both set: serve TLS with these PEM files.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Set (with the two above): require client certificates signed by this CA.
  std::string tls_client_ca_file;
  // Full names of the services (e.g. "isms.role.v1.RoleService") whose
  // health is reported by name as well as under "".
  std::vector<std::string> health_service_names;
  // Called on SIGHUP, e.g. to reload the token file. May be empty.
  std::function<void()> on_reload;
  // Called once serving, before the ready file is written, with the health
  // service (valid until RunServer returns), so a service can report more
  // health names of its own (e.g. whether its storage takes writes). May be
  // empty.
  std::function<void(grpc::HealthCheckServiceInterface*)> on_health_ready;
  // Connections, streams, memory and time a client may hold.
  TransportLimits limits;
};

// ServerOptions from the common server flags.
ServerOptions ServerOptionsFromFlags();

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread
// it starts later, so RunServer can wait for them. REQUIRES: called first in main(),
// before any thread exists.
void BlockShutdownSignals();

// Serves `services` with the standard health service and server reflection
// until SIGTERM or SIGINT; SIGHUP runs options.on_reload. `services` must be
// ready to answer (state loaded): health reports SERVING from the start, and
// NOT_SERVING once a stop signal arrives; after drain_grace, in-flight calls
// get shutdown_timeout to finish. Returns when the server has stopped, or an
// error if it could not start. REQUIRES: BlockShutdownSignals() was called.
//
// First raises the soft RLIMIT_NOFILE to the hard limit. In plaintext mode
// the listening socket is our own (ConnectionAcceptor): connections above
// options.limits (EffectiveMaxConnections) are refused and the listener
// survives running out of descriptors. In TLS mode gRPC listens itself (it
// cannot take TLS connections from a descriptor in 1.51): the connection
// count is then not limited by this process, only streams, memory and time.
absl::Status RunServer(const ServerOptions& options, const std::vector<grpc::Service*>& services,
                       Logger& logger);

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_SERVER_RUNNER_H_
