#ifndef ISMS_SERVICES_ROLE_ROLE_STORE_H_
#define ISMS_SERVICES_ROLE_ROLE_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/outbox/outbox.h"
#include "services/role/change_set.h"

namespace isms::role {

// Durable storage of the role service's resources and its audit outbox.
// Implementations are thread-safe.
class RoleStore {
 public:
  virtual ~RoleStore() = default;

  // Every stored resource, as one change set without events.
  virtual absl::StatusOr<ChangeSet> LoadAll() = 0;

  // Writes all of `changes`, resources and outbox events, in one durable
  // transaction: when this returns OK the changes survive a crash; otherwise
  // none of them was made.
  virtual absl::Status Commit(const ChangeSet& changes) = 0;

  // Outbox events with sequence numbers above `after`, oldest first.
  virtual absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(int64_t after, int limit) = 0;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_STORE_H_
