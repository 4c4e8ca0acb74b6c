#ifndef ISMS_FUZZ_REQUEST_FUZZING_H_
#define ISMS_FUZZ_REQUEST_FUZZING_H_

// What the request-validator fuzz targets share: the input as a request,
// and the invariant that validators refuse only with INVALID_ARGUMENT.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/status/status.h"

namespace isms::fuzzing {

// Aborts (a finding) on any refusal other than INVALID_ARGUMENT: validators
// check shape only.
inline void ExpectValidationCode(const absl::Status& status) {
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument) std::abort();
}

// The input parsed as `request` in protobuf binary form; false if it does
// not parse.
template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* request) {
  return request->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace isms::fuzzing

#endif  // ISMS_FUZZ_REQUEST_FUZZING_H_
