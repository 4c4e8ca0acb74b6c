// RoleRegistry: people and groups, and marking someone as having left.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/etag.h"
#include "common/api/field_mask.h"
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

absl::Status PrincipalNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

// FailedPrecondition unless every member of a group is an existing, active
// person.
absl::Status CheckMembers(const RoleModel& model, const v1::Principal& group) {
  for (int i = 0; i < group.members_size(); ++i) {
    const v1::Principal* member = model.FindPrincipal(group.members(i));
    if (member == nullptr || member->kind() != v1::PRINCIPAL_KIND_PERSON ||
        member->state() != v1::PRINCIPAL_STATE_ACTIVE) {
      return absl::FailedPreconditionError(absl::StrCat("membership rule: principal.members[", i,
                                                        "]: ", group.members(i),
                                                        " is not an existing active person"));
    }
  }
  return absl::OkStatus();
}

// True when `principal` holds a role, now or from a later start, through any
// path: its own assignment, a group, a delegation received.
bool HoldsAnyRole(const RoleModel& model, absl::string_view principal, absl::Time now) {
  return !HeldRolesInPeriod(model, principal, now, absl::InfiniteFuture()).empty();
}

bool MaskTouches(const google::protobuf::FieldMask& mask, absl::string_view field) {
  return std::find(mask.paths().begin(), mask.paths().end(), field) != mask.paths().end();
}

}  // namespace

absl::StatusOr<v1::Principal> RoleRegistry::GetPrincipal(
    const CallInfo& call, const v1::GetPrincipalRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "principals"));
  ISMS_RETURN_IF_ERROR(ValidatePrincipalView(request.view()));
  return Read<v1::Principal>(
      call, request, request.name(),
      [&](const RoleModel& model) { return RequireRead(model, call, request.name()); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::Principal> {
        const v1::Principal* principal = model.FindPrincipal(request.name());
        if (principal == nullptr) return PrincipalNotFound(request.name());
        v1::Principal shown = *principal;
        if (request.view() == v1::PRINCIPAL_VIEW_BASIC) shown.clear_members();
        return shown;
      });
}

absl::StatusOr<v1::ListPrincipalsResponse> RoleRegistry::ListPrincipals(
    const CallInfo& call, const v1::ListPrincipalsRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidatePrincipalView(request.view()));
  const bool show_left = request.show_left();
  return Read<v1::ListPrincipalsResponse>(
      call, request, "principals",
      [&](const RoleModel& model) { return RequireRead(model, call, ""); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::ListPrincipalsResponse> {
        v1::ListPrincipalsResponse response;
        ISMS_RETURN_IF_ERROR(Paginate(
            model.principals(), request.page_size(), request.page_token(),
            absl::StrCat("principals|show_left=", show_left),
            [&](const v1::Principal& p) {
              return show_left || p.state() != v1::PRINCIPAL_STATE_LEFT;
            },
            response.mutable_principals(), response.mutable_next_page_token()));
        if (request.view() != v1::PRINCIPAL_VIEW_FULL) {
          for (v1::Principal& listed : *response.mutable_principals()) listed.clear_members();
        }
        return response;
      });
}

absl::StatusOr<RoleRegistry::PlannedWrite> RoleRegistry::PlanCreatePrincipal(
    const CallInfo& call, const v1::CreatePrincipalRequest& request, v1::Principal* created) {
  ISMS_RETURN_IF_ERROR(ValidateId("principal_id", request.principal_id()));
  v1::Principal asked = request.principal();
  asked.set_name(absl::StrCat("principals/", request.principal_id()));
  ISMS_RETURN_IF_ERROR(ValidatePrincipal(asked, "principal"));
  PlannedWrite plan;
  plan.resource = asked.name();
  plan.body = [this, &call, asked, created](const RoleModel& model, Mutation& m) {
    v1::Principal& principal = *created;
    principal = asked;  // The body may run again (Mutate).
    m.field_changes = DiffFields(v1::Principal(), principal);
    ISMS_RETURN_IF_ERROR(Require(model, call, kManagePrincipals, ""));
    if (principal.name() == call.caller.principal) {
      return absl::PermissionDeniedError(absl::StrCat("self-raise rule: ", call.caller.principal,
                                                      " may not create their own record"));
    }
    if (principal.name() == checker_.bootstrap_principal()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "reserved name: ", principal.name(), " is the bootstrap principal, not a person"));
    }
    if (model.FindPrincipal(principal.name()) != nullptr) {
      return absl::AlreadyExistsError(absl::StrCat(principal.name(), " already exists"));
    }
    ISMS_RETURN_IF_ERROR(CheckMembers(model, principal));
    const auto now = ToProto(clock_.Now());
    principal.set_state(v1::PRINCIPAL_STATE_ACTIVE);
    principal.clear_left_time();
    *principal.mutable_create_time() = now;
    *principal.mutable_update_time() = now;
    *principal.mutable_record_time() = now;
    SetEtag(principal);
    m.changes.created.insert(principal.name());
    m.changes.principals.push_back(principal);
    m.field_changes = DiffFields(v1::Principal(), principal);
    m.description = absl::StrCat("created ", principal.name());
    return absl::OkStatus();
  };
  return plan;
}

