#include "common/ratelimit/rate_limiter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace isms {
namespace {

constexpr absl::Duration kReportEvery = absl::Minutes(1);
// Past this many buckets, full ones (idle callers) are forgotten.
constexpr size_t kMaxBuckets = 10000;

}  // namespace

absl::Duration TokenBucketRateLimiter::Take(Buckets& buckets, const RateLimit& limit,
                                            const std::string& key, absl::Time now) {
  if (buckets.size() >= kMaxBuckets && !buckets.contains(key)) {
    absl::erase_if(buckets, [now](auto& entry) { return entry.second.Full(now); });
  }
  auto it = buckets.try_emplace(key, limit, now).first;
  return it->second.TryTake(now);
}

absl::Status TokenBucketRateLimiter::AdmitWrite(const Caller& caller, absl::Duration* retry_after) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  MaybeReport(now);
  absl::Duration wait = absl::ZeroDuration();
  std::string whose;
  if (caller.is_service) {
    wait = Take(service_writes_, limits_.service_writes, caller.actor, now);
    whose = caller.actor;
  }
  if (wait == absl::ZeroDuration() && (!caller.is_service || caller.principal != caller.actor)) {
    wait = Take(principal_writes_, limits_.principal_writes, caller.principal, now);
    whose = caller.principal;
  }
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  ++rate_limited_total_;
  ++rate_limited_unreported_;
  *retry_after = wait;
  return absl::ResourceExhaustedError(absl::StrCat("write rate limit of ", whose,
                                                   " reached; retry after ",
                                                   absl::ToInt64Milliseconds(wait), " ms"));
}

bool TokenBucketRateLimiter::AdmitRefusalAudit(const Caller& caller) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  MaybeReport(now);
  const bool principal_admitted =
      Take(refusal_audits_, limits_.refusal_audits, caller.principal, now) == absl::ZeroDuration();
  const bool service_admitted =
      caller.acts_for_itself() || Take(service_refusal_audits_, limits_.service_refusal_audits,
                                       caller.actor, now) == absl::ZeroDuration();
  if (principal_admitted && service_admitted) return true;
  ++suppressed_total_;
  ++suppressed_unreported_;
  return false;
}

void TokenBucketRateLimiter::MaybeReport(absl::Time now) {
  if (now - report_at_ < kReportEvery) return;
  if (rate_limited_unreported_ > 0 || suppressed_unreported_ > 0) {
    logger_.Log(LogLevel::kWarning, "rate limits",
                {{"writes_refused_for_rate", absl::StrCat(rate_limited_unreported_)},
                 {"refusals_not_audited", absl::StrCat(suppressed_unreported_)},
                 {"since", absl::FormatTime(report_at_)}});
  }
  rate_limited_unreported_ = suppressed_unreported_ = 0;
  report_at_ = now;
}

int64_t TokenBucketRateLimiter::rate_limited_writes() const {
  absl::MutexLock lock(&mu_);
  return rate_limited_total_;
}

int64_t TokenBucketRateLimiter::suppressed_refusals() const {
  absl::MutexLock lock(&mu_);
  return suppressed_total_;
}

}  // namespace isms
