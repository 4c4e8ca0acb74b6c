// The real role service under hostile clients that never authenticate:
// floods of open streams, half-sent large requests, connections beyond the
// limit and beyond the open-file limit. Each test states the bound it checks
// and prints what it measured.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/sha256.h"
#include "common/testing/server_process.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/raw_http2_client.h"
#include "tests/integration/sanitized.h"

namespace isms {
namespace {

using ::isms::testing::PeakRssKib;
using ::isms::testing::RawHttp2Connection;
using ::isms::testing::RssKib;

constexpr char kPath[] = "/isms.role.v1.RoleService/CreatePrincipal";
// The peak resident set every flood below must stay under with the default
// limits: under 40% of the Kubernetes memory limit (k8s/role-service.yaml,
// 512Mi). Idle, the service holds about 20 MiB; without the limits the
// stream flood reached about 490 MiB and the half-sent requests about 230 MiB.
// Twice that under AddressSanitizer (see sanitized.h).
constexpr int64_t kPeakBoundKib = (isms::testing::kSanitized ? 2 : 1) * 200 * 1024;

class TransportLimitsTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> extra = {}, int open_files_limit = 0) {
    {
      std::ofstream tokens(dir_.path() + "/tokens");
      tokens << Sha256Hex("root-token") << " principal principals/root\n";
    }
    std::vector<std::string> args = {absl::StrCat("--data_dir=", dir_.path(), "/data"), "--init",
                                     absl::StrCat("--token_file=", dir_.path(), "/tokens"),
                                     absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                                                  "/services/role/catalogue/roles.textproto"),
                                     "--log_level=warning"};
    args.insert(args.end(), extra.begin(), extra.end());
    // ISMS_TEST_ROLE_BINARY runs these tests against another build (e.g. one
    // without the limits, to see them fail).
    const char* binary = std::getenv("ISMS_TEST_ROLE_BINARY");
    auto server = isms::testing::ServerProcess::Start(
        binary != nullptr ? binary : ISMS_ROLE_SERVICE_BINARY, args, dir_.path() + "/server.log",
        absl::Seconds(20), open_files_limit);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(
        absl::SimpleAtoi(server_->address().substr(server_->address().rfind(':') + 1), &port_));
  }

  // One health check on a fresh channel: true if it answered SERVING.
  bool HealthServing(absl::Duration timeout = absl::Seconds(10)) {
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, request, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  // Checks health every 100 ms until stopped, each time on a new connection
  // as the kubelet's gRPC probe does, and counts failed checks. Under memory
  // pressure gRPC 1.51 reclaims by sending GOAWAY, which a call on a new
  // connection can get too; a check fails only if three attempts 200 ms
  // apart all fail (the kubelet restarts after failureThreshold (3)
  // consecutive failed probes).
  class HealthWatcher {
   public:
    explicit HealthWatcher(const std::string& address)
        : address_(address), thread_([this] { Run(); }) {}
    ~HealthWatcher() { Stop(); }
    void Stop() {
      stop_.store(true);
      if (thread_.joinable()) thread_.join();
    }
    int checks() const { return checks_.load(); }
    int failures() const { return failures_.load(); }

   private:
    bool CheckOnce() {
      grpc::ChannelArguments arguments;
      arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // A new connection each time.
      auto health = grpc::health::v1::Health::NewStub(
          grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), arguments));
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      grpc::health::v1::HealthCheckRequest request;
      grpc::health::v1::HealthCheckResponse response;
      grpc::Status status = health->Check(&context, request, &response);
      if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return true;
      }
      std::fprintf(stderr, "health check attempt failed: %d %s\n", status.error_code(),
                   status.error_message().c_str());
      return false;
    }
    void Run() {
      while (!stop_.load()) {
        ++checks_;
        bool ok = CheckOnce();
        for (int retry = 0; retry < 2 && !ok; ++retry) {
          absl::SleepFor(absl::Milliseconds(200));
          ok = CheckOnce();
        }
        if (!ok) ++failures_;
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    const std::string address_;
    std::atomic<bool> stop_{false};
    std::atomic<int> checks_{0};
    std::atomic<int> failures_{0};
    std::thread thread_;
  };

  void TearDown() override {
    if (HasFailure()) {
      std::ifstream log(dir_.path() + "/server.log");
      std::string line;
      std::deque<std::string> tail;
      while (std::getline(log, line)) {
        tail.push_back(line);
        if (tail.size() > 20) tail.pop_front();
      }
      for (const auto& l : tail) std::cerr << "server: " << l << "\n";
    }
  }

  isms::testing::TempDir dir_;
  std::unique_ptr<isms::testing::ServerProcess> server_;
  int port_ = 0;
};

