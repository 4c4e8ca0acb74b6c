#include "common/outbox/outbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"

namespace isms {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(":memory:");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_THAT(db_->Migrate({kOutboxMigration, kOutboxChecksumMigration}), IsOk());
  }

  // Appends one event per id, the n-th occurring at kStart + n minutes.
  void Append(const std::vector<std::string>& ids) {
    ASSERT_THAT(db_->InTransaction([&]() -> absl::Status {
      for (const std::string& id : ids) {
        isms::audit::v1::AuditEvent event;
        event.set_event_id(id);
        *event.mutable_occur_time() = ToProto(kStart + absl::Minutes(appended_++));
        absl::Status appended = AppendToOutbox(*db_, event);
        if (!appended.ok()) return appended;
      }
      return absl::OkStatus();
    }),
                IsOk());
  }

  std::vector<std::string> WaitingIds() {
    std::vector<std::string> ids;
    auto entries = ReadOutbox(*db_, 0, 1000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    if (!entries.ok()) return ids;
    for (const OutboxEntry& entry : *entries) ids.push_back(entry.event.event_id());
    return ids;
  }

  const absl::Time kStart = absl::FromUnixSeconds(1700000000);
  std::unique_ptr<SqliteDatabase> db_;
  int appended_ = 0;
};

TEST_F(OutboxTest, DeleteThroughRemovesThatSequenceAndEarlierOnly) {
  Append({"e1", "e2", "e3"});
  auto entries = ReadOutbox(*db_, 0, 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_THAT(DeleteFromOutboxThrough(*db_, (*entries)[1].sequence), IsOk());
  EXPECT_THAT(WaitingIds(), ::testing::ElementsAre("e3"));
}

TEST_F(OutboxTest, DeleteThroughBelowEverySequenceDeletesNothing) {
  Append({"e1", "e2"});
  ASSERT_THAT(DeleteFromOutboxThrough(*db_, 0), IsOk());
  EXPECT_THAT(WaitingIds(), ::testing::ElementsAre("e1", "e2"));
}

TEST_F(OutboxTest, SequencesAreNotReusedAfterDelete) {
  Append({"e1", "e2"});
  auto first = ReadOutbox(*db_, 0, 10);
  ASSERT_TRUE(first.ok());
  const int64_t last = first->back().sequence;
  ASSERT_THAT(DeleteFromOutboxThrough(*db_, last), IsOk());
  Append({"e3"});
  auto second = ReadOutbox(*db_, 0, 10);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_GT(second->front().sequence, last);
}

TEST_F(OutboxTest, BacklogOfAnEmptyOutboxIsZeroWithoutOldest) {
  auto backlog = ReadOutboxBacklog(*db_);
  ASSERT_TRUE(backlog.ok()) << backlog.status();
  EXPECT_EQ(backlog->waiting, 0);
  EXPECT_FALSE(backlog->oldest_occur_time.has_value());
}

TEST_F(OutboxTest, BacklogCountsWaitingEventsAndTimesTheOldest) {
  Append({"e1", "e2", "e3"});
  auto entries = ReadOutbox(*db_, 0, 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_THAT(DeleteFromOutboxThrough(*db_, (*entries)[0].sequence), IsOk());
  auto backlog = ReadOutboxBacklog(*db_);
  ASSERT_TRUE(backlog.ok()) << backlog.status();
  EXPECT_EQ(backlog->waiting, 2);
  ASSERT_TRUE(backlog->oldest_occur_time.has_value());
  EXPECT_EQ(*backlog->oldest_occur_time, kStart + absl::Minutes(1));  // e2
}

TEST_F(OutboxTest, BacklogWithADamagedOldestEventIsDataLossNamingIt) {
  Append({"e1", "e2"});
  auto entries = ReadOutbox(*db_, 0, 10);
  ASSERT_TRUE(entries.ok());
  const int64_t first = (*entries)[0].sequence;
  ASSERT_THAT(db_->Exec("UPDATE outbox SET event = X'0a02e9' WHERE sequence = " +
                        std::to_string(first)),
              IsOk());
  EXPECT_THAT(ReadOutboxBacklog(*db_),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("outbox record " + std::to_string(first))));
}

}  // namespace
}  // namespace isms
