// The real role service with mutual TLS: certificates from
// scripts/make-dev-certs.sh; a client certificate naming services/<id> is
// that service identity; a client without a certificate is refused.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/sha256.h"
#include "common/client/channel_credentials.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms {
namespace {

namespace v1 = ::isms::role::v1;
using ::isms::testing::GrpcCodeIs;

class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = dir_.path() + "/certs";
    const std::string make = absl::StrCat("bash ", ISMS_SOURCE_DIR, "/scripts/make-dev-certs.sh ",
                                          certs_, " role gateway >/dev/null");
    ASSERT_EQ(std::system(make.c_str()), 0);
    {
      std::ofstream tokens(dir_.path() + "/tokens");
      tokens << Sha256Hex("root-token") << " principal principals/root\n";
    }
    auto server = isms::testing::ServerProcess::Start(
        ISMS_ROLE_SERVICE_BINARY,
        {absl::StrCat("--data_dir=", dir_.path(), "/data"), "--init",
         absl::StrCat("--token_file=", dir_.path(), "/tokens"),
         absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                      "/services/role/catalogue/roles.textproto"),
         "--bootstrap_principal=principals/root",
         absl::StrCat("--tls_cert_file=", certs_, "/server.pem"),
         absl::StrCat("--tls_key_file=", certs_, "/server.key"),
         absl::StrCat("--tls_client_ca_file=", certs_, "/ca.pem"), "--tls_identity_from_cert"},
        dir_.path() + "/server.log");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::unique_ptr<v1::RoleService::Stub> Stub(const std::string& client) {
    auto credentials = ClientChannelCredentials(
        certs_ + "/ca.pem", client.empty() ? "" : absl::StrCat(certs_, "/", client, ".pem"),
        client.empty() ? "" : absl::StrCat(certs_, "/", client, ".key"));
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride("localhost");
    return v1::RoleService::NewStub(
        grpc::CreateCustomChannel(server_->address(), *credentials, arguments));
  }

  static grpc::Status CreatePerson(v1::RoleService::Stub& stub, const std::string& token,
                                   const std::string& id) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name(id);
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    v1::Principal response;
    return stub.CreatePrincipal(&context, request, &response);
  }

  isms::testing::TempDir dir_;
  std::string certs_;
  std::unique_ptr<isms::testing::ServerProcess> server_;
};

TEST_F(MutualTlsTest, ServiceCertificateWithoutTokenIsThatServiceIdentity) {
  auto gateway = Stub("gateway");
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::ListRolesResponse roles;
  EXPECT_THAT(gateway->ListRoles(&context, {}, &roles), GrpcCodeIs(grpc::StatusCode::OK));
  // Authenticated (not UNAUTHENTICATED), but services/gateway holds no role.
  EXPECT_THAT(CreatePerson(*gateway, "", "alice"), GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
}

TEST_F(MutualTlsTest, BearerTokenStillDecidesWhenSent) {
  auto gateway = Stub("gateway");
  EXPECT_THAT(CreatePerson(*gateway, "root-token", "alice"), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_THAT(CreatePerson(*gateway, "wrong-token", "bob"),
              GrpcCodeIs(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(MutualTlsTest, ClientWithoutCertificateIsRefused) {
  auto anonymous = Stub("");
  EXPECT_THAT(CreatePerson(*anonymous, "root-token", "carol"),
              GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
}

}  // namespace
}  // namespace isms