TEST_F(TransportLimitsTest, HeaderOnlyStreamFloodStaysUnderMemoryBoundAndHealthAnswers) {
  StartServer({"--max_connections_per_peer=0"});  // All from 127.0.0.1.
  const int64_t before = RssKib(server_->pid());
  HealthWatcher watcher(server_->address());
  constexpr int kStreams = 40000;
  const auto headers = RawHttp2Connection::GrpcRequestHeaders(kPath);
  std::unique_ptr<RawHttp2Connection> connection;
  uint32_t stream_id = 1;
  int sent = 0, connections = 0;
  while (sent < kStreams && connections < 2000) {
    if (connection == nullptr || connection->closed()) {
      if (connection != nullptr) connection->Ping(absl::Seconds(5));
      ++connections;
      auto connected = RawHttp2Connection::Connect(port_);
      if (!connected.ok()) {
        connection = nullptr;
        continue;
      }
      connection = *std::move(connected);
      stream_id = 1;
    }
    if (connection->SendHeaders(stream_id, headers, /*end_stream=*/false)) ++sent;
    stream_id += 2;
  }
  // The server answers the PING after reading every stream before it.
  if (connection != nullptr) connection->Ping(absl::Seconds(30));
  const int64_t peak = PeakRssKib(server_->pid());
  watcher.Stop();
  std::printf(
      "header-only streams: sent %d on %d connection(s); VmRSS before %lld KiB, "
      "VmHWM after %lld KiB (bound %lld KiB); health %d/%d failed\n",
      sent, connections, static_cast<long long>(before), static_cast<long long>(peak),
      static_cast<long long>(kPeakBoundKib), watcher.failures(), watcher.checks());
  EXPECT_EQ(sent, kStreams);
  EXPECT_LT(peak, kPeakBoundKib);
  EXPECT_EQ(watcher.failures(), 0);
  EXPECT_TRUE(HealthServing());
}

TEST_F(TransportLimitsTest, HalfSentLargeRequestsStayUnderMemoryBoundAndHealthAnswers) {
  StartServer({"--max_connections_per_peer=0"});  // All from 127.0.0.1.
  const int64_t before = RssKib(server_->pid());
  HealthWatcher watcher(server_->address());
  constexpr int kConnections = 100;
  constexpr uint32_t kMessageBytes = 4 * 1024 * 1024 - 64;  // Just under max_message_bytes.
  std::string half(kMessageBytes / 2, 'x');
  const char prefix[5] = {0, static_cast<char>(kMessageBytes >> 24),
                          static_cast<char>(kMessageBytes >> 16),
                          static_cast<char>(kMessageBytes >> 8), static_cast<char>(kMessageBytes)};
  half.replace(0, 5, prefix, 5);
  const auto headers = RawHttp2Connection::GrpcRequestHeaders(kPath);
  std::vector<std::unique_ptr<RawHttp2Connection>> connections(kConnections);
  std::atomic<int> completed{0};
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kConnections; i += 4) {
        auto connected = RawHttp2Connection::Connect(port_);
        if (!connected.ok()) continue;
        connections[i] = *std::move(connected);
        if (connections[i]->SendHeaders(1, headers, false) &&
            connections[i]->SendData(1, half, false,
                                     std::max(give_up - absl::Now(), absl::Milliseconds(1)))) {
          ++completed;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (auto& connection : connections) {
    if (connection != nullptr) connection->Ping(absl::Seconds(5));
  }
  const int64_t peak = PeakRssKib(server_->pid());
  watcher.Stop();
  std::printf(
      "half-sent 4 MB requests: %d of %d connections sent their half; VmRSS before %lld "
      "KiB, VmHWM after %lld KiB (bound %lld KiB); health %d/%d failed\n",
      completed.load(), kConnections, static_cast<long long>(before), static_cast<long long>(peak),
      static_cast<long long>(kPeakBoundKib), watcher.failures(), watcher.checks());
  EXPECT_LT(peak, kPeakBoundKib);
  EXPECT_EQ(watcher.failures(), 0);
  EXPECT_TRUE(HealthServing());
}

// gzip of a message prefix then `zeros` zero bytes: a body about 1/1000 of
// what it inflates to.
std::string GzipBomb(size_t zeros) {
  z_stream stream{};
  deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 16: gzip wrapper.
  std::string out;
  std::string chunk(1 << 20, '\0');
  // Field 3, length-delimited, `zeros` bytes long.
  std::string head = "\x1a";
  for (size_t n = zeros;; n >>= 7) {
    head.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
    if (n < 0x80) break;
  }
  std::string buffer(1 << 16, '\0');
  auto feed = [&](const std::string& input, int flush) {
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    do {
      stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
      stream.avail_out = static_cast<uInt>(buffer.size());
      deflate(&stream, flush);
      out.append(buffer.data(), buffer.size() - stream.avail_out);
    } while (stream.avail_out == 0);
  };
  feed(head, Z_NO_FLUSH);
  for (size_t sent = 0; sent < zeros; sent += chunk.size()) {
    if (zeros - sent < chunk.size()) chunk.resize(zeros - sent);
    feed(chunk, Z_NO_FLUSH);
  }
  feed(std::string(), Z_FINISH);
  deflateEnd(&stream);
  return out;
}

TEST_F(TransportLimitsTest, ACompressedRequestIsRefusedBeforeItIsInflated) {
  // One unauthenticated gzip body of ~0.5 MB that inflates to 512 MiB: gRPC
  // 1.51 inflated it whole before checking its size.
  StartServer();
  const std::string body = GzipBomb(size_t{512} << 20);
  std::string message = {1, static_cast<char>(body.size() >> 24),
                         static_cast<char>(body.size() >> 16), static_cast<char>(body.size() >> 8),
                         static_cast<char>(body.size())};
  message += body;
  auto headers = RawHttp2Connection::GrpcRequestHeaders(kPath);
  headers.emplace_back("grpc-encoding", "gzip");
  auto connection = RawHttp2Connection::Connect(port_);
  ASSERT_TRUE(connection.ok()) << connection.status();
  (*connection)->SendHeaders(1, headers, false);
  (*connection)->SendData(1, message, true, absl::Seconds(10));
  (*connection)->Ping(absl::Seconds(10));
  const int64_t peak = PeakRssKib(server_->pid());
  std::printf("gzip body of %zu bytes inflating to 512 MiB: VmHWM after %lld KiB\n", body.size(),
              static_cast<long long>(peak));
  EXPECT_LT(peak, kPeakBoundKib);
  EXPECT_TRUE(HealthServing());
}

// Opens plain TCP connections to 127.0.0.1:port; -1 entries failed.
std::vector<int> OpenSockets(int port, int count) {
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd);
      fds.push_back(-1);
      continue;
    }
    fds.push_back(fd);
  }
  return fds;
}

