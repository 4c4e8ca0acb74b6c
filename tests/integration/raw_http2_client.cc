#include "tests/integration/raw_http2_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace isms::testing {
namespace {

constexpr uint8_t kData = 0, kHeaders = 1, kSettings = 4, kPing = 6, kGoaway = 7, kWindowUpdate = 8;
constexpr uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4;
constexpr uint16_t kSettingsInitialWindowSize = 4;
constexpr size_t kMaxFrame = 16384;  // SETTINGS_MAX_FRAME_SIZE's initial value.

uint32_t Read32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// RFC 7541 5.1 integer with a 7-bit prefix (H bit 0), then the raw string.
void AppendString(std::string& out, absl::string_view s) {
  size_t n = s.size();
  if (n < 127) {
    out.push_back(static_cast<char>(n));
  } else {
    out.push_back(127);
    n -= 127;
    while (n >= 128) {
      out.push_back(static_cast<char>((n % 128) + 128));
      n /= 128;
    }
    out.push_back(static_cast<char>(n));
  }
  out.append(s.data(), s.size());
}

int64_t StatusFieldKib(int pid, absl::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, field) || !absl::ConsumePrefix(&rest, ":")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t kib = -1;
    return absl::SimpleAtoi(rest, &kib) ? kib : -1;
  }
  return -1;
}

}  // namespace

int64_t PeakRssKib(int pid) { return StatusFieldKib(pid, "VmHWM"); }
int64_t RssKib(int pid) { return StatusFieldKib(pid, "VmRSS"); }

absl::StatusOr<std::unique_ptr<RawHttp2Connection>> RawHttp2Connection::Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(error)));
  }
  std::unique_ptr<RawHttp2Connection> connection(new RawHttp2Connection(fd));
  constexpr absl::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  {
    absl::MutexLock lock(&connection->write_mu_);
    if (send(fd, kPreface.data(), kPreface.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(kPreface.size())) {
      return absl::UnavailableError("cannot send the preface");
    }
  }
  if (!connection->WriteFrame(kSettings, 0, 0, "")) {
    return absl::UnavailableError("cannot send SETTINGS");
  }
  RawHttp2Connection* c = connection.get();
  absl::MutexLock lock(&c->window_mu_);
  auto settled = [c]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->window_mu_) {
    return c->settings_acked_ || c->closed_.load();
  };
  if (!c->window_mu_.AwaitWithTimeout(absl::Condition(&settled), absl::Seconds(10)) ||
      !c->settings_acked_) {
    return absl::UnavailableError("no SETTINGS from the server");
  }
  return connection;
}

RawHttp2Connection::RawHttp2Connection(int fd) : fd_(fd) {
  reader_ = std::thread([this] { ReadLoop(); });
}

RawHttp2Connection::~RawHttp2Connection() {
  shutdown(fd_, SHUT_RDWR);
  reader_.join();
  close(fd_);
}

RawHttp2Connection::Headers RawHttp2Connection::GrpcRequestHeaders(absl::string_view path) {
  return {{":method", "POST"},
          {":scheme", "http"},
          {":path", std::string(path)},
          {":authority", "localhost"},
          {"content-type", "application/grpc"},
          {"te", "trailers"}};
}

bool RawHttp2Connection::WriteFrame(uint8_t type, uint8_t flags, uint32_t stream_id,
                                    absl::string_view payload) {
  if (closed_.load()) return false;
  std::string frame;
  frame.reserve(9 + payload.size());
  const uint32_t length = static_cast<uint32_t>(payload.size());
  frame.push_back(static_cast<char>(length >> 16));
  frame.push_back(static_cast<char>(length >> 8));
  frame.push_back(static_cast<char>(length));
  frame.push_back(static_cast<char>(type));
  frame.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<char>((stream_id >> shift) & 0xff));
  }
  frame.append(payload.data(), payload.size());
  absl::MutexLock lock(&write_mu_);
  size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t n = send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      closed_.store(true);
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawHttp2Connection::SendHeaders(uint32_t stream_id, const Headers& headers, bool end_stream) {
  std::string block;
  for (const auto& [name, value] : headers) {
    block.push_back(0x00);  // Literal without indexing, new name.
    AppendString(block, name);
    AppendString(block, value);
  }
  return WriteFrame(kHeaders, kEndHeaders | (end_stream ? kEndStream : 0), stream_id, block);
}

