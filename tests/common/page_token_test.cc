#include "common/api/page_token.h"

#include <gtest/gtest.h>

#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PageTokenTest, RoundTripsTheLastName) {
  const std::string token = EncodePageToken("roles/ism", "roles");
  auto decoded = DecodePageToken(token, "roles");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "roles/ism");
}

TEST(PageTokenTest, EmptyTokenMeansFirstPage) {
  auto decoded = DecodePageToken("", "roles");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "");
}

TEST(PageTokenTest, TamperedTokenIsInvalid) {
  std::string token = EncodePageToken("roles/ism", "roles");
  token[token.size() / 2] = token[token.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_THAT(DecodePageToken(token, "roles"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  EXPECT_THAT(DecodePageToken("not base64 at all!", "roles"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST(PageTokenTest, TokenFromOtherFiltersIsInvalid) {
  const std::string token = EncodePageToken("assignments/1", "role=roles/siro");
  EXPECT_THAT(DecodePageToken(token, "role=roles/ism"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST(PageTokenTest, PageSizeDefaultsClampsAndRefusesNegative) {
  EXPECT_EQ(*EffectivePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*EffectivePageSize(7), 7);
  EXPECT_EQ(*EffectivePageSize(50000), kMaxPageSize);
  EXPECT_THAT(EffectivePageSize(-1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

}  // namespace
}  // namespace isms
