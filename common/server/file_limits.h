#ifndef ISMS_COMMON_SERVER_FILE_LIMITS_H_
#define ISMS_COMMON_SERVER_FILE_LIMITS_H_

#include "absl/status/statusor.h"

namespace isms {

// Raises the soft RLIMIT_NOFILE of the process to its hard limit and returns
// the soft limit now in force. Internal if the limit cannot be read or set.
absl::StatusOr<int> RaiseFileLimit();

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_FILE_LIMITS_H_
