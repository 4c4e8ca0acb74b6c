// RoleRegistry: assignments (appointments to roles), their corrections and
// their segregation-of-duties waivers.

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/etag.h"
#include "common/api/paginate.h"
#include "common/audit/field_changes.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/role/appointment_rules.h"
#include "services/role/role_registry.h"
#include "services/role/role_validation.h"
#include "services/role/segregation.h"

namespace isms::role {
namespace {

absl::Status NotFound(absl::string_view field, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(field, field.empty() ? "" : ": ", name, " not found"));
}

// PermissionDenied when the caller deputises for the role of `assignment`:
// a deputy acts for the holder, never against the holder's appointment.
absl::Status RefuseDeputyAgainstHolder(const RoleModel& model, const CallInfo& call,
                                       const Assignment& assignment, absl::Time now) {
  for (const HeldRole& held :
       HeldRolesInPeriod(model, call.caller.principal, now, absl::InfiniteFuture())) {
    if (held.role == assignment.role() && IsHeldAsDeputy(held)) {
      return absl::PermissionDeniedError(
          absl::StrCat("deputy rule: ", call.caller.principal, " deputises for ", assignment.role(),
                       " through ", held.via, " and may not revoke or change ", assignment.name(),
                       " of ", assignment.principal()));
    }
  }
  return absl::OkStatus();
}

// Ends the delegations of `assignment` that run past `end`; names each in
// `ended`.
void EndDelegationsAfter(const RoleModel& model, const Assignment& assignment, absl::Time end,
                         absl::Time now, const std::string& by, ChangeSet& changes,
                         std::vector<std::string>& ended) {
  for (const Delegation* delegation : model.DelegationsOf(assignment.name())) {
    if (EndOf(*delegation) <= end) continue;
    Delegation revoked = Revoked(*delegation, std::max(end, absl::UnixEpoch()), by);
    if (FromProto(revoked.revoke_time()) < FromProto(revoked.effective_from())) {
      *revoked.mutable_revoke_time() = revoked.effective_from();
    }
    *revoked.mutable_record_time() = ToProto(now);
    SetEtag(revoked);
    changes.delegations.push_back(revoked);
    ended.push_back(revoked.name());
  }
}

}  // namespace

absl::StatusOr<v1::Assignment> RoleRegistry::GetAssignment(
    const CallInfo& call, const v1::GetAssignmentRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "assignments"));
  return Read<v1::Assignment>(
      call, request, request.name(),
      [&](const RoleModel& model) {
        const Assignment* assignment = model.FindAssignment(request.name());
        return RequireRead(model, call, assignment == nullptr ? "" : assignment->principal());
      },
      [&](const RoleModel& model) -> absl::StatusOr<v1::Assignment> {
        const Assignment* assignment = model.FindAssignment(request.name());
        if (assignment == nullptr) return NotFound("", request.name());
        return *assignment;
      });
}