bool RawHttp2Connection::SendData(uint32_t stream_id, absl::string_view data, bool end_stream,
                                  absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!data.empty()) {
    size_t chunk = 0;
    {
      absl::MutexLock lock(&window_mu_);
      auto open = [this, stream_id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(window_mu_) {
        return closed_.load() || (connection_window_ > 0 &&
                                  initial_stream_window_ + stream_window_delta_[stream_id] > 0);
      };
      if (!window_mu_.AwaitWithDeadline(absl::Condition(&open), deadline) || closed_.load()) {
        return false;
      }
      const int64_t window =
          std::min(connection_window_, initial_stream_window_ + stream_window_delta_[stream_id]);
      chunk = std::min({data.size(), kMaxFrame, static_cast<size_t>(window)});
      connection_window_ -= static_cast<int64_t>(chunk);
      stream_window_delta_[stream_id] -= static_cast<int64_t>(chunk);
    }
    const bool last = chunk == data.size();
    if (!WriteFrame(kData, last && end_stream ? kEndStream : 0, stream_id, data.substr(0, chunk))) {
      return false;
    }
    data.remove_prefix(chunk);
  }
  return true;
}

bool RawHttp2Connection::Ping(absl::Duration timeout) {
  int64_t before;
  {
    absl::MutexLock lock(&window_mu_);
    before = ping_acks_;
  }
  if (!WriteFrame(kPing, 0, 0, "isms-pin")) return false;
  absl::MutexLock lock(&window_mu_);
  auto acked = [this, before]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(window_mu_) {
    return closed_.load() || ping_acks_ > before;
  };
  return window_mu_.AwaitWithTimeout(absl::Condition(&acked), timeout) && ping_acks_ > before;
}

void RawHttp2Connection::ReadLoop() {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t at = 0;
    while (buffer.size() - at >= 9) {
      const auto* h = reinterpret_cast<const uint8_t*>(buffer.data() + at);
      const uint32_t length = (uint32_t{h[0]} << 16) | (uint32_t{h[1]} << 8) | h[2];
      if (buffer.size() - at < 9 + length) break;
      const uint8_t type = h[3], flags = h[4];
      const uint32_t stream_id = Read32(h + 5) & 0x7fffffff;
      const uint8_t* payload = h + 9;
      if (type == kSettings && !(flags & kAck)) {
        for (uint32_t i = 0; i + 6 <= length; i += 6) {
          const uint16_t id = static_cast<uint16_t>((payload[i] << 8) | payload[i + 1]);
          if (id == kSettingsInitialWindowSize) {
            absl::MutexLock lock(&window_mu_);
            initial_stream_window_ = Read32(payload + i + 2);
          }
        }
        WriteFrame(kSettings, kAck, 0, "");
        absl::MutexLock lock(&window_mu_);
        settings_acked_ = true;
      } else if (type == kPing && !(flags & kAck) && length == 8) {
        WriteFrame(kPing, kAck, 0,
                   absl::string_view(reinterpret_cast<const char*>(payload), length));
      } else if (type == kPing && (flags & kAck)) {
        absl::MutexLock lock(&window_mu_);
        ++ping_acks_;
      } else if (type == kWindowUpdate && length == 4) {
        const int64_t increment = Read32(payload) & 0x7fffffff;
        absl::MutexLock lock(&window_mu_);
        if (stream_id == 0) {
          connection_window_ += increment;
        } else {
          stream_window_delta_[stream_id] += increment;
        }
      } else if (type == kGoaway) {
        closed_.store(true);
      }
      at += 9 + length;
    }
    buffer.erase(0, at);
  }
  closed_.store(true);
  absl::MutexLock wake(&window_mu_);  // Wakes SendData's wait to see closed_.
}

}  // namespace isms::testing
