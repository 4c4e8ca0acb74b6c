#include "services/role/coverage.h"

#include "services/role/appointment_rules.h"

namespace isms::role {

isms::role::v1::CoverageReport BuildCoverageReport(const RoleModel& model, absl::Time at,
                                                   absl::Duration window) {
  isms::role::v1::CoverageReport report;
  for (const auto& [name, role] : model.roles()) {
    if (role.mandatory() && role.scope_kind() == isms::role::v1::SCOPE_KIND_ORGANISATION &&
        model.HoldersAt(name, "", at).empty()) {
      report.add_vacant_mandatory_roles(name);
    }
  }
  const absl::Time horizon = at + window;
  for (const auto& [name, assignment] : model.assignments()) {
    if (!IsActiveAt(assignment, at)) continue;
    const Role* role = model.FindRole(assignment.role());
    if (role != nullptr) {
      std::string failure = RequirementFailure(*role, model.FindPrincipal(assignment.principal()));
      if (!failure.empty()) {
        auto* violation = report.add_violations();
        violation->set_assignment(name);
        violation->set_role(assignment.role());
        violation->set_principal(assignment.principal());
        violation->set_rule(std::move(failure));
      }
    }
    if (EndOf(assignment) <= horizon) *report.add_ending_assignments() = assignment;
  }
  for (const auto& [name, delegation] : model.delegations()) {
    if (IsActiveAt(delegation, at) && EndOf(delegation) <= horizon) {
      *report.add_ending_delegations() = delegation;
    }
  }
  return report;
}

}  // namespace isms::role
