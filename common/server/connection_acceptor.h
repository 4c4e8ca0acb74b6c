#ifndef ISMS_COMMON_SERVER_CONNECTION_ACCEPTOR_H_
#define ISMS_COMMON_SERVER_CONNECTION_ACCEPTOR_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/server/logger.h"

namespace isms {

class OpenConnections;

// Owns a plaintext listening socket and its accept loop, and hands each
// accepted connection to a running grpc::Server (grpc::AddInsecureChannelFromFd),
// so that, unlike gRPC 1.51's own listener:
//  * at most `max_connections` client connections are open at once, and at
//    most `max_per_peer` from one IP address (so one client cannot take
//    every slot); a further one is accepted and closed at once (the client
//    sees a reset);
//  * running out of descriptors (EMFILE/ENFILE) is survived: the loop backs
//    off and accepts again once descriptors are free.
// Refusals and accept errors are logged in aggregate, at most once a second.
// Thread-safe: Stop() may be called from any thread, once.
class ConnectionAcceptor {
 public:
  // Binds and listens on `address` ("host:port", port 0 picks one).
  // Unavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<ConnectionAcceptor>> Listen(const std::string& address);

  ~ConnectionAcceptor();  // Stops the loop and closes the listening socket.
  ConnectionAcceptor(const ConnectionAcceptor&) = delete;
  ConnectionAcceptor& operator=(const ConnectionAcceptor&) = delete;

  // The port bound.
  int port() const { return port_; }

  // Starts accepting into `server`, which must outlive Stop().
  // REQUIRES: max_connections > 0, max_per_peer >= 0 (0: no limit); once.
  void Start(grpc::Server& server, int max_connections, int max_per_peer, Logger& logger);

  // Stops accepting and joins the loop. Connections already handed to the
  // server stay with it (its Shutdown closes them).
  void Stop();

  // Stops, then ends every connection handed to the server that is still
  // open, so calls stuck on them (a write to a client that stopped reading)
  // fail and the server's Shutdown can return.
  void ShutdownConnections();

 private:
  ConnectionAcceptor(int listen_fd, int wake_fd, int port);
  void Loop(grpc::Server& server, int max_connections, int max_per_peer, Logger& logger);

  const int listen_fd_;
  const int wake_fd_;  // eventfd written by Stop() to end the loop's poll.
  const int port_;
  std::atomic<bool> stopping_{false};
  // Touched by the loop's thread only, and after Stop() by ShutdownConnections.
  std::unique_ptr<OpenConnections> open_;
  std::thread thread_;
};

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_CONNECTION_ACCEPTOR_H_
