// RoleRegistry: delegations (a holder's duty handed to someone else for a
// while) and absences (when deputies act for a holder).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/api/etag.h"
#include "common/api/paginate.h"
#include "common/audit/field_changes.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/role/role_registry.h"
#include "services/role/role_validation.h"
#include "services/role/segregation.h"

namespace isms::role {
namespace {

absl::Status NotFound(absl::string_view field, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(field, field.empty() ? "" : ": ", name, " not found"));
}

absl::Status Refuse(absl::string_view rule, absl::string_view detail) {
  return absl::FailedPreconditionError(absl::StrCat(rule, ": ", detail));
}

// The optional "in force at" filter of list requests.
class ActiveAtFilter {
 public:
  ActiveAtFilter(bool set, const google::protobuf::Timestamp& at)
      : set_(set),
        at_(set ? FromProto(at) : absl::InfinitePast()),
        fingerprint_(set ? absl::StrCat(at.seconds(), ".", at.nanos()) : "") {}
  template <typename Resource>
  bool Keeps(const Resource& resource) const {
    return !set_ || IsActiveAt(resource, at_);
  }
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  bool set_;
  absl::Time at_;
  std::string fingerprint_;
};

// True when `role` grants `permission` itself or through the role it
// deputises for.
bool RoleOrDeputisedGrants(const RoleModel& model, const Role& role, absl::string_view permission) {
  if (RoleGrants(role, permission)) return true;
  const Role* deputised = model.FindRole(role.deputy_for());
  return deputised != nullptr && RoleGrants(*deputised, permission);
}

}  // namespace

template <typename Resource>
absl::Status RoleRegistry::CheckEndable(const RoleModel& model, const CallInfo& call,
                                        const Resource* current, absl::string_view owner,
                                        absl::string_view name, absl::string_view etag,
                                        absl::Time now) const {
  if (current == nullptr || owner != call.caller.principal) {
    ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments, ""));
    if (current != nullptr) {
      ISMS_RETURN_IF_ERROR(RefuseDeputyActingAgainst(model, call.caller.principal, owner, now));
    }
  }
  if (current == nullptr) return NotFound("", name);
  ISMS_RETURN_IF_ERROR(CheckEtag(current->name(), etag, current->etag()));
  if (EndOf(*current) <= now) {
    return absl::FailedPreconditionError(absl::StrCat(current->name(), " has already ended"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Delegation> RoleRegistry::GetDelegation(
    const CallInfo& call, const v1::GetDelegationRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "delegations"));
  return Read<v1::Delegation>(
      call, request, request.name(),
      [&](const RoleModel& model) -> absl::Status {
        const Delegation* delegation = model.FindDelegation(request.name());
        if (delegation != nullptr && delegation->delegator() == call.caller.principal) {
          return absl::OkStatus();
        }
        return RequireRead(model, call, delegation == nullptr ? "" : delegation->delegate());
      },
      [&](const RoleModel& model) -> absl::StatusOr<v1::Delegation> {
        const Delegation* delegation = model.FindDelegation(request.name());
        if (delegation == nullptr) return NotFound("", request.name());
        return *delegation;
      });
}

absl::StatusOr<v1::ListDelegationsResponse> RoleRegistry::ListDelegations(
    const CallInfo& call, const v1::ListDelegationsRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateListDelegationsRequest(request));
  const ActiveAtFilter active(request.has_active_at(), request.active_at());
  const std::string fingerprint =
      absl::StrCat("delegations|", request.assignment(), "|", request.delegator(), "|",
                   request.delegate(), "|", active.fingerprint());
  auto keep = [&](const Delegation& d) {
    return (request.assignment().empty() || d.assignment() == request.assignment()) &&
           (request.delegator().empty() || d.delegator() == request.delegator()) &&
           (request.delegate().empty() || d.delegate() == request.delegate()) && active.Keeps(d);
  };
  return Read<v1::ListDelegationsResponse>(
      call, request, "delegations",
      [&](const RoleModel& model) -> absl::Status {
        if (!request.delegator().empty() && request.delegator() == call.caller.principal) {
          return absl::OkStatus();
        }
        return RequireRead(model, call, request.delegate());
      },
      [&](const RoleModel& model) -> absl::StatusOr<v1::ListDelegationsResponse> {
        v1::ListDelegationsResponse response;
        if (!request.delegate().empty()) {  // Walk only the delegate's index entries.
          ISMS_RETURN_IF_ERROR(PaginateIndex(model.DelegationsTo(request.delegate()),
                                             request.page_size(), request.page_token(), fingerprint,
                                             keep, response.mutable_delegations(),
                                             response.mutable_next_page_token()));
        } else {
          ISMS_RETURN_IF_ERROR(
              Paginate(model.delegations(), request.page_size(), request.page_token(), fingerprint,
                       keep, response.mutable_delegations(), response.mutable_next_page_token()));
        }
        return response;
      });
}

