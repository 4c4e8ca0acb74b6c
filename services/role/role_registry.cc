#include "services/role/role_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/api/etag.h"
#include "common/audit/field_changes.h"
#include "common/outbox/outbox_relay.h"
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

bool GrantsManagement(const Role& role) {
  for (const std::string& permission : role.permissions()) {
    if (IsManagePermission(permission)) return true;
  }
  return false;
}

TimePoint TimePointOf(bool has_at, const google::protobuf::Timestamp& at, bool has_recorded,
                      const google::protobuf::Timestamp& recorded, absl::Time now) {
  TimePoint when{has_at ? FromProto(at) : now};
  if (has_recorded) when.as_recorded_at = FromProto(recorded);
  return when;
}

}  // namespace

bool IsAuditedRefusal(absl::StatusCode code) {
  return code == absl::StatusCode::kPermissionDenied ||
         code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kAborted ||
         code == absl::StatusCode::kAlreadyExists;
}

absl::StatusOr<std::unique_ptr<RoleRegistry>> RoleRegistry::Open(RoleStore& store,
                                                                 const Clock& clock,
                                                                 Options options) {
  const bool break_glass = options.break_glass_bootstrap;
  std::unique_ptr<RoleRegistry> registry(new RoleRegistry(store, clock, std::move(options)));
  {
    absl::MutexLock lock(&registry->mu_);
    ISMS_RETURN_IF_ERROR(registry->ReloadModel());
  }
  // A register written before bootstrap was stored: if management roles are
  // filled, bootstrap is over; store that once.
  ISMS_RETURN_IF_ERROR(registry->Mutate(
      CallInfo{Caller{"services/role", "services/role", true}, "start", "Open"}, "settings",
      [&](const RoleModel& model, Mutation& m) {
        if (!model.BootstrapOpenAt(clock.Now()) || model.LastBootstrapEnd().has_value()) {
          return absl::OkStatus();
        }
        for (const auto& [name, assignment] : model.assignments()) {
          const Role* role = model.FindRole(assignment.role());
          if (role == nullptr || !GrantsManagement(*role) ||
              EndOf(assignment) <= FromProto(assignment.effective_from())) {
            continue;
          }
          std::string closed = registry->ClosedBootstrapWindows(model, *role);
          if (closed.empty()) continue;
          m.changes.settings[kBootstrapWindowsSetting] = closed;
          m.description = absl::StrCat("bootstrap ended: ", name, " fills a management role");
          return absl::OkStatus();
        }
        return absl::OkStatus();
      }));
  if (break_glass) ISMS_RETURN_IF_ERROR(registry->ReopenBootstrap());
  return registry;
}

absl::Status RoleRegistry::ReopenBootstrap() {
  const CallInfo operator_call{Caller{"services/role", "services/role", true}, "break-glass",
                               "BreakGlassBootstrap"};
  return Mutate(operator_call, "settings", [&](const RoleModel& model, Mutation& m) {
    if (checker_.bootstrap_principal().empty()) {
      return absl::FailedPreconditionError(
          "break-glass: no --bootstrap_principal is configured to reopen bootstrap for");
    }
    const absl::Time now = clock_.Now();
    if (model.BootstrapOpenAt(now)) return absl::OkStatus();
    std::vector<BootstrapWindow> windows = model.bootstrap_windows();
    windows.push_back({now, absl::InfiniteFuture()});
    m.changes.settings[kBootstrapWindowsSetting] = EncodeBootstrapWindows(windows);
    m.attributes["bootstrap_principal"] = checker_.bootstrap_principal();
    m.description =
        absl::StrCat("break-glass: the operator reopened bootstrap for ",
                     checker_.bootstrap_principal(), " until the next management appointment");
    return absl::OkStatus();
  });
}

std::string RoleRegistry::ClosedBootstrapWindows(const RoleModel& model, const Role& role) const {
  const absl::Time now = clock_.Now();
  if (!GrantsManagement(role) || !model.BootstrapOpenAt(now)) return "";
  std::vector<BootstrapWindow> windows = model.bootstrap_windows();
  for (BootstrapWindow& window : windows) {
    if (window.start <= now && now < window.end) window.end = now;
  }
  return EncodeBootstrapWindows(windows);
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
      m.changes.created.insert(role.name());
      m.changes.roles.push_back(std::move(role));
    }
    stored = static_cast<int>(roles.size());
    m.description = absl::StrCat("loaded the role catalogue: ", stored, " roles");
    return absl::OkStatus();
  }));
  return stored;
}

