#ifndef ISMS_COMMON_AUDIT_FIELD_CHANGES_H_
#define ISMS_COMMON_AUDIT_FIELD_CHANGES_H_

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "isms/audit/v1/audit_event.pb.h"

namespace isms {

// The top-level fields whose values differ between `before` and `after`
// (two messages of one type), each with both values in protobuf text
// format; "etag" is left out. For a creation pass a default instance as
// `before`; for a refusal, the current resource (or a default one) and what
// was asked for. Values longer than 1,000 bytes are cut and marked so.
std::vector<isms::audit::v1::FieldChange> DiffFields(const google::protobuf::Message& before,
                                                     const google::protobuf::Message& after);

}  // namespace isms

#endif  // ISMS_COMMON_AUDIT_FIELD_CHANGES_H_
