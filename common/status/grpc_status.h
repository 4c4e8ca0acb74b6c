#ifndef ISMS_COMMON_STATUS_GRPC_STATUS_H_
#define ISMS_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace isms {

// The one place where internal absl::Status values become gRPC statuses at
// the RPC boundary. Codes map one to one; the message is kept.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The canonical upper-case name of a code, e.g. "PERMISSION_DENIED".
const char* StatusCodeName(absl::StatusCode code);

}  // namespace isms

#endif  // ISMS_COMMON_STATUS_GRPC_STATUS_H_