absl::StatusOr<v1::Delegation> RoleRegistry::CreateDelegation(
    const CallInfo& call, const v1::CreateDelegationRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateNewDelegation(request.delegation()));
  v1::Delegation delegation;
  const v1::Delegation& wanted = request.delegation();
  ISMS_RETURN_IF_ERROR(Mutate(
      call, wanted.assignment(),
      [&](const RoleModel& model, Mutation& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
        delegation.Clear();  // The body may run again (Mutate).
        m.attributes["delegate"] = wanted.delegate();
        m.field_changes = DiffFields(v1::Delegation(), wanted);
        const Assignment* assignment = model.FindAssignment(wanted.assignment());
        // Only the holder delegates: not a manager, not a delegate (so no
        // re-delegation), not a deputy.
        if (assignment == nullptr || assignment->principal() != call.caller.principal) {
          return absl::PermissionDeniedError(absl::StrCat(
              "delegation rule: only the holder of ", wanted.assignment(),
              " may delegate its duties; ", call.caller.principal, " does not hold it"));
        }
        if (IsManagePermission(wanted.permission())) {
          return Refuse("delegation rule", absl::StrCat(wanted.permission(),
                                                        " is a management permission and is "
                                                        "never delegated"));
        }
        const absl::Time now = clock_.Now();
        if (!IsActiveAt(*assignment, now) && StartOf(*assignment) <= now) {
          return Refuse("delegation rule", absl::StrCat(assignment->name(), " has ended"));
        }
        if (assignment->waiver_state() == v1::WAIVER_STATE_PENDING ||
            assignment->waiver_state() == v1::WAIVER_STATE_REJECTED ||
            assignment->has_void_time()) {
          return Refuse("delegation rule", absl::StrCat(assignment->name(), " is not in force"));
        }
        const Principal* delegate = model.FindPrincipal(wanted.delegate());
        if (delegate == nullptr) return NotFound("delegation.delegate", wanted.delegate());
        if (delegate->state() != v1::PRINCIPAL_STATE_ACTIVE ||
            delegate->kind() != v1::PRINCIPAL_KIND_PERSON ||
            delegate->name() == assignment->principal()) {
          return Refuse("delegation rule",
                        absl::StrCat("the delegate must be an active person other than the "
                                     "holder; ",
                                     delegate->name(), " is not"));
        }
        const Role* role = model.FindRole(assignment->role());
        if (role == nullptr) return NotFound("assignment.role", assignment->role());
        if (!wanted.permission().empty() &&
            !RoleOrDeputisedGrants(model, *role, wanted.permission())) {
          return Refuse("delegation rule",
                        absl::StrCat(role->name(), " does not grant ", wanted.permission()));
        }
        if (!wanted.responsibility().empty()) {
          const v1::Responsibility* responsibility =
              FindResponsibility(*role, wanted.responsibility());
          if (responsibility == nullptr) {
            return Refuse("delegation rule", absl::StrCat(role->name(), " has no responsibility ",
                                                          wanted.responsibility()));
          }
          if (responsibility->permissions_size() == 0) {
            return Refuse("delegation rule",
                          absl::StrCat(role->name(), " responsibility ", wanted.responsibility(),
                                       " is tied to no permission, so delegating it would grant "
                                       "nothing"));
          }
        }
        delegation = wanted;
        delegation.clear_granted_permissions();
        if (!wanted.responsibility().empty()) {
          // What the responsibility grants is fixed when it is delegated: a
          // later change of the role does not widen the delegation.
          for (const std::string& permission :
               FindResponsibility(*role, wanted.responsibility())->permissions()) {
            delegation.add_granted_permissions(permission);
          }
        } else {
          delegation.add_granted_permissions(wanted.permission());
        }
        delegation.set_name(absl::StrCat("delegations/", NewId()));
        delegation.set_delegator(assignment->principal());
        if (!delegation.has_effective_from()) *delegation.mutable_effective_from() = ToProto(now);
        const absl::Time from = FromProto(delegation.effective_from());
        const absl::Time until = FromProto(delegation.effective_until());
        if (until <= from) {
          return absl::InvalidArgumentError(
              "delegation.effective_until: must be after effective_from");
        }
        if (from < now - options_.backdate_tolerance) {
          return Refuse("backdating rule", "a delegation cannot start in the past");
        }
        if (from < StartOf(*assignment)) {
          return Refuse("delegation rule", absl::StrCat("a delegation cannot start before ",
                                                        assignment->name(), " comes into force"));
        }
        if (until > from + options_.max_delegation) {
          return Refuse("delegation rule",
                        absl::StrCat("a delegation lasts at most ",
                                     absl::FormatDuration(options_.max_delegation)));
        }
        if (until > EndOf(*assignment)) {
          return Refuse("delegation rule",
                        absl::StrCat("a delegation cannot outlive ", assignment->name(),
                                     ", which ends at ", absl::FormatTime(EndOf(*assignment))));
        }
        // Segregation of duties: the delegate acts in the delegator's role.
        std::optional<Conflict> conflict =
            FindConflict(model, RoleWithDeputised(model, *role, "this delegation"),
                         HeldRolesInPeriod(model, delegate->name(), from, until));
        if (conflict.has_value()) {
          return Refuse(
              "segregation-of-duties rule",
              absl::StrCat(conflict->held.role, " conflicts with ", conflict->other.role,
                           " held by ", delegate->name(), " through ", conflict->other.via));
        }
        delegation.clear_revoke_time();
        delegation.clear_revoked_by();
        *delegation.mutable_create_time() = ToProto(now);
        *delegation.mutable_record_time() = ToProto(now);
        SetEtag(delegation);
        m.resource = delegation.name();
        m.changes.created.insert(delegation.name());
        m.changes.delegations.push_back(delegation);
        m.field_changes = DiffFields(v1::Delegation(), delegation);
        m.description = absl::StrCat(
            delegation.delegator(), " delegated ",
            delegation.permission().empty() ? delegation.responsibility() : delegation.permission(),
            " of ", assignment->name(), " to ", delegation.delegate());
        return absl::OkStatus();
      }));
  return delegation;
}

