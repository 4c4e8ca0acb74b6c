// RoleRegistry: the role catalogue (Get, List, Create, Update, Delete).

#include "absl/strings/str_cat.h"
#include "common/api/etag.h"
#include "common/api/field_mask.h"
#include "common/api/paginate.h"
#include "common/audit/field_changes.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/role/catalogue.h"
#include "services/role/role_registry.h"
#include "services/role/role_validation.h"
#include "services/role/segregation.h"
#include "services/role/statutory_rules.h"

namespace isms::role {
namespace {

// FailedPrecondition unless every role `role` refers to exists.
absl::Status CheckReferences(const RoleModel& model, const v1::Role& role) {
  auto check = [&](absl::string_view field, const std::string& name) -> absl::Status {
    if (name.empty() || name == role.name() || model.FindRole(name) != nullptr) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(
        absl::StrCat("reference rule: role.", field, " names ", name, ", which does not exist"));
  };
  ISMS_RETURN_IF_ERROR(check("deputy_for", role.deputy_for()));
  if (const Role* deputised = model.FindRole(role.deputy_for()); deputised != nullptr) {
    // A deputy acts in the deputised role's own scope, and deputies do not chain.
    if (deputised->scope_kind() != role.scope_kind()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "reference rule: role.deputy_for names ", deputised->name(),
          ", which is held in another kind of scope; a deputy role is held like the role it "
          "deputises for"));
    }
    if (!deputised->deputy_for().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("reference rule: role.deputy_for names ", deputised->name(),
                       ", itself a deputy; deputies do not chain"));
    }
  }
  for (const auto& name : role.accountable_to())
    ISMS_RETURN_IF_ERROR(check("accountable_to", name));
  for (const auto& name : role.conflicting_roles()) {
    ISMS_RETURN_IF_ERROR(check("conflicting_roles", name));
  }
  return absl::OkStatus();
}

// The first other role that refers to `name`, as "roles/x (field)".
std::string FindReferrer(const RoleModel& model, absl::string_view name) {
  for (const auto& [other_name, other] : model.roles()) {
    if (other_name == name) continue;
    if (other.deputy_for() == name) return absl::StrCat(other_name, " (deputy_for)");
    for (const auto& ref : other.accountable_to()) {
      if (ref == name) return absl::StrCat(other_name, " (accountable_to)");
    }
    for (const auto& ref : other.conflicting_roles()) {
      if (ref == name) return absl::StrCat(other_name, " (conflicting_roles)");
    }
  }
  return "";
}

absl::Status RoleNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

// PermissionDenied when the caller holds `role_name` (through any path, now
// or from a later start) or deputises for it: nobody changes the rules of a
// role they hold.
absl::Status RefuseOwnRole(const RoleModel& model, const CallInfo& call,
                           absl::string_view role_name, absl::Time now) {
  std::optional<HeldRole> held =
      FindHeldRoleInPeriod(model, call.caller.principal, role_name, now, absl::InfiniteFuture());
  if (!held.has_value()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("self-raise rule: ", call.caller.principal,
                                                  " holds ", role_name, " through ", held->via,
                                                  " and may not change that role's rules"));
}

}  // namespace

absl::StatusOr<v1::Role> RoleRegistry::GetRole(const CallInfo& call,
                                               const v1::GetRoleRequest& request) const {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "roles"));
  return Read<v1::Role>(
      call, request, request.name(), [](const RoleModel&) { return absl::OkStatus(); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::Role> {
        const v1::Role* role = model.FindRole(request.name());
        if (role == nullptr) return RoleNotFound(request.name());
        return *role;
      });
}

absl::StatusOr<v1::ListRolesResponse> RoleRegistry::ListRoles(
    const CallInfo& call, const v1::ListRolesRequest& request) const {
  return Read<v1::ListRolesResponse>(
      call, request, "roles", [](const RoleModel&) { return absl::OkStatus(); },
      [&](const RoleModel& model) -> absl::StatusOr<v1::ListRolesResponse> {
        v1::ListRolesResponse response;
        ISMS_RETURN_IF_ERROR(Paginate(
            model.roles(), request.page_size(), request.page_token(), "roles",
            [](const v1::Role&) { return true; }, response.mutable_roles(),
            response.mutable_next_page_token()));
        return response;
      });
}

absl::StatusOr<v1::Role> RoleRegistry::CreateRole(const CallInfo& call,
                                                  const v1::CreateRoleRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateId("role_id", request.role_id()));
  v1::Role role = request.role();
  role.set_name(absl::StrCat("roles/", request.role_id()));
  ISMS_RETURN_IF_ERROR(ValidateRole(role, "role"));
  ISMS_RETURN_IF_ERROR(Mutate(call, role.name(), [&](const RoleModel& model, Mutation& m) {
    m.field_changes = DiffFields(v1::Role(), role);
    ISMS_RETURN_IF_ERROR(Require(model, call, kManageRoles, ""));
    if (!role.deputy_for().empty()) {
      // Nobody adds a deputy to a role they hold or stand in for.
      ISMS_RETURN_IF_ERROR(RefuseOwnRole(model, call, role.deputy_for(), clock_.Now()));
    }
    if (model.FindRole(role.name()) != nullptr) {
      return absl::AlreadyExistsError(absl::StrCat(role.name(), " already exists"));
    }
    ISMS_RETURN_IF_ERROR(CheckStatutoryRules(role));
    ISMS_RETURN_IF_ERROR(CheckReferences(model, role));
    role.set_code(RoleCode(role.name()));
    *role.mutable_create_time() = ToProto(clock_.Now());
    *role.mutable_update_time() = role.create_time();
    SetEtag(role);
    m.changes.created.insert(role.name());
    m.changes.roles.push_back(role);
    m.field_changes = DiffFields(v1::Role(), role);
    m.description = absl::StrCat("created ", role.name());
    return absl::OkStatus();
  }));
  return role;
}

