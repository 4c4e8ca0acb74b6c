#include "services/audit/audit_grpc_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"

namespace isms::audit {
namespace {

constexpr char kService[] = "isms.audit.v1.AuditService";
#define ISMS_AUDIT_METHOD(Name) "/isms.audit.v1.AuditService/" #Name

std::string Decimal(uint64_t value) { return absl::StrCat(value); }

// Streams the entries of an index range, kReadChunk a message, reading each
// chunk from storage only when the previous one was sent.
class ExportReactor final : public grpc::ServerWriteReactor<v1::ExportEventsResponse> {
 public:
  ExportReactor(grpc::CallbackServerContext* context, AuditGrpcService& service, AuditLog& log,
                UnaryCallRunner& runner, const v1::ExportEventsRequest& request)
      : context_(*context),
        service_(service),
        log_(log),
        runner_(runner),
        start_(absl::Now()),
        request_(request) {
    absl::Status status = runner_.Start(context_, ISMS_AUDIT_METHOD(ExportEvents), &call_);
    if (!status.ok()) {
      Stop(status);
      return;
    }
    // The reactor lives until Finish, so `this` outlasts the check.
    service_.RequireRead(call_, [this](absl::Status allowed) {
      if (!allowed.ok()) {
        Stop(allowed);
        return;
      }
      Begin();
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Stop(absl::CancelledError("the client stopped reading"));
      return;
    }
    WriteNext();
  }

  // A cancelled call (the client went away, or the server shuts down) ends
  // at once, even with a write stuck behind a client that stopped reading.
  void OnCancel() override { Stop(absl::CancelledError("the call was cancelled")); }

  void OnDone() override { delete this; }

 private:
  void Begin() {
    absl::StatusOr<std::pair<uint64_t, uint64_t>> range =
        log_.Range(request_.start_index(), request_.end_index());
    absl::Status status = range.status();
    if (status.ok()) {
      next_ = range->first;
      end_ = range->second;
      status = service_.RecordRead(call_, "exported a range of the log",
                                   {{"start_index", Decimal(next_)}, {"end_index", Decimal(end_)}});
    }
    if (!status.ok()) {
      Stop(status);
      return;
    }
    WriteNext();
  }

  void WriteNext() {
    if (next_ >= end_) {
      Stop(absl::OkStatus());
      return;
    }
    absl::StatusOr<std::vector<v1::LogEntry>> entries = log_.ReadRange(next_, end_);
    if (!entries.ok()) {
      Stop(entries.status());
      return;
    }
    absl::MutexLock lock(&mu_);
    if (finished_) return;  // Cancelled meanwhile: no write after Finish.
    response_.Clear();
    for (v1::LogEntry& entry : *entries) *response_.add_entries() = std::move(entry);
    next_ += entries->size();
    StartWrite(&response_);
  }

  // Finishes the call once, whichever of completion, an error, a failed
  // write or a cancellation comes first.
  void Stop(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    runner_.End(context_, call_, status, start_);
    Finish(ToGrpcStatus(status));
  }

  grpc::CallbackServerContext& context_;
  AuditGrpcService& service_;
  AuditLog& log_;
  UnaryCallRunner& runner_;
  const absl::Time start_;
  const v1::ExportEventsRequest request_;
  CallInfo call_;
  uint64_t next_ = 0;
  uint64_t end_ = 0;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  v1::ExportEventsResponse response_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::string AuditGrpcService::NewEventId() {
  absl::MutexLock lock(&id_mu_);
  return absl::StrFormat("audit-%016x%016x", absl::Uniform<uint64_t>(id_gen_),
                         absl::Uniform<uint64_t>(id_gen_));
}

absl::Status AuditGrpcService::RecordOwnEvent(const CallInfo& call, v1::Outcome outcome,
                                              const absl::Status& status,
                                              absl::string_view description,
                                              std::map<std::string, std::string> attributes) {
  google::protobuf::RepeatedPtrField<v1::AuditEvent> events;
  v1::AuditEvent& event = *events.Add();
  event.set_event_id(NewEventId());
  *event.mutable_occur_time() = ToProto(absl::Now());
  event.set_service(kService);
  event.set_method(std::string(call.method));
  event.set_actor(call.caller.actor);
  event.set_principal(call.caller.principal);
  event.set_request_id(call.request_id);
  event.set_resource("log");
  event.set_outcome(outcome);
  if (!status.ok()) event.set_status_code(StatusCodeName(status.code()));
  event.set_description(std::string(description));
  for (auto& [key, value] : attributes) (*event.mutable_attributes())[key] = std::move(value);
  return log_.Append(kSelfSubmitter, events).status();
}

absl::Status AuditGrpcService::RecordRead(const CallInfo& call, absl::string_view description,
                                          std::map<std::string, std::string> attributes) {
  return RecordOwnEvent(call, v1::OUTCOME_SUCCEEDED, absl::OkStatus(), description,
                        std::move(attributes));
}

void AuditGrpcService::RecordRefusal(const CallInfo& call, const absl::Status& refusal) {
  if (!call.ShouldAuditRefusal()) return;
  // Best effort: the refusal stands whether or not its event is stored.
  (void)RecordOwnEvent(call, v1::OUTCOME_DENIED, refusal, refusal.message(), {});
}

void AuditGrpcService::RequireRead(const CallInfo& call, PermissionClient::Done done) {
  // A refusal is recorded before the caller hears of it.
  auto record_then_done = [this, &call, done = std::move(done)](absl::Status allowed) {
    if (allowed.code() == absl::StatusCode::kPermissionDenied) RecordRefusal(call, allowed);
    done(std::move(allowed));
  };
  if (call.caller.is_service && call.caller.acts_for_itself()) {
    record_then_done(call.caller.Has(kCapabilityReadAudit)
                         ? absl::OkStatus()
                         : absl::PermissionDeniedError(absl::StrCat(
                               call.caller.actor,
                               " may not read the audit trail (its token file line does not "
                               "list ",
                               kCapabilityReadAudit, ")")));
    return;
  }
  permissions_.Require(call.caller.principal, kAuditReadPermission, "",
                       std::move(record_then_done));
}

grpc::ServerUnaryReactor* AuditGrpcService::ServeRead(
    grpc::CallbackServerContext* context, absl::string_view method,
    std::function<absl::Status(const CallInfo&)> body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Lives until the call is finished.
  struct ReadCall {
    CallInfo call;
    absl::Time start = absl::Now();
  };
  auto read = std::make_shared<ReadCall>();
  absl::Status started = runner_.Start(*context, method, &read->call);
  if (!started.ok()) {
    runner_.End(*context, read->call, started, read->start);
    reactor->Finish(ToGrpcStatus(started));
    return reactor;
  }
  RequireRead(read->call,
              [this, context, reactor, read, body = std::move(body)](absl::Status allowed) {
                if (allowed.ok()) allowed = body(read->call);
                runner_.End(*context, read->call, allowed, read->start);
                reactor->Finish(ToGrpcStatus(allowed));
              });
  return reactor;
}

grpc::ServerUnaryReactor* AuditGrpcService::AppendEvents(grpc::CallbackServerContext* context,
                                                         const v1::AppendEventsRequest* request,
                                                         v1::AppendEventsResponse* response) {
  return runner_.Run(
      context, ISMS_AUDIT_METHOD(AppendEvents), [&](const CallInfo& call) -> absl::Status {
        if (!call.caller.is_service || !call.caller.acts_for_itself() ||
            !call.caller.Has(kCapabilityAppendAudit)) {
          absl::Status refused = absl::PermissionDeniedError(
              absl::StrCat("only service identities with the ", kCapabilityAppendAudit,
                           " capability, acting for themselves, append to the audit log"));
          RecordRefusal(call, refused);
          return refused;
        }
        absl::StatusOr<v1::AppendEventsResponse> appended =
            log_.Append(call.caller.actor, request->events());
        if (!appended.ok()) return appended.status();
        *response = *std::move(appended);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AuditGrpcService::QueryEvents(grpc::CallbackServerContext* context,
                                                        const v1::QueryEventsRequest* request,
                                                        v1::QueryEventsResponse* response) {
  return ServeRead(
      context, ISMS_AUDIT_METHOD(QueryEvents), [=](const CallInfo& call) -> absl::Status {
        absl::StatusOr<v1::QueryEventsResponse> found = log_.Query(*request);
        if (!found.ok()) return found.status();
        std::map<std::string, std::string> asked;
        for (const auto& [key, value] :
             {std::pair<const char*, std::string>{"actor", request->actor()},
              {"principal", request->principal()},
              {"resource", request->resource()},
              {"method", request->method()},
              {"outcome", request->outcome() == 0 ? "" : v1::Outcome_Name(request->outcome())}}) {
          if (!value.empty()) asked[key] = value;
        }
        asked["returned"] = Decimal(found->entries_size());
        ISMS_RETURN_IF_ERROR(RecordRead(call, "queried the log", std::move(asked)));
        *response = *std::move(found);
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<v1::ExportEventsResponse>* AuditGrpcService::ExportEvents(
    grpc::CallbackServerContext* context, const v1::ExportEventsRequest* request) {
  return new ExportReactor(context, *this, log_, runner_, *request);
}

grpc::ServerUnaryReactor* AuditGrpcService::VerifyLog(grpc::CallbackServerContext* context,
                                                      const v1::VerifyLogRequest* request,
                                                      v1::VerifyLogResponse* response) {
  return ServeRead(
      context, ISMS_AUDIT_METHOD(VerifyLog), [=](const CallInfo& call) -> absl::Status {
        ISMS_ASSIGN_OR_RETURN(auto range, log_.Range(request->start_index(), request->end_index()));
        ISMS_ASSIGN_OR_RETURN(*response, log_.Verify(range.first, range.second));
        std::map<std::string, std::string> result = {
            {"start_index", Decimal(range.first)},
            {"end_index", Decimal(range.second)},
            {"intact", response->intact() ? "true" : "false"}};
        if (!response->intact()) {
          result["first_mismatch_index"] = Decimal(response->first_mismatch_index());
        }
        return RecordRead(call, "verified a range of the log", std::move(result));
      });
}

grpc::ServerUnaryReactor* AuditGrpcService::GetInclusionProof(
    grpc::CallbackServerContext* context, const v1::GetInclusionProofRequest* request,
    v1::InclusionProof* response) {
  return ServeRead(context, ISMS_AUDIT_METHOD(GetInclusionProof),
                   [=](const CallInfo& call) -> absl::Status {
                     ISMS_ASSIGN_OR_RETURN(*response, log_.InclusionProof(*request));
                     return absl::OkStatus();
                   });
}

grpc::ServerUnaryReactor* AuditGrpcService::GetConsistencyProof(
    grpc::CallbackServerContext* context, const v1::GetConsistencyProofRequest* request,
    v1::ConsistencyProof* response) {
  return ServeRead(context, ISMS_AUDIT_METHOD(GetConsistencyProof),
                   [=](const CallInfo& call) -> absl::Status {
                     ISMS_ASSIGN_OR_RETURN(*response, log_.ConsistencyProof(*request));
                     return absl::OkStatus();
                   });
}

grpc::ServerUnaryReactor* AuditGrpcService::GetTreeHead(grpc::CallbackServerContext* context,
                                                        const v1::GetTreeHeadRequest*,
                                                        v1::SignedTreeHead* response) {
  return runner_.Run(context, ISMS_AUDIT_METHOD(GetTreeHead), [&](const CallInfo&) -> absl::Status {
    *response = log_.LatestHead();
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditGrpcService::GetPublicKey(grpc::CallbackServerContext* context,
                                                         const v1::GetPublicKeyRequest*,
                                                         v1::PublicKey* response) {
  return runner_.Run(context, ISMS_AUDIT_METHOD(GetPublicKey),
                     [&](const CallInfo&) -> absl::Status {
                       response->set_pem(public_key_pem_);
                       return absl::OkStatus();
                     });
}

}  // namespace isms::audit