absl::Status RoleRegistry::CheckCaller(const RoleModel& model, const CallInfo& call) const {
  const Caller& caller = call.caller;
  if (caller.is_service && caller.acts_for_itself()) return absl::OkStatus();
  const std::string& principal = caller.principal;
  if (!checker_.bootstrap_principal().empty() && principal == checker_.bootstrap_principal()) {
    if (caller.is_service) {
      return absl::PermissionDeniedError(absl::StrCat(
          "caller rule: ", caller.actor, " may not act on behalf of the bootstrap principal"));
    }
    // The bootstrap credential is dead outside a bootstrap window: it reads
    // nothing either.
    if (!model.BootstrapOpenAt(clock_.Now())) {
      return absl::PermissionDeniedError(absl::StrCat(
          "caller rule: ", principal, " is the bootstrap principal and bootstrap has ended"));
    }
    return absl::OkStatus();
  }
  const Principal* record = model.FindPrincipal(principal);
  const std::string who =
      caller.is_service ? absl::StrCat(caller.actor, " on behalf of ", principal) : principal;
  if (record == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller rule: ", who, ": ", principal, " is not in the register"));
  }
  if (record->state() == v1::PRINCIPAL_STATE_LEFT) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller rule: ", who, ": ", principal, " has left"));
  }
  if (record->kind() == v1::PRINCIPAL_KIND_GROUP) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller rule: ", who, ": ", principal, " is a group, not a person"));
  }
  return absl::OkStatus();
}

void RoleRegistry::SetAuditRelay(OutboxRelay* relay) {
  absl::MutexLock lock(&relay_mu_);
  relay_ = relay;
}

void RoleRegistry::WakeRelay() const {
  absl::ReaderMutexLock lock(&relay_mu_);
  if (relay_ != nullptr) relay_->Wake();
}

absl::StatusOr<RoleRegistry::Decision> RoleRegistry::Decide(const CallInfo& call,
                                                            const std::string& resource,
                                                            const MutationBody& body,
                                                            PendingCommit& pending) {
  Decision decision;
  absl::MutexLock write(&write_mu_);
  Mutation mutation;
  mutation.resource = resource;
  {
    absl::MutexLock lock(&mu_);
    if (model_lost_) ISMS_RETURN_IF_ERROR(ReloadModel());
  }
  {
    absl::ReaderMutexLock read(&mu_);
    decision.decided = CheckCaller(model_, call);
    if (decision.decided.ok()) decision.decided = body(model_, mutation);
    decision.version = model_version_;
    decision.epoch = epoch_.load();
  }
  if (!decision.decided.ok()) {
    // Refusals beyond the caller's refusal budget are counted, not written.
    if (IsAuditedRefusal(decision.decided.code()) && call.ShouldAuditRefusal()) {
      pending.changes.record_time = clock_.Now();
      pending.changes.events.push_back(MakeEvent(call, mutation, decision.decided));
      decision.queued = true;
    }
  } else if (mutation.changes.ChangesResources()) {
    mutation.changes.record_time = clock_.Now();
    mutation.changes.events.push_back(MakeEvent(call, mutation, absl::OkStatus()));
    pending.changes = std::move(mutation.changes);
    absl::MutexLock apply(&mu_);
    model_.Apply(pending.changes);
    pending.model_version = ++model_version_;
    decision.queued = true;
  }
  if (decision.queued) Enqueue(&pending);
  return decision;
}

std::optional<absl::Status> RoleRegistry::Outcome(const Decision& decision,
                                                  const PendingCommit& pending) const {
  if (!decision.queued) {
    // Nothing written: answer once what it was decided against is durable.
    if (!AwaitDurable(decision.version, decision.epoch)) return std::nullopt;
    return decision.decided;
  }
  if (pending.redo) return std::nullopt;
  if (!pending.status.ok()) return pending.status;
  return decision.decided;
}

