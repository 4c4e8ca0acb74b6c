#include "services/asset/owner_directory.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/authz/role_service_flags.h"
#include "common/time/proto_time.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms::asset {
namespace {

// A role service that hands back page tokens forever is a fault, not a
// register: 10,000 pages of 1,000 is far beyond any organisation's IAOs.
constexpr int kMaxPages = 10000;
constexpr int kPageSize = 1000;

v1::AssetOwner OwnerFrom(const role::v1::Assignment& assignment) {
  v1::AssetOwner owner;
  owner.set_principal(assignment.principal());
  owner.set_via(v1::OWNER_VIA_APPOINTMENT);
  owner.set_source(assignment.name());
  owner.set_explanation(absl::StrCat(assignment.principal(), " via ", assignment.name(), " (",
                                     assignment.role(), " for ", assignment.scope(), ")"));
  return owner;
}

}  // namespace

struct RoleOwnerDirectory::Stub {
  std::unique_ptr<role::v1::RoleService::Stub> stub;
};

RoleOwnerDirectory::RoleOwnerDirectory(std::unique_ptr<PeerChannel> role_service,
                                       const Clock& clock, absl::Duration timeout)
    : role_service_(std::move(role_service)),
      stub_(new Stub{role::v1::RoleService::NewStub(role_service_->channel())}),
      clock_(clock),
      timeout_(timeout) {}

RoleOwnerDirectory::~RoleOwnerDirectory() = default;

void RoleOwnerDirectory::Fetch(const std::string& scope, Answer<OwnerMap> answer) {
  // Lives until the last page arrives; each page's call is made from the
  // previous one's callback, so no thread waits.
  struct Paging {
    RoleOwnerDirectory* self;
    role::v1::ListAssignmentsRequest request;
    OwnerMap owners;
    int pages = 0;
    Answer<OwnerMap> answer;
    std::unique_ptr<grpc::ClientContext> context;
    role::v1::ListAssignmentsResponse response;

    void Next(Paging* paging) {
      context = std::make_unique<grpc::ClientContext>();
      response.Clear();
      self->role_service_->Prepare(*context, self->timeout_);
      self->stub_->stub->async()->ListAssignments(
          context.get(), &request, &response, [paging](grpc::Status status) {
            std::unique_ptr<Paging> owned(paging);
            if (!status.ok()) {
              // Whatever went wrong, a partial list would show owned assets
              // as unowned: no answer rather than a wrong one.
              return owned->answer(absl::UnavailableError(
                  absl::StrCat("cannot read the owners of assets from the role service: ",
                               status.error_message())));
            }
            for (const role::v1::Assignment& assignment : owned->response.assignments()) {
              if (assignment.role() != kIaoRole) continue;
              // One holder per asset (roles/iao has max_holders 1); should
              // the role service ever list two, the first in its order wins,
              // the same one every time.
              owned->owners.emplace(assignment.scope(), OwnerFrom(assignment));
            }
            if (owned->response.next_page_token().empty()) {
              return owned->answer(std::move(owned->owners));
            }
            if (++owned->pages >= kMaxPages) {
              return owned->answer(absl::UnavailableError(
                  "the role service's list of IAO assignments does not end"));
            }
            owned->request.set_page_token(owned->response.next_page_token());
            Paging* next = owned.release();
            next->Next(next);
          });
    }
  };
  auto* paging = new Paging;
  paging->self = this;
  paging->request.set_role(kIaoRole);
  paging->request.set_scope(scope);
  paging->request.set_page_size(kPageSize);
  // Every page asks about the same instant, so the pages agree.
  *paging->request.mutable_active_at() = ToProto(clock_.Now());
  paging->answer = std::move(answer);
  paging->Next(paging);
}

void RoleOwnerDirectory::OwnerOf(absl::string_view asset,
                                 Answer<std::optional<v1::AssetOwner>> answer) {
  const std::string scope(asset);
  Fetch(scope, [scope, answer = std::move(answer)](absl::StatusOr<OwnerMap> owners) {
    if (!owners.ok()) return answer(owners.status());
    auto it = owners->find(scope);
    if (it == owners->end()) return answer(std::optional<v1::AssetOwner>());
    answer(std::optional<v1::AssetOwner>(std::move(it->second)));
  });
}

