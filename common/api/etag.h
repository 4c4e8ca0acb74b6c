#ifndef ISMS_COMMON_API_ETAG_H_
#define ISMS_COMMON_API_ETAG_H_

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace isms {

// Etags (AIP-154): a digest of a resource's content. `resource` must have its
// own etag field cleared. Equal content gives equal etags.
std::string ComputeEtag(const google::protobuf::Message& resource);

// Recomputes `resource`'s etag field from the rest of its content.
template <typename Resource>
void SetEtag(Resource& resource) {
  resource.clear_etag();
  resource.set_etag(ComputeEtag(resource));
}

// OK when `requested` is empty (unconditional) or equals `current`;
// Aborted naming `resource_name` otherwise, so the caller re-reads and
// retries.
absl::Status CheckEtag(absl::string_view resource_name, absl::string_view requested,
                       absl::string_view current);

}  // namespace isms

#endif  // ISMS_COMMON_API_ETAG_H_
