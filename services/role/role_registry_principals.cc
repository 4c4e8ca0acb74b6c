// RoleRegistry: people and groups, and marking someone as having left.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/etag.h"
#include "common/api/field_mask.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/role/paginate.h"
#include "services/role/role_registry.h"
#include "services/role/role_validation.h"

namespace isms::role {
namespace {

absl::Status PrincipalNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

// FailedPrecondition unless every member of a group is an existing person.
absl::Status CheckMembers(const RoleModel& model, const v1::Principal& group) {
  for (int i = 0; i < group.members_size(); ++i) {
    const v1::Principal* member = model.FindPrincipal(group.members(i));
    if (member == nullptr || member->kind() != v1::PRINCIPAL_KIND_PERSON) {
      return absl::FailedPreconditionError(absl::StrCat("membership rule: principal.members[", i,
                                                        "]: ", group.members(i),
                                                        " is not an existing person"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Principal> RoleRegistry::GetPrincipal(
    const CallInfo& call, const v1::GetPrincipalRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "principals"));
  absl::ReaderMutexLock read(&mu_);
  const v1::Principal* principal = model_.FindPrincipal(request.name());
  if (principal == nullptr) return PrincipalNotFound(request.name());
  return *principal;
}

absl::StatusOr<v1::ListPrincipalsResponse> RoleRegistry::ListPrincipals(
    const CallInfo& call, const v1::ListPrincipalsRequest& request) const {
  v1::ListPrincipalsResponse response;
  const bool show_left = request.show_left();
  absl::ReaderMutexLock read(&mu_);
  ISMS_RETURN_IF_ERROR(Paginate(
      model_.principals(), request.page_size(), request.page_token(),
      absl::StrCat("principals|show_left=", show_left),
      [&](const v1::Principal& p) { return show_left || p.state() != v1::PRINCIPAL_STATE_LEFT; },
      response.mutable_principals(), response.mutable_next_page_token()));
  return response;
}

absl::StatusOr<v1::Principal> RoleRegistry::CreatePrincipal(
    const CallInfo& call, const v1::CreatePrincipalRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateId("principal_id", request.principal_id()));
  v1::Principal principal = request.principal();
  principal.set_name(absl::StrCat("principals/", request.principal_id()));
  ISMS_RETURN_IF_ERROR(ValidatePrincipal(principal, "principal"));
  ISMS_RETURN_IF_ERROR(Mutate(call, principal.name(), [&](const RoleModel& model, Mutation& m) {
    ISMS_RETURN_IF_ERROR(Require(model, call, kManagePrincipals, ""));
    if (model.FindPrincipal(principal.name()) != nullptr) {
      return absl::AlreadyExistsError(absl::StrCat(principal.name(), " already exists"));
    }
    ISMS_RETURN_IF_ERROR(CheckMembers(model, principal));
    principal.set_state(v1::PRINCIPAL_STATE_ACTIVE);
    principal.clear_left_time();
    *principal.mutable_create_time() = ToProto(clock_.Now());
    *principal.mutable_update_time() = principal.create_time();
    SetEtag(principal);
    m.changes.created.insert(principal.name());
    m.changes.principals.push_back(principal);
    m.description = absl::StrCat("created ", principal.name());
    return absl::OkStatus();
  }));
  return principal;
}

absl::StatusOr<v1::Principal> RoleRegistry::UpdatePrincipal(
    const CallInfo& call, const v1::UpdatePrincipalRequest& request) {
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName("principal.name", request.principal().name(), "principals"));
  ISMS_RETURN_IF_ERROR(ValidatePrincipalUpdateMask(request.update_mask()));
  v1::Principal updated;
  ISMS_RETURN_IF_ERROR(
      Mutate(call, request.principal().name(), [&](const RoleModel& model, Mutation& m) {
        ISMS_RETURN_IF_ERROR(Require(model, call, kManagePrincipals, ""));
        const v1::Principal* current = model.FindPrincipal(request.principal().name());
        if (current == nullptr) return PrincipalNotFound(request.principal().name());
        ISMS_RETURN_IF_ERROR(
            CheckEtag(current->name(), request.principal().etag(), current->etag()));
        updated = *current;
        ApplyUpdateMask(request.principal(), request.update_mask(), &updated);
        ISMS_RETURN_IF_ERROR(ValidatePrincipal(updated, "principal"));
        ISMS_RETURN_IF_ERROR(CheckMembers(model, updated));
        *updated.mutable_update_time() = ToProto(clock_.Now());
        SetEtag(updated);
        m.changes.principals.push_back(updated);
        m.description =
            absl::StrCat("updated ", updated.name(), " fields ", MaskPaths(request.update_mask()));
        return absl::OkStatus();
      }));
  return updated;
}

absl::StatusOr<v1::MarkPrincipalLeftResponse> RoleRegistry::MarkPrincipalLeft(
    const CallInfo& call, const v1::MarkPrincipalLeftRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "principals"));
  v1::MarkPrincipalLeftResponse response;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    ISMS_RETURN_IF_ERROR(Require(model, call, kManagePrincipals, ""));
    const v1::Principal* current = model.FindPrincipal(request.name());
    if (current == nullptr) return PrincipalNotFound(request.name());
    if (current->state() == v1::PRINCIPAL_STATE_LEFT) {
      return absl::FailedPreconditionError(absl::StrCat(current->name(), " has already left"));
    }
    const absl::Time now = clock_.Now();
    const auto now_proto = ToProto(now);
    v1::Principal left = *current;
    left.set_state(v1::PRINCIPAL_STATE_LEFT);
    *left.mutable_left_time() = now_proto;
    *left.mutable_update_time() = now_proto;
    SetEtag(left);
    m.changes.principals.push_back(left);
    *response.mutable_principal() = left;

    std::vector<std::string> ended_names;
    for (const Assignment* held : model.AssignmentsOfPrincipal(current->name())) {
      if (EndOf(*held) <= now) continue;
      const Assignment ended = Revoked(*held, now, call.caller.principal, "principal left");
      m.changes.assignments.push_back(ended);
      *response.add_ended_assignments() = ended;
      ended_names.push_back(ended.name());
      // Vacant if nobody else holds the role for that scope now.
      if (IsActiveAt(*held, now)) {
        std::vector<std::string> holders = model.HoldersAt(held->role(), held->scope(), now);
        holders.erase(std::remove(holders.begin(), holders.end(), current->name()), holders.end());
        if (holders.empty()) {
          v1::Vacancy* vacancy = response.add_vacancies();
          vacancy->set_role(held->role());
          vacancy->set_scope(held->scope());
        }
      }
    }
    for (const auto& [name, delegation] : model.delegations()) {
      if (EndOf(delegation) <= now) continue;
      if (delegation.delegator() != current->name() && delegation.delegate() != current->name()) {
        continue;
      }
      const Delegation ended = Revoked(delegation, now, call.caller.principal);
      m.changes.delegations.push_back(ended);
      *response.add_ended_delegations() = ended;
    }
    m.description =
        absl::StrCat(current->name(), " left; ended ", response.ended_assignments_size(),
                     " assignment(s) and ", response.ended_delegations_size(), " delegation(s)");
    if (!ended_names.empty()) m.attributes["ended_assignments"] = absl::StrJoin(ended_names, ",");
    return absl::OkStatus();
  }));
  return response;
}

}  // namespace isms::role
