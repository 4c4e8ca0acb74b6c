#include "services/asset/role_holders.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/authz/role_service_flags.h"
#include "common/time/proto_time.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms::asset {
namespace {

constexpr int kPageSize = 1000;

}  // namespace

struct RoleServiceHolders::Stub {
  std::unique_ptr<role::v1::RoleService::Stub> stub;
};

RoleServiceHolders::RoleServiceHolders(std::unique_ptr<PeerChannel> role_service,
                                       const Clock& clock, absl::Duration timeout)
    : role_service_(std::move(role_service)),
      stub_(new Stub{role::v1::RoleService::NewStub(role_service_->channel())}),
      clock_(clock),
      timeout_(timeout) {}

RoleServiceHolders::~RoleServiceHolders() = default;

void RoleServiceHolders::Assignments(const std::string& role, const std::string& principal,
                                     absl::Time at, Answer<std::vector<HeldRole>> answer) {
  struct Call {
    grpc::ClientContext context;
    role::v1::ListAssignmentsRequest request;
    role::v1::ListAssignmentsResponse response;
    Answer<std::vector<HeldRole>> answer;
  };
  auto* call = new Call;
  call->request.set_role(role);
  call->request.set_principal(principal);
  call->request.set_page_size(kPageSize);
  *call->request.mutable_active_at() = ToProto(at);
  call->answer = std::move(answer);
  role_service_->Prepare(call->context, timeout_);
  stub_->stub->async()->ListAssignments(
      &call->context, &call->request, &call->response, [call](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        if (!status.ok()) {
          return owned->answer(absl::UnavailableError(absl::StrCat(
              "cannot read assignments from the role service: ", status.error_message())));
        }
        if (!owned->response.next_page_token().empty()) {
          // A principal or the SIRO role with a thousand appointments in
          // force is a fault; a partial answer could name the wrong holder.
          return owned->answer(
              absl::UnavailableError("the role service's answer has over 1,000 assignments"));
        }
        std::vector<HeldRole> held;
        for (const role::v1::Assignment& assignment : owned->response.assignments()) {
          held.push_back(HeldRole{assignment.principal(), assignment.role(), assignment.scope(),
                                  assignment.name()});
        }
        owned->answer(std::move(held));
      });
}

void RoleServiceHolders::AbsenceOf(const std::string& principal, absl::Time at,
                                   Answer<std::string> answer) {
  struct Call {
    grpc::ClientContext context;
    role::v1::ListAbsencesRequest request;
    role::v1::ListAbsencesResponse response;
    Answer<std::string> answer;
    absl::Time at;
  };
  auto* call = new Call;
  call->request.set_principal(principal);
  call->request.set_page_size(kPageSize);
  *call->request.mutable_active_at() = ToProto(at);
  call->answer = std::move(answer);
  call->at = at;
  role_service_->Prepare(call->context, timeout_);
  stub_->stub->async()->ListAbsences(
      &call->context, &call->request, &call->response, [call](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        if (!status.ok()) {
          return owned->answer(absl::UnavailableError(absl::StrCat(
              "cannot read absences from the role service: ", status.error_message())));
        }
        for (const role::v1::Absence& absence : owned->response.absences()) {
          if (absence.has_revoke_time()) continue;
          if (FromProto(absence.effective_from()) <= owned->at &&
              owned->at < FromProto(absence.effective_until())) {
            return owned->answer(absence.name());
          }
        }
        owned->answer(std::string());
      });
}

void RoleServiceHolders::RolesOf(absl::string_view principal,
                                 Answer<std::vector<HeldRole>> answer) {
  Assignments("", std::string(principal), clock_.Now(), std::move(answer));
}

void RoleServiceHolders::BreachRecipientNow(Answer<BreachRecipient> answer) {
  // Every question asks about the same instant.
  const absl::Time now = clock_.Now();
  auto to_deputy = [this, now, answer](std::string why) {
    Assignments(
        kDsiroRole, "", now,
        [this, now, why, answer](absl::StatusOr<std::vector<HeldRole>> deputies) {
          if (!deputies.ok()) return answer(deputies.status());
          BreachRecipient recipient;
          if (deputies->empty()) {
            recipient.reason =
                absl::StrCat(why, "; ", kDsiroRole, " is vacant too: nobody to escalate to");
            return answer(recipient);
          }
          const HeldRole deputy = deputies->front();
          recipient.principal = deputy.principal;
          recipient.role = kDsiroRole;
          recipient.source = deputy.assignment;
          recipient.reason = absl::StrCat(why, "; its deputy ", deputy.principal, " holds ",
                                          kDsiroRole, " via ", deputy.assignment);
          // The deputy takes it even when away too (someone must hold it), but
          // the escalation says so, for whoever watches the 72 hours.
          AbsenceOf(deputy.principal, now,
                    [recipient, deputy, answer](absl::StatusOr<std::string> absence) mutable {
                      if (!absence.ok()) return answer(absence.status());
                      if (!absence->empty()) {
                        absl::StrAppend(&recipient.reason, ", and is absent too (", *absence,
                                        "): nobody present holds the SIRO's duties");
                      }
                      answer(recipient);
                    });
        });
  };
  Assignments(kSiroRole, "", now,
              [this, now, answer, to_deputy](absl::StatusOr<std::vector<HeldRole>> siros) {
                if (!siros.ok()) return answer(siros.status());
                if (siros->empty()) return to_deputy(absl::StrCat(kSiroRole, " is vacant"));
                const HeldRole siro = siros->front();
                AbsenceOf(siro.principal, now,
                          [siro, answer, to_deputy](absl::StatusOr<std::string> absence) {
                            if (!absence.ok()) return answer(absence.status());
                            if (!absence->empty()) {
                              return to_deputy(absl::StrCat("the SIRO ", siro.principal,
                                                            " is absent (", *absence, ")"));
                            }
                            BreachRecipient recipient;
                            recipient.principal = siro.principal;
                            recipient.role = kSiroRole;
                            recipient.source = siro.assignment;
                            recipient.reason = absl::StrCat(siro.principal, " holds ", kSiroRole,
                                                            " via ", siro.assignment);
                            answer(recipient);
                          });
              });
}

absl::StatusOr<std::unique_ptr<RoleHolders>> RoleHoldersFromFlags(const Clock& clock) {
  PeerConfig role;
  role.address = absl::GetFlag(FLAGS_role_service_address);
  if (role.address.empty()) return std::make_unique<UnconfiguredRoleHolders>();
  role.token_file = absl::GetFlag(FLAGS_role_service_token_file);
  role.tls_ca_file = absl::GetFlag(FLAGS_role_service_tls_ca_file);
  role.tls_cert_file = absl::GetFlag(FLAGS_role_service_tls_cert_file);
  role.tls_key_file = absl::GetFlag(FLAGS_role_service_tls_key_file);
  absl::StatusOr<std::unique_ptr<PeerChannel>> channel = PeerChannel::Connect(role);
  if (!channel.ok()) return channel.status();
  return std::make_unique<RoleServiceHolders>(*std::move(channel), clock);
}

}  // namespace isms::asset
