#include "common/ratelimit/rate_limiter.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/ratelimit/token_bucket.h"
#include "common/server/unary_call.h"
#include "common/testing/status_matchers.h"
#include "common/time/clock.h"

namespace isms {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

class TokenBucketTest : public ::testing::Test {};

TEST_F(TokenBucketTest, StartsFullAndRefusesPastTheBurst) {
  TokenBucket bucket({/*per_second=*/2, /*burst=*/3}, kStart);
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(kStart), absl::Milliseconds(500));
}

TEST_F(TokenBucketTest, RefillsAtTheRateUpToTheBurst) {
  TokenBucket bucket({/*per_second=*/2, /*burst=*/3}, kStart);
  for (int i = 0; i < 3; ++i) bucket.TryTake(kStart);
  EXPECT_EQ(bucket.TryTake(kStart + absl::Milliseconds(250)), absl::Milliseconds(250));
  EXPECT_EQ(bucket.TryTake(kStart + absl::Milliseconds(500)), absl::ZeroDuration());
  EXPECT_FALSE(bucket.Full(kStart + absl::Seconds(1)));
  EXPECT_TRUE(bucket.Full(kStart + absl::Hours(1)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(bucket.TryTake(kStart + absl::Hours(1)), absl::ZeroDuration());
  }
  EXPECT_GT(bucket.TryTake(kStart + absl::Hours(1)), absl::ZeroDuration());
}

TEST_F(TokenBucketTest, ClockSteppingBackAddsNothing) {
  TokenBucket bucket({1, 1}, kStart);
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(kStart - absl::Hours(1)), absl::Seconds(1));
}

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiterTest() : clock_(kStart), logger_(stderr, LogLevel::kError) {}
  static RateLimits Limits() {
    RateLimits limits;
    limits.principal_writes = {1, 2};
    limits.service_writes = {10, 4};
    limits.refusal_audits = {1, 3};
    limits.service_refusal_audits = {1, 5};
    return limits;
  }
  FakeClock clock_;
  Logger logger_;
  TokenBucketRateLimiter limiter_{Limits(), clock_, logger_};
  const Caller alice_{"principals/alice", "principals/alice", false};
  const Caller bob_{"principals/bob", "principals/bob", false};
  const Caller gateway_{"services/gateway", "services/gateway", true};
};

TEST_F(RateLimiterTest, WritesPastThePrincipalsBurstAreResourceExhaustedWithRetryHint) {
  absl::Duration retry;
  EXPECT_THAT(limiter_.AdmitWrite(alice_, &retry), IsOk());
  EXPECT_THAT(limiter_.AdmitWrite(alice_, &retry), IsOk());
  EXPECT_THAT(limiter_.AdmitWrite(alice_, &retry),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("principals/alice")));
  EXPECT_EQ(retry, absl::Seconds(1));
  EXPECT_EQ(limiter_.rate_limited_writes(), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(limiter_.AdmitWrite(alice_, &retry), IsOk());
}

TEST_F(RateLimiterTest, EachPrincipalHasItsOwnBucket) {
  absl::Duration retry;
  for (int i = 0; i < 2; ++i) EXPECT_THAT(limiter_.AdmitWrite(alice_, &retry), IsOk());
  EXPECT_THAT(limiter_.AdmitWrite(alice_, &retry), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(limiter_.AdmitWrite(bob_, &retry), IsOk());
}

TEST_F(RateLimiterTest, ServiceUsesItsOwnBucketAndThePrincipalsItActsFor) {
  absl::Duration retry;
  const Caller for_alice{"services/gateway", "principals/alice", true};
  EXPECT_THAT(limiter_.AdmitWrite(for_alice, &retry), IsOk());
  EXPECT_THAT(limiter_.AdmitWrite(for_alice, &retry), IsOk());
  EXPECT_THAT(limiter_.AdmitWrite(for_alice, &retry),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("principals/alice")));
  // The service's own budget (4) was taken three times.
  EXPECT_THAT(limiter_.AdmitWrite(gateway_, &retry), IsOk());
  EXPECT_THAT(limiter_.AdmitWrite(gateway_, &retry),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("services/gateway")));
}

TEST_F(RateLimiterTest, RefusalsPastTheBudgetAreCountedNotAudited) {
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter_.AdmitRefusalAudit(alice_));
  EXPECT_FALSE(limiter_.AdmitRefusalAudit(alice_));
  EXPECT_FALSE(limiter_.AdmitRefusalAudit(alice_));
  EXPECT_TRUE(limiter_.AdmitRefusalAudit(bob_));
  EXPECT_EQ(limiter_.suppressed_refusals(), 2);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter_.AdmitRefusalAudit(alice_));
}

TEST_F(RateLimiterTest, AServiceNamingANewPrincipalEachCallStillHasOneRefusalBudget) {
  int audited = 0;
  for (int i = 0; i < 50; ++i) {
    const Caller for_someone{"services/gateway", absl::StrCat("principals/p", i), true};
    audited += limiter_.AdmitRefusalAudit(for_someone) ? 1 : 0;
  }
  EXPECT_EQ(audited, 5);
  EXPECT_EQ(limiter_.suppressed_refusals(), 45);
}

TEST_F(RateLimiterTest, CallInfoWithoutLimiterAuditsEveryRefusal) {
  CallInfo call{alice_, "id", "/m"};
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(call.ShouldAuditRefusal());
  CallInfo limited{alice_, "id", "/m", &limiter_};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limited.ShouldAuditRefusal());
  EXPECT_FALSE(limited.ShouldAuditRefusal());
}

}  // namespace
}  // namespace isms
