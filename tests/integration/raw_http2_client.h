#ifndef ISMS_TESTS_INTEGRATION_RAW_HTTP2_CLIENT_H_
#define ISMS_TESTS_INTEGRATION_RAW_HTTP2_CLIENT_H_

// A deliberately small HTTP/2 client for abuse tests: it writes frames a
// well-behaved gRPC client would never write (streams left open, requests
// left half sent), which a real gRPC client cannot be made to do.
//
// What it speaks: the connection preface and an empty SETTINGS frame;
// HEADERS frames encoded with HPACK "literal header field without indexing,
// new name" and no Huffman coding (RFC 7541 6.2.2), so no HPACK state is kept;
// DATA frames that respect the peer's flow-control windows (RFC 9113 6.9), so
// the peer never sees a protocol violation. A reader thread answers the
// peer's SETTINGS and PING, tracks WINDOW_UPDATEs and discards the rest.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace isms::testing {

class RawHttp2Connection {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Connects to 127.0.0.1:`port`, sends the preface and SETTINGS, and waits
  // until the peer's SETTINGS arrived and were acknowledged, so the peer's
  // limits (e.g. SETTINGS_MAX_CONCURRENT_STREAMS) apply to what follows.
  // (gRPC 1.51 enforces its stream limit only once the client acknowledged
  // it.) Unavailable if the connection cannot be made or no SETTINGS came.
  static absl::StatusOr<std::unique_ptr<RawHttp2Connection>> Connect(int port);

  ~RawHttp2Connection();  // Closes the socket, joins the reader.
  RawHttp2Connection(const RawHttp2Connection&) = delete;
  RawHttp2Connection& operator=(const RawHttp2Connection&) = delete;

  // The request headers of a gRPC call to `path` with no authorization.
  static Headers GrpcRequestHeaders(absl::string_view path);

  // Sends one HEADERS frame (END_HEADERS set). False once the connection is
  // closed or a write fails.
  bool SendHeaders(uint32_t stream_id, const Headers& headers, bool end_stream);

  // Sends `data` on `stream_id` in DATA frames, waiting for flow-control
  // window up to `timeout`. False if the connection closed or the window did
  // not open in time.
  bool SendData(uint32_t stream_id, absl::string_view data, bool end_stream,
                absl::Duration timeout);

  // Sends PING and waits up to `timeout` for its ACK, which the peer sends
  // after reading every frame sent before it. False if closed or late.
  bool Ping(absl::Duration timeout);

  // True once the peer closed the connection or sent GOAWAY.
  bool closed() const { return closed_.load(); }

 private:
  explicit RawHttp2Connection(int fd);
  bool WriteFrame(uint8_t type, uint8_t flags, uint32_t stream_id, absl::string_view payload);
  void ReadLoop();

  const int fd_;
  std::atomic<bool> closed_{false};
  absl::Mutex write_mu_;
  absl::Mutex window_mu_;
  int64_t connection_window_ ABSL_GUARDED_BY(window_mu_) = 65535;
  int64_t initial_stream_window_ ABSL_GUARDED_BY(window_mu_) = 65535;
  // Window added to (or, negative, taken from) each stream's initial window.
  absl::flat_hash_map<uint32_t, int64_t> stream_window_delta_ ABSL_GUARDED_BY(window_mu_);
  int64_t ping_acks_ ABSL_GUARDED_BY(window_mu_) = 0;
  bool settings_acked_ ABSL_GUARDED_BY(window_mu_) = false;
  std::thread reader_;
};

// The process's peak resident set ("VmHWM") and current one ("VmRSS") in
// KiB, from /proc/<pid>/status; -1 if unreadable.
int64_t PeakRssKib(int pid);
int64_t RssKib(int pid);

}  // namespace isms::testing

#endif  // ISMS_TESTS_INTEGRATION_RAW_HTTP2_CLIENT_H_
