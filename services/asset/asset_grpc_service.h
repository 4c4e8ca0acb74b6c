#ifndef ISMS_SERVICES_ASSET_ASSET_GRPC_SERVICE_H_
#define ISMS_SERVICES_ASSET_ASSET_GRPC_SERVICE_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "common/server/unary_call.h"
#include "isms/asset/v1/asset_service.grpc.pb.h"
#include "services/asset/asset_registry.h"

namespace isms::asset {

// The gRPC face of the asset service: every RPC authenticates and is logged
// through one UnaryCallRunner, then runs the matching AssetRegistry method,
// which finishes the call when the role service has answered (no server
// thread waits for it). The RPCs not built yet answer UNIMPLEMENTED naming
// the step of issue 10 that adds them.
class AssetGrpcService final : public v1::AssetService::CallbackService {
 public:
  // Borrows both; they must outlive the service.
  AssetGrpcService(AssetRegistry& registry, UnaryCallRunner& runner)
      : registry_(registry), runner_(runner) {}
  AssetGrpcService(const AssetGrpcService&) = delete;
  AssetGrpcService& operator=(const AssetGrpcService&) = delete;

  // The full names of the RPCs that change state (rate-limited as writes).
  static absl::flat_hash_set<std::string> WriteMethods();

  grpc::ServerUnaryReactor* GetAsset(grpc::CallbackServerContext* context,
                                     const v1::GetAssetRequest* request,
                                     v1::Asset* response) override;
  grpc::ServerUnaryReactor* ListAssets(grpc::CallbackServerContext* context,
                                       const v1::ListAssetsRequest* request,
                                       v1::ListAssetsResponse* response) override;
  grpc::ServerUnaryReactor* CreateAsset(grpc::CallbackServerContext* context,
                                        const v1::CreateAssetRequest* request,
                                        v1::Asset* response) override;
  grpc::ServerUnaryReactor* UpdateAsset(grpc::CallbackServerContext* context,
                                        const v1::UpdateAssetRequest* request,
                                        v1::Asset* response) override;
  grpc::ServerUnaryReactor* DeleteAsset(grpc::CallbackServerContext* context,
                                        const v1::DeleteAssetRequest* request,
                                        google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* CreateAccessRecord(grpc::CallbackServerContext* context,
                                               const v1::CreateAccessRecordRequest* request,
                                               v1::AccessRecord* response) override;
  grpc::ServerUnaryReactor* GetAccessRecord(grpc::CallbackServerContext* context,
                                            const v1::GetAccessRecordRequest* request,
                                            v1::AccessRecord* response) override;
  grpc::ServerUnaryReactor* ListAccessRecords(grpc::CallbackServerContext* context,
                                              const v1::ListAccessRecordsRequest* request,
                                              v1::ListAccessRecordsResponse* response) override;
  grpc::ServerUnaryReactor* RevokeAccessRecord(grpc::CallbackServerContext* context,
                                               const v1::RevokeAccessRecordRequest* request,
                                               v1::AccessRecord* response) override;
  grpc::ServerUnaryReactor* CreateAttestation(grpc::CallbackServerContext* context,
                                              const v1::CreateAttestationRequest* request,
                                              v1::Attestation* response) override;
  grpc::ServerUnaryReactor* ListAttestations(grpc::CallbackServerContext* context,
                                             const v1::ListAttestationsRequest* request,
                                             v1::ListAttestationsResponse* response) override;
  grpc::ServerUnaryReactor* GetAssetCoverage(grpc::CallbackServerContext* context,
                                             const v1::GetAssetCoverageRequest* request,
                                             v1::AssetCoverage* response) override;
  grpc::ServerUnaryReactor* GetAuditDelivery(grpc::CallbackServerContext* context,
                                             const v1::GetAuditDeliveryRequest* request,
                                             isms::audit::v1::DeliveryStatus* response) override;

  // Not built yet: UNIMPLEMENTED, after authentication.
  grpc::ServerUnaryReactor* CreateTransfer(grpc::CallbackServerContext* context,
                                           const v1::CreateTransferRequest*,
                                           v1::Transfer*) override;
  grpc::ServerUnaryReactor* GetTransfer(grpc::CallbackServerContext* context,
                                        const v1::GetTransferRequest*, v1::Transfer*) override;
  grpc::ServerUnaryReactor* ListTransfers(grpc::CallbackServerContext* context,
                                          const v1::ListTransfersRequest*,
                                          v1::ListTransfersResponse*) override;
  grpc::ServerUnaryReactor* DecideTransfer(grpc::CallbackServerContext* context,
                                           const v1::DecideTransferRequest*,
                                           v1::Transfer*) override;
  grpc::ServerUnaryReactor* RevokeTransfer(grpc::CallbackServerContext* context,
                                           const v1::RevokeTransferRequest*,
                                           v1::Transfer*) override;
  grpc::ServerReadReactor<v1::ImportAssetsRequest>* ImportAssets(
      grpc::CallbackServerContext* context, v1::ImportAssetsResponse* response) override;
  grpc::ServerWriteReactor<v1::ExportAssetsResponse>* ExportAssets(
      grpc::CallbackServerContext* context, const v1::ExportAssetsRequest* request) override;

 private:
  // Authenticates through the runner, then calls registry method `method`;
  // when it is done copies its result into `response` and finishes the call.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  absl::string_view method_name,
                                  void (AssetRegistry::*method)(const CallInfo&, const Request&,
                                                                AssetRegistry::Done<Response>),
                                  const Request* request, Response* response);

  // Authenticates, then answers UNIMPLEMENTED with `why`.
  grpc::ServerUnaryReactor* NotYet(grpc::CallbackServerContext* context,
                                   absl::string_view method_name, absl::string_view why);

  AssetRegistry& registry_;
  UnaryCallRunner& runner_;
};

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ASSET_GRPC_SERVICE_H_
