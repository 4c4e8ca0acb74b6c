#ifndef ISMS_COMMON_SERVER_UNARY_CALL_H_
#define ISMS_COMMON_SERVER_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/auth/authenticator.h"
#include "common/server/logger.h"
#include "common/status/grpc_status.h"

namespace isms {

inline constexpr char kRequestIdMetadataKey[] = "x-request-id";

// What a handler knows about the call it serves.
struct CallInfo {
  Caller caller;
  std::string request_id;
  absl::string_view method;
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
// id (echoed back in initial metadata), authenticates the caller, refuses a
// call whose deadline has already passed, runs the handler, converts its
// absl::Status at this one boundary and writes the call's log line.
class UnaryCallRunner {
 public:
  // `recorder` may be null.
  UnaryCallRunner(const Authenticator& authenticator, Logger& logger,
                  RefusalRecorder* recorder = nullptr)
      : authenticator_(authenticator), logger_(logger), recorder_(recorder) {}

  // `handler` is called as handler(const CallInfo&) -> absl::Status and fills
  // the response itself. Returns the reactor gRPC expects from a callback
  // method; the call is finished when this returns.
  template <typename Handler>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, absl::string_view method,
                                Handler&& handler) {
    const absl::Time start = absl::Now();
    CallInfo info{Caller{}, RequestId(*context), method};
    context->AddInitialMetadata(kRequestIdMetadataKey, info.request_id);
    absl::Status status = Authenticate(*context, &info.caller);
    if (status.code() == absl::StatusCode::kPermissionDenied && recorder_ != nullptr) {
      recorder_->RecordRefusal(info, status);
    }
    if (status.ok() && context->deadline() < std::chrono::system_clock::now()) {
      status = absl::DeadlineExceededError("deadline passed before the call was served");
    }
    if (status.ok()) status = std::forward<Handler>(handler)(static_cast<const CallInfo&>(info));
    logger_.LogCall(method, StatusCodeName(status.code()), absl::Now() - start, info.caller.actor,
                    info.caller.principal, info.request_id, status.message());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

 private:
  static std::string RequestId(const grpc::CallbackServerContext& context);
  absl::Status Authenticate(const grpc::CallbackServerContext& context, Caller* caller) const;

  const Authenticator& authenticator_;
  Logger& logger_;
  RefusalRecorder* const recorder_;
};

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_UNARY_CALL_H_
