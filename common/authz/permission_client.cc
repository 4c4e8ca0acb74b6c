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

void RolePermissionClient::Check(absl::string_view principal, absl::string_view permission,
                                 absl::string_view resource, Answer answer) {
  // Lives until the answer arrives.
  struct Call {
    grpc::ClientContext context;
    role::v1::CheckPermissionRequest request;
    role::v1::CheckPermissionResponse response;
    Answer answer;
  };
  auto* call = new Call;
  call->request.set_principal(std::string(principal));
  call->request.set_permission(std::string(permission));
  call->request.set_resource(std::string(resource));
  call->answer = std::move(answer);
  role_service_->Prepare(call->context, timeout_);
  stub_->stub->async()->CheckPermission(
      &call->context, &call->request, &call->response, [call](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        const auto& request = owned->request;
        if (!status.ok()) {
          // Whatever went wrong (unreachable, overloaded, this service not
          // allowed to ask), the caller cannot be let through.
          owned->answer(absl::UnavailableError(
              absl::StrCat("cannot check ", request.permission(),
                           " with the role service: ", status.error_message())));
        } else if (!owned->response.allowed()) {
          const std::string& explanation = owned->response.explanation();
          owned->answer(absl::PermissionDeniedError(
              absl::StrCat(request.principal(), " lacks ", request.permission(),
                           explanation.empty() ? "" : absl::StrCat(": ", explanation))));
        } else {
          owned->answer(Grant{owned->response.explanation()});
        }
      });
}

}  // namespace isms