absl::StatusOr<v1::Principal> RoleRegistry::CreatePrincipal(
    const CallInfo& call, const v1::CreatePrincipalRequest& request) {
  v1::Principal created;
  ISMS_ASSIGN_OR_RETURN(const PlannedWrite plan, PlanCreatePrincipal(call, request, &created));
  ISMS_RETURN_IF_ERROR(Mutate(call, plan.resource, plan.body));
  return created;
}

absl::StatusOr<v1::BatchCreatePrincipalsResponse> RoleRegistry::BatchCreatePrincipals(
    const CallInfo& call, const v1::BatchCreatePrincipalsRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateBatchSize("requests", request.requests_size()));
  // A caller who may not create principals at all is refused once, not per
  // item.
  ISMS_RETURN_IF_ERROR(
      Read<bool>(
          call, request, "principals",
          [&](const RoleModel& model) { return Require(model, call, kManagePrincipals, ""); },
          [](const RoleModel&) -> absl::StatusOr<bool> { return true; })
          .status());
  std::vector<absl::Status> statuses;
  std::vector<v1::Principal> created;
  RunBatch(call, request.requests(), &RoleRegistry::PlanCreatePrincipal, statuses, created);
  v1::BatchCreatePrincipalsResponse response;
  for (size_t i = 0; i < statuses.size(); ++i) {
    auto* result = response.add_results();
    SetItemStatus(statuses[i], static_cast<int>(i), *result->mutable_status());
    if (statuses[i].ok()) *result->mutable_principal() = std::move(created[i]);
  }
  return response;
}

absl::StatusOr<v1::Principal> RoleRegistry::UpdatePrincipal(
    const CallInfo& call, const v1::UpdatePrincipalRequest& request) {
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName("principal.name", request.principal().name(), "principals"));
  ISMS_RETURN_IF_ERROR(ValidatePrincipalUpdateMask(request.update_mask()));
  v1::Principal updated;
  const google::protobuf::FieldMask& mask = request.update_mask();
  ISMS_RETURN_IF_ERROR(
      Mutate(call, request.principal().name(), [&](const RoleModel& model, Mutation& m) {
        m.attributes["update_mask"] = MaskPaths(mask);
        const v1::Principal* current = model.FindPrincipal(request.principal().name());
        {
          v1::Principal asked = current == nullptr ? v1::Principal() : *current;
          ApplyUpdateMask(request.principal(), mask, &asked);
          m.field_changes = DiffFields(current == nullptr ? v1::Principal() : *current, asked);
        }
        ISMS_RETURN_IF_ERROR(Require(model, call, kManagePrincipals, ""));
        const bool touches_authority = MaskTouches(mask, "board_level") ||
                                       MaskTouches(mask, "members") || MaskTouches(mask, "kind");
        if (touches_authority && request.principal().name() == call.caller.principal) {
          return absl::PermissionDeniedError(
              absl::StrCat("self-raise rule: ", call.caller.principal,
                           " may not change their own board level, kind or memberships"));
        }
        if (MaskTouches(mask, "members") &&
            std::find(request.principal().members().begin(), request.principal().members().end(),
                      call.caller.principal) != request.principal().members().end() &&
            (current == nullptr || std::find(current->members().begin(), current->members().end(),
                                             call.caller.principal) == current->members().end())) {
          return absl::PermissionDeniedError(absl::StrCat(
              "self-raise rule: ", call.caller.principal, " may not add themselves to a group"));
        }
        const absl::Time now = clock_.Now();
        // Managing people does not reach into roles: changing a role holder's
        // authority-bearing fields needs the assignments permission as well.
        if (HoldsAnyRole(model, request.principal().name(), now)) {
          if (touches_authority) ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments, ""));
          ISMS_RETURN_IF_ERROR(RefuseDeputyActingAgainst(model, call.caller.principal,
                                                         request.principal().name(), now));
        }
        if (current == nullptr) return PrincipalNotFound(request.principal().name());
        ISMS_RETURN_IF_ERROR(
            CheckEtag(current->name(), request.principal().etag(), current->etag()));
        updated = *current;
        ApplyUpdateMask(request.principal(), mask, &updated);
        ISMS_RETURN_IF_ERROR(ValidatePrincipal(updated, "principal"));
        ISMS_RETURN_IF_ERROR(CheckMembers(model, updated));
        // Segregation of duties: a new member now holds the group's roles.
        if (MaskTouches(mask, "members")) {
          std::vector<HeldRole> group_roles;
          for (const Assignment* assignment : model.AssignmentsOfPrincipal(updated.name())) {
            const Role* role = model.FindRole(assignment->role());
            if (role == nullptr || EndOf(*assignment) <= now || assignment->has_void_time())
              continue;
            for (HeldRole& held : RoleWithDeputised(
                     model, *role, absl::StrCat(assignment->name(), " via group ", updated.name()),
                     assignment)) {
              group_roles.push_back(std::move(held));
            }
          }
          for (const std::string& member : updated.members()) {
            if (std::find(current->members().begin(), current->members().end(), member) !=
                current->members().end()) {
              continue;
            }
            std::optional<Conflict> conflict = FindConflict(
                model, group_roles, HeldRolesInPeriod(model, member, now, absl::InfiniteFuture()));
            if (conflict.has_value()) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "segregation-of-duties rule: adding ", member, " to ", updated.name(), " gives ",
                  conflict->held.role, ", which conflicts with ", conflict->other.role,
                  " held through ", conflict->other.via));
            }
          }
        }
        *updated.mutable_update_time() = ToProto(now);
        *updated.mutable_record_time() = ToProto(now);
        SetEtag(updated);
        m.changes.principals.push_back(updated);
        m.field_changes = DiffFields(*current, updated);
        m.description = absl::StrCat("updated ", updated.name(), " fields ", MaskPaths(mask));
        return absl::OkStatus();
      }));
  return updated;
}

