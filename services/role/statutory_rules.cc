#include "services/role/statutory_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace isms::role {
namespace {

using isms::role::v1::Role;

absl::Status Refuse(absl::string_view requirement, const Role& role, absl::string_view field,
                    absl::string_view want) {
  return absl::FailedPreconditionError(absl::StrCat("statutory rule (", requirement,
                                                    "): ", role.name(), ".", field, " must be ",
                                                    want, "; no RPC can change that"));
}

}  // namespace

bool IsStatutoryRole(absl::string_view role_name) {
  return role_name == "roles/siro" || role_name == "roles/iao";
}

absl::Status CheckStatutoryRules(const Role& role) {
  if (role.name() == "roles/siro") {
    constexpr absl::string_view kMr = "MR 35a";
    if (role.max_holders() != 1) return Refuse(kMr, role, "max_holders", "1");
    if (!role.board_level_required()) return Refuse(kMr, role, "board_level_required", "true");
    if (!role.mandatory()) return Refuse(kMr, role, "mandatory", "true");
    if (role.holder_kind() != v1::HOLDER_KIND_PERSON) {
      return Refuse(kMr, role, "holder_kind", "HOLDER_KIND_PERSON");
    }
    if (role.scope_kind() != v1::SCOPE_KIND_ORGANISATION) {
      return Refuse(kMr, role, "scope_kind", "SCOPE_KIND_ORGANISATION");
    }
    // The SIRO owns information risk and leads the ISMS from the board: no
    // one below can strip its powers over roles, people and appointments.
    for (const char* permission :
         {"isms.roles.manage", "isms.principals.manage", "isms.assignments.manage"}) {
      if (std::find(role.permissions().begin(), role.permissions().end(), permission) ==
          role.permissions().end()) {
        return Refuse(kMr, role, "permissions", absl::StrCat("kept including ", permission));
      }
    }
  } else if (role.name() == "roles/iao") {
    constexpr absl::string_view kMr = "MR 35e";
    if (role.max_holders() != 1) return Refuse(kMr, role, "max_holders", "1");
    if (!role.mandatory()) return Refuse(kMr, role, "mandatory", "true");
    if (role.holder_kind() != v1::HOLDER_KIND_PERSON) {
      return Refuse(kMr, role, "holder_kind", "HOLDER_KIND_PERSON");
    }
    if (role.scope_kind() != v1::SCOPE_KIND_ASSET) {
      return Refuse(kMr, role, "scope_kind", "SCOPE_KIND_ASSET");
    }
  }
  return absl::OkStatus();
}

}  // namespace isms::role
