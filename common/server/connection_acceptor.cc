#include "common/server/connection_acceptor.h"

#include <fcntl.h>
#include <grpcpp/server_posix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace isms {
namespace {

constexpr int kBacklog = 1024;
constexpr int kPollMillis = 1000;
constexpr absl::Duration kBackoff = absl::Milliseconds(100);
constexpr absl::Duration kReportEvery = absl::Seconds(1);

// The connections handed to gRPC, which closes them itself and tells nobody.
// A connection is taken as still open while its descriptor still names the
// same socket (same inode): a closed descriptor fails fstat, a reused one
// names another file.
}  // namespace

class OpenConnections {
 public:
  void Add(int fd, std::string peer) {
    struct stat st {};
    if (fstat(fd, &st) == 0) {
      ++by_peer_[peer];
      open_.push_back({fd, st.st_ino, std::move(peer)});
    }
  }
  // Connections from `peer` counted open (recounted by Count()).
  int FromPeer(const std::string& peer) const {
    auto it = by_peer_.find(peer);
    return it == by_peer_.end() ? 0 : it->second;
  }
  // Ends every connection still open (shutdown(2), not close: the
  // descriptors are gRPC's), so its pending reads and writes fail.
  void ShutdownAll() {
    Count();
    for (const Entry& entry : open_) shutdown(entry.fd, SHUT_RDWR);
  }
  // Forgets the closed ones; returns how many remain.
  int Count() {
    std::vector<Entry> still;
    still.reserve(open_.size());
    by_peer_.clear();
    for (Entry& entry : open_) {
      struct stat st {};
      if (fstat(entry.fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == entry.inode) {
        ++by_peer_[entry.peer];
        still.push_back(std::move(entry));
      }
    }
    open_ = std::move(still);
    return static_cast<int>(open_.size());
  }

 private:
  struct Entry {
    int fd;
    ino_t inode;
    std::string peer;
  };
  std::vector<Entry> open_;
  absl::flat_hash_map<std::string, int> by_peer_;
};

namespace {

// The IP address (no port) a connection comes from; "" if unknown.
std::string PeerAddress(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "";
  char host[NI_MAXHOST] = {};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host, sizeof(host), nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    return "";
  }
  return host;
}

std::pair<std::string, std::string> SplitHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return {address, ""};
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, address.substr(colon + 1)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectionAcceptor>> ConnectionAcceptor::Listen(
    const std::string& address) {
  auto [host, port] = SplitHostPort(address);
  int port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("listen: want host:port, got ", address));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int resolved = getaddrinfo(host.empty() || host == "*" ? nullptr : host.c_str(),
                                   port.c_str(), &hints, &found);
  if (resolved != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve ", address, ": ", gai_strerror(resolved)));
  }
  std::string error = "no address";
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, kBacklog) != 0) {
      error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", error));
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const int bound_port = bound.ss_family == AF_INET6
                             ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                             : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  const int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return std::unique_ptr<ConnectionAcceptor>(new ConnectionAcceptor(fd, wake, bound_port));
}

ConnectionAcceptor::ConnectionAcceptor(int listen_fd, int wake_fd, int port)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      port_(port),
      open_(std::make_unique<OpenConnections>()) {}

ConnectionAcceptor::~ConnectionAcceptor() {
  Stop();
  close(listen_fd_);
  close(wake_fd_);
}

void ConnectionAcceptor::Start(grpc::Server& server, int max_connections, int max_per_peer,
                               Logger& logger) {
  thread_ = std::thread([this, &server, max_connections, max_per_peer, &logger] {
    Loop(server, max_connections, max_per_peer, logger);
  });
}

void ConnectionAcceptor::Stop() {
  if (stopping_.exchange(true)) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void ConnectionAcceptor::ShutdownConnections() {
  Stop();
  open_->ShutdownAll();
}

void ConnectionAcceptor::Loop(grpc::Server& server, int max_connections, int max_per_peer,
                              Logger& logger) {
  OpenConnections& open = *open_;
  int64_t refused = 0;        // Over max_connections since the last report.
  int64_t refused_peer = 0;   // Over max_per_peer since the last report.
  int64_t accept_errors = 0;  // Failed accepts (EMFILE...) since the last report.
  std::string last_error;
  absl::Time last_report = absl::Now();
  int counted = 0;  // Connections known open; recounted when it reaches the limit.
  while (!stopping_.load()) {
    const absl::Time now = absl::Now();
    if ((refused > 0 || refused_peer > 0 || accept_errors > 0) &&
        now - last_report >= kReportEvery) {
      logger.Log(LogLevel::kWarning, "connections refused",
                 {{"over_limit", absl::StrCat(refused)},
                  {"over_peer_limit", absl::StrCat(refused_peer)},
                  {"accept_errors", absl::StrCat(accept_errors)},
                  {"last_error", last_error},
                  {"open", absl::StrCat(counted)},
                  {"max_connections", absl::StrCat(max_connections)}});
      refused = refused_peer = accept_errors = 0;
      last_report = now;
    }
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, kPollMillis) <= 0 || (fds[1].revents & POLLIN)) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays in the
      // backlog; try again once gRPC may have closed some.
      ++accept_errors;
      last_error = std::strerror(errno);
      absl::SleepFor(kBackoff);
      continue;
    }
    if (counted >= max_connections) counted = open.Count();
    if (counted >= max_connections) {
      ++refused;
      close(fd);
      continue;
    }
    std::string peer = PeerAddress(fd);
    if (max_per_peer > 0 && open.FromPeer(peer) >= max_per_peer) {
      counted = open.Count();
      if (open.FromPeer(peer) >= max_per_peer) {
        ++refused_peer;
        close(fd);
        continue;
      }
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    open.Add(fd, std::move(peer));
    ++counted;
    grpc::AddInsecureChannelFromFd(&server, fd);
  }
}

}  // namespace isms
