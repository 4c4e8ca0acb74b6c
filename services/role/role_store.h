#ifndef ISMS_SERVICES_ROLE_ROLE_STORE_H_
#define ISMS_SERVICES_ROLE_ROLE_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/outbox/outbox_source.h"
#include "services/role/change_set.h"

namespace isms::role {

// Durable storage of the role service's resources, their history (every
// version ever written, with when it was recorded), its settings and its
// audit outbox, which it hands to the outbox relay (OutboxSource).
// Implementations are thread-safe.
class RoleStore : public OutboxSource {
 public:
  virtual ~RoleStore() = default;

  // Every stored resource and setting, as one change set without events,
  // and the history in the order it was recorded.
  virtual absl::StatusOr<StoredState> LoadAll() = 0;

  // Writes all of every change set in `batch`, in order (resources, one
  // history row per resource at that set's record_time, settings, outbox
  // events), in one durable transaction: when this returns OK they all
  // survive a crash; otherwise none of them was made.
  virtual absl::Status CommitBatch(absl::Span<const ChangeSet* const> batch) = 0;

  // CommitBatch of `changes` alone.
  absl::Status Commit(const ChangeSet& changes) {
    const ChangeSet* one[] = {&changes};
    return CommitBatch(one);
  }
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_STORE_H_
