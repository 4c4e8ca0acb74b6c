#include "common/outbox/outbox_relay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "grpcpp/grpcpp.h"

namespace isms {
namespace {

using isms::audit::v1::AppendEventsRequest;
using isms::audit::v1::AppendEventsResponse;
using isms::audit::v1::AuditEvent;
using isms::audit::v1::AuditService;
using isms::audit::v1::DeliveryStatus;
using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// How long a test waits for something that should happen within
// milliseconds; only reached when the code under test is broken.
constexpr absl::Duration kPatience = absl::Seconds(20);

// An audit service in the same process: takes each event_id once, as the
// real one does, and records every call. Can be told to fail.
class FakeAuditService final : public AuditService::Service {
 public:
  grpc::Status AppendEvents(grpc::ServerContext* context, const AppendEventsRequest* request,
                            AppendEventsResponse* response) override {
    std::vector<std::string> ids;
    for (const AuditEvent& event : request->events()) ids.push_back(event.event_id());
    absl::MutexLock lock(&mu_);
    calls_.push_back(ids);
    auto token = context->client_metadata().find("authorization");
    if (token != context->client_metadata().end()) {
      last_authorization_ = std::string(token->second.data(), token->second.size());
    }
    if (hang_) {
      // Until the caller gives up or the test lets go.
      while (hang_ && !context->IsCancelled()) mu_.AwaitWithTimeout(
          absl::Condition(+[](bool* hang) { return !*hang; }, &hang_), absl::Milliseconds(10));
      return grpc::Status(grpc::StatusCode::CANCELLED, "gave up");
    }
    if (unavailable_ || failures_left_ > 0) {
      if (failures_left_ > 0) --failures_left_;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit storage down");
    }
    for (const std::string& id : ids) {
      auto [it, added] = index_of_.emplace(id, log_.size());
      if (added) log_.push_back(id);
      if (!short_ack_) response->add_indexes(it->second);
    }
    return grpc::Status::OK;
  }

  void SetUnavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }
  void FailNext(int n) {
    absl::MutexLock lock(&mu_);
    failures_left_ = n;
  }
  void SetShortAck(bool short_ack) {
    absl::MutexLock lock(&mu_);
    short_ack_ = short_ack;
  }
  void SetHang(bool hang) {
    absl::MutexLock lock(&mu_);
    hang_ = hang;
  }

  // The event_ids in the log, in log order.
  std::vector<std::string> Log() const {
    absl::MutexLock lock(&mu_);
    return log_;
  }
  // The event_ids of every call, accepted or not.
  std::vector<std::vector<std::string>> Calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::string LastAuthorization() const {
    absl::MutexLock lock(&mu_);
    return last_authorization_;
  }
  bool AwaitLogSize(size_t n) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() { return log_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kPatience);
  }
  bool AwaitCalls(size_t n) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kPatience);
  }

 private:
  mutable absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  int failures_left_ ABSL_GUARDED_BY(mu_) = 0;
  bool short_ack_ ABSL_GUARDED_BY(mu_) = false;
  bool hang_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, uint64_t> index_of_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> calls_ ABSL_GUARDED_BY(mu_);
  std::string last_authorization_ ABSL_GUARDED_BY(mu_);
};

// A real SQLite outbox; Acknowledge can be told to fail.
class SqliteOutboxSource final : public OutboxSource {
 public:
  explicit SqliteOutboxSource(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {}

  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(int64_t after, int limit) override {
    absl::MutexLock lock(&mu_);
    return isms::ReadOutbox(*db_, after, limit);
  }
  absl::Status Acknowledge(int64_t through_sequence) override {
    absl::MutexLock lock(&mu_);
    if (acknowledge_failures_left_ > 0) {
      --acknowledge_failures_left_;
      return absl::UnavailableError("storage full: acknowledge");
    }
    return DeleteFromOutboxThrough(*db_, through_sequence);
  }
  absl::StatusOr<OutboxBacklog> Backlog() override {
    absl::MutexLock lock(&mu_);
    return ReadOutboxBacklog(*db_);
  }

  absl::Status Append(const AuditEvent& event) {
    absl::MutexLock lock(&mu_);
    return db_->InTransaction([&] { return AppendToOutbox(*db_, event); });
  }
  void FailAcknowledge(int n) {
    absl::MutexLock lock(&mu_);
    acknowledge_failures_left_ = n;
  }
  // The event_ids waiting, oldest first.
  std::vector<std::string> Waiting() {
    absl::StatusOr<std::vector<OutboxEntry>> entries = ReadOutbox(0, 100000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::vector<std::string> ids;
    if (entries.ok()) {
      for (const OutboxEntry& entry : *entries) ids.push_back(entry.event.event_id());
    }
    return ids;
  }

 private:
  absl::Mutex mu_;
  std::unique_ptr<SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
  int acknowledge_failures_left_ ABSL_GUARDED_BY(mu_) = 0;
};

class OutboxRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&audit_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);

