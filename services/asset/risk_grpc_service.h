#ifndef ISMS_SERVICES_ASSET_RISK_GRPC_SERVICE_H_
#define ISMS_SERVICES_ASSET_RISK_GRPC_SERVICE_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "common/server/unary_call.h"
#include "isms/asset/v1/risk_service.grpc.pb.h"
#include "services/asset/asset_registry.h"

namespace isms::asset {

// isms.asset.v1.RiskService over the asset registry: each RPC authenticates
// through the runner and hands the request to the registry.
class RiskGrpcService final : public v1::RiskService::CallbackService {
 public:
  // Borrows both; they must outlive the service.
  RiskGrpcService(AssetRegistry& registry, UnaryCallRunner& runner)
      : registry_(registry), runner_(runner) {}
  RiskGrpcService(const RiskGrpcService&) = delete;
  RiskGrpcService& operator=(const RiskGrpcService&) = delete;

  // The full names of the RPCs that change state (rate-limited as writes).
  static absl::flat_hash_set<std::string> WriteMethods();

  grpc::ServerUnaryReactor* GetRisk(grpc::CallbackServerContext* context,
                                    const v1::GetRiskRequest* request, v1::Risk* response) override;
  grpc::ServerUnaryReactor* ListRisks(grpc::CallbackServerContext* context,
                                      const v1::ListRisksRequest* request,
                                      v1::ListRisksResponse* response) override;
  grpc::ServerUnaryReactor* CreateRisk(grpc::CallbackServerContext* context,
                                       const v1::CreateRiskRequest* request,
                                       v1::Risk* response) override;
  grpc::ServerUnaryReactor* UpdateRisk(grpc::CallbackServerContext* context,
                                       const v1::UpdateRiskRequest* request,
                                       v1::Risk* response) override;
  grpc::ServerUnaryReactor* AcceptRisk(grpc::CallbackServerContext* context,
                                       const v1::AcceptRiskRequest* request,
                                       v1::Risk* response) override;
  grpc::ServerUnaryReactor* ReportIncident(grpc::CallbackServerContext* context,
                                           const v1::ReportIncidentRequest* request,
                                           v1::Incident* response) override;
  grpc::ServerUnaryReactor* GetIncident(grpc::CallbackServerContext* context,
                                        const v1::GetIncidentRequest* request,
                                        v1::Incident* response) override;
  grpc::ServerUnaryReactor* ListIncidents(grpc::CallbackServerContext* context,
                                          const v1::ListIncidentsRequest* request,
                                          v1::ListIncidentsResponse* response) override;
  grpc::ServerUnaryReactor* TransitionIncident(grpc::CallbackServerContext* context,
                                               const v1::TransitionIncidentRequest* request,
                                               v1::Incident* response) override;
  grpc::ServerUnaryReactor* RecordBreachNotification(
      grpc::CallbackServerContext* context, const v1::RecordBreachNotificationRequest* request,
      v1::Incident* response) override;

 private:
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  absl::string_view method_name,
                                  void (AssetRegistry::*method)(const CallInfo&, const Request&,
                                                                AssetRegistry::Done<Response>),
                                  const Request* request, Response* response);

  AssetRegistry& registry_;
  UnaryCallRunner& runner_;
};

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_RISK_GRPC_SERVICE_H_
