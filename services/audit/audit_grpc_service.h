#ifndef ISMS_SERVICES_AUDIT_AUDIT_GRPC_SERVICE_H_
#define ISMS_SERVICES_AUDIT_AUDIT_GRPC_SERVICE_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "common/authz/permission_client.h"
#include "common/server/arena_message_allocator.h"
#include "common/server/unary_call.h"
#include "isms/audit/v1/audit_service.grpc.pb.h"
#include "services/audit/audit_log.h"

namespace isms::audit {

// The permission reading the trail needs.
inline constexpr char kAuditReadPermission[] = "isms.audit.read";
// The submitter of the events the audit service writes about itself (reads
// of the trail, refusals).
inline constexpr char kSelfSubmitter[] = "services/audit";

// The gRPC face of the audit service. Appends are for service identities
// with the append-audit capability; reads of events and proofs need
// isms.audit.read (asked of the role service) or, for a service acting for
// itself, the read-audit capability; heads and the public key any
// authenticated caller. Every read of events (query, export, verify) and
// every refused call is itself appended to the log.
class AuditGrpcService final : public v1::AuditService::CallbackService, public RefusalRecorder {
 public:
  // Borrows everything; all must outlive the service.
  AuditGrpcService(AuditLog& log, PermissionClient& permissions, UnaryCallRunner& runner,
                   const std::string& public_key_pem)
      : log_(log), permissions_(permissions), runner_(runner), public_key_pem_(public_key_pem) {
    SetMessageAllocatorFor_AppendEvents(&append_allocator_);
  }

  grpc::ServerUnaryReactor* AppendEvents(grpc::CallbackServerContext* context,
                                         const v1::AppendEventsRequest* request,
                                         v1::AppendEventsResponse* response) override;
  grpc::ServerUnaryReactor* QueryEvents(grpc::CallbackServerContext* context,
                                        const v1::QueryEventsRequest* request,
                                        v1::QueryEventsResponse* response) override;
  grpc::ServerWriteReactor<v1::ExportEventsResponse>* ExportEvents(
      grpc::CallbackServerContext* context, const v1::ExportEventsRequest* request) override;
  grpc::ServerUnaryReactor* VerifyLog(grpc::CallbackServerContext* context,
                                      const v1::VerifyLogRequest* request,
                                      v1::VerifyLogResponse* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* context,
                                              const v1::GetInclusionProofRequest* request,
                                              v1::InclusionProof* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* context,
                                                const v1::GetConsistencyProofRequest* request,
                                                v1::ConsistencyProof* response) override;
  grpc::ServerUnaryReactor* GetTreeHead(grpc::CallbackServerContext* context,
                                        const v1::GetTreeHeadRequest* request,
                                        v1::SignedTreeHead* response) override;
  grpc::ServerUnaryReactor* GetPublicKey(grpc::CallbackServerContext* context,
                                         const v1::GetPublicKeyRequest* request,
                                         v1::PublicKey* response) override;

  // Refusals the runner decides (an on-behalf-of the token may not make).
  void RecordRefusal(const CallInfo& call, const absl::Status& refusal) override;

  // Calls `done` with OK when `call`'s caller may read the trail, otherwise
  // with the refusal (PermissionDenied, recorded in the log; Unavailable
  // when the role service cannot answer). Does not block on the role
  // service. `call` must stay valid until `done` runs.
  void RequireRead(const CallInfo& call, PermissionClient::Done done);
  // Appends the event of a read of the trail (what was asked), durably.
  absl::Status RecordRead(const CallInfo& call, absl::string_view description,
                          std::map<std::string, std::string> attributes);

 private:
  // Serves a unary read: authenticates, asks whether the caller may read,
  // then runs `body` and finishes the call, without holding a server thread
  // while the role service answers.
  grpc::ServerUnaryReactor* ServeRead(grpc::CallbackServerContext* context,
                                      absl::string_view method,
                                      std::function<absl::Status(const CallInfo&)> body);
  // Appends an event the service writes about a call to itself.
  absl::Status RecordOwnEvent(const CallInfo& call, v1::Outcome outcome, const absl::Status& status,
                              absl::string_view description,
                              std::map<std::string, std::string> attributes);
  std::string NewEventId();

  ArenaMessageAllocator<v1::AppendEventsRequest, v1::AppendEventsResponse> append_allocator_;
  AuditLog& log_;
  PermissionClient& permissions_;
  UnaryCallRunner& runner_;
  const std::string& public_key_pem_;
  absl::Mutex id_mu_;
  absl::BitGen id_gen_ ABSL_GUARDED_BY(id_mu_);
};

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_AUDIT_GRPC_SERVICE_H_