absl::Status RoleRegistry::Mutate(const CallInfo& call, const std::string& resource,
                                  const MutationBody& body) {
  // A body decided against changes that then failed to commit runs again;
  // storage failing again and again ends the loop through the failure.
  while (true) {
    PendingCommit pending;
    ISMS_ASSIGN_OR_RETURN(const Decision decision, Decide(call, resource, body, pending));
    if (decision.queued) AwaitCommit(&pending);
    std::optional<absl::Status> outcome = Outcome(decision, pending);
    if (outcome.has_value()) return *outcome;
  }
}

void RoleRegistry::MutateAll(const CallInfo& call, const std::vector<const PlannedWrite*>& writes,
                             std::vector<absl::Status>& statuses) {
  // Decided and committed a chunk at a time: a read waits for what it saw to
  // be durable, so deciding a whole batch before committing any of it would
  // hold every read behind the batch.
  constexpr size_t kChunk = 64;
  std::vector<PendingCommit> pending(writes.size());
  std::vector<std::optional<Decision>> decisions(writes.size());
  for (size_t begin = 0; begin < writes.size(); begin += kChunk) {
    const size_t end = std::min(writes.size(), begin + kChunk);
    for (size_t i = begin; i < end; ++i) {
      if (writes[i] == nullptr) continue;
      absl::StatusOr<Decision> decision =
          Decide(call, writes[i]->resource, writes[i]->body, pending[i]);
      if (decision.ok()) {
        decisions[i] = *decision;
      } else {
        statuses[i] = decision.status();
      }
    }
    // The first wait leads a commit of everything queued, ours included.
    for (size_t i = begin; i < end; ++i) {
      if (decisions[i].has_value() && decisions[i]->queued) AwaitCommit(&pending[i]);
    }
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!decisions[i].has_value()) continue;
    std::optional<absl::Status> outcome = Outcome(*decisions[i], pending[i]);
    statuses[i] =
        outcome.has_value() ? *outcome : Mutate(call, writes[i]->resource, writes[i]->body);
  }
}

void RoleRegistry::AuditRefusal(const CallInfo& call, absl::string_view resource,
                                const absl::Status& refusal,
                                const google::protobuf::Message* asked) const {
  Mutation mutation;
  mutation.resource = std::string(resource);
  if (asked != nullptr) {
    std::unique_ptr<google::protobuf::Message> nothing(asked->New());
    mutation.field_changes = DiffFields(*nothing, *asked);
  }
  PendingCommit pending;
  {
    absl::MutexLock write(&write_mu_);
    pending.changes.record_time = clock_.Now();
    pending.changes.events.push_back(MakeEvent(call, mutation, refusal));
    Enqueue(&pending);
  }
  // The refusal itself is the answer; a failed audit write is not the
  // caller's concern, but it must not pass silently (storage health records
  // it).
  AwaitCommit(&pending);
}

void RoleRegistry::RecordRefusal(const CallInfo& call, const absl::Status& refusal) {
  if (!call.ShouldAuditRefusal()) return;
  AuditRefusal(call, call.caller.actor, refusal);
}

absl::Status RoleRegistry::Require(const RoleModel& model, const CallInfo& call,
                                   absl::string_view permission, absl::string_view resource) const {
  const v1::CheckPermissionResponse check =
      checker_.Check(model, call.caller.principal, permission, resource, TimePoint{clock_.Now()});
  if (check.allowed()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(call.caller.principal, " lacks ", permission,
                                                  resource.empty() ? "" : " on ", resource, ": ",
                                                  check.explanation()));
}

absl::Status RoleRegistry::RequireRead(const RoleModel& model, const CallInfo& call,
                                       absl::string_view subject) const {
  if (!subject.empty() && subject == call.caller.principal) return absl::OkStatus();
  if (call.caller.is_service && call.caller.acts_for_itself()) {
    if (call.caller.Has(kCapabilityReadRegister)) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("need to know: ", call.caller.actor, " lacks the ", kCapabilityReadRegister,
                     " capability to read ", subject.empty() ? "the register" : subject));
  }
  absl::Status allowed = Require(model, call, kReadPrincipals, "");
  if (allowed.ok()) return allowed;
  return absl::PermissionDeniedError(
      absl::StrCat("need to know: reading ", subject.empty() ? "other people's records" : subject,
                   " needs ", kReadPrincipals, "; ", allowed.message()));
}

