#ifndef ISMS_COMMON_OUTBOX_OUTBOX_SOURCE_H_
#define ISMS_COMMON_OUTBOX_OUTBOX_SOURCE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/outbox/outbox.h"

namespace isms {

// A service's outbox as its relay (outbox_relay.h) sees it. Each service's
// store implements it under its own lock. Implementations are thread-safe.
class OutboxSource {
 public:
  virtual ~OutboxSource() = default;
  // Up to `limit` events with sequence numbers above `after`, oldest first.
  virtual absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(int64_t after, int limit) = 0;
  // Deletes every event with a sequence number at or below
  // `through_sequence`: the audit service holds them.
  virtual absl::Status Acknowledge(int64_t through_sequence) = 0;
  // How many events wait, and when the oldest occurred.
  virtual absl::StatusOr<OutboxBacklog> Backlog() = 0;
};

}  // namespace isms

#endif  // ISMS_COMMON_OUTBOX_OUTBOX_SOURCE_H_