absl::StatusOr<v1::Role> RoleRegistry::UpdateRole(const CallInfo& call,
                                                  const v1::UpdateRoleRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("role.name", request.role().name(), "roles"));
  ISMS_RETURN_IF_ERROR(ValidateRoleUpdateMask(request.update_mask()));
  v1::Role updated;
  ISMS_RETURN_IF_ERROR(
      Mutate(call, request.role().name(), [&](const RoleModel& model, Mutation& m) {
        m.attributes["update_mask"] = MaskPaths(request.update_mask());
        const v1::Role* current = model.FindRole(request.role().name());
        {
          v1::Role asked = current == nullptr ? v1::Role() : *current;
          ApplyUpdateMask(request.role(), request.update_mask(), &asked);
          m.field_changes = DiffFields(current == nullptr ? v1::Role() : *current, asked);
        }
        ISMS_RETURN_IF_ERROR(Require(model, call, kManageRoles, ""));
        ISMS_RETURN_IF_ERROR(RefuseOwnRole(model, call, request.role().name(), clock_.Now()));
        if (!request.role().deputy_for().empty()) {
          ISMS_RETURN_IF_ERROR(
              RefuseOwnRole(model, call, request.role().deputy_for(), clock_.Now()));
        }
        if (current == nullptr) return RoleNotFound(request.role().name());
        ISMS_RETURN_IF_ERROR(CheckEtag(current->name(), request.role().etag(), current->etag()));
        updated = *current;
        ApplyUpdateMask(request.role(), request.update_mask(), &updated);
        ISMS_RETURN_IF_ERROR(ValidateRole(updated, "role"));
        ISMS_RETURN_IF_ERROR(CheckStatutoryRules(updated));
        ISMS_RETURN_IF_ERROR(CheckReferences(model, updated));
        const absl::Time now = clock_.Now();
        // Making the role a deputy hands its holders another role: segregation
        // of duties holds for them as at an appointment.
        if (updated.deputy_for() != current->deputy_for() && !updated.deputy_for().empty()) {
          const std::vector<HeldRole> handed = {
              {updated.deputy_for(), absl::StrCat(updated.name(), " as deputy")}};
          for (const Assignment* assignment : model.AssignmentsOfRole(updated.name())) {
            if (EndOf(*assignment) <= now || assignment->has_void_time()) continue;
            std::optional<Conflict> conflict = FindConflict(
                model, handed,
                HeldRolesInPeriod(model, assignment->principal(), now, absl::InfiniteFuture()));
            if (conflict.has_value()) {
              return absl::FailedPreconditionError(
                  absl::StrCat("segregation-of-duties rule: ", assignment->principal(), " holds ",
                               updated.name(), " and would act as ", conflict->held.role,
                               ", which conflicts with ", conflict->other.role, " held through ",
                               conflict->other.via));
            }
          }
        }
        // Handing management permissions to a filled role ends bootstrap as
        // an appointment to a management role would.
        bool filled = false;
        for (const Assignment* assignment : model.AssignmentsOfRole(updated.name())) {
          if (EndOf(*assignment) > now && !assignment->has_void_time()) filled = true;
        }
        if (filled) {
          const std::string closed = ClosedBootstrapWindows(model, updated);
          if (!closed.empty()) m.changes.settings[kBootstrapWindowsSetting] = closed;
        }
        *updated.mutable_update_time() = ToProto(now);
        SetEtag(updated);
        m.changes.roles.push_back(updated);
        m.field_changes = DiffFields(*current, updated);
        m.description =
            absl::StrCat("updated ", updated.name(), " fields ", MaskPaths(request.update_mask()));
        return absl::OkStatus();
      }));
  return updated;
}

absl::Status RoleRegistry::DeleteRole(const CallInfo& call, const v1::DeleteRoleRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "roles"));
  return Mutate(call, request.name(), [&](const RoleModel& model, Mutation& m) {
    ISMS_RETURN_IF_ERROR(Require(model, call, kManageRoles, ""));
    ISMS_RETURN_IF_ERROR(RefuseOwnRole(model, call, request.name(), clock_.Now()));
    const v1::Role* role = model.FindRole(request.name());
    if (role == nullptr) return RoleNotFound(request.name());
    ISMS_RETURN_IF_ERROR(CheckEtag(role->name(), request.etag(), role->etag()));
    if (IsStatutoryRole(role->name())) {
      return absl::FailedPreconditionError(absl::StrCat("statutory rule: ", role->name(),
                                                        " is required by the seeds' mandatory "
                                                        "requirements and cannot be deleted"));
    }
    const absl::Time now = clock_.Now();
    for (const Assignment* assignment : model.AssignmentsOfRole(role->name())) {
      if (EndOf(*assignment) > now) {
        return absl::FailedPreconditionError(
            absl::StrCat("held-role rule: ", role->name(), " is held by ", assignment->principal(),
                         " through ", assignment->name(), "; revoke it first"));
      }
    }
    const std::string referrer = FindReferrer(model, role->name());
    if (!referrer.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("reference rule: ", role->name(), " is referred to by ", referrer));
    }
    m.changes.deleted_roles.push_back(role->name());
    m.field_changes = DiffFields(*role, v1::Role());
    m.description = absl::StrCat("deleted ", role->name());
    return absl::OkStatus();
  });
}

}  // namespace isms::role
