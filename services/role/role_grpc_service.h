#ifndef ISMS_SERVICES_ROLE_ROLE_GRPC_SERVICE_H_
#define ISMS_SERVICES_ROLE_ROLE_GRPC_SERVICE_H_

#include <string>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "common/server/unary_call.h"
#include "isms/role/v1/role.grpc.pb.h"
#include "services/role/role_registry.h"

namespace isms::role {

// The gRPC face of the role service: every RPC authenticates, runs the
// matching RoleRegistry method, and is logged, through one UnaryCallRunner.
class RoleGrpcService final : public v1::RoleService::CallbackService {
 public:
  // Borrows both; they must outlive the service.
  RoleGrpcService(RoleRegistry& registry, UnaryCallRunner& runner)
      : registry_(registry), runner_(runner) {}
  RoleGrpcService(const RoleGrpcService&) = delete;

  // The full names of the RPCs that change state (rate-limited as writes).
  static absl::flat_hash_set<std::string> WriteMethods() {
    absl::flat_hash_set<std::string> writes;
    for (const char* name :
         {"CreateRole", "UpdateRole", "DeleteRole", "CreatePrincipal", "BatchCreatePrincipals",
          "UpdatePrincipal", "MarkPrincipalLeft", "CreateAssignment", "BatchCreateAssignments",
          "RevokeAssignment", "CorrectAssignment", "DecideWaiver", "CreateDelegation",
          "RevokeDelegation", "CreateAbsence", "RevokeAbsence"}) {
      writes.insert(std::string("/isms.role.v1.RoleService/") + name);
    }
    return writes;
  }
  RoleGrpcService& operator=(const RoleGrpcService&) = delete;

#define ISMS_ROLE_RPC(Name, Request, Response)                                                 \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* context, const Request* request, \
                                 Response* response) override {                                \
    return Serve(context, "/isms.role.v1.RoleService/" #Name, &RoleRegistry::Name, *request,   \
                 response);                                                                    \
  }
  ISMS_ROLE_RPC(GetRole, v1::GetRoleRequest, v1::Role)
  ISMS_ROLE_RPC(ListRoles, v1::ListRolesRequest, v1::ListRolesResponse)
  ISMS_ROLE_RPC(CreateRole, v1::CreateRoleRequest, v1::Role)
  ISMS_ROLE_RPC(UpdateRole, v1::UpdateRoleRequest, v1::Role)
  ISMS_ROLE_RPC(DeleteRole, v1::DeleteRoleRequest, google::protobuf::Empty)
  ISMS_ROLE_RPC(GetPrincipal, v1::GetPrincipalRequest, v1::Principal)
  ISMS_ROLE_RPC(ListPrincipals, v1::ListPrincipalsRequest, v1::ListPrincipalsResponse)
  ISMS_ROLE_RPC(CreatePrincipal, v1::CreatePrincipalRequest, v1::Principal)
  ISMS_ROLE_RPC(BatchCreatePrincipals, v1::BatchCreatePrincipalsRequest,
                v1::BatchCreatePrincipalsResponse)
  ISMS_ROLE_RPC(UpdatePrincipal, v1::UpdatePrincipalRequest, v1::Principal)
  ISMS_ROLE_RPC(MarkPrincipalLeft, v1::MarkPrincipalLeftRequest, v1::MarkPrincipalLeftResponse)
  ISMS_ROLE_RPC(GetAssignment, v1::GetAssignmentRequest, v1::Assignment)
  ISMS_ROLE_RPC(ListAssignments, v1::ListAssignmentsRequest, v1::ListAssignmentsResponse)
  ISMS_ROLE_RPC(CreateAssignment, v1::CreateAssignmentRequest, v1::Assignment)
  ISMS_ROLE_RPC(BatchCreateAssignments, v1::BatchCreateAssignmentsRequest,
                v1::BatchCreateAssignmentsResponse)
  ISMS_ROLE_RPC(RevokeAssignment, v1::RevokeAssignmentRequest, v1::Assignment)
  ISMS_ROLE_RPC(CorrectAssignment, v1::CorrectAssignmentRequest, v1::Assignment)
  ISMS_ROLE_RPC(DecideWaiver, v1::DecideWaiverRequest, v1::Assignment)
  ISMS_ROLE_RPC(CreateAbsence, v1::CreateAbsenceRequest, v1::Absence)
  ISMS_ROLE_RPC(ListAbsences, v1::ListAbsencesRequest, v1::ListAbsencesResponse)
  ISMS_ROLE_RPC(RevokeAbsence, v1::RevokeAbsenceRequest, v1::Absence)
  ISMS_ROLE_RPC(GetDelegation, v1::GetDelegationRequest, v1::Delegation)
  ISMS_ROLE_RPC(ListDelegations, v1::ListDelegationsRequest, v1::ListDelegationsResponse)
  ISMS_ROLE_RPC(CreateDelegation, v1::CreateDelegationRequest, v1::Delegation)
  ISMS_ROLE_RPC(RevokeDelegation, v1::RevokeDelegationRequest, v1::Delegation)
  ISMS_ROLE_RPC(CheckPermission, v1::CheckPermissionRequest, v1::CheckPermissionResponse)
  ISMS_ROLE_RPC(BatchCheckPermissions, v1::BatchCheckPermissionsRequest,
                v1::BatchCheckPermissionsResponse)
  ISMS_ROLE_RPC(GetCoverageReport, v1::GetCoverageReportRequest, v1::CoverageReport)
  ISMS_ROLE_RPC(GetAuditDelivery, v1::GetAuditDeliveryRequest, isms::audit::v1::DeliveryStatus)
#undef ISMS_ROLE_RPC

 private:
  // Calls registry method `method` and copies its result into `response`.
  template <typename Method, typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  absl::string_view method_name, Method method,
                                  const Request& request, Response* response) {
    auto handler = [this, method, &request, response](const CallInfo& call) -> absl::Status {
      auto result = (registry_.*method)(call, request);
      if constexpr (std::is_same_v<decltype(result), absl::Status>) {
        return result;
      } else {
        if (!result.ok()) return result.status();
        *response = *std::move(result);
        return absl::OkStatus();
      }
    };
    return runner_.Run(context, method_name, handler);
  }

  RoleRegistry& registry_;
  UnaryCallRunner& runner_;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_GRPC_SERVICE_H_
