#include "common/api/field_mask.h"

#include <google/protobuf/util/field_mask_util.h>

namespace isms {

using google::protobuf::util::FieldMaskUtil;

void ApplyUpdateMask(const google::protobuf::Message& patch,
                     const google::protobuf::FieldMask& mask, google::protobuf::Message* target) {
  FieldMaskUtil::MergeOptions options;
  options.set_replace_repeated_fields(true);
  // A message field the mask names is replaced whole (AIP-134): merging a
  // Timestamp would keep the old nanos when the new time has none.
  options.set_replace_message_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, mask, options, target);
}

std::string MaskPaths(const google::protobuf::FieldMask& mask) {
  return FieldMaskUtil::ToString(mask);
}

}  // namespace isms
