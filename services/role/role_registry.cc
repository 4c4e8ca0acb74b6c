#include "services/role/role_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/api/etag.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/role/coverage.h"
#include "services/role/role_validation.h"

namespace isms::role {
namespace {

using isms::audit::v1::AuditEvent;

constexpr char kServiceName[] = "isms.role.v1.RoleService";
constexpr int kMaxBatchChecks = 100;
constexpr int kDefaultCoverageDays = 30;
constexpr int kMaxCoverageDays = 3650;

bool IsRefusal(absl::StatusCode code) {
  return code == absl::StatusCode::kPermissionDenied ||
         code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kAborted ||
         code == absl::StatusCode::kAlreadyExists;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RoleRegistry>> RoleRegistry::Open(RoleStore& store,
                                                                 const Clock& clock,
                                                                 Options options) {
  ISMS_ASSIGN_OR_RETURN(ChangeSet everything, store.LoadAll());
  std::unique_ptr<RoleRegistry> registry(new RoleRegistry(store, clock, std::move(options)));
  absl::MutexLock lock(&registry->mu_);
  registry->model_.Apply(everything);
  return registry;
}

absl::StatusOr<int> RoleRegistry::SeedCatalogue(const std::vector<v1::Role>& roles) {
  const CallInfo system_call{Caller{"services/role", "services/role", true}, "seed",
                             "SeedCatalogue"};
  int stored = 0;
  ISMS_RETURN_IF_ERROR(Mutate(system_call, "roles", [&](const RoleModel& model, Mutation& m) {
    if (!model.roles().empty()) return absl::OkStatus();
    const auto now = ToProto(clock_.Now());
    for (v1::Role role : roles) {
      *role.mutable_create_time() = now;
      *role.mutable_update_time() = now;
      SetEtag(role);
      m.changes.roles.push_back(std::move(role));
    }
    stored = static_cast<int>(roles.size());
    m.description = absl::StrCat("loaded the role catalogue: ", stored, " roles");
    return absl::OkStatus();
  }));
  return stored;
}

absl::Status RoleRegistry::Mutate(const CallInfo& call, std::string resource,
                                  const MutationBody& body) {
  absl::MutexLock write(&write_mu_);
  Mutation mutation;
  mutation.resource = std::move(resource);
  absl::Status decided;
  {
    absl::ReaderMutexLock read(&mu_);
    decided = body(model_, mutation);
  }
  if (!decided.ok()) {
    if (IsRefusal(decided.code()) && call.ShouldAuditRefusal()) {
      ChangeSet refusal;
      refusal.events.push_back(MakeEvent(call, mutation, decided));
      ISMS_RETURN_IF_ERROR(store_.Commit(refusal));
    }
    return decided;
  }
  if (mutation.changes.roles.empty() && mutation.changes.deleted_roles.empty() &&
      mutation.changes.principals.empty() && mutation.changes.assignments.empty() &&
      mutation.changes.delegations.empty()) {
    return absl::OkStatus();  // Nothing changed, nothing to record.
  }
  mutation.changes.events.push_back(MakeEvent(call, mutation, absl::OkStatus()));
  ISMS_RETURN_IF_ERROR(store_.Commit(mutation.changes));
  absl::MutexLock apply(&mu_);
  model_.Apply(mutation.changes);
  return absl::OkStatus();
}

absl::Status RoleRegistry::Require(const RoleModel& model, const CallInfo& call,
                                   absl::string_view permission, absl::string_view resource) const {
  if (checker_.Check(model, call.caller.principal, permission, resource, clock_.Now()).allowed()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(call.caller.principal, " lacks ", permission,
                                                  resource.empty() ? "" : " on ", resource));
}

AuditEvent RoleRegistry::MakeEvent(const CallInfo& call, const Mutation& mutation,
                                   const absl::Status& status) {
  AuditEvent event;
  event.set_event_id(absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(id_gen_),
                                     absl::Uniform<uint64_t>(id_gen_)));
  *event.mutable_occur_time() = ToProto(clock_.Now());
  event.set_service(kServiceName);
  event.set_method(std::string(call.method));
  event.set_actor(call.caller.actor);
  event.set_principal(call.caller.principal);
  event.set_request_id(call.request_id);
  event.set_resource(mutation.resource);
  for (const auto& [key, value] : mutation.attributes) (*event.mutable_attributes())[key] = value;
  if (status.ok()) {
    event.set_outcome(isms::audit::v1::OUTCOME_SUCCEEDED);
    event.set_description(mutation.description);
  } else {
    event.set_outcome(status.code() == absl::StatusCode::kPermissionDenied
                          ? isms::audit::v1::OUTCOME_DENIED
                          : isms::audit::v1::OUTCOME_REFUSED);
    event.set_status_code(StatusCodeName(status.code()));
    event.set_description(std::string(status.message()));
  }
  return event;
}

std::string RoleRegistry::NewId() {
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(id_gen_));
}

absl::StatusOr<v1::CheckPermissionResponse> RoleRegistry::CheckPermission(
    const CallInfo& call, const v1::CheckPermissionRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateCheckRequest(request, ""));
  const absl::Time at = request.has_check_time() ? FromProto(request.check_time()) : clock_.Now();
  absl::ReaderMutexLock read(&mu_);
  return checker_.Check(model_, request.principal(), request.permission(), request.resource(), at);
}

absl::StatusOr<v1::BatchCheckPermissionsResponse> RoleRegistry::BatchCheckPermissions(
    const CallInfo& call, const v1::BatchCheckPermissionsRequest& request) const {
  if (request.checks_size() == 0 || request.checks_size() > kMaxBatchChecks) {
    return absl::InvalidArgumentError(
        absl::StrCat("checks: want 1 to ", kMaxBatchChecks, " checks"));
  }
  for (int i = 0; i < request.checks_size(); ++i) {
    ISMS_RETURN_IF_ERROR(ValidateCheckRequest(request.checks(i), absl::StrCat("checks[", i, "]")));
  }
  const absl::Time now = clock_.Now();
  v1::BatchCheckPermissionsResponse response;
  absl::ReaderMutexLock read(&mu_);
  for (const v1::CheckPermissionRequest& check : request.checks()) {
    *response.add_results() =
        checker_.Check(model_, check.principal(), check.permission(), check.resource(),
                       check.has_check_time() ? FromProto(check.check_time()) : now);
  }
  return response;
}

absl::StatusOr<v1::CoverageReport> RoleRegistry::GetCoverageReport(
    const CallInfo& call, const v1::GetCoverageReportRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime("at_time", request.has_at_time(), request.at_time()));
  if (request.ending_within_days() < 0 || request.ending_within_days() > kMaxCoverageDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("ending_within_days: want 0 to ", kMaxCoverageDays));
  }
  const int days =
      request.ending_within_days() == 0 ? kDefaultCoverageDays : request.ending_within_days();
  const absl::Time at = request.has_at_time() ? FromProto(request.at_time()) : clock_.Now();
  absl::ReaderMutexLock read(&mu_);
  return BuildCoverageReport(model_, at, absl::Hours(24) * days);
}

}  // namespace isms::role