void RoleOwnerDirectory::AllOwners(Answer<OwnerMap> answer) { Fetch("", std::move(answer)); }

void RoleOwnerDirectory::StandingOf(absl::string_view principal, Answer<Standing> answer) {
  struct Call {
    grpc::ClientContext context;
    role::v1::GetPrincipalRequest request;
    role::v1::Principal response;
    Answer<Standing> answer;
  };
  auto* call = new Call;
  call->request.set_name(std::string(principal));
  call->answer = std::move(answer);
  role_service_->Prepare(call->context, timeout_);
  stub_->stub->async()->GetPrincipal(
      &call->context, &call->request, &call->response, [call](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
          return owned->answer(Standing::kUnknown);
        }
        if (!status.ok()) {
          return owned->answer(absl::UnavailableError(
              absl::StrCat("cannot read ", owned->request.name(),
                           " from the role service: ", status.error_message())));
        }
        owned->answer(owned->response.state() == role::v1::PRINCIPAL_STATE_LEFT
                          ? Standing::kLeft
                          : Standing::kActive);
      });
}

void RoleOwnerDirectory::LeftPrincipals(Answer<std::set<std::string>> answer) {
  // As Fetch: each page's call is made from the previous one's callback.
  struct Paging {
    RoleOwnerDirectory* self;
    role::v1::ListPrincipalsRequest request;
    std::set<std::string> left;
    int pages = 0;
    Answer<std::set<std::string>> answer;
    std::unique_ptr<grpc::ClientContext> context;
    role::v1::ListPrincipalsResponse response;

    void Next(Paging* paging) {
      context = std::make_unique<grpc::ClientContext>();
      response.Clear();
      self->role_service_->Prepare(*context, self->timeout_);
      self->stub_->stub->async()->ListPrincipals(
          context.get(), &request, &response, [paging](grpc::Status status) {
            std::unique_ptr<Paging> owned(paging);
            if (!status.ok()) {
              return owned->answer(absl::UnavailableError(absl::StrCat(
                  "cannot read who has left from the role service: ", status.error_message())));
            }
            for (const role::v1::Principal& principal : owned->response.principals()) {
              if (principal.state() == role::v1::PRINCIPAL_STATE_LEFT) {
                owned->left.insert(principal.name());
              }
            }
            if (owned->response.next_page_token().empty()) {
              return owned->answer(std::move(owned->left));
            }
            if (++owned->pages >= kMaxPages) {
              return owned->answer(
                  absl::UnavailableError("the role service's list of principals does not end"));
            }
            owned->request.set_page_token(owned->response.next_page_token());
            Paging* next = owned.release();
            next->Next(next);
          });
    }
  };
  auto* paging = new Paging;
  paging->self = this;
  paging->request.set_show_left(true);
  paging->request.set_page_size(kPageSize);
  paging->answer = std::move(answer);
  paging->Next(paging);
}

absl::StatusOr<std::unique_ptr<OwnerDirectory>> OwnerDirectoryFromFlags(const Clock& clock) {
  PeerConfig role;
  role.address = absl::GetFlag(FLAGS_role_service_address);
  if (role.address.empty()) return std::make_unique<UnconfiguredOwnerDirectory>();
  role.token_file = absl::GetFlag(FLAGS_role_service_token_file);
  role.tls_ca_file = absl::GetFlag(FLAGS_role_service_tls_ca_file);
  role.tls_cert_file = absl::GetFlag(FLAGS_role_service_tls_cert_file);
  role.tls_key_file = absl::GetFlag(FLAGS_role_service_tls_key_file);
  absl::StatusOr<std::unique_ptr<PeerChannel>> channel = PeerChannel::Connect(role);
  if (!channel.ok()) return channel.status();
  return std::make_unique<RoleOwnerDirectory>(*std::move(channel), clock);
}

}  // namespace isms::asset
