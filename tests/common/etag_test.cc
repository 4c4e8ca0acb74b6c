#include "common/api/etag.h"

#include <gtest/gtest.h>

#include "common/testing/status_matchers.h"
#include "isms/role/v1/role.pb.h"

namespace isms {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;

TEST(EtagTest, EqualContentGivesEqualEtagsAndChangesDiffer) {
  isms::role::v1::Role a;
  a.set_name("roles/siro");
  a.set_title("Senior Information Risk Owner");
  isms::role::v1::Role b = a;
  SetEtag(a);
  SetEtag(b);
  EXPECT_EQ(a.etag(), b.etag());
  b.set_title("Changed");
  SetEtag(b);
  EXPECT_NE(a.etag(), b.etag());
}

TEST(EtagTest, SetEtagIgnoresThePreviousEtag) {
  isms::role::v1::Role a;
  a.set_name("roles/siro");
  SetEtag(a);
  const std::string first = a.etag();
  SetEtag(a);
  EXPECT_EQ(a.etag(), first);
}

TEST(EtagTest, CheckEtagAcceptsEmptyOrCurrentAndAbortsOnStale) {
  EXPECT_THAT(CheckEtag("roles/siro", "", "\"abc\""), IsOk());
  EXPECT_THAT(CheckEtag("roles/siro", "\"abc\"", "\"abc\""), IsOk());
  EXPECT_THAT(CheckEtag("roles/siro", "\"old\"", "\"abc\""),
              StatusIs(absl::StatusCode::kAborted, ::testing::HasSubstr("roles/siro")));
}

}  // namespace
}  // namespace isms
