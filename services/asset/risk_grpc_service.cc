#include "services/asset/risk_grpc_service.h"

#include <memory>
#include <utility>

#include "absl/time/clock.h"
#include "common/status/grpc_status.h"

namespace isms::asset {

#define ISMS_RISK_METHOD(Name) "/isms.asset.v1.RiskService/" #Name

absl::flat_hash_set<std::string> RiskGrpcService::WriteMethods() {
  absl::flat_hash_set<std::string> writes;
  for (const char* name : {"CreateRisk", "UpdateRisk", "AcceptRisk", "ReportIncident",
                           "TransitionIncident", "RecordBreachNotification"}) {
    writes.insert(std::string("/isms.asset.v1.RiskService/") + name);
  }
  return writes;
}

// As AssetGrpcService::Serve.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* RiskGrpcService::Serve(
    grpc::CallbackServerContext* context, absl::string_view method_name,
    void (AssetRegistry::*method)(const CallInfo&, const Request&, AssetRegistry::Done<Response>),
    const Request* request, Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  struct Call {
    CallInfo info;
    absl::Time start = absl::Now();
  };
  auto call = std::make_shared<Call>();
  absl::Status started = runner_.Start(*context, method_name, &call->info);
  if (!started.ok()) {
    runner_.End(*context, call->info, started, call->start);
    reactor->Finish(ToGrpcStatus(started));
    return reactor;
  }
  (registry_.*method)(call->info, *request,
                      [this, context, reactor, call, response](absl::StatusOr<Response> result) {
                        absl::Status status = result.status();
                        if (result.ok()) *response = *std::move(result);
                        runner_.End(*context, call->info, status, call->start);
                        reactor->Finish(ToGrpcStatus(status));
                      });
  return reactor;
}

grpc::ServerUnaryReactor* RiskGrpcService::GetRisk(grpc::CallbackServerContext* context,
                                                   const v1::GetRiskRequest* request,
                                                   v1::Risk* response) {
  return Serve(context, ISMS_RISK_METHOD(GetRisk), &AssetRegistry::GetRisk, request, response);
}

grpc::ServerUnaryReactor* RiskGrpcService::ListRisks(grpc::CallbackServerContext* context,
                                                     const v1::ListRisksRequest* request,
                                                     v1::ListRisksResponse* response) {
  return Serve(context, ISMS_RISK_METHOD(ListRisks), &AssetRegistry::ListRisks, request, response);
}

grpc::ServerUnaryReactor* RiskGrpcService::CreateRisk(grpc::CallbackServerContext* context,
                                                      const v1::CreateRiskRequest* request,
                                                      v1::Risk* response) {
  return Serve(context, ISMS_RISK_METHOD(CreateRisk), &AssetRegistry::CreateRisk, request,
               response);
}

grpc::ServerUnaryReactor* RiskGrpcService::UpdateRisk(grpc::CallbackServerContext* context,
                                                      const v1::UpdateRiskRequest* request,
                                                      v1::Risk* response) {
  return Serve(context, ISMS_RISK_METHOD(UpdateRisk), &AssetRegistry::UpdateRisk, request,
               response);
}

grpc::ServerUnaryReactor* RiskGrpcService::AcceptRisk(grpc::CallbackServerContext* context,
                                                      const v1::AcceptRiskRequest* request,
                                                      v1::Risk* response) {
  return Serve(context, ISMS_RISK_METHOD(AcceptRisk), &AssetRegistry::AcceptRisk, request,
               response);
}

grpc::ServerUnaryReactor* RiskGrpcService::ReportIncident(grpc::CallbackServerContext* context,
                                                          const v1::ReportIncidentRequest* request,
                                                          v1::Incident* response) {
  return Serve(context, ISMS_RISK_METHOD(ReportIncident), &AssetRegistry::ReportIncident, request,
               response);
}

grpc::ServerUnaryReactor* RiskGrpcService::GetIncident(grpc::CallbackServerContext* context,
                                                       const v1::GetIncidentRequest* request,
                                                       v1::Incident* response) {
  return Serve(context, ISMS_RISK_METHOD(GetIncident), &AssetRegistry::GetIncident, request,
               response);
}

grpc::ServerUnaryReactor* RiskGrpcService::ListIncidents(grpc::CallbackServerContext* context,
                                                         const v1::ListIncidentsRequest* request,
                                                         v1::ListIncidentsResponse* response) {
  return Serve(context, ISMS_RISK_METHOD(ListIncidents), &AssetRegistry::ListIncidents, request,
               response);
}

grpc::ServerUnaryReactor* RiskGrpcService::TransitionIncident(
    grpc::CallbackServerContext* context, const v1::TransitionIncidentRequest* request,
    v1::Incident* response) {
  return Serve(context, ISMS_RISK_METHOD(TransitionIncident), &AssetRegistry::TransitionIncident,
               request, response);
}

grpc::ServerUnaryReactor* RiskGrpcService::RecordBreachNotification(
    grpc::CallbackServerContext* context, const v1::RecordBreachNotificationRequest* request,
    v1::Incident* response) {
  return Serve(context, ISMS_RISK_METHOD(RecordBreachNotification),
               &AssetRegistry::RecordBreachNotification, request, response);
}

}  // namespace isms::asset
