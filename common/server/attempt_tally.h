#ifndef ISMS_COMMON_SERVER_ATTEMPT_TALLY_H_
#define ISMS_COMMON_SERVER_ATTEMPT_TALLY_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/logger.h"
#include "common/time/clock.h"

namespace isms {

// Counts failed attempts (e.g. UNAUTHENTICATED calls) per peer address and
// logs them in aggregate: one warning line per peer per minute, written when
// the next attempt after the minute arrives, instead of a line (or an audit
// write) per attempt. Peers beyond the first 1000 of a minute are counted
// under "other". Thread-safe.
class AttemptTally {
 public:
  // Borrows `clock` and `logger`; both must outlive this. `what` names the
  // attempts in the log line, e.g. "unauthenticated calls".
  AttemptTally(std::string what, const Clock& clock, Logger& logger)
      : what_(std::move(what)), clock_(clock), logger_(logger), since_(clock.Now()) {}

  // Counts one attempt from `peer` (gRPC's "ipv4:1.2.3.4:5678"; the port is
  // dropped).
  void Record(absl::string_view peer);

  // Total attempts recorded since start.
  int64_t total() const;

 private:
  void FlushIfDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string what_;
  const Clock& clock_;
  Logger& logger_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> by_peer_ ABSL_GUARDED_BY(mu_);
  absl::Time since_ ABSL_GUARDED_BY(mu_);
  int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_ATTEMPT_TALLY_H_
