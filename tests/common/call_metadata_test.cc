#include "common/server/call_metadata.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/auth/sha256.h"
#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class CallMetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto auth = Authenticator::FromText(
        absl::StrCat(Sha256Hex("alice-token"), " principal principals/alice\n",
                     Sha256Hex("gateway-token"), " service services/gateway\n"));
    ASSERT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
  }
  // Keeps the strings alive for the string_refs in the returned map.
  ClientMetadata Metadata(std::vector<std::pair<std::string, std::string>> entries) {
    strings_ = std::move(entries);
    ClientMetadata metadata;
    for (const auto& [key, value] : strings_) {
      metadata.emplace(grpc::string_ref(key), grpc::string_ref(value));
    }
    return metadata;
  }
  std::unique_ptr<Authenticator> auth_;
  std::vector<std::pair<std::string, std::string>> strings_;
};

TEST_F(CallMetadataTest, OneAuthorizationHeaderAuthenticates) {
  auto caller = AuthenticateMetadata(*auth_, Metadata({{"authorization", "Bearer alice-token"}}));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal, "principals/alice");
}

TEST_F(CallMetadataTest, RepeatedAuthorizationIsUnauthenticatedEvenIfOneIsValid) {
  EXPECT_THAT(AuthenticateMetadata(*auth_, Metadata({{"authorization", "Bearer alice-token"},
                                                     {"authorization", "Bearer other"}})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("more than once")));
}

TEST_F(CallMetadataTest, RepeatedOnBehalfOfIsInvalidArgument) {
  EXPECT_THAT(AuthenticateMetadata(*auth_, Metadata({{"authorization", "Bearer gateway-token"},
                                                     {"x-isms-on-behalf-of", "principals/bob"},
                                                     {"x-isms-on-behalf-of", "principals/eve"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x-isms-on-behalf-of")));
}

TEST_F(CallMetadataTest, MissingAuthorizationIsUnauthenticated) {
  EXPECT_THAT(AuthenticateMetadata(*auth_, Metadata({})),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CallMetadataTest, SafeRequestIdIsKept) {
  EXPECT_EQ(RequestIdFrom(Metadata({{"x-request-id", "abc-123_X.y:z"}})), "abc-123_X.y:z");
}

TEST_F(CallMetadataTest, UnsafeLongOrRepeatedRequestIdIsReplaced) {
  for (const std::string& bad :
       {std::string("has space"), std::string("quote\""), std::string("new\nline"),
        std::string("{json}"), std::string(129, 'a'), std::string("")}) {
    const std::string id = RequestIdFrom(Metadata({{"x-request-id", bad}}));
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 32u);
    EXPECT_TRUE(IsSafeRequestId(id));
  }
  const std::string id = RequestIdFrom(Metadata({{"x-request-id", "a"}, {"x-request-id", "b"}}));
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(IsSafeRequestId(std::string(128, 'a')));
  EXPECT_FALSE(IsSafeRequestId(std::string(129, 'a')));
}

}  // namespace
}  // namespace isms