    const std::string token_file = dir_.path() + "/audit.token";
    std::ofstream(token_file) << "relay-token\n";
    PeerConfig config;
    config.address = absl::StrCat("127.0.0.1:", port);
    config.token_file = token_file;
    auto peer = PeerChannel::Connect(config);
    ASSERT_TRUE(peer.ok()) << peer.status();
    peer_ = *std::move(peer);

    auto db = SqliteDatabase::Open(":memory:");
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_THAT((*db)->Migrate({kOutboxMigration, kOutboxChecksumMigration}), IsOk());
    source_ = std::make_unique<SqliteOutboxSource>(*std::move(db));

    log_file_ = open_memstream(&log_buffer_, &log_size_);
    logger_ = std::make_unique<Logger>(log_file_, LogLevel::kInfo);

    options_.initial_backoff = absl::Milliseconds(1);
    options_.max_backoff = absl::Milliseconds(20);
    options_.idle_poll = absl::Milliseconds(20);
    options_.lag_log_interval = absl::Hours(1);
  }

  void TearDown() override {
    audit_.SetHang(false);
    relay_.reset();
    if (server_ != nullptr) server_->Shutdown();
    logger_.reset();
    if (log_file_ != nullptr) std::fclose(log_file_);
    free(log_buffer_);
  }

  // Appends events e0, e1, ... continuing the numbering; event n occurs at
  // kStart + n seconds.
  void Append(int count) {
    for (int i = 0; i < count; ++i, ++appended_) {
      AuditEvent event;
      event.set_event_id(absl::StrCat("e", appended_));
      *event.mutable_occur_time() = ToProto(kStart + absl::Seconds(appended_));
      ASSERT_THAT(source_->Append(event), IsOk());
    }
  }
  std::vector<std::string> Ids(int from, int to) const {
    std::vector<std::string> ids;
    for (int i = from; i < to; ++i) ids.push_back(absl::StrCat("e", i));
    return ids;
  }

  void StartRelay() {
    auto relay = OutboxRelay::Start(*source_, *peer_, *logger_, clock_, options_);
    ASSERT_TRUE(relay.ok()) << relay.status();
    relay_ = *std::move(relay);
  }

  // Polls until the outbox holds `n` events.
  bool AwaitWaiting(size_t n) {
    const absl::Time give_up = absl::Now() + kPatience;
    while (source_->Waiting().size() != n) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  // The log lines written so far whose message contains `text`.
  std::vector<std::string> LogLines(absl::string_view text) {
    logger_->Flush();
    std::fflush(log_file_);
    std::vector<std::string> lines;
    for (absl::string_view line :
         absl::StrSplit(absl::string_view(log_buffer_, log_size_), '\n', absl::SkipEmpty())) {
      if (absl::StrContains(line, text)) lines.emplace_back(line);
    }
    return lines;
  }

  const absl::Time kStart = absl::FromUnixSeconds(1700000000);
  isms::testing::TempDir dir_;
  FakeAuditService audit_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<PeerChannel> peer_;
  std::unique_ptr<SqliteOutboxSource> source_;
  char* log_buffer_ = nullptr;
  size_t log_size_ = 0;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<Logger> logger_;
  FakeClock clock_{absl::FromUnixSeconds(1700003600)};
  OutboxRelay::Options options_;
  std::unique_ptr<OutboxRelay> relay_;
  int appended_ = 0;
};

