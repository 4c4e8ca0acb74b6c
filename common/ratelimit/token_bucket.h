#ifndef ISMS_COMMON_RATELIMIT_TOKEN_BUCKET_H_
#define ISMS_COMMON_RATELIMIT_TOKEN_BUCKET_H_

#include "absl/time/time.h"

namespace isms {

// `per_second` tokens are added each second up to `burst` tokens.
struct RateLimit {
  double per_second = 1;
  int burst = 1;
};

// A token bucket. Starts full. Not thread-safe: the owner serializes calls.
// Time is passed in, so tests move it by hand.
class TokenBucket {
 public:
  // REQUIRES: limit.per_second > 0, limit.burst >= 1.
  TokenBucket(RateLimit limit, absl::Time now) : limit_(limit), tokens_(limit.burst), at_(now) {}

  // Takes one token if one is available at `now` and returns zero;
  // otherwise takes nothing and returns how long until one will be.
  absl::Duration TryTake(absl::Time now);

  // True if the bucket is full at `now` (it may be forgotten).
  bool Full(absl::Time now);

 private:
  void Refill(absl::Time now);

  const RateLimit limit_;
  double tokens_;
  absl::Time at_;
};

}  // namespace isms

#endif  // ISMS_COMMON_RATELIMIT_TOKEN_BUCKET_H_
