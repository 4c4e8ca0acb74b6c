#include "common/auth/authenticator.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/auth/sha256.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"

namespace isms {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto auth = Authenticator::FromText(
        absl::StrCat("# tokens\n", Sha256Hex("alice-token"), " principal principals/alice\n",
                     Sha256Hex("gateway-token"),
                     " service services/gateway on-behalf-of check-permissions  # the gateway\n",
                     Sha256Hex("batch-token"), " service services/batch\n"));
    ASSERT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
  }
  std::unique_ptr<Authenticator> auth_;
};

TEST(Sha256Test, KnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(AuthenticatorTest, PrincipalTokenAuthenticatesAsThatPrincipal) {
  auto caller = auth_->Authenticate("Bearer alice-token", std::nullopt);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->actor, "principals/alice");
  EXPECT_EQ(caller->principal, "principals/alice");
  EXPECT_FALSE(caller->is_service);
}

TEST_F(AuthenticatorTest, MissingTokenIsUnauthenticated) {
  EXPECT_THAT(auth_->Authenticate(std::nullopt, std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("missing")));
}

TEST_F(AuthenticatorTest, UnknownTokenIsUnauthenticated) {
  EXPECT_THAT(auth_->Authenticate("Bearer nope", std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unknown")));
}

TEST_F(AuthenticatorTest, NonBearerSchemeIsUnauthenticated) {
  EXPECT_THAT(auth_->Authenticate("Basic alice-token", std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth_->Authenticate("Bearer ", std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthenticatorTest, ServiceActsOnBehalfOfNamedPrincipal) {
  auto caller = auth_->Authenticate("Bearer gateway-token", "principals/bob");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->actor, "services/gateway");
  EXPECT_EQ(caller->principal, "principals/bob");
  EXPECT_TRUE(caller->is_service);
}

TEST_F(AuthenticatorTest, ServiceWithoutOnBehalfActsAsItself) {
  auto caller = auth_->Authenticate("Bearer gateway-token", std::nullopt);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->principal, "services/gateway");
}

TEST_F(AuthenticatorTest, PrincipalMayNotActOnBehalfOfAnother) {
  EXPECT_THAT(auth_->Authenticate("Bearer alice-token", "principals/bob"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("x-isms-on-behalf-of")));
}

TEST_F(AuthenticatorTest, ServiceActsOnBehalfOnlyWithTheCapability) {
  auto gateway = auth_->Authenticate("Bearer gateway-token", "principals/bob");
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  EXPECT_TRUE(gateway->Has(kCapabilityCheckPermissions));
  Caller identified;
  EXPECT_THAT(auth_->Authenticate("Bearer batch-token", "principals/bob", &identified),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("on-behalf-of")));
  // The refused caller is still named, so the refusal can be audited.
  EXPECT_EQ(identified.actor, "services/batch");
  EXPECT_THAT(auth_->Authenticate("Bearer alice-token", "principals/bob", &identified),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("principals/bob")));
  EXPECT_EQ(identified.actor, "principals/alice");
}

TEST_F(AuthenticatorTest, UnknownCapabilityOrCapabilityOfAPrincipalIsRefused) {
  EXPECT_THAT(Authenticator::FromText(absl::StrCat(Sha256Hex("x"), " service services/x root\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown capability")));
  EXPECT_THAT(Authenticator::FromText(
                  absl::StrCat(Sha256Hex("x"), " principal principals/x on-behalf-of\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
}

TEST_F(AuthenticatorTest, MalformedOnBehalfOfIsInvalid) {
  EXPECT_THAT(auth_->Authenticate("Bearer gateway-token", "bob"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x-isms-on-behalf-of")));
}

TEST_F(AuthenticatorTest, ReloadReplacesEveryTokenAndABadFileKeepsTheOldOnes) {
  ASSERT_TRUE(
      auth_->ReloadFromText(absl::StrCat(Sha256Hex("new-token"), " principal principals/newbie\n"))
          .ok());
  auto caller = auth_->Authenticate("Bearer new-token", std::nullopt);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->principal, "principals/newbie");
  EXPECT_THAT(auth_->Authenticate("Bearer alice-token", std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated));

  EXPECT_THAT(auth_->ReloadFromText("not a token line"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(auth_->Authenticate("Bearer new-token", std::nullopt).ok());
}

TEST(AuthenticatorFileTest, BadLinesAreNamed) {
  EXPECT_THAT(Authenticator::FromText("abc principal principals/a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(Authenticator::FromText(absl::StrCat("\n", Sha256Hex("x"), " robot principals/a")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(Authenticator::FromText(absl::StrCat(Sha256Hex("x"), " principal alice")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("principals/<id>")));
  EXPECT_THAT(Authenticator::FromText(absl::StrCat(Sha256Hex("x"), " principal principals/a\n",
                                                   Sha256Hex("x"), " principal principals/b")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

TEST(AuthenticatorFileTest, MissingFileIsNotFound) {
  EXPECT_THAT(Authenticator::FromFile("/nonexistent/tokens"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AuthenticatorTest, BearerSchemeIsCaseInsensitive) {
  for (const char* header : {"bearer alice-token", "BEARER alice-token", "bEaReR alice-token"}) {
    auto caller = auth_->Authenticate(header, std::nullopt);
    ASSERT_TRUE(caller.ok()) << header << ": " << caller.status();
    EXPECT_EQ(caller->principal, "principals/alice");
  }
}

TEST(AuthenticatorFileTest, EmptyOrCommentOnlyTextIsRefused) {
  EXPECT_THAT(Authenticator::FromText(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no token line")));
  EXPECT_THAT(Authenticator::FromText("# nothing here\n\n   \n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no token line")));
}

TEST(AuthenticatorFileTest, DirectoryAtTheTokenPathIsRefused) {
  isms::testing::TempDir dir;
  EXPECT_THAT(Authenticator::FromFile(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
}

TEST(AuthenticatorFileTest, EmptyFileIsRefusedAtStartAndOnReloadTheOldTokensStay) {
  isms::testing::TempDir dir;
  const std::string path = dir.path() + "/tokens";
  { std::ofstream(path) << ""; }
  EXPECT_THAT(Authenticator::FromFile(path), StatusIs(absl::StatusCode::kInvalidArgument));

  { std::ofstream(path) << Sha256Hex("alice-token") << " principal principals/alice\n"; }
  auto auth = Authenticator::FromFile(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  { std::ofstream(path, std::ios::trunc) << "# emptied by mistake\n"; }
  EXPECT_THAT((*auth)->ReloadFromFile(path), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT((*auth)->ReloadFromFile(dir.path()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE((*auth)->Authenticate("Bearer alice-token", std::nullopt).ok());
}

}  // namespace
}  // namespace isms
