#ifndef ISMS_SERVICES_ASSET_ANY_PERMISSION_H_
#define ISMS_SERVICES_ASSET_ANY_PERMISSION_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/authz/permission_client.h"

namespace isms::asset {

// Asks `client` whether `principal` holds each of `permissions` on
// `resource`, in turn, and calls `answer` once: with the first grant (its
// explanation prefixed by the permission held); PermissionDenied naming every
// permission asked when none is held; Unavailable as soon as a question
// cannot be answered (never allowed by default). `client` must outlive the
// answer.
inline void CheckAny(PermissionClient& client, std::string principal,
                     std::vector<std::string> permissions, std::string resource,
                     PermissionClient::Answer answer, size_t next = 0) {
  if (next >= permissions.size()) {
    return answer(absl::PermissionDeniedError(
        absl::StrCat(principal, " holds none of ", absl::StrJoin(permissions, ", "),
                     resource.empty() ? "" : absl::StrCat(" on ", resource))));
  }
  const std::string permission = permissions[next];
  client.Check(principal, permission, resource,
               [&client, principal, permissions = std::move(permissions), resource,
                answer = std::move(answer), next,
                permission](absl::StatusOr<PermissionClient::Grant> grant) mutable {
                 if (grant.ok()) {
                   grant->explanation = absl::StrCat(permission, ": ", grant->explanation);
                   return answer(std::move(grant));
                 }
                 if (grant.status().code() != absl::StatusCode::kPermissionDenied) {
                   return answer(grant.status());
                 }
                 CheckAny(client, std::move(principal), std::move(permissions), std::move(resource),
                          std::move(answer), next + 1);
               });
}

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ANY_PERMISSION_H_