TEST_F(OutboxRelayTest, DeliversEveryEventOnceInOrderInBatchesOfAtMostBatchSize) {
  options_.batch_size = 100;
  Append(250);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitLogSize(250));
  ASSERT_TRUE(AwaitWaiting(0));
  relay_->Stop();  // Settles the counters; Status() still answers.
  EXPECT_EQ(audit_.Log(), Ids(0, 250));
  std::vector<size_t> sizes;
  for (const auto& call : audit_.Calls()) sizes.push_back(call.size());
  EXPECT_THAT(sizes, ElementsAre(100, 100, 50));
  EXPECT_EQ(audit_.LastAuthorization(), "Bearer relay-token");

  absl::StatusOr<DeliveryStatus> status = relay_->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->enabled());
  EXPECT_EQ(status->waiting_events(), 0);
  EXPECT_FALSE(status->has_oldest_waiting_time());
  EXPECT_EQ(status->delivered_since_start(), 250);
  EXPECT_EQ(FromProto(status->last_delivery_time()), clock_.Now());
  EXPECT_EQ(status->last_error(), "");
}

TEST_F(OutboxRelayTest, EventsCommittedWhileRunningFollowInOrder) {
  options_.idle_poll = absl::Hours(1);  // Only Wake() brings them.
  Append(3);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitLogSize(3));
  Append(2);
  relay_->Wake();
  ASSERT_TRUE(audit_.AwaitLogSize(5));
  EXPECT_EQ(audit_.Log(), Ids(0, 5));
  ASSERT_TRUE(AwaitWaiting(0));
}

TEST_F(OutboxRelayTest, WhileTheAuditServiceIsDownEventsWaitThenAllArrive) {
  audit_.SetUnavailable(true);
  Append(5);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitCalls(3));
  EXPECT_THAT(audit_.Log(), IsEmpty());
  EXPECT_EQ(source_->Waiting(), Ids(0, 5));

  absl::StatusOr<DeliveryStatus> status = relay_->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->enabled());
  EXPECT_EQ(status->waiting_events(), 5);
  EXPECT_EQ(FromProto(status->oldest_waiting_time()), kStart);
  EXPECT_EQ(status->delivered_since_start(), 0);
  EXPECT_FALSE(status->has_last_delivery_time());
  EXPECT_THAT(status->last_error(), HasSubstr("audit storage down"));
  // One warning however many attempts (lag_log_interval is an hour): how
  // many wait and for how long (the fake clock is an hour past kStart).
  std::vector<std::string> warnings = LogLines("audit delivery failing");
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("\"waiting_events\":\"5\""));
  EXPECT_THAT(warnings[0], HasSubstr("\"oldest_waiting_age\":\"1h\""));

  audit_.SetUnavailable(false);
  ASSERT_TRUE(audit_.AwaitLogSize(5));
  ASSERT_TRUE(AwaitWaiting(0));
  relay_->Stop();  // Settles the counters and the log; Status() still answers.
  EXPECT_EQ(audit_.Log(), Ids(0, 5));
  status = relay_->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->delivered_since_start(), 5);
  EXPECT_EQ(status->last_error(), "");
  EXPECT_THAT(LogLines("audit delivery recovered"), SizeIs(1));
}

TEST_F(OutboxRelayTest, EveryRetrySendsTheSameBatch) {
  options_.batch_size = 2;
  audit_.FailNext(4);
  Append(3);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitLogSize(3));
  const auto calls = audit_.Calls();
  ASSERT_THAT(calls, SizeIs(6));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(calls[i], Ids(0, 2)) << "call " << i;
  EXPECT_EQ(calls[5], Ids(2, 3));
  EXPECT_EQ(audit_.Log(), Ids(0, 3));
}

TEST_F(OutboxRelayTest, AnAnswerWithoutEveryIndexDeletesNothing) {
  audit_.SetShortAck(true);
  Append(3);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitCalls(3));
  EXPECT_EQ(source_->Waiting(), Ids(0, 3));
  absl::StatusOr<DeliveryStatus> status = relay_->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(status->last_error(), HasSubstr("acknowledged 0 of 3 events"));
  EXPECT_EQ(status->delivered_since_start(), 0);

  audit_.SetShortAck(false);
  ASSERT_TRUE(AwaitWaiting(0));
}

