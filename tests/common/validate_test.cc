#include "common/validation/validate.h"

#include <gtest/gtest.h>

#include <string>

#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ValidateTest, ResourceNamesNeedTheirCollectionAndAValidId) {
  EXPECT_THAT(ValidateResourceName("role", "roles/siro", "roles"), IsOk());
  EXPECT_THAT(ValidateResourceName("role", "", "roles"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role: required")));
  EXPECT_THAT(ValidateResourceName("role", "principals/siro", "roles"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role:")));
  EXPECT_THAT(ValidateResourceName("role", "roles/SIRO", "roles"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateResourceName("role", "roles/" + std::string(64, 'a'), "roles"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateResourceName("role", "roles/a/b", "roles"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateTest, AnyResourceNameIsCollectionIdPairs) {
  EXPECT_THAT(ValidateAnyResourceName("resource", "assets/42"), IsOk());
  EXPECT_THAT(ValidateAnyResourceName("resource", "assets/42/transfers/7"), IsOk());
  EXPECT_THAT(ValidateAnyResourceName("resource", "assets"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resource")));
  EXPECT_THAT(ValidateAnyResourceName("resource", "assets//x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateTest, TextLimitsAndControlCharacters) {
  EXPECT_THAT(ValidateText("title", "ok", 10, true), IsOk());
  EXPECT_THAT(ValidateText("title", "", 10, false), IsOk());
  EXPECT_THAT(ValidateText("title", "", 10, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title: required")));
  EXPECT_THAT(ValidateText("title", std::string(11, 'x'), 10, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 10")));
  EXPECT_THAT(ValidateText("title", std::string("a\x01z"), 10, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control")));
  EXPECT_THAT(ValidateText("title", std::string("a\x7fz"), 10, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control")));
  // U+202E (right-to-left override) and U+2066 (left-to-right isolate).
  EXPECT_THAT(ValidateText("title", "pay \xe2\x80\xaexe.exe", 40, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bidirectional")));
  EXPECT_THAT(ValidateText("title", "a\xe2\x81\xa6" "b", 40, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bidirectional")));
  // Other non-ASCII text is fine (U+2014 em dash, U+00E9).
  EXPECT_THAT(ValidateText("title", "caf\xc3\xa9 \xe2\x80\x94 ok", 40, true), IsOk());
}

TEST(ValidateTest, PermissionsAreDottedLowerCaseWords) {
  EXPECT_THAT(ValidatePermission("permission", "isms.assets.transfers.approve"), IsOk());
  EXPECT_THAT(ValidatePermission("permission", "isms..x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("permission")));
  EXPECT_THAT(ValidatePermission("permission", "Isms.x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace isms
