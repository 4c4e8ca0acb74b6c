#include "common/outbox/outbox_relay.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"

namespace isms {

using isms::audit::v1::AppendEventsRequest;
using isms::audit::v1::AppendEventsResponse;
using isms::audit::v1::DeliveryStatus;

namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("audit service: ", status.error_message()));
}

std::string AgeOf(const OutboxBacklog& backlog, absl::Time now) {
  if (!backlog.oldest_occur_time.has_value()) return "";
  return absl::FormatDuration(absl::Trunc(now - *backlog.oldest_occur_time, absl::Seconds(1)));
}

}  // namespace

absl::StatusOr<DeliveryStatus> UndeliveredStatus(OutboxSource& source) {
  ISMS_ASSIGN_OR_RETURN(OutboxBacklog backlog, source.Backlog());
  DeliveryStatus status;
  status.set_enabled(false);
  status.set_waiting_events(backlog.waiting);
  if (backlog.oldest_occur_time.has_value()) {
    *status.mutable_oldest_waiting_time() = ToProto(*backlog.oldest_occur_time);
  }
  return status;
}

absl::Duration BackoffCap(const OutboxRelay::Options& options, int attempt) {
  absl::Duration cap = options.initial_backoff;
  for (int i = 0; i < attempt && cap < options.max_backoff; ++i) cap *= 2;
  return std::min(cap, options.max_backoff);
}

absl::Duration BackoffDelay(const OutboxRelay::Options& options, int attempt,
                            absl::BitGenRef gen) {
  const int64_t cap = absl::ToInt64Nanoseconds(BackoffCap(options, attempt));
  return absl::Nanoseconds(absl::Uniform<int64_t>(absl::IntervalClosed, gen, 0, cap));
}

absl::StatusOr<std::unique_ptr<OutboxRelay>> OutboxRelay::Start(OutboxSource& source,
                                                                 const PeerChannel& peer,
                                                                 Logger& logger,
                                                                 const Clock& clock,
                                                                 Options options) {
  if (options.batch_size < 1 || options.batch_size > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size: want 1 to ", kMaxBatchSize, ", got ", options.batch_size));
  }
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "initial_backoff, max_backoff: want 0 < initial_backoff <= max_backoff");
  }
  if (options.call_timeout <= absl::ZeroDuration() || options.idle_poll <= absl::ZeroDuration() ||
      options.lag_log_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "call_timeout, idle_poll, lag_log_interval: want positive durations");
  }
  std::unique_ptr<OutboxRelay> relay(new OutboxRelay(source, peer, logger, clock, options));
  relay->thread_ = std::thread([r = relay.get()] { r->Run(); });
  return relay;
}

OutboxRelay::OutboxRelay(OutboxSource& source, const PeerChannel& peer, Logger& logger,
                         const Clock& clock, Options options)
    : source_(source),
      peer_(peer),
      stub_(isms::audit::v1::AuditService::NewStub(peer.channel())),
      logger_(logger),
      clock_(clock),
      options_(options) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void OutboxRelay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<DeliveryStatus> OutboxRelay::Status() const {
  ISMS_ASSIGN_OR_RETURN(DeliveryStatus status, UndeliveredStatus(source_));
  status.set_enabled(true);
  absl::MutexLock lock(&mu_);
  status.set_delivered_since_start(delivered_since_start_);
  if (last_delivery_time_ != absl::InfinitePast()) {
    *status.mutable_last_delivery_time() = ToProto(last_delivery_time_);
  }
  status.set_last_error(last_error_);
  return status;
}

bool OutboxRelay::WaitForStop(absl::Duration timeout, bool wakeable) {
  absl::MutexLock lock(&mu_);
  if (wakeable) {
    mu_.AwaitWithTimeout(absl::Condition(this, &OutboxRelay::StoppingOrWoken), timeout);
    woken_ = false;
  } else {
    mu_.AwaitWithTimeout(absl::Condition(this, &OutboxRelay::Stopping), timeout);
  }
  return stopping_;
}