absl::StatusOr<v1::Delegation> RoleRegistry::RevokeDelegation(
    const CallInfo& call, const v1::RevokeDelegationRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "delegations"));
  v1::Delegation revoked;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    const Delegation* current = model.FindDelegation(request.name());
    const absl::Time now = clock_.Now();
    ISMS_RETURN_IF_ERROR(CheckEndable(model, call, current, current ? current->delegator() : "",
                                      request.name(), request.etag(), now));
    revoked = Revoked(*current, now, call.caller.principal);
    *revoked.mutable_record_time() = ToProto(now);
    SetEtag(revoked);
    m.changes.delegations.push_back(revoked);
    m.field_changes = DiffFields(*current, revoked);
    m.description = absl::StrCat("revoked ", revoked.name());
    return absl::OkStatus();
  }));
  return revoked;
}

absl::StatusOr<v1::Absence> RoleRegistry::CreateAbsence(const CallInfo& call,
                                                        const v1::CreateAbsenceRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateNewAbsence(request.absence()));
  v1::Absence absence;
  const v1::Absence& wanted = request.absence();
  ISMS_RETURN_IF_ERROR(Mutate(
      call, wanted.principal(),
      [&](const RoleModel& model, Mutation& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
        absence.Clear();  // The body may run again (Mutate).
        m.field_changes = DiffFields(v1::Absence(), wanted);
        const absl::Time now = clock_.Now();
        if (wanted.principal() != call.caller.principal) {
          ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments, ""));
          // A manager who deputises for the absentee's role would raise
          // themselves by recording the absence.
          for (const HeldRole& held : HeldRolesAt(model, wanted.principal(), TimePoint{now})) {
            std::optional<HeldRole> mine =
                FindHeldRole(model, call.caller.principal, held.role, TimePoint{now});
            if (mine.has_value()) {
              return absl::PermissionDeniedError(absl::StrCat(
                  "self-raise rule: ", call.caller.principal, " acts for ", held.role, " through ",
                  mine->via, " and may not record the absence of its holder ", wanted.principal()));
            }
          }
        }
        const Principal* principal = model.FindPrincipal(wanted.principal());
        if (principal == nullptr) return NotFound("absence.principal", wanted.principal());
        if (principal->state() != v1::PRINCIPAL_STATE_ACTIVE ||
            principal->kind() != v1::PRINCIPAL_KIND_PERSON) {
          return Refuse("absence rule",
                        absl::StrCat(principal->name(), " is not an active person"));
        }
        absence = wanted;
        absence.set_name(absl::StrCat("absences/", NewId()));
        if (!absence.has_effective_from()) *absence.mutable_effective_from() = ToProto(now);
        const absl::Time from = FromProto(absence.effective_from());
        const absl::Time until = FromProto(absence.effective_until());
        if (until <= from) {
          return absl::InvalidArgumentError(
              "absence.effective_until: must be after effective_from");
        }
        if (from < now - options_.backdate_tolerance) {
          return Refuse("backdating rule", "an absence cannot start in the past");
        }
        if (until > from + options_.max_delegation) {
          return Refuse("absence rule",
                        absl::StrCat("an absence lasts at most ",
                                     absl::FormatDuration(options_.max_delegation)));
        }
        absence.set_recorded_by(call.caller.principal);
        absence.clear_revoke_time();
        absence.clear_revoked_by();
        *absence.mutable_create_time() = ToProto(now);
        *absence.mutable_record_time() = ToProto(now);
        SetEtag(absence);
        m.resource = absence.name();
        m.changes.created.insert(absence.name());
        m.changes.absences.push_back(absence);
        m.field_changes = DiffFields(v1::Absence(), absence);
        m.description = absl::StrCat("recorded the absence of ", absence.principal());
        return absl::OkStatus();
      }));
  return absence;
}

