#include "common/server/unary_call.h"

#include "absl/strings/str_cat.h"
#include "common/server/call_metadata.h"

namespace isms {

std::string UnaryCallRunner::RequestIdFrom(const grpc::CallbackServerContext& context) {
  return ::isms::RequestIdFrom(context.client_metadata());
}

absl::Status UnaryCallRunner::Start(grpc::CallbackServerContext& context, absl::string_view method,
                                    CallInfo* info) {
  *info = CallInfo{Caller{}, RequestIdFrom(context), method, options_.limiter};
  context.AddInitialMetadata(kRequestIdMetadataKey, info->request_id);
  absl::Status status = Admit(context, info);
  if (status.code() == absl::StatusCode::kPermissionDenied && options_.recorder != nullptr &&
      !info->caller.actor.empty()) {
    options_.recorder->RecordRefusal(*info, status);
  }
  return status;
}

void UnaryCallRunner::End(grpc::CallbackServerContext& context, const CallInfo& info,
                          const absl::Status& status, absl::Time start) {
  if (status.code() == absl::StatusCode::kUnauthenticated && options_.unauthenticated != nullptr) {
    options_.unauthenticated->Record(context.peer());
  } else {
    logger_.LogCall(info.method, StatusCodeName(status.code()), absl::Now() - start,
                    info.caller.actor, info.caller.principal, info.request_id, status.message());
  }
}

absl::Status UnaryCallRunner::Admit(grpc::CallbackServerContext& context, CallInfo* info) const {
  absl::StatusOr<Caller> caller =
      AuthenticateMetadata(authenticator_, context.client_metadata(), &info->caller);
  if (!caller.ok() && options_.identity_from_certificate) {
    absl::StatusOr<std::optional<absl::string_view>> authorization =
        SingleMetadataValue(context.client_metadata(), kAuthorizationMetadataKey);
    std::optional<std::string> service;
    if (authorization.ok() && !authorization->has_value() && context.auth_context() != nullptr) {
      service = CertificateServiceIdentity(*context.auth_context());
    }
    if (service.has_value()) {
      caller =
          CertificateCaller(authenticator_, *service, context.client_metadata(), &info->caller);
    }
  }
  if (!caller.ok()) return caller.status();
  info->caller = *std::move(caller);
  if (context.deadline() < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("deadline passed before the call was served");
  }
  if (options_.limiter != nullptr &&
      options_.write_methods.contains(absl::string_view(info->method))) {
    absl::Duration retry_after;
    absl::Status admitted = options_.limiter->AdmitWrite(info->caller, &retry_after);
    if (!admitted.ok()) {
      context.AddTrailingMetadata(kRetryAfterMsMetadataKey,
                                  absl::StrCat(absl::ToInt64Milliseconds(retry_after)));
      return admitted;
    }
  }
  return absl::OkStatus();
}

}  // namespace isms
