#include "services/role/role_validation.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"

namespace isms::role {
namespace {

using isms::role::v1::Assignment;
using isms::role::v1::Delegation;
using isms::role::v1::Principal;
using isms::role::v1::Role;

// Groups such as "all staff" outgrow the general limit on lists.
constexpr size_t kMaxGroupMembers = 5000;

std::string Field(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

absl::Status ValidateRoleNames(absl::string_view field,
                               const google::protobuf::RepeatedPtrField<std::string>& names) {
  ISMS_RETURN_IF_ERROR(ValidateCount(field, names.size()));
  for (int i = 0; i < names.size(); ++i) {
    ISMS_RETURN_IF_ERROR(ValidateResourceName(absl::StrCat(field, "[", i, "]"), names[i], "roles"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMask(const google::protobuf::FieldMask& mask,
                          const std::set<std::string>& allowed) {
  if (mask.paths_size() == 0) {
    return absl::InvalidArgumentError("update_mask: required; name the fields to change");
  }
  for (const std::string& path : mask.paths()) {
    if (allowed.count(path) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: field '", path.substr(0, 64), "' cannot be updated"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateOptionalTime(absl::string_view field, bool has,
                                  const google::protobuf::Timestamp& time) {
  if (has && !IsValidTimestamp(time)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a valid timestamp"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRole(const Role& role, absl::string_view prefix) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName(Field(prefix, "name"), role.name(), "roles"));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "title"), role.title(), kMaxShortTextLength, true));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "description"), role.description(), kMaxLongTextLength, false));
  ISMS_RETURN_IF_ERROR(ValidateText(Field(prefix, "source_document"), role.source_document(),
                                    kMaxShortTextLength, false));
  ISMS_RETURN_IF_ERROR(ValidateText(Field(prefix, "mandatory_requirement"),
                                    role.mandatory_requirement(), kMaxShortTextLength, false));
  const std::string responsibilities = Field(prefix, "responsibilities");
  ISMS_RETURN_IF_ERROR(ValidateCount(responsibilities, role.responsibilities_size()));
  std::set<std::string> ids;
  for (int i = 0; i < role.responsibilities_size(); ++i) {
    const auto& responsibility = role.responsibilities(i);
    const std::string at = absl::StrCat(responsibilities, "[", i, "]");
    ISMS_RETURN_IF_ERROR(ValidateId(absl::StrCat(at, ".id"), responsibility.id()));
    ISMS_RETURN_IF_ERROR(
        ValidateText(absl::StrCat(at, ".text"), responsibility.text(), kMaxLongTextLength, true));
    if (!ids.insert(responsibility.id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".id: duplicate id ", responsibility.id()));
    }
    ISMS_RETURN_IF_ERROR(
        ValidateCount(absl::StrCat(at, ".permissions"), responsibility.permissions_size()));
    for (int j = 0; j < responsibility.permissions_size(); ++j) {
      const std::string field = absl::StrCat(at, ".permissions[", j, "]");
      const std::string& permission = responsibility.permissions(j);
      ISMS_RETURN_IF_ERROR(ValidatePermission(field, permission));
      if (std::find(role.permissions().begin(), role.permissions().end(), permission) ==
          role.permissions().end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": ", permission, " is not among the role's permissions"));
      }
      if (permission == "isms.roles.manage" || permission == "isms.principals.manage" ||
          permission == "isms.assignments.manage") {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": management permissions are never delegable"));
      }
    }
  }
  ISMS_RETURN_IF_ERROR(ValidateRoleNames(Field(prefix, "accountable_to"), role.accountable_to()));
  ISMS_RETURN_IF_ERROR(
      ValidateRoleNames(Field(prefix, "conflicting_roles"), role.conflicting_roles()));
  if (std::find(role.conflicting_roles().begin(), role.conflicting_roles().end(), role.name()) !=
      role.conflicting_roles().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(prefix, "conflicting_roles"), ": a role cannot conflict with itself"));
  }
  if (!role.deputy_for().empty()) {
    ISMS_RETURN_IF_ERROR(
        ValidateResourceName(Field(prefix, "deputy_for"), role.deputy_for(), "roles"));
    if (role.deputy_for() == role.name()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Field(prefix, "deputy_for"), ": a role cannot deputise for itself"));
    }
  }
  if (role.scope_kind() == isms::role::v1::SCOPE_KIND_UNSPECIFIED ||
      !isms::role::v1::ScopeKind_IsValid(role.scope_kind())) {
    return absl::InvalidArgumentError(absl::StrCat(Field(prefix, "scope_kind"), ": required"));
  }
  if (role.holder_kind() == isms::role::v1::HOLDER_KIND_UNSPECIFIED ||
      !isms::role::v1::HolderKind_IsValid(role.holder_kind())) {
    return absl::InvalidArgumentError(absl::StrCat(Field(prefix, "holder_kind"), ": required"));
  }
  if (role.max_holders() < 0 || role.max_holders() > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(prefix, "max_holders"), ": want 0 (no limit) to 100000"));
  }
  const std::string permissions = Field(prefix, "permissions");
  ISMS_RETURN_IF_ERROR(ValidateCount(permissions, role.permissions_size()));
  for (int i = 0; i < role.permissions_size(); ++i) {
    ISMS_RETURN_IF_ERROR(
        ValidatePermission(absl::StrCat(permissions, "[", i, "]"), role.permissions(i)));
  }
  return absl::OkStatus();
}