absl::StatusOr<v1::ListAbsencesResponse> RoleRegistry::ListAbsences(
    const CallInfo& call, const v1::ListAbsencesRequest& request) const {
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalResourceName("principal", request.principal(), "principals"));
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalTime("active_at", request.has_active_at(), request.active_at()));
  const ActiveAtFilter active(request.has_active_at(), request.active_at());
  const std::string fingerprint =
      absl::StrCat("absences|", request.principal(), "|", active.fingerprint());
  auto keep = [&](const Absence& a) {
    return (request.principal().empty() || a.principal() == request.principal()) && active.Keeps(a);
  };
  return Read<v1::ListAbsencesResponse>(
      call, request, "absences",
      [&](const RoleModel& model) { return RequireRead(model, call, request.principal()); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::ListAbsencesResponse> {
        v1::ListAbsencesResponse response;
        if (!request.principal().empty()) {
          ISMS_RETURN_IF_ERROR(PaginateIndex(
              model.AbsencesOf(request.principal()), request.page_size(), request.page_token(),
              fingerprint, keep, response.mutable_absences(), response.mutable_next_page_token()));
        } else {
          ISMS_RETURN_IF_ERROR(Paginate(model.absences(), request.page_size(), request.page_token(),
                                        fingerprint, keep, response.mutable_absences(),
                                        response.mutable_next_page_token()));
        }
        return response;
      });
}

absl::StatusOr<v1::Absence> RoleRegistry::RevokeAbsence(const CallInfo& call,
                                                        const v1::RevokeAbsenceRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "absences"));
  v1::Absence revoked;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    const Absence* current = model.FindAbsence(request.name());
    const absl::Time now = clock_.Now();
    ISMS_RETURN_IF_ERROR(CheckEndable(model, call, current, current ? current->principal() : "",
                                      request.name(), request.etag(), now));
    revoked = *current;
    *revoked.mutable_revoke_time() = ToProto(std::max(now, FromProto(current->effective_from())));
    revoked.set_revoked_by(call.caller.principal);
    *revoked.mutable_record_time() = ToProto(now);
    SetEtag(revoked);
    m.changes.absences.push_back(revoked);
    m.field_changes = DiffFields(*current, revoked);
    m.description = absl::StrCat("revoked ", revoked.name());
    return absl::OkStatus();
  }));
  return revoked;
}

}  // namespace isms::role