absl::StatusOr<v1::ListAssignmentsResponse> RoleRegistry::ListAssignments(
    const CallInfo& call, const v1::ListAssignmentsRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateListAssignmentsRequest(request));
  const TimePoint when{
      request.has_active_at() ? FromProto(request.active_at()) : absl::InfinitePast(),
      request.has_as_recorded_at() ? FromProto(request.as_recorded_at()) : absl::InfiniteFuture()};
  const bool filter_active = request.has_active_at();
  const std::string fingerprint =
      absl::StrCat("assignments|", request.role(), "|", request.principal(), "|", request.scope(),
                   "|", filter_active ? absl::FormatTime(when.at) : "", "|",
                   request.has_as_recorded_at() ? absl::FormatTime(when.as_recorded_at) : "");
  return Read<v1::ListAssignmentsResponse>(
      call, request, request.principal().empty() ? "assignments" : request.principal(),
      [&](const RoleModel& model) { return RequireRead(model, call, request.principal()); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::ListAssignmentsResponse> {
        auto version = [&](const Assignment& a) { return model.AssignmentAt(a, when); };
        auto keep = [&](const Assignment& current) {
          const Assignment* a = version(current);
          return a != nullptr && (request.role().empty() || a->role() == request.role()) &&
                 (request.principal().empty() || a->principal() == request.principal()) &&
                 (request.scope().empty() || a->scope() == request.scope()) &&
                 (!filter_active || IsActiveAt(*a, when.at));
        };
        v1::ListAssignmentsResponse response;
        // A filter narrows the walk to the most selective index's entries.
        const NameIndex<Assignment>* index = nullptr;
        if (!request.principal().empty()) {
          index = &model.AssignmentsOfPrincipal(request.principal());
        } else if (!request.role().empty() && !request.scope().empty()) {
          index = &model.AssignmentsOfRoleInScope(request.role(), request.scope());
        } else if (!request.scope().empty()) {
          index = &model.AssignmentsInScope(request.scope());
        } else if (!request.role().empty()) {
          index = &model.AssignmentsOfRole(request.role());
        }
        if (index != nullptr) {
          ISMS_RETURN_IF_ERROR(PaginateIndex(*index, request.page_size(), request.page_token(),
                                             fingerprint, keep, response.mutable_assignments(),
                                             response.mutable_next_page_token()));
        } else {
          ISMS_RETURN_IF_ERROR(
              Paginate(model.assignments(), request.page_size(), request.page_token(), fingerprint,
                       keep, response.mutable_assignments(), response.mutable_next_page_token()));
        }
        // Show each as it was recorded at the time asked about.
        if (!when.current_record()) {
          for (Assignment& listed : *response.mutable_assignments()) {
            const Assignment* current = model.FindAssignment(listed.name());
            if (current != nullptr) listed = *version(*current);
          }
        }
        return response;
      });
}

absl::StatusOr<RoleRegistry::PlannedWrite> RoleRegistry::PlanCreateAssignment(
    const CallInfo& call, const v1::CreateAssignmentRequest& request, v1::Assignment* created) {
  ISMS_RETURN_IF_ERROR(ValidateNewAssignment(request.assignment()));
  PlannedWrite plan;
  plan.resource = request.assignment().role();
  // Mutation bodies run under write_mu_ (Mutate holds it); the annotation
  // lets the thread-safety analysis see that.
  plan.body = [this, &call, &request, created](
                  const RoleModel& model, Mutation& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    v1::Assignment& assignment = *created;
    assignment.Clear();  // The body may run again (Mutate).
    const v1::Assignment& wanted = request.assignment();
    // A refusal names the appointment asked for.
    m.attributes["principal"] = wanted.principal();
    if (!wanted.scope().empty()) m.attributes["scope"] = wanted.scope();
    m.field_changes = DiffFields(v1::Assignment(), wanted);
    ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments, wanted.scope()));
    const Principal* principal = model.FindPrincipal(wanted.principal());
    if (wanted.principal() == call.caller.principal ||
        (principal != nullptr && std::find(principal->members().begin(), principal->members().end(),
                                           call.caller.principal) != principal->members().end())) {
      return absl::PermissionDeniedError(absl::StrCat(
          "self-appointment rule: ", call.caller.principal, " may not appoint ",
          wanted.principal() == call.caller.principal ? "themselves" : "a group they belong to"));
    }
    const Role* role = model.FindRole(wanted.role());
    if (role == nullptr) return NotFound("assignment.role", wanted.role());
    if (principal == nullptr) return NotFound("assignment.principal", wanted.principal());
    const absl::Time now = clock_.Now();
    ISMS_RETURN_IF_ERROR(RefuseDeputyOfRole(model, call.caller.principal, role->name(), now));
    const auto now_proto = ToProto(now);
    assignment.set_name(absl::StrCat("assignments/", NewId()));
    assignment.set_role(wanted.role());
    assignment.set_principal(wanted.principal());
    assignment.set_scope(wanted.scope());
    *assignment.mutable_effective_from() =
        wanted.has_effective_from() ? wanted.effective_from() : now_proto;
    if (wanted.has_effective_until()) {
      *assignment.mutable_effective_until() = wanted.effective_until();
      if (FromProto(assignment.effective_until()) <= FromProto(assignment.effective_from())) {
        return absl::InvalidArgumentError(
            "assignment.effective_until: must be after effective_from");
      }
    }
    // Backdating changes what the register says about the past: it needs
    // a reason and stays visible as recorded late.
    if (FromProto(assignment.effective_from()) < now - options_.backdate_tolerance) {
      if (wanted.late_justification().empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("backdating rule: assignment.effective_from lies more than ",
                         absl::FormatDuration(options_.backdate_tolerance),
                         " in the past; set late_justification to record it late"));
      }
      assignment.set_late_justification(wanted.late_justification());
      assignment.set_recorded_late(true);
    }
    assignment.set_waiver_justification(wanted.waiver_justification());
    assignment.set_appointed_by(call.caller.principal);
    *assignment.mutable_create_time() = now_proto;
    *assignment.mutable_record_time() = now_proto;
    bool waiver_needed = false;
    ISMS_RETURN_IF_ERROR(
        CheckAppointmentRules(model, *role, *principal, assignment, &waiver_needed));
    if (waiver_needed) assignment.set_waiver_state(v1::WAIVER_STATE_PENDING);
    m.resource = assignment.name();
    SetEtag(assignment);
    m.changes.created.insert(assignment.name());
    m.changes.assignments.push_back(assignment);
    m.field_changes = DiffFields(v1::Assignment(), assignment);
    if (!waiver_needed) {
      const std::string closed = ClosedBootstrapWindows(model, *role);
      if (!closed.empty()) {
        m.changes.settings[kBootstrapWindowsSetting] = closed;
        m.attributes["bootstrap"] = "ended";
      }
    }
    m.description =
        absl::StrCat("appointed ", assignment.principal(), " to ", assignment.role(),
                     assignment.scope().empty() ? "" : " for ", assignment.scope(),
                     waiver_needed ? " (not in force until its waiver is approved)" : "",
                     assignment.recorded_late() ? " (recorded late)" : "");
    if (!assignment.waiver_justification().empty()) {
      m.attributes["waiver_justification"] = assignment.waiver_justification();
    }
    return absl::OkStatus();
  };
  return plan;
}

