#include "common/authz/permission_client.h"

#include "absl/strings/str_cat.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms {

struct RolePermissionClient::Stub {
  std::unique_ptr<role::v1::RoleService::Stub> stub;
};

RolePermissionClient::RolePermissionClient(std::unique_ptr<PeerChannel> role_service,
                                           absl::Duration timeout)
    : role_service_(std::move(role_service)),
      stub_(new Stub{role::v1::RoleService::NewStub(role_service_->channel())}),
      timeout_(timeout) {}

RolePermissionClient::~RolePermissionClient() = default;

absl::Status RolePermissionClient::Require(absl::string_view principal,
                                           absl::string_view permission,
                                           absl::string_view resource) {
  role::v1::CheckPermissionRequest request;
  request.set_principal(std::string(principal));
  request.set_permission(std::string(permission));
  request.set_resource(std::string(resource));
  role::v1::CheckPermissionResponse response;
  grpc::ClientContext context;
  role_service_->Prepare(context, timeout_);
  grpc::Status status = stub_->stub->CheckPermission(&context, request, &response);
  if (!status.ok()) {
    // Whatever went wrong (unreachable, overloaded, this service not allowed
    // to ask), the caller cannot be let through.
    return absl::UnavailableError(absl::StrCat("cannot check ", permission,
                                               " with the role service: ", status.error_message()));
  }
  if (!response.allowed()) {
    return absl::PermissionDeniedError(absl::StrCat(
        principal, " lacks ", permission,
        response.explanation().empty() ? "" : absl::StrCat(": ", response.explanation())));
  }
  return absl::OkStatus();
}

}  // namespace isms