absl::Status ValidatePrincipal(const Principal& principal, absl::string_view prefix) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName(Field(prefix, "name"), principal.name(), "principals"));
  ISMS_RETURN_IF_ERROR(ValidateText(Field(prefix, "display_name"), principal.display_name(),
                                    kMaxShortTextLength, true));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "email"), principal.email(), kMaxShortTextLength, false));
  if (!principal.email().empty() && principal.email().find('@') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(Field(prefix, "email"), ": not an address"));
  }
  if (principal.kind() == isms::role::v1::PRINCIPAL_KIND_UNSPECIFIED ||
      !isms::role::v1::PrincipalKind_IsValid(principal.kind())) {
    return absl::InvalidArgumentError(absl::StrCat(Field(prefix, "kind"), ": required"));
  }
  const std::string members = Field(prefix, "members");
  if (principal.kind() != isms::role::v1::PRINCIPAL_KIND_GROUP && principal.members_size() > 0) {
    return absl::InvalidArgumentError(absl::StrCat(members, ": only groups have members"));
  }
  ISMS_RETURN_IF_ERROR(ValidateCount(members, principal.members_size(), kMaxGroupMembers));
  std::set<std::string> seen;
  for (int i = 0; i < principal.members_size(); ++i) {
    const std::string at = absl::StrCat(members, "[", i, "]");
    ISMS_RETURN_IF_ERROR(ValidateResourceName(at, principal.members(i), "principals"));
    if (principal.members(i) == principal.name() || !seen.insert(principal.members(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": self or duplicate member"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateNewAssignment(const Assignment& assignment) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("assignment.role", assignment.role(), "roles"));
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName("assignment.principal", assignment.principal(), "principals"));
  if (!assignment.scope().empty()) {
    ISMS_RETURN_IF_ERROR(ValidateAnyResourceName("assignment.scope", assignment.scope()));
  }
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime(
      "assignment.effective_from", assignment.has_effective_from(), assignment.effective_from()));
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime("assignment.effective_until",
                                            assignment.has_effective_until(),
                                            assignment.effective_until()));
  if (assignment.has_effective_from() && assignment.has_effective_until() &&
      FromProto(assignment.effective_until()) <= FromProto(assignment.effective_from())) {
    return absl::InvalidArgumentError("assignment.effective_until: must be after effective_from");
  }
  ISMS_RETURN_IF_ERROR(ValidateText("assignment.late_justification",
                                    assignment.late_justification(), kMaxLongTextLength, false));
  return ValidateText("assignment.waiver_justification", assignment.waiver_justification(),
                      kMaxLongTextLength, false);
}

absl::Status ValidateNewAbsence(const isms::role::v1::Absence& absence) {
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName("absence.principal", absence.principal(), "principals"));
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime("absence.effective_from", absence.has_effective_from(),
                                            absence.effective_from()));
  if (!absence.has_effective_until()) {
    return absl::InvalidArgumentError("absence.effective_until: required; absences end");
  }
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalTime("absence.effective_until", true, absence.effective_until()));
  if (absence.has_effective_from() &&
      FromProto(absence.effective_until()) <= FromProto(absence.effective_from())) {
    return absl::InvalidArgumentError("absence.effective_until: must be after effective_from");
  }
  return ValidateText("absence.reason", absence.reason(), kMaxLongTextLength, false);
}