absl::StatusOr<v1::MarkPrincipalLeftResponse> RoleRegistry::MarkPrincipalLeft(
    const CallInfo& call, const v1::MarkPrincipalLeftRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "principals"));
  v1::MarkPrincipalLeftResponse response;
  ISMS_RETURN_IF_ERROR(Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    response.Clear();  // The body may run again (Mutate).
    ISMS_RETURN_IF_ERROR(Require(model, call, kManagePrincipals, ""));
    const absl::Time now = clock_.Now();
    if (HoldsAnyRole(model, request.name(), now)) {
      ISMS_RETURN_IF_ERROR(Require(model, call, kManageAssignments, ""));
      ISMS_RETURN_IF_ERROR(
          RefuseDeputyActingAgainst(model, call.caller.principal, request.name(), now));
    }
    const v1::Principal* current = model.FindPrincipal(request.name());
    if (current == nullptr) return PrincipalNotFound(request.name());
    if (current->state() == v1::PRINCIPAL_STATE_LEFT) {
      return absl::FailedPreconditionError(absl::StrCat(current->name(), " has already left"));
    }
    const auto now_proto = ToProto(now);
    v1::Principal left = *current;
    left.set_state(v1::PRINCIPAL_STATE_LEFT);
    *left.mutable_left_time() = now_proto;
    *left.mutable_update_time() = now_proto;
    *left.mutable_record_time() = now_proto;
    SetEtag(left);
    m.changes.principals.push_back(left);
    m.field_changes = DiffFields(*current, left);
    *response.mutable_principal() = left;

    std::vector<std::string> ended_assignments;
    std::vector<std::string> ended_delegations;
    auto end_delegation = [&](const Delegation& delegation) {
      if (EndOf(delegation) <= now) return;
      for (const Delegation& already : m.changes.delegations) {
        if (already.name() == delegation.name()) return;
      }
      Delegation ended = Revoked(delegation, now, call.caller.principal);
      *ended.mutable_record_time() = now_proto;
      SetEtag(ended);
      m.changes.delegations.push_back(ended);
      *response.add_ended_delegations() = ended;
      ended_delegations.push_back(ended.name());
    };
    for (const Assignment* held : model.AssignmentsOfPrincipal(current->name())) {
      if (EndOf(*held) <= now) continue;
      Assignment ended = Revoked(*held, now, call.caller.principal, "principal left");
      *ended.mutable_record_time() = now_proto;
      SetEtag(ended);
      m.changes.assignments.push_back(ended);
      *response.add_ended_assignments() = ended;
      ended_assignments.push_back(ended.name());
      for (const Delegation* delegation : model.DelegationsOf(held->name())) {
        end_delegation(*delegation);
      }
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
    for (const Delegation* delegation : model.DelegationsTo(current->name())) {
      end_delegation(*delegation);
    }
    // A leaver's memberships end too: no group keeps acting through them.
    std::vector<std::string> left_groups;
    for (const std::string& group_name : model.GroupsOf(current->name())) {
      const v1::Principal* group = model.FindPrincipal(group_name);
      if (group == nullptr) continue;
      v1::Principal without = *group;
      without.clear_members();
      for (const std::string& member : group->members()) {
        if (member != current->name()) without.add_members(member);
      }
      *without.mutable_update_time() = now_proto;
      *without.mutable_record_time() = now_proto;
      SetEtag(without);
      m.changes.principals.push_back(without);
      left_groups.push_back(group_name);
    }
    if (!left_groups.empty()) m.attributes["left_groups"] = absl::StrJoin(left_groups, ",");
    m.description =
        absl::StrCat(current->name(), " left; ended ", response.ended_assignments_size(),
                     " assignment(s) and ", response.ended_delegations_size(), " delegation(s)");
    if (!ended_assignments.empty()) {
      m.attributes["ended_assignments"] = absl::StrJoin(ended_assignments, ",");
    }
    if (!ended_delegations.empty()) {
      m.attributes["ended_delegations"] = absl::StrJoin(ended_delegations, ",");
    }
    return absl::OkStatus();
  }));
  return response;
}

}  // namespace isms::role