void OutboxRelay::Run() {
  absl::BitGen gen;
  std::vector<OutboxEntry> batch;  // Kept until acknowledged: a retry resends it.
  int failures = 0;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::Status delivered = DeliverNext(batch);
    if (!delivered.ok()) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;  // A cancelled call is not an error to report.
        last_error_ = std::string(delivered.ToString());
      }
      MaybeLogLag(delivered);
      if (WaitForStop(BackoffDelay(options_, failures, gen), /*wakeable=*/false)) return;
      ++failures;
      continue;
    }
    if (failures > 0) {
      absl::StatusOr<OutboxBacklog> backlog = source_.Backlog();
      logger_.Log(LogLevel::kInfo, "audit delivery recovered",
                  {{"failed_attempts", absl::StrCat(failures)},
                   {"waiting_events", backlog.ok() ? absl::StrCat(backlog->waiting) : "unknown"}});
      failures = 0;
      last_lag_log_ = absl::InfinitePast();
    }
    // Waits for a commit (Wake()) or the next poll; returns at once after a
    // full batch (DeliverNext sets woken_).
    if (batch.empty() && WaitForStop(options_.idle_poll, /*wakeable=*/true)) return;
  }
}

absl::Status OutboxRelay::DeliverNext(std::vector<OutboxEntry>& batch) {
  if (batch.empty()) {
    ISMS_ASSIGN_OR_RETURN(batch, source_.ReadOutbox(acknowledged_through_, options_.batch_size));
    if (batch.empty()) return absl::OkStatus();
  }
  ISMS_RETURN_IF_ERROR(Send(batch));
  // The audit service holds the batch from here. If the delete fails the
  // batch is kept and sent again after a backoff: the audit service takes
  // each event_id once, so the resend adds nothing to the log.
  const int64_t through = batch.back().sequence;
  ISMS_RETURN_IF_ERROR(source_.Acknowledge(through));
  acknowledged_through_ = through;
  const int64_t count = static_cast<int64_t>(batch.size());
  batch.clear();
  absl::MutexLock lock(&mu_);
  delivered_since_start_ += count;
  last_delivery_time_ = clock_.Now();
  last_error_.clear();
  // A full batch: more may wait, so the next is read at once. A shorter one
  // was all that waited when read.
  if (count == options_.batch_size) woken_ = true;
  return absl::OkStatus();
}

absl::Status OutboxRelay::Send(const std::vector<OutboxEntry>& batch) {
  AppendEventsRequest request;
  for (const OutboxEntry& entry : batch) *request.add_events() = entry.event;
  AppendEventsResponse response;
  grpc::ClientContext context;
  peer_.Prepare(context, options_.call_timeout);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("relay stopping");
    in_flight_ = &context;
  }
  const grpc::Status sent = stub_->AppendEvents(&context, request, &response);
  {
    absl::MutexLock lock(&mu_);
    in_flight_ = nullptr;
  }
  if (!sent.ok()) return FromGrpc(sent);
  if (response.indexes_size() != request.events_size()) {
    return absl::InternalError(absl::StrCat("audit service: acknowledged ",
                                            response.indexes_size(), " of ",
                                            request.events_size(), " events"));
  }
  return absl::OkStatus();
}

void OutboxRelay::MaybeLogLag(const absl::Status& error) {
  const absl::Time now = clock_.Now();
  if (last_lag_log_ != absl::InfinitePast() && now - last_lag_log_ < options_.lag_log_interval) {
    return;
  }
  absl::StatusOr<OutboxBacklog> backlog = source_.Backlog();
  if (backlog.ok() && backlog->waiting == 0) return;  // Nothing waits: no lag.
  last_lag_log_ = now;
  logger_.Log(LogLevel::kWarning, "audit delivery failing; events wait in the outbox",
              {{"waiting_events", backlog.ok() ? absl::StrCat(backlog->waiting) : "unknown"},
               {"oldest_waiting_age", backlog.ok() ? AgeOf(*backlog, now) : ""},
               {"error", error.ToString()}});
}

}  // namespace isms