TEST_F(TransportLimitsTest, OneAddressCannotTakeEveryConnectionSlot) {
  StartServer({"--max_connections=16", "--max_connections_per_peer=6"});
  // 30 idle connections from 127.0.0.2: 6 are kept, the rest closed at once.
  std::vector<int> fds;
  int kept = 0;
  for (int i = 0; i < 30; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl(0x7f000002);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(static_cast<uint16_t>(port_));
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)), 0);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)), 0);
    fds.push_back(fd);
  }
  for (int fd : fds) {
    // A refused connection reads end-of-file (or a reset); a kept one has
    // nothing to read yet (the server waits for the client's preface).
    pollfd poll_fd{fd, POLLIN, 0};
    char byte;
    if (poll(&poll_fd, 1, 2000) == 0 || recv(fd, &byte, 1, MSG_DONTWAIT) > 0) ++kept;
  }
  std::printf("connections from 127.0.0.2 kept: %d of 30 (limit 6 per address)\n", kept);
  EXPECT_EQ(kept, 6);
  // Clients from other addresses still get in.
  EXPECT_TRUE(HealthServing());
  for (int fd : fds) close(fd);
}

TEST_F(TransportLimitsTest, ConnectionsAboveTheLimitAreClosedAtOnce) {
  StartServer({"--max_connections=5"});
  // An accepted connection gets the server's SETTINGS; a refused one is
  // closed before any.
  std::vector<std::unique_ptr<RawHttp2Connection>> connections;
  int accepted = 0;
  std::string outcomes;  // Printed on failure: which attempts were accepted.
  for (int i = 0; i < 10; ++i) {
    auto connected = RawHttp2Connection::Connect(port_);
    absl::StrAppend(&outcomes, i, ":", connected.ok() ? "ok" : connected.status().message(), " ");
    if (!connected.ok()) continue;
    ++accepted;
    connections.push_back(*std::move(connected));
  }
  EXPECT_EQ(accepted, 5) << outcomes;
  connections.clear();
  // The server notices the closes asynchronously; a slot frees up soon.
  bool serving = false;
  for (int attempt = 0; attempt < 50 && !serving; ++attempt) {
    serving = HealthServing(absl::Seconds(2));
    if (!serving) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(serving);
}

TEST_F(TransportLimitsTest, ServesAgainAfterTheOpenFileLimitWasExhausted) {
  // 64 descriptors, none kept in reserve and a connection limit above what
  // fits: accept must hit EMFILE.
  StartServer({"--fd_reserve=0", "--max_connections=1000"}, /*open_files_limit=*/64);
  std::vector<int> fds = OpenSockets(port_, 120);
  // Wait until the server is out of descriptors: its log reports accept errors.
  bool exhausted = false;
  for (int i = 0; i < 100 && !exhausted; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    std::ifstream log(dir_.path() + "/server.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    exhausted = text.find("Too many open files") != std::string::npos;
  }
  EXPECT_TRUE(exhausted) << "the server never ran out of descriptors";
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
  EXPECT_TRUE(HealthServing(absl::Seconds(20)));
}

}  // namespace
}  // namespace isms