TEST_F(OutboxRelayTest, AFailedLocalAcknowledgeResendsAndTheLogHoldsEachEventOnce) {
  source_->FailAcknowledge(2);
  Append(3);
  StartRelay();
  ASSERT_TRUE(AwaitWaiting(0));
  relay_->Stop();
  EXPECT_THAT(audit_.Calls(), SizeIs(3));
  EXPECT_THAT(audit_.Calls(), Each(Ids(0, 3)));
  EXPECT_EQ(audit_.Log(), Ids(0, 3));
  absl::StatusOr<DeliveryStatus> status = relay_->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->delivered_since_start(), 3);
}

TEST_F(OutboxRelayTest, BackoffSlowsRetriesDown) {
  // Without backoff the relay would call every idle_poll (1ms here): about
  // 1000 calls a second. With it, the waits before attempt n average
  // 1ms * (2^n - 1) / 2; reaching 25 calls in a second needs the last of
  // them (each drawn from [0, 10s]) to sum under a second: never in practice.
  options_.idle_poll = absl::Milliseconds(1);
  options_.initial_backoff = absl::Milliseconds(1);
  options_.max_backoff = absl::Seconds(10);
  audit_.SetUnavailable(true);
  Append(1);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitCalls(2));
  absl::SleepFor(absl::Seconds(1));
  const auto calls = audit_.Calls();
  EXPECT_LT(calls.size(), 25u);
  EXPECT_THAT(calls, Each(Ids(0, 1)));
}

TEST_F(OutboxRelayTest, StopReturnsPromptlyDuringABackoff) {
  options_.initial_backoff = absl::Minutes(10);
  options_.max_backoff = absl::Minutes(10);
  audit_.SetUnavailable(true);
  Append(1);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitCalls(1));
  absl::SleepFor(absl::Milliseconds(50));  // Into the backoff, most likely.
  const absl::Time before = absl::Now();
  relay_->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  EXPECT_EQ(source_->Waiting(), Ids(0, 1));
}

TEST_F(OutboxRelayTest, StopCancelsACallInFlight) {
  options_.call_timeout = absl::Minutes(10);
  audit_.SetHang(true);
  Append(1);
  StartRelay();
  ASSERT_TRUE(audit_.AwaitCalls(1));
  const absl::Time before = absl::Now();
  relay_->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  EXPECT_EQ(source_->Waiting(), Ids(0, 1));
}

TEST_F(OutboxRelayTest, StartRefusesABatchSizeOutOfRange) {
  for (int size : {0, OutboxRelay::kMaxBatchSize + 1}) {
    options_.batch_size = size;
    EXPECT_THAT(OutboxRelay::Start(*source_, *peer_, *logger_, clock_, options_).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch_size")));
  }
}

TEST_F(OutboxRelayTest, UndeliveredStatusIsDisabledAndCountsWaitingEvents) {
  Append(2);
  absl::StatusOr<DeliveryStatus> status = UndeliveredStatus(*source_);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->enabled());
  EXPECT_EQ(status->waiting_events(), 2);
  EXPECT_EQ(FromProto(status->oldest_waiting_time()), kStart);
}

TEST(BackoffTest, CapDoublesFromInitialUpToMax) {
  OutboxRelay::Options options;
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Seconds(1);
  EXPECT_EQ(BackoffCap(options, 0), absl::Milliseconds(100));
  EXPECT_EQ(BackoffCap(options, 1), absl::Milliseconds(200));
  EXPECT_EQ(BackoffCap(options, 3), absl::Milliseconds(800));
  EXPECT_EQ(BackoffCap(options, 4), absl::Seconds(1));
  EXPECT_EQ(BackoffCap(options, 1000000), absl::Seconds(1));
}

TEST(BackoffTest, DelayIsDrawnFromZeroToTheCap) {
  OutboxRelay::Options options;
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Seconds(30);
  absl::BitGen gen;
  absl::Duration longest = absl::ZeroDuration();
  absl::Duration shortest = absl::InfiniteDuration();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration delay = BackoffDelay(options, 2, gen);
    ASSERT_GE(delay, absl::ZeroDuration());
    ASSERT_LE(delay, absl::Milliseconds(400));
    longest = std::max(longest, delay);
    shortest = std::min(shortest, delay);
  }
  // Full jitter: spread over the whole range (each bound fails with
  // probability 2^-1000).
  EXPECT_GT(longest, absl::Milliseconds(200));
  EXPECT_LT(shortest, absl::Milliseconds(200));
}

}  // namespace
}  // namespace isms
