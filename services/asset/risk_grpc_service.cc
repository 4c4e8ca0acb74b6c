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

template <typename Request, typename Response>
grpc::ServerUnaryReactor* RiskGrpcService::Serve(
    grpc::CallbackServerContext* context, absl::string_view method_name,
    void (AssetRegistry::*method)(const CallInfo&, const Request&, AssetRegistry::Done<Response>),
    const Request* request, Response* response) {
  return runner_.RunAsync(context, method_name, response,
                          [this, method, request](const CallInfo& info, auto done) {
                            (registry_.*method)(info, *request, std::move(done));
                          });
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
