#include "services/role/appointment_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"
#include "services/role/segregation.h"

namespace isms::role {
namespace {

using isms::role::v1::HOLDER_KIND_GROUP;
using isms::role::v1::HOLDER_KIND_PERSON;
using isms::role::v1::PRINCIPAL_KIND_GROUP;
using isms::role::v1::PRINCIPAL_KIND_PERSON;
using isms::role::v1::PRINCIPAL_STATE_ACTIVE;
using isms::role::v1::SCOPE_KIND_ASSET;

// Voided and rejected appointments never were in force and do not block.
bool Overlaps(const Assignment& existing, const Assignment& candidate) {
  if (existing.has_void_time() || existing.waiver_state() == v1::WAIVER_STATE_REJECTED) {
    return false;
  }
  return FromProto(existing.effective_from()) < EndOf(candidate) &&
         FromProto(candidate.effective_from()) < EndOf(existing);
}

absl::Status Refuse(absl::string_view rule, absl::string_view detail) {
  return absl::FailedPreconditionError(absl::StrCat(rule, ": ", detail));
}

absl::Status CheckScope(const Role& role, const Assignment& candidate) {
  if (role.scope_kind() == SCOPE_KIND_ASSET) {
    const absl::string_view scope = candidate.scope();
    if (!absl::StartsWith(scope, "assets/") || scope.find('/', 7) != absl::string_view::npos) {
      return Refuse("scope rule",
                    absl::StrCat(role.name(), " is held per asset; want scope assets/<id>"));
    }
  } else if (!candidate.scope().empty()) {
    return Refuse("scope rule",
                  absl::StrCat(role.name(), " is organisation-wide; leave scope empty"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string RequirementFailure(const Role& role, const Principal* principal, absl::Time at) {
  if (!IsPrincipalActiveAt(principal, at)) {
    return "holder rule: the holder has left or does not exist";
  }
  if (role.holder_kind() == HOLDER_KIND_PERSON && principal->kind() != PRINCIPAL_KIND_PERSON) {
    return absl::StrCat("holder rule: ", role.name(), " must be held by a person");
  }
  if (role.holder_kind() == HOLDER_KIND_GROUP && principal->kind() != PRINCIPAL_KIND_GROUP) {
    return absl::StrCat("holder rule: ", role.name(), " must be held by a group");
  }
  if (principal->kind() == PRINCIPAL_KIND_GROUP && principal->members_size() == 0) {
    return absl::StrCat("holder rule: ", principal->name(), " holds ", role.name(),
                        " but has no members");
  }
  if (role.board_level_required() && !principal->board_level()) {
    return absl::StrCat("board-level rule: ", role.name(), " needs a board-level holder; ",
                        principal->name(), " is not board-level");
  }
  return "";
}

absl::Status CheckAppointmentRules(const RoleModel& model, const Role& role,
                                   const Principal& principal, const Assignment& candidate,
                                   bool* waiver_needed) {
  *waiver_needed = false;
  const std::string failure = principal.state() == PRINCIPAL_STATE_ACTIVE
                                  ? RequirementFailure(role, &principal, absl::InfiniteFuture())
                                  : "holder rule: the holder has left or does not exist";
  if (!failure.empty()) {
    const size_t colon = failure.find(':');
    return Refuse(failure.substr(0, colon), failure.substr(colon + 2));
  }
  if (absl::Status scope = CheckScope(role, candidate); !scope.ok()) return scope;

  // The appointee's own assignments find a duplicate; the role's holders in
  // this scope are walked only for a role with a maximum (few holders), so
  // appointing staff costs the same at any size of register.
  for (const Assignment* existing : model.AssignmentsOfPrincipal(candidate.principal())) {
    if (existing->role() == role.name() && existing->scope() == candidate.scope() &&
        Overlaps(*existing, candidate)) {
      return Refuse("duplicate rule", absl::StrCat(principal.name(), " already holds ", role.name(),
                                                   " for that period through ", existing->name()));
    }
  }
  if (role.max_holders() > 0) {
    std::set<std::string> other_holders;
    for (const Assignment* existing :
         model.AssignmentsOfRoleInScope(role.name(), candidate.scope())) {
      if (existing->principal() != candidate.principal() && Overlaps(*existing, candidate)) {
        other_holders.insert(existing->principal());
      }
    }
    if (static_cast<int>(other_holders.size()) >= role.max_holders()) {
      return Refuse(
          "maximum-holders rule",
          absl::StrCat(role.name(), " allows ", role.max_holders(), " holder(s) at a time",
                       candidate.scope().empty() ? "" : " per scope", "; held by ",
                       *other_holders.begin(), " in that period"));
    }
  }

  // Segregation of duties, on every path: the appointee (or, for a group,
  // each member) against the role and the role it deputises for.
  const std::vector<HeldRole> wanted = RoleWithDeputised(model, role, "this appointment");
  std::vector<std::string> holders = {principal.name()};
  if (principal.kind() == PRINCIPAL_KIND_GROUP) {
    holders.assign(principal.members().begin(), principal.members().end());
  }
  for (const std::string& holder : holders) {
    std::optional<Conflict> conflict = FindConflict(
        model, wanted,
        HeldRolesInPeriod(model, holder, FromProto(candidate.effective_from()), EndOf(candidate)));
    if (!conflict.has_value()) continue;
    if (candidate.waiver_justification().empty()) {
      return Refuse("segregation-of-duties rule",
                    absl::StrCat(conflict->held.role, " conflicts with ", conflict->other.role,
                                 " held by ", holder, " through ", conflict->other.via,
                                 "; set waiver_justification to ask for a waiver"));
    }
    *waiver_needed = true;
  }
  return absl::OkStatus();
}

}  // namespace isms::role
