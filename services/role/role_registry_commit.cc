// The role registry's group commit: how decided change sets reach storage
// together, and how reads wait for what they saw to be durable.

#include <malloc.h>

#include <algorithm>

#include "common/status/status_macros.h"
#include "services/role/role_registry.h"

namespace isms::role {
namespace {

// The most change sets one transaction takes; the rest wait for the next.
constexpr size_t kMaxGroup = 1024;

}  // namespace

absl::Status ModelLostError() {
  return absl::UnavailableError(
      "storage: the register could not be reloaded after a failed commit; the next write "
      "retries");
}

absl::Status RoleRegistry::ReloadModel() const {
  {
    absl::StatusOr<StoredState> stored = store_.LoadAll();
    if (!stored.ok()) {
      model_lost_ = true;
      return stored.status();
    }
    RoleModel fresh;
    fresh.Apply(stored->current);
    fresh.LoadHistory(stored->history);
    model_ = std::move(fresh);
    model_lost_ = false;
  }
  // Loading held the stored rows and a second model at once; give the
  // freed pages back rather than keep the peak resident.
  malloc_trim(0);
  return absl::OkStatus();
}

size_t RoleRegistry::QueuedCommits() const {
  absl::MutexLock lock(&commit_mu_);
  return queue_.size();
}

void RoleRegistry::Enqueue(PendingCommit* pending) const {
  absl::MutexLock lock(&commit_mu_);
  queue_.push_back(pending);
}

void RoleRegistry::AwaitCommit(PendingCommit* pending) const {
  commit_mu_.Lock();
  while (!pending->done) {
    if (committing_) {
      struct Waiting {
        const PendingCommit* pending;
        const bool* committing;
      } waiting{pending, &committing_};
      commit_mu_.Await(absl::Condition(
          +[](Waiting* w) { return w->pending->done || !*w->committing; }, &waiting));
      continue;
    }
    // Lead: take the queue's head and commit it as one transaction.
    committing_ = true;
    const size_t n = std::min(queue_.size(), kMaxGroup);
    std::vector<PendingCommit*> group(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    commit_mu_.Unlock();

    std::vector<const ChangeSet*> sets;
    sets.reserve(group.size());
    uint64_t last_version = 0;
    for (const PendingCommit* member : group) {
      sets.push_back(&member->changes);
      last_version = std::max(last_version, member->model_version);
    }
    const absl::Status committed = store_.CommitBatch(sets);
    if (committed.ok()) WakeRelay();
    if (!committed.ok() && last_version != 0) {
      DiscardUndurableChanges(group, committed);
      commit_mu_.Lock();
    } else {
      commit_mu_.Lock();
      for (PendingCommit* member : group) {
        member->status = committed;
        member->done = true;
      }
      if (committed.ok() && last_version > durable_version_.load()) {
        durable_version_.store(last_version);
      }
    }
    committing_ = false;
  }
  commit_mu_.Unlock();
}

void RoleRegistry::DiscardUndurableChanges(const std::vector<PendingCommit*>& failed,
                                           const absl::Status& failure) const {
  // No write is decided while the model is put back: everything decided
  // after the failed group is in the queue, to be decided again.
  absl::MutexLock write(&write_mu_);
  absl::MutexLock model(&mu_);
  ReloadModel().IgnoreError();  // On failure model_lost_ makes calls Unavailable.
  absl::MutexLock lock(&commit_mu_);
  for (PendingCommit* member : failed) {
    member->status = failure;
    member->done = true;
  }
  for (PendingCommit* member : queue_) {
    member->redo = true;
    member->done = true;
  }
  queue_.clear();
  // Versions handed out so far name discarded states: readers that saw one
  // read again; the reloaded model is all durable.
  epoch_.store(epoch_.load() + 1);
  durable_version_.store(model_version_);
}

bool RoleRegistry::AwaitDurable(uint64_t version, uint64_t epoch) const {
  // Epoch is bumped before durable_version_ moves past a discarded version,
  // so reading them in this order never takes a discarded version as durable.
  if (durable_version_.load() >= version) return epoch_.load() == epoch;
  struct Waiting {
    const RoleRegistry* registry;
    uint64_t version;
    uint64_t epoch;
  } waiting{this, version, epoch};
  absl::MutexLock lock(&commit_mu_);
  commit_mu_.Await(absl::Condition(
      +[](Waiting* w) {
        return w->registry->durable_version_.load() >= w->version ||
               w->registry->epoch_.load() != w->epoch;
      },
      &waiting));
  return epoch_.load() == epoch;
}

}  // namespace isms::role
