#include "services/asset/asset_grpc_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"

namespace isms::asset {
namespace {

#define ISMS_ASSET_METHOD(Name) "/isms.asset.v1.AssetService/" #Name

constexpr char kTransferStep[] =
    "transfers are not built yet; issue 10 adds them in its \"Transfers\" step";
constexpr char kBulkStep[] =
    "bulk import and export are not built yet; issue 10 adds them in its \"Bulk import and "
    "export\" step";

// A streaming call refused before its first message: authenticates, logs and
// finishes with the runner's refusal or `refusal`.
template <typename Base>
class RefusedStream final : public Base {
 public:
  RefusedStream(grpc::CallbackServerContext* context, UnaryCallRunner& runner,
                absl::string_view method, absl::string_view why) {
    const absl::Time start = absl::Now();
    CallInfo call;
    absl::Status status = runner.Start(*context, method, &call);
    if (status.ok()) status = absl::UnimplementedError(why);
    runner.End(*context, call, status, start);
    this->Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

}  // namespace

absl::flat_hash_set<std::string> AssetGrpcService::WriteMethods() {
  absl::flat_hash_set<std::string> writes;
  for (const char* name : {"CreateAsset", "UpdateAsset", "DeleteAsset", "CreateAccessRecord",
                           "RevokeAccessRecord", "CreateTransfer", "DecideTransfer",
                           "RevokeTransfer", "CreateAttestation", "ImportAssets"}) {
    writes.insert(std::string("/isms.asset.v1.AssetService/") + name);
  }
  return writes;
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* AssetGrpcService::Serve(
    grpc::CallbackServerContext* context, absl::string_view method_name,
    void (AssetRegistry::*method)(const CallInfo&, const Request&, AssetRegistry::Done<Response>),
    const Request* request, Response* response) {
  return runner_.RunAsync(context, method_name, response,
                          [this, method, request](const CallInfo& info, auto done) {
                            (registry_.*method)(info, *request, std::move(done));
                          });
}

grpc::ServerUnaryReactor* AssetGrpcService::NotYet(grpc::CallbackServerContext* context,
                                                   absl::string_view method_name,
                                                   absl::string_view why) {
  return runner_.Run(context, method_name,
                     [why](const CallInfo&) { return absl::UnimplementedError(why); });
}

grpc::ServerUnaryReactor* AssetGrpcService::GetAsset(grpc::CallbackServerContext* context,
                                                     const v1::GetAssetRequest* request,
                                                     v1::Asset* response) {
  return Serve(context, ISMS_ASSET_METHOD(GetAsset), &AssetRegistry::GetAsset, request, response);
}

grpc::ServerUnaryReactor* AssetGrpcService::ListAssets(grpc::CallbackServerContext* context,
                                                       const v1::ListAssetsRequest* request,
                                                       v1::ListAssetsResponse* response) {
  return Serve(context, ISMS_ASSET_METHOD(ListAssets), &AssetRegistry::ListAssets, request,
               response);
}

grpc::ServerUnaryReactor* AssetGrpcService::CreateAsset(grpc::CallbackServerContext* context,
                                                        const v1::CreateAssetRequest* request,
                                                        v1::Asset* response) {
  return Serve(context, ISMS_ASSET_METHOD(CreateAsset), &AssetRegistry::CreateAsset, request,
               response);
}

grpc::ServerUnaryReactor* AssetGrpcService::UpdateAsset(grpc::CallbackServerContext* context,
                                                        const v1::UpdateAssetRequest* request,
                                                        v1::Asset* response) {
  return Serve(context, ISMS_ASSET_METHOD(UpdateAsset), &AssetRegistry::UpdateAsset, request,
               response);
}

grpc::ServerUnaryReactor* AssetGrpcService::DeleteAsset(grpc::CallbackServerContext* context,
                                                        const v1::DeleteAssetRequest* request,
                                                        google::protobuf::Empty* response) {
  return Serve(context, ISMS_ASSET_METHOD(DeleteAsset), &AssetRegistry::DeleteAsset, request,
               response);
}

grpc::ServerUnaryReactor* AssetGrpcService::GetAuditDelivery(
    grpc::CallbackServerContext* context, const v1::GetAuditDeliveryRequest* request,
    isms::audit::v1::DeliveryStatus* response) {
  return Serve(context, ISMS_ASSET_METHOD(GetAuditDelivery), &AssetRegistry::GetAuditDelivery,
               request, response);
}

grpc::ServerUnaryReactor* AssetGrpcService::CreateAccessRecord(
    grpc::CallbackServerContext* context, const v1::CreateAccessRecordRequest* request,
    v1::AccessRecord* response) {
  return Serve(context, ISMS_ASSET_METHOD(CreateAccessRecord), &AssetRegistry::CreateAccessRecord,
               request, response);
}

grpc::ServerUnaryReactor* AssetGrpcService::GetAccessRecord(
    grpc::CallbackServerContext* context, const v1::GetAccessRecordRequest* request,
    v1::AccessRecord* response) {
  return Serve(context, ISMS_ASSET_METHOD(GetAccessRecord), &AssetRegistry::GetAccessRecord,
               request, response);
}

grpc::ServerUnaryReactor* AssetGrpcService::ListAccessRecords(
    grpc::CallbackServerContext* context, const v1::ListAccessRecordsRequest* request,
    v1::ListAccessRecordsResponse* response) {
  return Serve(context, ISMS_ASSET_METHOD(ListAccessRecords), &AssetRegistry::ListAccessRecords,
               request, response);
}

grpc::ServerUnaryReactor* AssetGrpcService::RevokeAccessRecord(
    grpc::CallbackServerContext* context, const v1::RevokeAccessRecordRequest* request,
    v1::AccessRecord* response) {
  return Serve(context, ISMS_ASSET_METHOD(RevokeAccessRecord), &AssetRegistry::RevokeAccessRecord,
               request, response);
}

grpc::ServerUnaryReactor* AssetGrpcService::CreateTransfer(grpc::CallbackServerContext* context,
                                                           const v1::CreateTransferRequest*,
                                                           v1::Transfer*) {
  return NotYet(context, ISMS_ASSET_METHOD(CreateTransfer), kTransferStep);
}

grpc::ServerUnaryReactor* AssetGrpcService::GetTransfer(grpc::CallbackServerContext* context,
                                                        const v1::GetTransferRequest*,
                                                        v1::Transfer*) {
  return NotYet(context, ISMS_ASSET_METHOD(GetTransfer), kTransferStep);
}

grpc::ServerUnaryReactor* AssetGrpcService::ListTransfers(grpc::CallbackServerContext* context,
                                                          const v1::ListTransfersRequest*,
                                                          v1::ListTransfersResponse*) {
  return NotYet(context, ISMS_ASSET_METHOD(ListTransfers), kTransferStep);
}

grpc::ServerUnaryReactor* AssetGrpcService::DecideTransfer(grpc::CallbackServerContext* context,
                                                           const v1::DecideTransferRequest*,
                                                           v1::Transfer*) {
  return NotYet(context, ISMS_ASSET_METHOD(DecideTransfer), kTransferStep);
}

grpc::ServerUnaryReactor* AssetGrpcService::RevokeTransfer(grpc::CallbackServerContext* context,
                                                           const v1::RevokeTransferRequest*,
                                                           v1::Transfer*) {
  return NotYet(context, ISMS_ASSET_METHOD(RevokeTransfer), kTransferStep);
}

grpc::ServerUnaryReactor* AssetGrpcService::CreateAttestation(
    grpc::CallbackServerContext* context, const v1::CreateAttestationRequest* request,
    v1::Attestation* response) {
  return Serve(context, ISMS_ASSET_METHOD(CreateAttestation), &AssetRegistry::CreateAttestation,
               request, response);
}

grpc::ServerUnaryReactor* AssetGrpcService::ListAttestations(
    grpc::CallbackServerContext* context, const v1::ListAttestationsRequest* request,
    v1::ListAttestationsResponse* response) {
  return Serve(context, ISMS_ASSET_METHOD(ListAttestations), &AssetRegistry::ListAttestations,
               request, response);
}

grpc::ServerReadReactor<v1::ImportAssetsRequest>* AssetGrpcService::ImportAssets(
    grpc::CallbackServerContext* context, v1::ImportAssetsResponse*) {
  return new RefusedStream<grpc::ServerReadReactor<v1::ImportAssetsRequest>>(
      context, runner_, ISMS_ASSET_METHOD(ImportAssets), kBulkStep);
}

grpc::ServerWriteReactor<v1::ExportAssetsResponse>* AssetGrpcService::ExportAssets(
    grpc::CallbackServerContext* context, const v1::ExportAssetsRequest*) {
  return new RefusedStream<grpc::ServerWriteReactor<v1::ExportAssetsResponse>>(
      context, runner_, ISMS_ASSET_METHOD(ExportAssets), kBulkStep);
}

grpc::ServerUnaryReactor* AssetGrpcService::GetAssetCoverage(
    grpc::CallbackServerContext* context, const v1::GetAssetCoverageRequest* request,
    v1::AssetCoverage* response) {
  return Serve(context, ISMS_ASSET_METHOD(GetAssetCoverage), &AssetRegistry::GetAssetCoverage,
               request, response);
}

}  // namespace isms::asset
