#ifndef ISMS_SERVICES_ROLE_STATUTORY_RULES_H_
#define ISMS_SERVICES_ROLE_STATUTORY_RULES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "isms/role/v1/role.pb.h"

namespace isms::role {

// Rules the seed documents make law, which no RPC may switch off:
//   - MR 35a: one SIRO at a time, a board-level person, organisation-wide,
//     mandatory, keeping its management permissions (roles, principals,
//     assignments);
//   - MR 35e: one IAO per asset, a person, held per asset, mandatory.
// Returns OK, or FailedPrecondition naming the requirement and the field.
absl::Status CheckStatutoryRules(const isms::role::v1::Role& role);

// True for roles the rules above name (they cannot be deleted).
bool IsStatutoryRole(absl::string_view role_name);

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_STATUTORY_RULES_H_
