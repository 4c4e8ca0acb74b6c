#ifndef ISMS_SERVICES_ROLE_COVERAGE_H_
#define ISMS_SERVICES_ROLE_COVERAGE_H_

#include "absl/time/time.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/role_model.h"

namespace isms::role {

// The coverage report at `when` (as the register stood at
// when.as_recorded_at): organisation-wide mandatory roles with no holder in
// force; assignments in force whose holder fails the role's requirements
// (judged on the holder's record at that time); assignments and delegations
// in force that end within `window` after when.at; every person holding two
// conflicting roles through any path, waived or not; appointments waiting
// for a waiver decision. Per-asset mandatory roles (IAO) are not reported
// vacant here: the asset register knows which assets lack an owner.
isms::role::v1::CoverageReport BuildCoverageReport(const RoleModel& model, const TimePoint& when,
                                                   absl::Duration window);

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_COVERAGE_H_
