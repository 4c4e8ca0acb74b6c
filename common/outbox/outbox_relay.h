#ifndef ISMS_COMMON_OUTBOX_OUTBOX_RELAY_H_
#define ISMS_COMMON_OUTBOX_OUTBOX_RELAY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/client/peer_channel.h"
#include "common/outbox/outbox.h"
#include "common/outbox/outbox_source.h"
#include "common/server/logger.h"
#include "common/time/clock.h"
#include "isms/audit/v1/audit_service.grpc.pb.h"

namespace isms {

// The delivery status of an outbox nothing delivers (a service started
// without an audit service): enabled=false, the waiting events and the
// oldest one's time from `source`. Errors are Backlog()'s.
absl::StatusOr<isms::audit::v1::DeliveryStatus> UndeliveredStatus(OutboxSource& source);

// Delivers a service's outbox to the audit service (AuditService.AppendEvents)
// on a background thread: in sequence order, in batches, each batch sent
// until the audit service acknowledges it and only then deleted from the
// outbox. A failed batch is retried, the same batch again, after an
// exponential backoff with full jitter; nothing is ever skipped or
// reordered. The audit service takes each event once by event_id, so a batch
// sent twice (acknowledged, then the local delete failed or the process
// stopped before it) lands in the log once.
//
// While the audit service cannot be reached the service goes on working and
// events wait in its outbox; the relay logs a warning with the number waiting
// and the age of the oldest at most every lag_log_interval, and an info line
// when delivery recovers.
//
// Thread-safe. The source, peer, logger and clock are borrowed and must
// outlive the relay.
class OutboxRelay {
 public:
  struct Options {
    // Events per AppendEvents call: 1 to kMaxBatchSize.
    int batch_size = 100;
    // The backoff before retry n (from 0) is uniform in
    // [0, min(max_backoff, initial_backoff * 2^n)].
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(30);
    // Deadline of one AppendEvents call.
    absl::Duration call_timeout = absl::Seconds(10);
    // How long the relay waits before looking at an empty outbox again,
    // unless woken (Wake()).
    absl::Duration idle_poll = absl::Milliseconds(200);
    // The least time between two lag warnings.
    absl::Duration lag_log_interval = absl::Seconds(30);
  };
  // What AppendEvents takes in one call.
  static constexpr int kMaxBatchSize = 1000;

  // Checks `options` (InvalidArgument naming the option at fault) and starts
  // delivering.
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Start(OutboxSource& source,
                                                            const PeerChannel& peer,
                                                            Logger& logger, const Clock& clock,
                                                            Options options);
  // Stops (see Stop()).
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // Asks the relay to look at the outbox now rather than at its next poll
  // (a service calls it after a commit). Does not cut a backoff short.
  void Wake();

  // Ends delivery: cancels a call in flight, interrupts a backoff, and
  // returns once the background thread has ended. Events not acknowledged
  // stay in the outbox for the next start. Idempotent.
  void Stop();

  // enabled=true, the backlog from the source, and what the relay has
  // delivered since it started. Errors are the source's Backlog()'s.
  absl::StatusOr<isms::audit::v1::DeliveryStatus> Status() const;

 private:
  OutboxRelay(OutboxSource& source, const PeerChannel& peer, Logger& logger, const Clock& clock,
              Options options);

  // The background thread.
  void Run();
  // Reads the next batch if `batch` is empty (OK with none waiting), then
  // sends it and acknowledges it; clears `batch` once it is acknowledged.
  absl::Status DeliverNext(std::vector<OutboxEntry>& batch);
  absl::Status Send(const std::vector<OutboxEntry>& batch);
  // Logs the lag warning if the last was lag_log_interval ago or more.
  void MaybeLogLag(const absl::Status& error);

  // Waits until Stop() (true) or `timeout` passes / Wake() when `wakeable`
  // (false).
  bool WaitForStop(absl::Duration timeout, bool wakeable);
  bool StoppingOrWoken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || woken_;
  }
  bool Stopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; }

  OutboxSource& source_;
  const PeerChannel& peer_;
  std::unique_ptr<isms::audit::v1::AuditService::Stub> stub_;
  Logger& logger_;
  const Clock& clock_;
  const Options options_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  // The call in flight, so Stop() can cancel it.
  grpc::ClientContext* in_flight_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t delivered_since_start_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_delivery_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(mu_);

  // Used by the background thread only.
  int64_t acknowledged_through_ = 0;
  absl::Time last_lag_log_ = absl::InfinitePast();

  std::thread thread_;
};

// The cap of the backoff before retry `attempt` (from 0):
// min(max_backoff, initial_backoff * 2^attempt).
absl::Duration BackoffCap(const OutboxRelay::Options& options, int attempt);
// A backoff drawn uniformly from [0, BackoffCap(options, attempt)].
absl::Duration BackoffDelay(const OutboxRelay::Options& options, int attempt, absl::BitGenRef gen);

}  // namespace isms

#endif  // ISMS_COMMON_OUTBOX_OUTBOX_RELAY_H_