absl::StatusOr<v1::Assignment> RoleRegistry::CreateAssignment(
    const CallInfo& call, const v1::CreateAssignmentRequest& request) {
  v1::Assignment created;
  ISMS_ASSIGN_OR_RETURN(const PlannedWrite plan, PlanCreateAssignment(call, request, &created));
  ISMS_RETURN_IF_ERROR(Mutate(call, plan.resource, plan.body));
  return created;
}

absl::StatusOr<v1::BatchCreateAssignmentsResponse> RoleRegistry::BatchCreateAssignments(
    const CallInfo& call, const v1::BatchCreateAssignmentsRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateBatchSize("requests", request.requests_size()));
  // A caller refused outright (a leaver, a stranger), or who may appoint in
  // none of the batch's scopes, is refused once; otherwise each
  // appointment's permission is decided for its own scope.
  ISMS_RETURN_IF_ERROR(Read<bool>(
                           call, request, "assignments",
                           [&](const RoleModel& model) -> absl::Status {
                             absl::Status first_refusal;
                             absl::flat_hash_set<absl::string_view> scopes;
                             for (const v1::CreateAssignmentRequest& item : request.requests()) {
                               if (!scopes.insert(item.assignment().scope()).second) continue;
                               absl::Status allowed = Require(model, call, kManageAssignments,
                                                              item.assignment().scope());
                               if (allowed.ok()) return allowed;
                               if (first_refusal.ok()) first_refusal = allowed;
                             }
                             return first_refusal;
                           },
                           [](const RoleModel&) -> absl::StatusOr<bool> { return true; })
                           .status());
  std::vector<absl::Status> statuses;
  std::vector<v1::Assignment> created;
  RunBatch(call, request.requests(), &RoleRegistry::PlanCreateAssignment, statuses, created);
  v1::BatchCreateAssignmentsResponse response;
  for (size_t i = 0; i < statuses.size(); ++i) {
    auto* result = response.add_results();
    SetItemStatus(statuses[i], static_cast<int>(i), *result->mutable_status());
    if (statuses[i].ok()) *result->mutable_assignment() = std::move(created[i]);
  }
  return response;
}

