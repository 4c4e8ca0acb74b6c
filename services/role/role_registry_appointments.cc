// RoleRegistry: assignments (appointments to roles) and delegations.

#include "absl/strings/str_cat.h"
#include "common/api/etag.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/role/appointment_rules.h"
#include "services/role/paginate.h"
#include "services/role/role_registry.h"
#include "services/role/role_validation.h"

namespace isms::role {
namespace {

absl::Status NotFound(absl::string_view field, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(field, field.empty() ? "" : ": ", name, " not found"));
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

// True when `role` (or the role it deputises for) grants `permission`.
bool RoleOrDeputisedGrants(const RoleModel& model, const Role& role, absl::string_view permission) {
  if (RoleGrants(role, permission)) return true;
  const Role* deputised = model.FindRole(role.deputy_for());
  return deputised != nullptr && RoleGrants(*deputised, permission);
}

bool HasResponsibility(const Role& role, absl::string_view id) {
  for (const auto& responsibility : role.responsibilities()) {
    if (responsibility.id() == id) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<v1::Assignment> RoleRegistry::GetAssignment(
    const CallInfo& call, const v1::GetAssignmentRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "assignments"));
  absl::ReaderMutexLock read(&mu_);
  const Assignment* assignment = model_.FindAssignment(request.name());
  if (assignment == nullptr) return NotFound("", request.name());
  return *assignment;
}

absl::StatusOr<v1::ListAssignmentsResponse> RoleRegistry::ListAssignments(
    const CallInfo& call, const v1::ListAssignmentsRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateListAssignmentsRequest(request));
  const ActiveAtFilter active(request.has_active_at(), request.active_at());
  const std::string fingerprint =
      absl::StrCat("assignments|", request.role(), "|", request.principal(), "|", request.scope(),
                   "|", active.fingerprint());
  auto keep = [&](const Assignment& a) {
    return (request.role().empty() || a.role() == request.role()) &&
           (request.principal().empty() || a.principal() == request.principal()) &&
           (request.scope().empty() || a.scope() == request.scope()) && active.Keeps(a);
  };
  v1::ListAssignmentsResponse response;
  absl::ReaderMutexLock read(&mu_);
  // A principal or role filter narrows the walk to that index's entries.
  if (!request.principal().empty() || !request.role().empty()) {
    ISMS_RETURN_IF_ERROR(PaginateCandidates(
        !request.principal().empty() ? model_.AssignmentsOfPrincipal(request.principal())
                                     : model_.AssignmentsOfRole(request.role()),
        request.page_size(), request.page_token(), fingerprint, keep,
        response.mutable_assignments(), response.mutable_next_page_token()));
  } else {
    ISMS_RETURN_IF_ERROR(Paginate(model_.assignments(), request.page_size(), request.page_token(),
                                  fingerprint, keep, response.mutable_assignments(),
                                  response.mutable_next_page_token()));
  }
  return response;
}

absl::StatusOr<v1::Assignment> RoleRegistry::CreateAssignment(
    const CallInfo& call, const v1::CreateAssignmentRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateNewAssignment(request.assignment()));
  v1::Assignment assignment;
  // Mutation bodies run under write_mu_ (Mutate holds it); the annotation
  // lets the thread-safety analysis see that.
  ISMS_RETURN_IF_ERROR(Mutate(
      call, request.assignment().role(),
      [&](const RoleModel& model, Mutation& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
        const v1::Assignment& wanted = request.assignment();
        ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments, wanted.scope()));
        const Role* role = model.FindRole(wanted.role());
        if (role == nullptr) return NotFound("assignment.role", wanted.role());
        const Principal* principal = model.FindPrincipal(wanted.principal());
        if (principal == nullptr) return NotFound("assignment.principal", wanted.principal());
        const auto now = ToProto(clock_.Now());
        assignment.set_name(absl::StrCat("assignments/", NewId()));
        assignment.set_role(wanted.role());
        assignment.set_principal(wanted.principal());
        assignment.set_scope(wanted.scope());
        *assignment.mutable_effective_from() =
            wanted.has_effective_from() ? wanted.effective_from() : now;
        if (wanted.has_effective_until()) {
          *assignment.mutable_effective_until() = wanted.effective_until();
          if (FromProto(assignment.effective_until()) <= FromProto(assignment.effective_from())) {
            return absl::InvalidArgumentError(
                "assignment.effective_until: must be after effective_from");
          }
        }
        assignment.set_waiver_justification(wanted.waiver_justification());
        assignment.set_appointed_by(call.caller.principal);
        *assignment.mutable_create_time() = now;
        // A refusal names the appointment asked for, not the name it would have had.
        m.attributes["principal"] = assignment.principal();
        if (!assignment.scope().empty()) m.attributes["scope"] = assignment.scope();
        ISMS_RETURN_IF_ERROR(CheckAppointmentRules(model, *role, *principal, assignment));
        m.resource = assignment.name();
        SetEtag(assignment);
        m.changes.created.insert(assignment.name());
        m.changes.assignments.push_back(assignment);
        m.description =
            absl::StrCat("appointed ", assignment.principal(), " to ", assignment.role(),
                         assignment.scope().empty() ? "" : " for ", assignment.scope());
        if (!assignment.waiver_justification().empty()) {
          m.attributes["waiver_justification"] = assignment.waiver_justification();
        }
        return absl::OkStatus();
      }));
  return assignment;
}

