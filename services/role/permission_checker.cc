#include "services/role/permission_checker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/time/proto_time.h"

namespace isms::role {
namespace {

using isms::role::v1::CheckPermissionResponse;
using isms::role::v1::DecisionStep;

void AddStep(CheckPermissionResponse& response, DecisionStep::Kind kind,
             absl::string_view resource) {
  DecisionStep* step = response.add_chain();
  step->set_kind(kind);
  step->set_resource(std::string(resource));
}

// Why a deputy may act for `deputised` in `scope`: the role is vacant, or
// every holder is absent. Empty when neither holds.
struct DeputyReason {
  DecisionStep::Kind kind = DecisionStep::KIND_UNSPECIFIED;
  std::string resource;
  std::string text;
};

DeputyReason WhyDeputyActs(const RoleModel& model, const Role& deputised, absl::string_view scope,
                           const TimePoint& when) {
  const std::vector<std::string> holders = model.HoldersAt(deputised.name(), scope, when);
  std::vector<std::string> available;
  DeputyReason reason;
  for (const std::string& holder : holders) {
    if (!IsPrincipalActiveAt(model.PrincipalAt(holder, when), when.at)) continue;
    const Absence* absence_in_force = nullptr;
    for (const Absence* current : model.AbsencesOf(holder)) {
      const Absence* absence = model.AbsenceAt(*current, when);
      if (absence != nullptr && IsActiveAt(*absence, when.at)) {
        absence_in_force = absence;
        break;
      }
    }
    if (absence_in_force == nullptr) return DeputyReason{};  // A holder is there.
    reason = {DecisionStep::KIND_ABSENCE, absence_in_force->name(),
              absl::StrCat(holder, " is absent (", absence_in_force->name(), ")")};
  }
  if (reason.kind == DecisionStep::KIND_UNSPECIFIED) {
    reason = {DecisionStep::KIND_VACANCY, deputised.name(),
              absl::StrCat(deputised.name(), " is vacant", scope.empty() ? "" : " for ", scope)};
  }
  return reason;
}

// How `assignment` (in force at when.at) grants `permission` on `resource`:
// through its own role, or as deputy while that is necessary. Returns false
// if it does not; otherwise appends the steps and sets `text`.
bool AssignmentGrants(const RoleModel& model, const Assignment& assignment,
                      absl::string_view permission, absl::string_view resource,
                      const TimePoint& when, CheckPermissionResponse& response, std::string* text) {
  if (!ScopeCovers(assignment.scope(), resource)) return false;
  const Role* role = model.RoleAt(assignment.role(), when);
  if (role == nullptr) return false;
  std::string holds = absl::StrCat("holds ", assignment.role(), " through ", assignment.name(),
                                   assignment.scope().empty() ? "" : " for ", assignment.scope());
  if (RoleGrants(*role, permission)) {
    AddStep(response, DecisionStep::KIND_ASSIGNMENT, assignment.name());
    *text = std::move(holds);
    return true;
  }
  if (role->deputy_for().empty()) return false;
  const Role* deputised = model.RoleAt(role->deputy_for(), when);
  if (deputised == nullptr || !RoleGrants(*deputised, permission)) return false;
  // Vacancy and absence are judged in the deputised role's own scope: a
  // deputy of an organisation-wide role acts only while that role is vacant
  // organisation-wide.
  // Both branches string_view: mixing "" with a std::string would make a
  // temporary string the view outlives.
  const absl::string_view scope = deputised->scope_kind() == v1::SCOPE_KIND_ORGANISATION
                                      ? absl::string_view()
                                      : absl::string_view(assignment.scope());
  DeputyReason why = WhyDeputyActs(model, *deputised, scope, when);
  if (why.kind == DecisionStep::KIND_UNSPECIFIED) return false;
  AddStep(response, DecisionStep::KIND_ASSIGNMENT, assignment.name());
  AddStep(response, DecisionStep::KIND_DEPUTY, deputised->name());
  AddStep(response, why.kind, why.resource);
  *text = absl::StrCat(holds, ", which deputises for ", deputised->name(), " while ", why.text);
  return true;
}

// True when the group (as it stood at `when`) was active and listed
// `principal`.
bool WasMember(const RoleModel& model, absl::string_view group_name, absl::string_view principal,
               const TimePoint& when) {
  const Principal* group = model.PrincipalAt(group_name, when);
  if (!IsPrincipalActiveAt(group, when.at)) return false;
  if (group == model.FindPrincipal(group_name)) {  // The current record: use the index.
    return model.GroupsOf(principal).contains(group_name);
  }
  return std::find(group->members().begin(), group->members().end(), principal) !=
         group->members().end();
}

// True when `delegation` hands over `permission`: by name, or through a
// responsibility of `role` tied to it.
bool DelegationCovers(const Delegation& delegation, const Role& role,
                      absl::string_view permission) {
  if (!delegation.permission().empty()) return delegation.permission() == permission;
  if (delegation.granted_permissions_size() > 0) {  // Fixed when delegated.
    return std::find(delegation.granted_permissions().begin(),
                     delegation.granted_permissions().end(),
                     permission) != delegation.granted_permissions().end();
  }
  const v1::Responsibility* responsibility = FindResponsibility(role, delegation.responsibility());
  if (responsibility == nullptr) return false;
  return std::find(responsibility->permissions().begin(), responsibility->permissions().end(),
                   permission) != responsibility->permissions().end();
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

bool IsManagePermission(absl::string_view permission) {
  return permission == kManageRoles || permission == kManagePrincipals ||
         permission == kManageAssignments;
}

CheckPermissionResponse PermissionChecker::Check(const RoleModel& model,
                                                 absl::string_view principal,
                                                 absl::string_view permission,
                                                 absl::string_view resource,
                                                 const TimePoint& when) const {
  CheckPermissionResponse response;
  const absl::Time at = when.at;
  const bool is_bootstrap = !bootstrap_principal_.empty() && principal == bootstrap_principal_;
  const Principal* record = model.PrincipalAt(principal, when);
  std::string text;
  if (IsPrincipalActiveAt(record, at)) {
    // Own assignments.
    for (const Assignment* current : model.AssignmentsOfPrincipal(principal)) {
      const Assignment* assignment = model.AssignmentAt(*current, when);
      if (assignment == nullptr || !IsActiveAt(*assignment, at)) continue;
      if (!AssignmentGrants(model, *assignment, permission, resource, when, response, &text)) {
        continue;
      }
      response.set_allowed(true);
      response.set_explanation(absl::StrCat(principal, " ", text));
      return response;
    }
    // Assignments of groups the principal was a member of.
    const bool current_groups = model.PrincipalsCurrentAt(when);
    for (const std::string& group_name :
         current_groups ? model.GroupsOf(principal) : model.GroupsEverOf(principal)) {
      if (current_groups ? !IsPrincipalActiveAt(model.FindPrincipal(group_name), at)
                         : !WasMember(model, group_name, principal, when)) {
        continue;
      }
      for (const Assignment* current : model.AssignmentsOfPrincipal(group_name)) {
        const Assignment* assignment = model.AssignmentAt(*current, when);
        if (assignment == nullptr || !IsActiveAt(*assignment, at)) continue;
        CheckPermissionResponse steps;
        if (!AssignmentGrants(model, *assignment, permission, resource, when, steps, &text)) {
          continue;
        }
        response.set_allowed(true);
        AddStep(response, DecisionStep::KIND_GROUP_MEMBERSHIP, group_name);
        response.mutable_chain()->MergeFrom(steps.chain());
        response.set_explanation(absl::StrCat(principal, " as member of ", group_name, " ", text));
        return response;
      }
    }
    // Delegations to the principal; the manage permissions never pass this way.
    if (!IsManagePermission(permission)) {
      for (const Delegation* current : model.DelegationsTo(principal)) {
        const Delegation* delegation = model.DelegationAt(*current, when);
        if (delegation == nullptr || !IsActiveAt(*delegation, at)) continue;
        const Assignment* held = model.FindAssignment(delegation->assignment());
        const Assignment* assignment = held == nullptr ? nullptr : model.AssignmentAt(*held, when);
        if (assignment == nullptr || !IsActiveAt(*assignment, at) ||
            !IsPrincipalActiveAt(model.PrincipalAt(assignment->principal(), when), at)) {
          continue;
        }
        const Role* role = model.RoleAt(assignment->role(), when);
        if (role == nullptr || !DelegationCovers(*delegation, *role, permission)) continue;
        CheckPermissionResponse steps;
        if (!AssignmentGrants(model, *assignment, permission, resource, when, steps, &text)) {
          continue;
        }
        response.set_allowed(true);
        AddStep(response, DecisionStep::KIND_DELEGATION, delegation->name());
        response.mutable_chain()->MergeFrom(steps.chain());
        response.set_explanation(absl::StrCat(principal, " on behalf of ", assignment->principal(),
                                              " via ", delegation->name(), "; ",
                                              assignment->principal(), " ", text));
        return response;
      }
    }
  }
  // Bootstrap manages, and reads what it manages.
  if (is_bootstrap && (IsManagePermission(permission) || permission == kReadPrincipals)) {
    if (model.BootstrapOpenAt(at)) {
      response.set_allowed(true);
      AddStep(response, DecisionStep::KIND_BOOTSTRAP, principal);
      response.set_explanation(
          absl::StrCat(principal, " is the bootstrap admin inside a bootstrap window (before the "
                                  "first management appointment, or reopened by break-glass)"));
      return response;
    }
  }
  if (is_bootstrap && !model.BootstrapOpenAt(at) && model.LastBootstrapEnd().has_value()) {
    response.set_denial(v1::DENIAL_BOOTSTRAP_ENDED);
    response.set_explanation(absl::StrCat(principal, " is the bootstrap admin; bootstrap ended at ",
                                          Rfc3339(*model.LastBootstrapEnd()),
                                          " and does not return by itself"));
    return response;
  }
  if (record == nullptr) {
    response.set_denial(v1::DENIAL_UNKNOWN_PRINCIPAL);
    response.set_explanation(absl::StrCat(principal, " is unknown: no such principal"));
  } else if (!IsPrincipalActiveAt(record, at)) {
    response.set_denial(v1::DENIAL_PRINCIPAL_LEFT);
    response.set_explanation(
        absl::StrCat(principal, " had left (", Rfc3339(isms::FromProto(record->left_time())), ")"));
  } else {
    response.set_denial(v1::DENIAL_NOT_HELD);
    response.set_explanation(absl::StrCat(principal, " does not hold ", permission,
                                          resource.empty() ? "" : " on ", resource));
  }
  return response;
}

}  // namespace isms::role