absl::StatusOr<v1::Assignment> RoleRegistry::RevokeAssignment(
    const CallInfo& call, const v1::RevokeAssignmentRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "assignments"));
  ISMS_RETURN_IF_ERROR(ValidateText("reason", request.reason(), kMaxLongTextLength, false));
  v1::Assignment revoked;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    const Assignment* current = model.FindAssignment(request.name());
    if (current != nullptr) {
      m.attributes["principal"] = current->principal();
      m.attributes["role"] = current->role();
    }
    ISMS_RETURN_IF_ERROR(
        Require(model, call, kManageAssignments, current == nullptr ? "" : current->scope()));
    if (current == nullptr) return NotFound("", request.name());
    const absl::Time now = clock_.Now();
    ISMS_RETURN_IF_ERROR(RefuseDeputyAgainstHolder(model, call, *current, now));
    ISMS_RETURN_IF_ERROR(CheckEtag(current->name(), request.etag(), current->etag()));
    if (EndOf(*current) <= now) {
      return absl::FailedPreconditionError(absl::StrCat(current->name(), " has already ended"));
    }
    revoked = Revoked(*current, now, call.caller.principal, request.reason());
    *revoked.mutable_record_time() = ToProto(now);
    SetEtag(revoked);
    m.changes.assignments.push_back(revoked);
    m.field_changes = DiffFields(*current, revoked);
    // Delegations hang off the assignment: end them with it, each named.
    std::vector<std::string> ended;
    EndDelegationsAfter(model, revoked, now, now, call.caller.principal, m.changes, ended);
    if (!ended.empty()) m.attributes["ended_delegations"] = absl::StrJoin(ended, ",");
    m.description = absl::StrCat("revoked ", revoked.name(), " (", revoked.principal(), " as ",
                                 revoked.role(), ")");
    if (!request.reason().empty()) m.attributes["reason"] = request.reason();
    return absl::OkStatus();
  }));
  return revoked;
}

absl::StatusOr<v1::Assignment> RoleRegistry::CorrectAssignment(
    const CallInfo& call, const v1::CorrectAssignmentRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "assignments"));
  ISMS_RETURN_IF_ERROR(ValidateText("reason", request.reason(), kMaxLongTextLength, true));
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime("effective_until", request.has_effective_until(),
                                            request.effective_until()));
  if (request.has_effective_until() == request.void_()) {
    return absl::InvalidArgumentError(
        "effective_until: set exactly one of effective_until and void");
  }
  v1::Assignment corrected;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    const Assignment* current = model.FindAssignment(request.name());
    m.attributes["reason"] = request.reason();
    ISMS_RETURN_IF_ERROR(
        Require(model, call, kManageAssignments, current == nullptr ? "" : current->scope()));
    if (current == nullptr) return NotFound("", request.name());
    const absl::Time now = clock_.Now();
    ISMS_RETURN_IF_ERROR(RefuseDeputyAgainstHolder(model, call, *current, now));
    ISMS_RETURN_IF_ERROR(CheckEtag(current->name(), request.etag(), current->etag()));
    if (current->has_void_time()) {
      return absl::FailedPreconditionError(absl::StrCat(current->name(), " is already void"));
    }
    corrected = *current;
    absl::Time end;
    if (request.void_()) {
      *corrected.mutable_void_time() = ToProto(now);
      end = absl::InfinitePast();
    } else {
      end = FromProto(request.effective_until());
      if (end <= FromProto(current->effective_from()) || end >= EndOf(*current)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "correction rule: effective_until must lie after effective_from and before the "
            "recorded end; a correction ends an assignment earlier, never later (use void to "
            "record that it never was in force)"));
      }
      *corrected.mutable_effective_until() = request.effective_until();
    }
    corrected.set_corrected_by(call.caller.principal);
    corrected.set_correction_reason(request.reason());
    *corrected.mutable_record_time() = ToProto(now);
    SetEtag(corrected);
    m.changes.assignments.push_back(corrected);
    m.field_changes = DiffFields(*current, corrected);
    std::vector<std::string> ended;
    EndDelegationsAfter(model, corrected, end, now, call.caller.principal, m.changes, ended);
    if (!ended.empty()) m.attributes["ended_delegations"] = absl::StrJoin(ended, ",");
    m.description = absl::StrCat(
        "corrected ", corrected.name(), ": ",
        request.void_() ? "void, never in force" : "ended at " + absl::FormatTime(end));
    return absl::OkStatus();
  }));
  return corrected;
}

