#ifndef ISMS_COMMON_TIME_PROTO_TIME_H_
#define ISMS_COMMON_TIME_PROTO_TIME_H_

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace isms {

// Conversions between google.protobuf.Timestamp and absl::Time.
inline absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

inline google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t ns = absl::ToUnixNanos(t);
  ts.set_seconds(ns / 1000000000 - (ns % 1000000000 < 0 ? 1 : 0));
  ts.set_nanos(static_cast<int32_t>(ns - ts.seconds() * 1000000000));
  return ts;
}

// True when `ts` lies in the range google.protobuf.Timestamp allows
// (0001-01-01 to 9999-12-31, nanos in [0, 1e9)).
inline bool IsValidTimestamp(const google::protobuf::Timestamp& ts) {
  return ts.seconds() >= -62135596800LL && ts.seconds() <= 253402300799LL && ts.nanos() >= 0 &&
         ts.nanos() < 1000000000;
}

}  // namespace isms

#endif  // ISMS_COMMON_TIME_PROTO_TIME_H_
