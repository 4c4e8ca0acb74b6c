#include "services/role/appointment_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"

namespace isms::role {
namespace {

using isms::role::v1::HOLDER_KIND_GROUP;
using isms::role::v1::HOLDER_KIND_PERSON;
using isms::role::v1::PRINCIPAL_KIND_GROUP;
using isms::role::v1::PRINCIPAL_KIND_PERSON;
using isms::role::v1::PRINCIPAL_STATE_ACTIVE;
using isms::role::v1::SCOPE_KIND_ASSET;

bool Overlaps(const Assignment& a, const Assignment& b) {
  return FromProto(a.effective_from()) < EndOf(b) && FromProto(b.effective_from()) < EndOf(a);
}

bool Lists(const google::protobuf::RepeatedPtrField<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
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

std::string RequirementFailure(const Role& role, const Principal* principal) {
  if (principal == nullptr || principal->state() != PRINCIPAL_STATE_ACTIVE) {
    return "holder rule: the holder has left or does not exist";
  }
  if (role.holder_kind() == HOLDER_KIND_PERSON && principal->kind() != PRINCIPAL_KIND_PERSON) {
    return absl::StrCat("holder rule: ", role.name(), " must be held by a person");
  }
  if (role.holder_kind() == HOLDER_KIND_GROUP && principal->kind() != PRINCIPAL_KIND_GROUP) {
    return absl::StrCat("holder rule: ", role.name(), " must be held by a group");
  }
  if (role.board_level_required() && !principal->board_level()) {
    return absl::StrCat("board-level rule: ", role.name(), " needs a board-level holder; ",
                        principal->name(), " is not board-level");
  }
  return "";
}

absl::Status CheckAppointmentRules(const RoleModel& model, const Role& role,
                                   const Principal& principal, const Assignment& candidate) {
  const std::string failure = RequirementFailure(role, &principal);
  if (!failure.empty()) {
    const size_t colon = failure.find(':');
    return Refuse(failure.substr(0, colon), failure.substr(colon + 2));
  }
  if (absl::Status scope = CheckScope(role, candidate); !scope.ok()) return scope;

  std::set<std::string> other_holders;
  for (const Assignment* existing : model.AssignmentsOfRole(role.name())) {
    if (existing->scope() != candidate.scope() || !Overlaps(*existing, candidate)) continue;
    if (existing->principal() == candidate.principal()) {
      return Refuse("duplicate rule", absl::StrCat(principal.name(), " already holds ", role.name(),
                                                   " for that period through ", existing->name()));
    }
    other_holders.insert(existing->principal());
  }
  if (role.max_holders() > 0 && static_cast<int>(other_holders.size()) >= role.max_holders()) {
    return Refuse("maximum-holders rule",
                  absl::StrCat(role.name(), " allows ", role.max_holders(), " holder(s) at a time",
                               candidate.scope().empty() ? "" : " per scope", "; held by ",
                               *other_holders.begin(), " in that period"));
  }

  if (!candidate.waiver_justification().empty()) return absl::OkStatus();
  for (const Assignment* held : model.AssignmentsOfPrincipal(principal.name())) {
    if (!Overlaps(*held, candidate)) continue;
    const Role* held_role = model.FindRole(held->role());
    const bool conflicts =
        Lists(role.conflicting_roles(), held->role()) ||
        (held_role != nullptr && Lists(held_role->conflicting_roles(), role.name()));
    if (conflicts) {
      return Refuse(
          "segregation-of-duties rule",
          absl::StrCat(role.name(), " conflicts with ", held->role(), " held by ", principal.name(),
                       " through ", held->name(), "; set waiver_justification to appoint anyway"));
    }
  }
  return absl::OkStatus();
}

}  // namespace isms::role
