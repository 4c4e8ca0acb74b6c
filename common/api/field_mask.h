#ifndef ISMS_COMMON_API_FIELD_MASK_H_
#define ISMS_COMMON_API_FIELD_MASK_H_

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>

#include <string>

namespace isms {

// Update with a field mask (AIP-134): copies the fields `mask` names from
// `patch` into `target`; repeated and message fields are replaced, not
// appended or merged; a path into a message ("retention.basis") changes that
// field alone.
// REQUIRES: every path in `mask` names a field of the message (validate the
// mask against the updatable fields first).
void ApplyUpdateMask(const google::protobuf::Message& patch,
                     const google::protobuf::FieldMask& mask, google::protobuf::Message* target);

// "title,max_holders": the mask's paths, for messages and audit events.
std::string MaskPaths(const google::protobuf::FieldMask& mask);

}  // namespace isms

#endif  // ISMS_COMMON_API_FIELD_MASK_H_
