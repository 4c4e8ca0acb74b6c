#include "services/role/permission_checker.h"

#include "absl/strings/str_cat.h"

namespace isms::role {
namespace {

using isms::role::v1::CheckPermissionResponse;
using isms::role::v1::DecisionStep;

bool IsActivePrincipal(const Principal* principal) {
  return principal != nullptr && principal->state() == isms::role::v1::PRINCIPAL_STATE_ACTIVE;
}

// The role that grants `permission` through `assignment`: its own role, or
// the role it deputises for. nullptr if neither does or scope misses.
const Role* GrantingRole(const RoleModel& model, const Assignment& assignment,
                         absl::string_view permission, absl::string_view resource) {
  if (!ScopeCovers(assignment.scope(), resource)) return nullptr;
  const Role* role = model.FindRole(assignment.role());
  if (role == nullptr) return nullptr;
  if (RoleGrants(*role, permission)) return role;
  if (role->deputy_for().empty()) return nullptr;
  const Role* deputised = model.FindRole(role->deputy_for());
  if (deputised != nullptr && RoleGrants(*deputised, permission)) return deputised;
  return nullptr;
}

void AddStep(CheckPermissionResponse& response, DecisionStep::Kind kind,
             absl::string_view resource) {
  DecisionStep* step = response.add_chain();
  step->set_kind(kind);
  step->set_resource(std::string(resource));
}

// Appends the assignment (and deputy) steps and returns the explanation tail.
std::string DescribeAssignment(CheckPermissionResponse& response, const Assignment& assignment,
                               const Role& granting_role) {
  AddStep(response, DecisionStep::KIND_ASSIGNMENT, assignment.name());
  std::string text = absl::StrCat("holds ", assignment.role(), " through ", assignment.name());
  if (!assignment.scope().empty()) absl::StrAppend(&text, " for ", assignment.scope());
  if (granting_role.name() != assignment.role()) {
    AddStep(response, DecisionStep::KIND_DEPUTY, granting_role.name());
    absl::StrAppend(&text, ", which deputises for ", granting_role.name());
  }
  return text;
}

}  // namespace

CheckPermissionResponse PermissionChecker::Check(const RoleModel& model,
                                                 absl::string_view principal,
                                                 absl::string_view permission,
                                                 absl::string_view resource, absl::Time at) const {
  CheckPermissionResponse response;
  if (IsActivePrincipal(model.FindPrincipal(principal))) {
    // Own assignments.
    for (const Assignment* assignment : model.AssignmentsOfPrincipal(principal)) {
      if (!IsActiveAt(*assignment, at)) continue;
      const Role* role = GrantingRole(model, *assignment, permission, resource);
      if (role == nullptr) continue;
      response.set_allowed(true);
      response.set_explanation(
          absl::StrCat(principal, " ", DescribeAssignment(response, *assignment, *role)));
      return response;
    }
    // Assignments of groups the principal belongs to.
    for (const std::string& group_name : model.GroupsOf(principal)) {
      if (!IsActivePrincipal(model.FindPrincipal(group_name))) continue;
      for (const Assignment* assignment : model.AssignmentsOfPrincipal(group_name)) {
        if (!IsActiveAt(*assignment, at)) continue;
        const Role* role = GrantingRole(model, *assignment, permission, resource);
        if (role == nullptr) continue;
        response.set_allowed(true);
        AddStep(response, DecisionStep::KIND_GROUP_MEMBERSHIP, group_name);
        response.set_explanation(absl::StrCat(principal, " as member of ", group_name, " ",
                                              DescribeAssignment(response, *assignment, *role)));
        return response;
      }
    }
    // Delegations to the principal.
    for (const Delegation* delegation : model.DelegationsTo(principal)) {
      if (delegation->permission() != permission || !IsActiveAt(*delegation, at)) continue;
      const Assignment* assignment = model.FindAssignment(delegation->assignment());
      if (assignment == nullptr || !IsActiveAt(*assignment, at) ||
          !IsActivePrincipal(model.FindPrincipal(assignment->principal()))) {
        continue;
      }
      const Role* role = GrantingRole(model, *assignment, permission, resource);
      if (role == nullptr) continue;
      response.set_allowed(true);
      AddStep(response, DecisionStep::KIND_DELEGATION, delegation->name());
      response.set_explanation(absl::StrCat(
          principal, " on behalf of ", assignment->principal(), " via ", delegation->name(), "; ",
          assignment->principal(), " ", DescribeAssignment(response, *assignment, *role)));
      return response;
    }
  }
  if (BootstrapApplies(model, principal, permission, at)) {
    response.set_allowed(true);
    AddStep(response, DecisionStep::KIND_BOOTSTRAP, principal);
    response.set_explanation(
        absl::StrCat(principal, " is the bootstrap admin and nobody holds ", permission, " yet"));
    return response;
  }
  response.set_explanation(absl::StrCat(principal, " does not hold ", permission,
                                        resource.empty() ? "" : " on ", resource));
  return response;
}

bool PermissionChecker::BootstrapApplies(const RoleModel& model, absl::string_view principal,
                                         absl::string_view permission, absl::Time at) const {
  if (bootstrap_principal_.empty() || principal != bootstrap_principal_) return false;
  if (permission != kManageRoles && permission != kManagePrincipals &&
      permission != kManageAssignments) {
    return false;
  }
  for (const auto& [name, role] : model.roles()) {
    if (!RoleGrants(role, permission)) continue;
    for (const Assignment* assignment : model.AssignmentsOfRole(name)) {
      if (IsActiveAt(*assignment, at) &&
          IsActivePrincipal(model.FindPrincipal(assignment->principal()))) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace isms::role
