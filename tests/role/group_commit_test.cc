// Group commit keeps every guarantee of one-write-one-transaction: rules see
// the writes decided before them, nothing is answered from a change that is
// not durable, and a failed group leaves no trace.

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/status_matchers.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using isms::testing::IsOk;
using isms::testing::StatusIs;
using ::testing::HasSubstr;

// Forwards to the real store, except that a test may hold the next commit
// until it says how it ends.
class GatedStore final : public RoleStore {
 public:
  explicit GatedStore(RoleStore& store) : store_(store) {}

  // The next CommitBatch waits (after entered() turns true) until Release.
  void HoldNext() {
    absl::MutexLock lock(&mu_);
    hold_ = true;
    entered_ = false;
    released_ = false;
  }
  void AwaitEntered() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&entered_));
  }
  // Ends the held commit: committed if `outcome` is OK, else failed with it.
  void Release(absl::Status outcome) {
    absl::MutexLock lock(&mu_);
    outcome_ = std::move(outcome);
    released_ = true;
  }
  int largest_group() {
    absl::MutexLock lock(&mu_);
    return largest_group_;
  }

  absl::StatusOr<StoredState> LoadAll() override { return store_.LoadAll(); }
  absl::Status CommitBatch(absl::Span<const ChangeSet* const> batch) override {
    absl::Status outcome;
    {
      absl::MutexLock lock(&mu_);
      largest_group_ = std::max(largest_group_, static_cast<int>(batch.size()));
      if (hold_) {
        hold_ = false;
        entered_ = true;
        mu_.Await(absl::Condition(&released_));
        outcome = outcome_;
      }
    }
    if (!outcome.ok()) return outcome;
    return store_.CommitBatch(batch);
  }
  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(int64_t after, int limit) override {
    return store_.ReadOutbox(after, limit);
  }
  absl::Status Acknowledge(int64_t through) override { return store_.Acknowledge(through); }
  absl::StatusOr<OutboxBacklog> Backlog() override { return store_.Backlog(); }

 private:
  RoleStore& store_;
  absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool entered_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status outcome_ ABSL_GUARDED_BY(mu_);
  int largest_group_ ABSL_GUARDED_BY(mu_) = 0;
};

class GroupCommitTest : public RegistryTestBase {
 protected:
  RoleStore& RegistryStore() override {
    gate_ = std::make_unique<GatedStore>(*store_);
    return *gate_;
  }

  // Waits until `n` decided change sets wait behind the held commit.
  void AwaitQueued(size_t n) {
    while (registry_->QueuedCommits() < n) absl::SleepFor(absl::Milliseconds(1));
  }

  absl::StatusOr<v1::Principal> Get(const std::string& name) {
    v1::GetPrincipalRequest request;
    request.set_name(name);
    return registry_->GetPrincipal(Admin(), request);
  }

  std::unique_ptr<GatedStore> gate_;
};

TEST_F(GroupCommitTest, OfManyRacingSiroAppointmentsExactlyOneWins) {
  constexpr int kRacers = 16;
  for (int i = 0; i < kRacers; ++i) AddPerson(absl::StrCat("board", i), /*board_level=*/true);
  // Hold a commit so the racers' appointments are all decided while it waits
  // and then committed together.
  gate_->HoldNext();
  std::thread holder([&] { AddPerson("holder"); });
  gate_->AwaitEntered();
  std::vector<std::future<absl::StatusOr<v1::Assignment>>> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.push_back(std::async(std::launch::async, [this, i] {
      return Appoint("roles/siro", absl::StrCat("principals/board", i));
    }));
  }
  AwaitQueued(kRacers);
  gate_->Release(absl::OkStatus());
  holder.join();
  int won = 0;
  for (auto& racer : racers) {
    absl::StatusOr<v1::Assignment> appointed = racer.get();
    if (appointed.ok()) {
      ++won;
    } else {
      EXPECT_THAT(appointed.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                               HasSubstr("maximum-holders rule")));
    }
  }
  EXPECT_EQ(won, 1);
  EXPECT_GE(gate_->largest_group(), kRacers);
  // What is stored agrees: a registry loaded from the store sees one SIRO.
  auto reloaded = RoleRegistry::Open(*store_, clock_, RoleRegistry::Options());
  ASSERT_THAT(reloaded.status(), IsOk());
  v1::ListAssignmentsRequest list;
  list.set_role("roles/siro");
  auto sirs = (*reloaded)->ListAssignments(Admin(), list);
  ASSERT_THAT(sirs.status(), IsOk());
  EXPECT_EQ(sirs->assignments_size(), 1);
}

TEST_F(GroupCommitTest, AReadDoesNotAnswerFromAChangeThatIsNotDurableYet) {
  gate_->HoldNext();
  std::thread writer([&] { AddPerson("bob"); });
  gate_->AwaitEntered();
  auto read = std::async(std::launch::async, [&] { return Get("principals/bob"); });
  // Bob is decided and in the model, but not durable: the read waits.
  EXPECT_EQ(read.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  gate_->Release(absl::OkStatus());
  writer.join();
  absl::StatusOr<v1::Principal> bob = read.get();
  ASSERT_THAT(bob.status(), IsOk());
  EXPECT_EQ(bob->name(), "principals/bob");
}

TEST_F(GroupCommitTest, AFailedGroupLeavesNoTraceAndWritesDecidedOnItAreDecidedAgain) {
  gate_->HoldNext();
  auto create = std::async(std::launch::async, [&] {
    v1::CreatePrincipalRequest request;
    request.set_principal_id("bob");
    request.mutable_principal()->set_display_name("Bob");
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    return registry_->CreatePrincipal(Admin(), request);
  });
  gate_->AwaitEntered();
  // Decided while bob's creation waits for storage: it sees bob.
  auto appoint =
      std::async(std::launch::async, [&] { return Appoint("roles/ts", "principals/bob"); });
  AwaitQueued(1);
  auto read = std::async(std::launch::async, [&] { return Get("principals/bob"); });
  gate_->Release(absl::UnavailableError("storage full: disk"));

  EXPECT_THAT(create.get().status(), StatusIs(absl::StatusCode::kUnavailable));
  // Decided again against the register without bob.
  absl::StatusOr<v1::Assignment> appointed = appoint.get();
  EXPECT_THAT(appointed.status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("principals/bob not found")));
  EXPECT_THAT(read.get().status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Get("principals/bob").status(), StatusIs(absl::StatusCode::kNotFound));
  // The register works on: bob can be created now.
  AddPerson("bob");
  EXPECT_THAT(Get("principals/bob").status(), IsOk());
}

}  // namespace
}  // namespace isms::role
