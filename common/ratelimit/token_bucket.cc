#include "common/ratelimit/token_bucket.h"

#include <algorithm>

namespace isms {

void TokenBucket::Refill(absl::Time now) {
  if (now <= at_) return;  // A clock that steps back adds nothing.
  tokens_ = std::min<double>(limit_.burst,
                             tokens_ + absl::ToDoubleSeconds(now - at_) * limit_.per_second);
  at_ = now;
}

absl::Duration TokenBucket::TryTake(absl::Time now) {
  Refill(now);
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return absl::ZeroDuration();
  }
  return absl::Ceil(absl::Seconds((1 - tokens_) / limit_.per_second), absl::Milliseconds(1));
}

bool TokenBucket::Full(absl::Time now) {
  Refill(now);
  return tokens_ >= limit_.burst;
}

}  // namespace isms
