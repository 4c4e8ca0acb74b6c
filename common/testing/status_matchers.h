#ifndef ISMS_COMMON_TESTING_STATUS_MATCHERS_H_
#define ISMS_COMMON_TESTING_STATUS_MATCHERS_H_

// GoogleTest matchers for absl::Status, absl::StatusOr and grpc::Status.
// Debian's Abseil ships no status_matchers.h.

#include <gmock/gmock.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status/status_macros.h"

namespace isms::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// EXPECT_THAT(DoIt(), StatusIs(absl::StatusCode::kNotFound));
// EXPECT_THAT(DoIt(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("x")));
MATCHER_P(StatusIs, code, "") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

MATCHER(IsOk, "") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.ok();
}

// For grpc::Status.
MATCHER_P(GrpcCodeIs, code, "") {
  *result_listener << "grpc status is " << arg.error_code() << " '" << arg.error_message() << "'";
  return arg.error_code() == code;
}

}  // namespace isms::testing

#define ISMS_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                    \
  auto ISMS_STATUS_CONCAT_(isms_test_or_, __LINE__) = (rexpr);   \
  ASSERT_TRUE(ISMS_STATUS_CONCAT_(isms_test_or_, __LINE__).ok()) \
      << ISMS_STATUS_CONCAT_(isms_test_or_, __LINE__).status();  \
  lhs = *std::move(ISMS_STATUS_CONCAT_(isms_test_or_, __LINE__))

#endif  // ISMS_COMMON_TESTING_STATUS_MATCHERS_H_
