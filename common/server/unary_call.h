#ifndef ISMS_COMMON_SERVER_UNARY_CALL_H_
#define ISMS_COMMON_SERVER_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/auth/authenticator.h"
#include "common/ratelimit/rate_limiter.h"
#include "common/server/attempt_tally.h"
#include "common/server/blocking_executor.h"
#include "common/server/logger.h"
#include "common/status/grpc_status.h"

namespace isms {

inline constexpr char kRequestIdMetadataKey[] = "x-request-id";
// Trailing metadata of a RESOURCE_EXHAUSTED answer from a rate limit: the
// milliseconds after which a retry can pass, in decimal.
inline constexpr char kRetryAfterMsMetadataKey[] = "retry-after-ms";

// What a handler knows about the call it serves.
struct CallInfo {
  Caller caller;
  std::string request_id;
  absl::string_view method;
  // The runner's limiter; null (tests, internal calls) audits every refusal.
  RateLimiter* limiter = nullptr;

  // Whether a refusal of this call is to be written to the audit trail.
  // True while the caller's refusal budget lasts; past it false, and the
  // refusal is counted and logged in aggregate instead. Takes from the
  // budget: call it once per refusal, just before writing the event.
  bool ShouldAuditRefusal() const {
    return limiter == nullptr || limiter->AdmitRefusalAudit(caller);
  }
};

// Records refusals the runner decides before a handler runs (a valid token
// that tries to act on behalf of someone it may not), so a service can write
// them to its audit trail like its own refusals.
class RefusalRecorder {
 public:
  virtual ~RefusalRecorder() = default;
  virtual void RecordRefusal(const CallInfo& call, const absl::Status& refusal) = 0;
};

// Runs every unary RPC of a service the same way: takes or makes the request
// id (echoed back in initial metadata), authenticates the caller (a repeated
// authorization or on-behalf-of header is refused), refuses a call whose
// deadline has already passed, admits writes through the rate limiter
// (RESOURCE_EXHAUSTED with kRetryAfterMsMetadataKey), runs the handler,
// converts its absl::Status at this one boundary and writes the call's log
// line. UNAUTHENTICATED calls get no line each: they are tallied per peer.
class UnaryCallRunner {
 public:
  struct Options {
    // Full method names ("/pkg.Service/Method") that change state; they go
    // through `limiter`. Null limiter: no rate limit, every refusal audited.
    absl::flat_hash_set<std::string> write_methods;
    RateLimiter* limiter = nullptr;
    // Where UNAUTHENTICATED calls are counted; null: logged one a line.
    AttemptTally* unauthenticated = nullptr;
    // A call with no authorization header whose verified client certificate
    // names services/<id> is made by that service identity (mutual TLS).
    bool identity_from_certificate = false;
    // Told of calls refused after the caller was identified (a principal
    // token, or a service without the capability, acting on behalf of
    // someone), so the service audits them. May be null.
    RefusalRecorder* recorder = nullptr;
    // If set, the handlers of write_methods run there rather than on gRPC's
    // callback thread (they wait for durable commits); a call finding its
    // queue full is refused RESOURCE_EXHAUSTED. Must outlive the server.
    BlockingExecutor* blocking_writes = nullptr;
  };

  // Borrows everything; all must outlive the runner.
  UnaryCallRunner(const Authenticator& authenticator, Logger& logger, Options options)
      : authenticator_(authenticator), logger_(logger), options_(std::move(options)) {}
  UnaryCallRunner(const Authenticator& authenticator, Logger& logger)
      : UnaryCallRunner(authenticator, logger, Options()) {}

  // `handler` is called as handler(const CallInfo&) -> absl::Status and fills
  // the response itself. Returns the reactor gRPC expects from a callback
  // method; the call is finished when this returns.
  template <typename Handler>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, absl::string_view method,
                                Handler&& handler) {
    const absl::Time start = absl::Now();
    CallInfo info;
    absl::Status status = Start(*context, method, &info);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (status.ok() && options_.blocking_writes != nullptr && IsWrite(method)) {
      // The request and response live until Finish: the handler may run
      // after this returns.
      const bool queued =
          options_.blocking_writes->Submit([this, context, reactor, info, start,
                                            handler = std::forward<Handler>(handler)]() mutable {
            const absl::Status result = handler(static_cast<const CallInfo&>(info));
            End(*context, info, result, start);
            reactor->Finish(ToGrpcStatus(result));
          });
      if (queued) return reactor;
      status = absl::ResourceExhaustedError("server busy: too many writes waiting; retry later");
    } else if (status.ok()) {
      status = std::forward<Handler>(handler)(static_cast<const CallInfo&>(info));
    }
    End(*context, info, status, start);
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

  // As Run, for a handler that answers later: called as
  // handler(const CallInfo&, std::function<void(absl::StatusOr<Response>)>
  // done), it calls `done` once, from any thread; then the result goes into
  // `response` and the call is finished. The CallInfo lives until then.
  template <typename Response, typename Handler>
  grpc::ServerUnaryReactor* RunAsync(grpc::CallbackServerContext* context, absl::string_view method,
                                     Response* response, Handler&& handler) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    struct Call {
      CallInfo info;
      absl::Time start = absl::Now();
    };
    auto call = std::make_shared<Call>();
    absl::Status started = Start(*context, method, &call->info);
    if (!started.ok()) {
      End(*context, call->info, started, call->start);
      reactor->Finish(ToGrpcStatus(started));
      return reactor;
    }
    std::function<void(absl::StatusOr<Response>)> done =
        [this, context, reactor, call, response](absl::StatusOr<Response> result) {
          absl::Status status = result.status();
          if (result.ok()) *response = *std::move(result);
          End(*context, call->info, status, call->start);
          reactor->Finish(ToGrpcStatus(status));
        };
    std::forward<Handler>(handler)(static_cast<const CallInfo&>(call->info), std::move(done));
    return reactor;
  }

  // The two halves of Run, for a streaming method that runs its own
  // reactor. Start takes or makes the request id (echoed in initial
  // metadata), then authenticates and admits the caller, filling `info`;
  // End writes the call's log line (or tallies an UNAUTHENTICATED one).
  absl::Status Start(grpc::CallbackServerContext& context, absl::string_view method,
                     CallInfo* info);
  void End(grpc::CallbackServerContext& context, const CallInfo& info, const absl::Status& status,
           absl::Time start);

 private:
  bool IsWrite(absl::string_view method) const { return options_.write_methods.contains(method); }
  static std::string RequestIdFrom(const grpc::CallbackServerContext& context);
  // Authentication, deadline and rate limit; fills info->caller.
  absl::Status Admit(grpc::CallbackServerContext& context, CallInfo* info) const;

  const Authenticator& authenticator_;
  Logger& logger_;
  const Options options_;
};

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_UNARY_CALL_H_
