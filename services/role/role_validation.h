#ifndef ISMS_SERVICES_ROLE_ROLE_VALIDATION_H_
#define ISMS_SERVICES_ROLE_ROLE_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "isms/role/v1/role.pb.h"

namespace isms::role {

// Field checks of the role service's requests and resources. Each returns
// OK or InvalidArgument naming the field (with `prefix`, e.g. "role.title").
// They check shape only; whether referenced resources exist is the
// registry's job (NOT_FOUND or FAILED_PRECONDITION).

// A role's writable fields. Its name must be "roles/<id>".
absl::Status ValidateRole(const isms::role::v1::Role& role, absl::string_view prefix);

// A principal's writable fields. Its name must be "principals/<id>".
absl::Status ValidatePrincipal(const isms::role::v1::Principal& principal,
                               absl::string_view prefix);

// The caller-set fields of an assignment to create.
absl::Status ValidateNewAssignment(const isms::role::v1::Assignment& assignment);

// The caller-set fields of an absence to record.
absl::Status ValidateNewAbsence(const isms::role::v1::Absence& absence);

// The caller-set fields of a delegation to create.
absl::Status ValidateNewDelegation(const isms::role::v1::Delegation& delegation);

// Field mask paths allowed in UpdateRole / UpdatePrincipal; InvalidArgument
// naming update_mask otherwise (an empty mask is refused too).
absl::Status ValidateRoleUpdateMask(const google::protobuf::FieldMask& mask);
absl::Status ValidatePrincipalUpdateMask(const google::protobuf::FieldMask& mask);

// The filters of list requests.
// The most items a batch write takes.
inline constexpr int kMaxBatchWrites = 1000;
// InvalidArgument naming `field` unless 1 <= size <= kMaxBatchWrites.
absl::Status ValidateBatchSize(absl::string_view field, int size);
// Sets `out` to `status` (code and message) of batch item `index`; an
// INVALID_ARGUMENT message is prefixed "requests[index]." so it names the
// field within the batch.
void SetItemStatus(const absl::Status& status, int index, isms::role::v1::ItemStatus& out);

// InvalidArgument ("view: ...") unless `view` is a PrincipalView.
absl::Status ValidatePrincipalView(int view);

absl::Status ValidateListAssignmentsRequest(const isms::role::v1::ListAssignmentsRequest& request);
absl::Status ValidateListDelegationsRequest(const isms::role::v1::ListDelegationsRequest& request);

// A CheckPermission request, fields named with `prefix` (e.g. "checks[3]").
absl::Status ValidateCheckRequest(const isms::role::v1::CheckPermissionRequest& request,
                                  absl::string_view prefix);

// A timestamp field, if set, is in the range google.protobuf.Timestamp allows.
absl::Status ValidateOptionalTime(absl::string_view field, bool has,
                                  const google::protobuf::Timestamp& time);

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_VALIDATION_H_
