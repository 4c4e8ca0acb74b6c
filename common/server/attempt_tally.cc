#include "common/server/attempt_tally.h"

#include "absl/strings/str_cat.h"

namespace isms {
namespace {

constexpr absl::Duration kWindow = absl::Minutes(1);
constexpr size_t kMaxPeers = 1000;

// "ipv4:127.0.0.1:5678" -> "ipv4:127.0.0.1"; "ipv6:[::1]:5678" -> "ipv6:[::1]".
absl::string_view WithoutPort(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  const size_t kind = peer.find(':');
  if (colon == absl::string_view::npos || colon == kind) return peer;
  return peer.substr(0, colon);
}

}  // namespace

void AttemptTally::Record(absl::string_view peer) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  FlushIfDue(now);
  ++total_;
  absl::string_view key = WithoutPort(peer);
  auto it = by_peer_.find(key);
  if (it != by_peer_.end()) {
    ++it->second;
  } else if (by_peer_.size() < kMaxPeers) {
    by_peer_.emplace(std::string(key), 1);
  } else {
    ++by_peer_["other"];
  }
}

void AttemptTally::FlushIfDue(absl::Time now) {
  if (now - since_ < kWindow) return;
  for (const auto& [peer, count] : by_peer_) {
    logger_.Log(
        LogLevel::kWarning, what_,
        {{"peer", peer}, {"count", absl::StrCat(count)}, {"since", absl::FormatTime(since_)}});
  }
  by_peer_.clear();
  since_ = now;
}

int64_t AttemptTally::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

}  // namespace isms