absl::Status ValidateNewDelegation(const Delegation& delegation) {
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName("delegation.assignment", delegation.assignment(), "assignments"));
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName("delegation.delegate", delegation.delegate(), "principals"));
  if (delegation.permission().empty() == delegation.responsibility().empty()) {
    return absl::InvalidArgumentError(
        "delegation.permission: set exactly one of permission and responsibility");
  }
  if (!delegation.permission().empty()) {
    ISMS_RETURN_IF_ERROR(ValidatePermission("delegation.permission", delegation.permission()));
  } else {
    ISMS_RETURN_IF_ERROR(ValidateId("delegation.responsibility", delegation.responsibility()));
  }
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime(
      "delegation.effective_from", delegation.has_effective_from(), delegation.effective_from()));
  if (!delegation.has_effective_until()) {
    return absl::InvalidArgumentError("delegation.effective_until: required; delegations end");
  }
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalTime("delegation.effective_until", true, delegation.effective_until()));
  if (delegation.has_effective_from() &&
      FromProto(delegation.effective_until()) <= FromProto(delegation.effective_from())) {
    return absl::InvalidArgumentError("delegation.effective_until: must be after effective_from");
  }
  return absl::OkStatus();
}

absl::Status ValidateRoleUpdateMask(const google::protobuf::FieldMask& mask) {
  static const auto* allowed = new std::set<std::string>{"title",
                                                         "description",
                                                         "responsibilities",
                                                         "source_document",
                                                         "mandatory_requirement",
                                                         "mandatory",
                                                         "board_level_required",
                                                         "accountable_to",
                                                         "deputy_for",
                                                         "scope_kind",
                                                         "holder_kind",
                                                         "max_holders",
                                                         "conflicting_roles",
                                                         "permissions"};
  return ValidateMask(mask, *allowed);
}

absl::Status ValidatePrincipalUpdateMask(const google::protobuf::FieldMask& mask) {
  static const auto* allowed =
      new std::set<std::string>{"display_name", "email", "members", "board_level"};
  return ValidateMask(mask, *allowed);
}

absl::Status ValidateBatchSize(absl::string_view field, int size) {
  if (size < 1 || size > kMaxBatchWrites) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want 1 to ", kMaxBatchWrites, " items, got ", size));
  }
  return absl::OkStatus();
}

void SetItemStatus(const absl::Status& status, int index, v1::ItemStatus& out) {
  out.set_code(static_cast<int>(status.code()));
  if (status.ok()) return;
  out.set_message(status.code() == absl::StatusCode::kInvalidArgument
                      ? absl::StrCat("requests[", index, "].", status.message())
                      : std::string(status.message()));
}

absl::Status ValidatePrincipalView(int view) {
  if (!v1::PrincipalView_IsValid(view)) {
    return absl::InvalidArgumentError(
        absl::StrCat("view: ", view, " is not a PrincipalView (want BASIC or FULL)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateListAssignmentsRequest(const isms::role::v1::ListAssignmentsRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateOptionalResourceName("role", request.role(), "roles"));
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalResourceName("principal", request.principal(), "principals"));
  if (!request.scope().empty()) {
    ISMS_RETURN_IF_ERROR(ValidateAnyResourceName("scope", request.scope()));
  }
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime("as_recorded_at", request.has_as_recorded_at(),
                                            request.as_recorded_at()));
  return ValidateOptionalTime("active_at", request.has_active_at(), request.active_at());
}

absl::Status ValidateListDelegationsRequest(const isms::role::v1::ListDelegationsRequest& request) {
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalResourceName("assignment", request.assignment(), "assignments"));
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalResourceName("delegator", request.delegator(), "principals"));
  ISMS_RETURN_IF_ERROR(ValidateOptionalResourceName("delegate", request.delegate(), "principals"));
  return ValidateOptionalTime("active_at", request.has_active_at(), request.active_at());
}

absl::Status ValidateCheckRequest(const isms::role::v1::CheckPermissionRequest& request,
                                  absl::string_view prefix) {
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName(Field(prefix, "principal"), request.principal(), "principals"));
  ISMS_RETURN_IF_ERROR(ValidatePermission(Field(prefix, "permission"), request.permission()));
  if (!request.resource().empty()) {
    ISMS_RETURN_IF_ERROR(ValidateAnyResourceName(Field(prefix, "resource"), request.resource()));
  }
  ISMS_RETURN_IF_ERROR(ValidateOptionalTime(
      Field(prefix, "as_recorded_at"), request.has_as_recorded_at(), request.as_recorded_at()));
  return ValidateOptionalTime(Field(prefix, "check_time"), request.has_check_time(),
                              request.check_time());
}

}  // namespace isms::role
