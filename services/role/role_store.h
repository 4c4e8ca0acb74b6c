#ifndef ISMS_SERVICES_ROLE_ROLE_STORE_H_
#define ISMS_SERVICES_ROLE_ROLE_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
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

  // Writes all of `changes` (resources, one history row per resource at
  // changes.record_time, settings, outbox events) in one durable
  // transaction: when this returns OK the changes survive a crash;
  // otherwise none of them was made.
  virtual absl::Status Commit(const ChangeSet& changes) = 0;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_STORE_H_