absl::StatusOr<v1::Assignment> RoleRegistry::DecideWaiver(const CallInfo& call,
                                                          const v1::DecideWaiverRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "assignments"));
  ISMS_RETURN_IF_ERROR(ValidateText("reason", request.reason(), kMaxLongTextLength, true));
  v1::Assignment decided;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    const Assignment* current = model.FindAssignment(request.name());
    m.attributes["decision"] = request.approve() ? "approve" : "reject";
    ISMS_RETURN_IF_ERROR(
        Require(model, call, kManageAssignments, current == nullptr ? "" : current->scope()));
    if (current == nullptr) return NotFound("", request.name());
    const std::string& decider = call.caller.principal;
    const Principal* appointee = model.FindPrincipal(current->principal());
    const bool in_appointee_group =
        appointee != nullptr && std::find(appointee->members().begin(), appointee->members().end(),
                                          decider) != appointee->members().end();
    if (decider == current->principal() || decider == current->appointed_by() ||
        in_appointee_group) {
      return absl::PermissionDeniedError(absl::StrCat(
          "waiver rule: the waiver of ", current->name(),
          " needs a principal other than the "
          "appointee (",
          current->principal(), ") and the appointer (", current->appointed_by(), ")"));
    }
    const absl::Time now = clock_.Now();
    // Nor a deputy: not of the role being filled, nor of the appointee.
    ISMS_RETURN_IF_ERROR(RefuseDeputyAgainstHolder(model, call, *current, now));
    if (std::optional<HeldRole> deputy =
            DeputisesForHolderOf(model, decider, current->principal(), now);
        deputy.has_value()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "waiver rule: ", decider, " deputises for ", deputy->role, " held by the appointee ",
          current->principal(), " and may not decide their waiver"));
    }
    ISMS_RETURN_IF_ERROR(CheckEtag(current->name(), request.etag(), current->etag()));
    if (current->waiver_state() != v1::WAIVER_STATE_PENDING) {
      return absl::FailedPreconditionError(
          absl::StrCat("waiver rule: ", current->name(), " has no pending waiver"));
    }
    decided = *current;
    decided.set_waiver_state(request.approve() ? v1::WAIVER_STATE_APPROVED
                                               : v1::WAIVER_STATE_REJECTED);
    decided.set_waiver_decided_by(decider);
    *decided.mutable_waiver_decide_time() = ToProto(now);
    decided.set_waiver_decision_reason(request.reason());
    *decided.mutable_record_time() = ToProto(now);
    SetEtag(decided);
    m.changes.assignments.push_back(decided);
    m.field_changes = DiffFields(*current, decided);
    const Role* role = model.FindRole(decided.role());
    if (request.approve() && role != nullptr) {
      const std::string closed = ClosedBootstrapWindows(model, *role);
      if (!closed.empty()) m.changes.settings[kBootstrapWindowsSetting] = closed;
    }
    m.description =
        absl::StrCat(request.approve() ? "approved" : "rejected", " the waiver of ", decided.name(),
                     " (", decided.principal(), " as ", decided.role(), ")");
    return absl::OkStatus();
  }));
  return decided;
}

}  // namespace isms::role