absl::Status RoleRegistry::RequireCheck(const RoleModel& model, const CallInfo& call,
                                        absl::string_view principal) const {
  if (principal == call.caller.principal) return absl::OkStatus();
  if (call.caller.is_service && call.caller.acts_for_itself()) {
    if (call.caller.Has(kCapabilityCheckPermissions)) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat("need to know: ", call.caller.actor,
                                                    " lacks the ", kCapabilityCheckPermissions,
                                                    " capability to check ", principal));
  }
  return RequireRead(model, call, principal);
}

AuditEvent RoleRegistry::MakeEvent(const CallInfo& call, const Mutation& mutation,
                                   const absl::Status& status) const {
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
  for (const auto& change : mutation.field_changes) *event.add_changes() = change;
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

std::string RoleRegistry::NewId() const {
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(id_gen_));
}

absl::StatusOr<v1::CheckPermissionResponse> RoleRegistry::CheckPermission(
    const CallInfo& call, const v1::CheckPermissionRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateCheckRequest(request, ""));
  const TimePoint when =
      TimePointOf(request.has_check_time(), request.check_time(), request.has_as_recorded_at(),
                  request.as_recorded_at(), clock_.Now());
  return Read<v1::CheckPermissionResponse>(
      call, request, request.principal(),
      [&](const RoleModel& model) { return RequireCheck(model, call, request.principal()); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::CheckPermissionResponse> {
        return checker_.Check(model, request.principal(), request.permission(), request.resource(),
                              when);
      });
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
  return Read<v1::BatchCheckPermissionsResponse>(
      call, request, "checks",
      [&](const RoleModel& model) -> absl::Status {
        for (const v1::CheckPermissionRequest& check : request.checks()) {
          ISMS_RETURN_IF_ERROR(RequireCheck(model, call, check.principal()));
        }
        return absl::OkStatus();
      },
      [&](const RoleModel& model) -> absl::StatusOr<v1::BatchCheckPermissionsResponse> {
        v1::BatchCheckPermissionsResponse response;
        for (const v1::CheckPermissionRequest& check : request.checks()) {
          *response.add_results() =
              checker_.Check(model, check.principal(), check.permission(), check.resource(),
                             TimePointOf(check.has_check_time(), check.check_time(),
                                         check.has_as_recorded_at(), check.as_recorded_at(), now));
        }
        return response;
      });
}

absl::StatusOr<v1::CoverageReport> RoleRegistry::GetCoverageReport(
    const CallInfo& call, const v1::GetCoverageReportRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime("at_time", request.has_at_time(), request.at_time()));
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime("as_recorded_at", request.has_as_recorded_at(),
                                            request.as_recorded_at()));
  if (request.ending_within_days() < 0 || request.ending_within_days() > kMaxCoverageDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("ending_within_days: want 0 to ", kMaxCoverageDays));
  }
  const int days =
      request.ending_within_days() == 0 ? kDefaultCoverageDays : request.ending_within_days();
  const TimePoint when =
      TimePointOf(request.has_at_time(), request.at_time(), request.has_as_recorded_at(),
                  request.as_recorded_at(), clock_.Now());
  return Read<v1::CoverageReport>(
      call, request, "coverage",
      [&](const RoleModel& model) { return RequireRead(model, call, ""); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::CoverageReport> {
        return BuildCoverageReport(model, when, absl::Hours(24) * days);
      });
}

absl::StatusOr<isms::audit::v1::DeliveryStatus> RoleRegistry::GetAuditDelivery(
    const CallInfo& call, const v1::GetAuditDeliveryRequest& request) const {
  // Authorizes only: the status comes from the relay and the store, outside
  // the model's lock.
  absl::StatusOr<bool> allowed = Read<bool>(
      call, request, "audit-delivery",
      [&](const RoleModel& model) -> absl::Status {
        if (call.caller.is_service && call.caller.acts_for_itself()) {
          if (call.caller.Has(kCapabilityReadRegister)) return absl::OkStatus();
          return absl::PermissionDeniedError(absl::StrCat(call.caller.actor, " lacks the ",
                                                          kCapabilityReadRegister,
                                                          " capability to read audit delivery"));
        }
        return Require(model, call, kReadAudit, "");
      },
      [](const RoleModel&) -> absl::StatusOr<bool> { return true; });
  if (!allowed.ok()) return allowed.status();
  absl::ReaderMutexLock lock(&relay_mu_);
  if (relay_ == nullptr) return UndeliveredStatus(store_);
  return relay_->Status();
}

}  // namespace isms::role