absl::StatusOr<v1::Assignment> RoleRegistry::RevokeAssignment(
    const CallInfo& call, const v1::RevokeAssignmentRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "assignments"));
  ISMS_RETURN_IF_ERROR(ValidateText("reason", request.reason(), kMaxLongTextLength, false));
  v1::Assignment revoked;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    const Assignment* current = model.FindAssignment(request.name());
    ISMS_RETURN_IF_ERROR(
        Require(model, call, kManageAssignments, current == nullptr ? "" : current->scope()));
    if (current == nullptr) return NotFound("", request.name());
    ISMS_RETURN_IF_ERROR(CheckEtag(current->name(), request.etag(), current->etag()));
    const absl::Time now = clock_.Now();
    if (EndOf(*current) <= now) {
      return absl::FailedPreconditionError(absl::StrCat(current->name(), " has already ended"));
    }
    revoked = Revoked(*current, now, call.caller.principal, request.reason());
    m.changes.assignments.push_back(revoked);
    // Delegations hang off the assignment: end them with it.
    for (const auto& [name, delegation] : model.delegations()) {
      if (delegation.assignment() != revoked.name() || EndOf(delegation) <= now) continue;
      m.changes.delegations.push_back(Revoked(delegation, now, call.caller.principal));
    }
    m.description = absl::StrCat("revoked ", revoked.name(), " (", revoked.principal(), " as ",
                                 revoked.role(), ")");
    if (!request.reason().empty()) m.attributes["reason"] = request.reason();
    return absl::OkStatus();
  }));
  return revoked;
}

absl::StatusOr<v1::Delegation> RoleRegistry::GetDelegation(
    const CallInfo& call, const v1::GetDelegationRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "delegations"));
  absl::ReaderMutexLock read(&mu_);
  const Delegation* delegation = model_.FindDelegation(request.name());
  if (delegation == nullptr) return NotFound("", request.name());
  return *delegation;
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
  v1::ListDelegationsResponse response;
  absl::ReaderMutexLock read(&mu_);
  if (!request.delegate().empty()) {  // Walk only the delegate's index entries.
    ISMS_RETURN_IF_ERROR(PaginateCandidates(
        model_.DelegationsTo(request.delegate()), request.page_size(), request.page_token(),
        fingerprint, keep, response.mutable_delegations(), response.mutable_next_page_token()));
  } else {
    ISMS_RETURN_IF_ERROR(Paginate(model_.delegations(), request.page_size(), request.page_token(),
                                  fingerprint, keep, response.mutable_delegations(),
                                  response.mutable_next_page_token()));
  }
  return response;
}

absl::StatusOr<v1::Delegation> RoleRegistry::CreateDelegation(
    const CallInfo& call, const v1::CreateDelegationRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateNewDelegation(request.delegation()));
  v1::Delegation delegation;
  const v1::Delegation& wanted = request.delegation();
  ISMS_RETURN_IF_ERROR(Mutate(
      call, wanted.assignment(),
      [&](const RoleModel& model, Mutation& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
        const Assignment* assignment = model.FindAssignment(wanted.assignment());
        // Only the holder delegates, or an administrator of appointments.
        if (assignment == nullptr || assignment->principal() != call.caller.principal) {
          ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments,
                                       assignment == nullptr ? "" : assignment->scope()));
        }
        if (assignment == nullptr) return NotFound("delegation.assignment", wanted.assignment());
        const absl::Time now = clock_.Now();
        if (EndOf(*assignment) <= now) {
          return absl::FailedPreconditionError(
              absl::StrCat("delegation rule: ", assignment->name(), " has ended"));
        }
        const Principal* delegate = model.FindPrincipal(wanted.delegate());
        if (delegate == nullptr) return NotFound("delegation.delegate", wanted.delegate());
        if (delegate->state() != v1::PRINCIPAL_STATE_ACTIVE ||
            delegate->kind() != v1::PRINCIPAL_KIND_PERSON ||
            delegate->name() == assignment->principal()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "delegation rule: the delegate must be an active person other than the holder; ",
              delegate->name(), " is not"));
        }
        const Role* role = model.FindRole(assignment->role());
        if (role == nullptr) return NotFound("assignment.role", assignment->role());
        if (!wanted.permission().empty() &&
            !RoleOrDeputisedGrants(model, *role, wanted.permission())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "delegation rule: ", role->name(), " does not grant ", wanted.permission()));
        }
        if (!wanted.responsibility().empty() &&
            !HasResponsibility(*role, wanted.responsibility())) {
          return absl::FailedPreconditionError(absl::StrCat("delegation rule: ", role->name(),
                                                            " has no responsibility ",
                                                            wanted.responsibility()));
        }
        delegation = wanted;
        delegation.set_name(absl::StrCat("delegations/", NewId()));
        delegation.set_delegator(assignment->principal());
        if (!delegation.has_effective_from()) *delegation.mutable_effective_from() = ToProto(now);
        if (FromProto(delegation.effective_until()) <= FromProto(delegation.effective_from())) {
          return absl::InvalidArgumentError(
              "delegation.effective_until: must be after effective_from");
        }
        delegation.clear_revoke_time();
        delegation.clear_revoked_by();
        *delegation.mutable_create_time() = ToProto(now);
        SetEtag(delegation);
        m.resource = delegation.name();
        m.changes.created.insert(delegation.name());
        m.changes.delegations.push_back(delegation);
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
    if (current == nullptr || current->delegator() != call.caller.principal) {
      ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments, ""));
    }
    if (current == nullptr) return NotFound("", request.name());
    ISMS_RETURN_IF_ERROR(CheckEtag(current->name(), request.etag(), current->etag()));
    const absl::Time now = clock_.Now();
    if (EndOf(*current) <= now) {
      return absl::FailedPreconditionError(absl::StrCat(current->name(), " has already ended"));
    }
    revoked = Revoked(*current, now, call.caller.principal);
    m.changes.delegations.push_back(revoked);
    m.description = absl::StrCat("revoked ", revoked.name());
    return absl::OkStatus();
  }));
  return revoked;
}

}  // namespace isms::role
