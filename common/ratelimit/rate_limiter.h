#ifndef ISMS_COMMON_RATELIMIT_RATE_LIMITER_H_
#define ISMS_COMMON_RATELIMIT_RATE_LIMITER_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/authenticator.h"
#include "common/ratelimit/token_bucket.h"
#include "common/server/logger.h"
#include "common/time/clock.h"

namespace isms {

// Per-caller budgets for writes and for audited refusals. Thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Admits one write by `caller`: OK, or ResourceExhausted (the message says
  // whose budget ran out) with *retry_after set to when a retry can pass.
  virtual absl::Status AdmitWrite(const Caller& caller, absl::Duration* retry_after) = 0;

  // Whether a refusal of a call by `caller` is written to the audit trail.
  // True while the caller's refusal budget lasts (and takes from it); false
  // past it, and the suppressed refusal is counted.
  virtual bool AdmitRefusalAudit(const Caller& caller) = 0;
};

struct RateLimits {
  RateLimit principal_writes{5, 50};   // Per principal (also when a service acts for it).
  RateLimit service_writes{100, 500};  // Per service identity.
  RateLimit refusal_audits{1, 20};     // Audited refusals per principal.
  // Audited refusals per service identity acting for others, whichever
  // principals it names: otherwise naming a new principal on every call
  // would get every refusal audited.
  RateLimit service_refusal_audits{10, 200};
};

// Token buckets keyed by identity. Writes take from the principal's bucket
// and, for a service identity, from the service's bucket too. Calls refused
// for rate and refusals not audited are counted and logged in aggregate,
// one line a minute at most.
class TokenBucketRateLimiter final : public RateLimiter {
 public:
  // Borrows `clock` and `logger`; both must outlive this.
  TokenBucketRateLimiter(RateLimits limits, const Clock& clock, Logger& logger)
      : limits_(limits), clock_(clock), logger_(logger), report_at_(clock.Now()) {}
  TokenBucketRateLimiter(const TokenBucketRateLimiter&) = delete;
  TokenBucketRateLimiter& operator=(const TokenBucketRateLimiter&) = delete;

  absl::Status AdmitWrite(const Caller& caller, absl::Duration* retry_after) override;
  bool AdmitRefusalAudit(const Caller& caller) override;

  // Totals since start.
  int64_t rate_limited_writes() const;
  int64_t suppressed_refusals() const;

 private:
  using Buckets = absl::flat_hash_map<std::string, TokenBucket>;
  absl::Duration Take(Buckets& buckets, const RateLimit& limit, const std::string& key,
                      absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeReport(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimits limits_;
  const Clock& clock_;
  Logger& logger_;
  mutable absl::Mutex mu_;
  Buckets principal_writes_ ABSL_GUARDED_BY(mu_);
  Buckets service_writes_ ABSL_GUARDED_BY(mu_);
  Buckets refusal_audits_ ABSL_GUARDED_BY(mu_);
  Buckets service_refusal_audits_ ABSL_GUARDED_BY(mu_);
  int64_t rate_limited_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t suppressed_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rate_limited_unreported_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t suppressed_unreported_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time report_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace isms

#endif  // ISMS_COMMON_RATELIMIT_RATE_LIMITER_H_
