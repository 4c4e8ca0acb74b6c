// The real role service binary on a free loopback port, driven through its
// generated client: health, reflection, authentication, validation, crash
// durability and graceful shutdown.

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/reflection.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/sha256.h"
#include "common/client/generic_unary_call.h"
#include "common/outbox/outbox.h"
#include "common/storage/sqlite_database.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms {
namespace {

namespace v1 = ::isms::role::v1;
using ::isms::testing::GrpcCodeIs;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kRootToken[] = "root-token-for-tests";
constexpr char kReaderToken[] = "reader-token-for-tests";
constexpr char kGatewayToken[] = "gateway-token-for-tests";

class RoleServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream tokens(TokenFile());
    tokens << Sha256Hex(kRootToken) << " principal principals/root\n"
           << Sha256Hex(kReaderToken) << " principal principals/reader\n"
           << Sha256Hex(kGatewayToken) << " service services/gateway on-behalf-of\n";
    tokens.close();
    StartServer({"--init"});  // A fresh data directory; restarts below go without.
    // Callers must be in the register: the bootstrap principal adds the reader.
    ASSERT_TRUE(CreatePerson("reader").ok());
  }

  std::string TokenFile() const { return dir_.path() + "/tokens"; }

  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {absl::StrCat("--data_dir=", dir_.path(), "/data"),
                                     absl::StrCat("--token_file=", TokenFile()),
                                     absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                                                  "/services/role/catalogue/roles.textproto"),
                                     "--bootstrap_principal=principals/root", "--log_level=info",
                                     // These tests are not about rate limits.
                                     "--write_burst=1000000"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = isms::testing::ServerProcess::Start(ISMS_ROLE_SERVICE_BINARY, args,
                                                      dir_.path() + "/server.log");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::RoleService::NewStub(channel_);
  }

  static void Prepare(grpc::ClientContext& context, const std::string& token,
                      const std::string& on_behalf_of = "") {
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    if (!on_behalf_of.empty()) context.AddMetadata("x-isms-on-behalf-of", on_behalf_of);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  grpc::Status CreatePerson(const std::string& id, const std::string& token = kRootToken,
                            const std::string& on_behalf_of = "") {
    grpc::ClientContext context;
    Prepare(context, token, on_behalf_of);
    v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name(id);
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    v1::Principal response;
    return stub_->CreatePrincipal(&context, request, &response);
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::string& service = "") {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  void TearDown() override {
    // The server's last log lines explain most failures.
    if (HasFailure()) {
      std::ifstream log(dir_.path() + "/server.log");
      std::string line;
      std::deque<std::string> tail;
      while (std::getline(log, line)) {
        tail.push_back(line);
        if (tail.size() > 20) tail.pop_front();
      }
      for (const auto& l : tail) std::cerr << "server: " << l << "\n";
    }
  }

  isms::testing::TempDir dir_;
  std::unique_ptr<isms::testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RoleService::Stub> stub_;
};

TEST_F(RoleServiceTest, HealthIsServingAndReflectionListsTheRoleService) {
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("isms.role.v1.RoleService"), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  std::vector<std::string> services;
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  while (stream->Read(&response)) {
    for (const auto& service : response.list_services_response().service()) {
      services.push_back(service.name());
    }
  }
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_THAT(services, Contains("isms.role.v1.RoleService"));
  EXPECT_THAT(services, Contains("grpc.health.v1.Health"));
}

TEST_F(RoleServiceTest, CatalogueListsEveryRoleOfTheBriefWithResponsibilities) {
  grpc::ClientContext context;
  Prepare(context, kReaderToken);
  v1::ListRolesRequest request;
  request.set_page_size(100);
  v1::ListRolesResponse response;
  ASSERT_TRUE(stub_->ListRoles(&context, request, &response).ok());
  std::set<std::string> codes;
  for (const auto& role : response.roles()) {
    codes.insert(role.code());
    EXPECT_GT(role.responsibilities_size(), 0) << role.code();
  }
  EXPECT_EQ(codes, (std::set<std::string>{"SIRO", "DSIRO", "AO", "MS", "ISSG", "ISM", "HOI", "IAO",
                                          "ITSO", "COL", "PO", "TS"}));
}

TEST_F(RoleServiceTest, CallsNeedAKnownTokenAndEchoTheRequestId) {
  {
    grpc::ClientContext context;
    Prepare(context, "");
    v1::ListRolesResponse response;
    EXPECT_THAT(stub_->ListRoles(&context, {}, &response),
                GrpcCodeIs(grpc::StatusCode::UNAUTHENTICATED));
  }
  {
    grpc::ClientContext context;
    Prepare(context, "wrong-token");
    v1::ListRolesResponse response;
    EXPECT_THAT(stub_->ListRoles(&context, {}, &response),
                GrpcCodeIs(grpc::StatusCode::UNAUTHENTICATED));
  }
  grpc::ClientContext context;
  Prepare(context, kReaderToken);
  context.AddMetadata("x-request-id", "req-42");
  v1::ListRolesResponse response;
  ASSERT_TRUE(stub_->ListRoles(&context, {}, &response).ok());
  auto echoed = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "req-42");
}

TEST_F(RoleServiceTest, WritesFollowTheCallersRolesAndServicesActOnBehalf) {
  EXPECT_THAT(CreatePerson("bob", kReaderToken), GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(CreatePerson("bob", kGatewayToken, "principals/reader"),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  // A service never acts for the bootstrap principal, nor for someone not in
  // the register; a principal token never acts for anyone else.
  EXPECT_THAT(CreatePerson("bob", kGatewayToken, "principals/root"),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(CreatePerson("bob", kGatewayToken, "principals/ghost"),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(CreatePerson("bob", kReaderToken, "principals/root"),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_TRUE(CreatePerson("bob").ok());
  EXPECT_THAT(CreatePerson("bob"), GrpcCodeIs(grpc::StatusCode::ALREADY_EXISTS));
}

// Refusals decided before a handler runs reach the audit trail too: read the
// outbox of the stopped service's database.
TEST_F(RoleServiceTest, APrincipalTokenActingForSomeoneElseIsRefusedAndAudited) {
  EXPECT_THAT(CreatePerson("bob", kReaderToken, "principals/root"),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  server_->Signal(SIGTERM);
  stub_.reset();
  channel_.reset();
  ASSERT_TRUE(server_->Wait(absl::Seconds(20)).ok());
  auto db = SqliteDatabase::Open(dir_.path() + "/data/role.db");
  ASSERT_TRUE(db.ok()) << db.status();
  auto entries = ReadOutbox(**db, 0, 1000);
  ASSERT_TRUE(entries.ok()) << entries.status();
  bool audited = false;
  for (const auto& entry : *entries) {
    const auto& event = entry.event;
    if (event.actor() == "principals/reader" && event.status_code() == "PERMISSION_DENIED" &&
        event.description().find("principals/root") != std::string::npos) {
      audited = true;
    }
  }
  EXPECT_TRUE(audited);
}

TEST_F(RoleServiceTest, SighupReloadsTheTokenFile) {
  auto list_roles = [&](const std::string& token) {
    grpc::ClientContext context;
    Prepare(context, token);
    v1::ListRolesResponse response;
    return stub_->ListRoles(&context, {}, &response);
  };
  ASSERT_TRUE(list_roles(kReaderToken).ok());
  {
    std::ofstream tokens(TokenFile(), std::ios::trunc);
    tokens << Sha256Hex("rotated-token") << " principal principals/reader\n";
  }
  server_->Signal(SIGHUP);
  grpc::Status rotated = list_roles("rotated-token");
  for (int attempt = 0; attempt < 100 && !rotated.ok(); ++attempt) {
    absl::SleepFor(absl::Milliseconds(20));
    rotated = list_roles("rotated-token");
  }
  EXPECT_TRUE(rotated.ok()) << rotated.error_message();
  EXPECT_THAT(list_roles(kReaderToken), GrpcCodeIs(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(RoleServiceTest, ErrorsCarryTheRightCodeAndNameTheField) {
  grpc::ClientContext context;
  Prepare(context, kReaderToken);
  v1::GetRoleRequest request;
  request.set_name("roles/nope");
  v1::Role role;
  grpc::Status status = stub_->GetRole(&context, request, &role);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::NOT_FOUND));

  grpc::ClientContext context2;
  Prepare(context2, kReaderToken);
  request.set_name("SIRO");
  status = stub_->GetRole(&context2, request, &role);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), HasSubstr("name"));
}

TEST_F(RoleServiceTest, OversizedRequestIsRefusedAndTheServiceStaysUp) {
  server_.reset();
  StartServer({"--max_message_bytes=65536"});
  grpc::ClientContext context;
  Prepare(context, kRootToken);
  v1::CreatePrincipalRequest request;
  request.set_principal_id("big");
  request.mutable_principal()->set_display_name(std::string(100000, 'x'));
  request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  v1::Principal response;
  EXPECT_THAT(stub_->CreatePrincipal(&context, request, &response),
              GrpcCodeIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Fills `message` with random values: random strings (some of them
// well-formed names), numbers, enum values, nested messages and lists.
void FillRandomly(google::protobuf::Message& message, std::mt19937& rng, int depth) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  static const std::vector<std::string> kStrings = {"",
                                                    "roles/siro",
                                                    "roles/iao",
                                                    "principals/root",
                                                    "principals/x",
                                                    "assets/42",
                                                    "assignments/1",
                                                    "isms.roles.manage",
                                                    "x",
                                                    std::string(300, 'a'),
                                                    "roles/",
                                                    "a/b/c/d/e",
                                                    "\t\n",
                                                    "title",
                                                    "SCOPE"};
  auto random_string = [&]() -> std::string {
    if (rng() % 4 == 0) {
      std::string s(rng() % 40, ' ');
      for (char& c : s) c = static_cast<char>(0x20 + rng() % 95);
      return s;
    }
    return kStrings[rng() % kStrings.size()];
  };
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (rng() % 2 == 0) continue;
    const int count = field->is_repeated() ? static_cast<int>(rng() % 4) : 1;
    for (int n = 0; n < count; ++n) {
      using FD = google::protobuf::FieldDescriptor;
      switch (field->cpp_type()) {
        case FD::CPPTYPE_STRING:
          field->is_repeated() ? reflection->AddString(&message, field, random_string())
                               : reflection->SetString(&message, field, random_string());
          break;
        case FD::CPPTYPE_INT32: {
          const int32_t v = static_cast<int32_t>(rng()) % 2000 - 500;
          field->is_repeated() ? reflection->AddInt32(&message, field, v)
                               : reflection->SetInt32(&message, field, v);
          break;
        }
        case FD::CPPTYPE_INT64: {
          const int64_t v = static_cast<int64_t>(rng()) * (rng() % 2 ? 1 : -1) * 1000;
          field->is_repeated() ? reflection->AddInt64(&message, field, v)
                               : reflection->SetInt64(&message, field, v);
          break;
        }
        case FD::CPPTYPE_BOOL:
          field->is_repeated() ? reflection->AddBool(&message, field, rng() % 2)
                               : reflection->SetBool(&message, field, rng() % 2);
          break;
        case FD::CPPTYPE_ENUM: {
          const int v = static_cast<int>(rng() % 6) - 1;
          field->is_repeated() ? reflection->AddEnumValue(&message, field, v)
                               : reflection->SetEnumValue(&message, field, v);
          break;
        }
        case FD::CPPTYPE_MESSAGE:
          if (depth < 3) {
            FillRandomly(field->is_repeated() ? *reflection->AddMessage(&message, field)
                                              : *reflection->MutableMessage(&message, field),
                         rng, depth + 1);
          }
          break;
        default:
          break;
      }
    }
  }
}

grpc::Status CallRaw(grpc::GenericStub& stub, const std::string& method, const std::string& bytes,
                     const std::string& token) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return GenericUnaryCall(stub, context, method, bytes, nullptr);
}

TEST_F(RoleServiceTest, MalformedAndRandomRequestsAreAllAnsweredAndTheServiceStaysUp) {
  // Half random bytes, half well-typed messages with random field values.
  constexpr int kCallsPerMethod = 100;
  grpc::GenericStub stub(channel_);
  std::mt19937 rng(20261123);
  const auto* service = v1::Role::descriptor()->file()->FindServiceByName("RoleService");
  ASSERT_NE(service, nullptr);
  google::protobuf::DynamicMessageFactory factory;
  int calls = 0;
  std::map<int, int> codes;
  for (int m = 0; m < service->method_count(); ++m) {
    const auto* method = service->method(m);
    const std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
    for (int i = 0; i < kCallsPerMethod; ++i) {
      std::string bytes;
      if (i % 2 == 0) {
        bytes.resize(rng() % 64);
        for (char& c : bytes) c = static_cast<char>(rng());
      } else {
        std::unique_ptr<google::protobuf::Message> request(
            factory.GetPrototype(method->input_type())->New());
        FillRandomly(*request, rng, 0);
        request->SerializeToString(&bytes);
      }
      grpc::Status status = CallRaw(stub, path, bytes, i % 3 == 0 ? kReaderToken : kRootToken);
      ++calls;
      ++codes[status.error_code()];
      ASSERT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE)
          << path << " call " << i << ": the service went away";
      ASSERT_NE(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << path;
    }
  }
  EXPECT_EQ(calls, service->method_count() * kCallsPerMethod);
  EXPECT_GT(codes[grpc::StatusCode::INVALID_ARGUMENT], 0);
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);
  server_->Signal(0);
  EXPECT_THAT(server_->Wait(absl::Milliseconds(1)),
              isms::testing::StatusIs(absl::StatusCode::kDeadlineExceeded));  // Still running.
}

// Concurrent writers, so writes are committed in groups when the kill lands.
TEST_F(RoleServiceTest, EveryAcknowledgedWriteSurvivesKillNine) {
  constexpr int kWriters = 8;
  std::atomic<int> acknowledged_count{0};
  std::vector<std::string> acknowledged;
  std::mutex mu;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 100000; ++i) {
        const std::string id = absl::StrCat("w", w, "-p", i);
        grpc::Status status = CreatePerson(id);
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.push_back(id);
          ++acknowledged_count;
        } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          break;  // The server is gone.
        }
      }
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (acknowledged_count < 400 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  server_->Signal(SIGKILL);
  for (std::thread& writer : writers) writer.join();
  ASSERT_GE(acknowledged.size(), 400u);
  auto exited = server_->Wait(absl::Seconds(5));
  ASSERT_TRUE(exited.ok());
  EXPECT_TRUE(WIFSIGNALED(*exited));

  StartServer();
  for (const std::string& id : acknowledged) {
    grpc::ClientContext context;
    Prepare(context, kRootToken);
    v1::GetPrincipalRequest request;
    request.set_name(absl::StrCat("principals/", id));
    v1::Principal principal;
    ASSERT_TRUE(stub_->GetPrincipal(&context, request, &principal).ok())
        << id << " was acknowledged but is gone after kill -9";
  }
}

TEST_F(RoleServiceTest, SigtermReportsNotServingWhileDrainingThenExitsCleanly) {
  server_.reset();
  StartServer({"--drain_grace=2s"});
  ASSERT_TRUE(CreatePerson("before-shutdown").ok());
  server_->Signal(SIGTERM);
  // Within the drain grace the server still answers, but says NOT_SERVING so
  // load balancers stop sending it calls.
  grpc::health::v1::HealthCheckResponse::ServingStatus status =
      grpc::health::v1::HealthCheckResponse::SERVING;
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  while (status == grpc::health::v1::HealthCheckResponse::SERVING && absl::Now() < deadline) {
    status = Health();
  }
  EXPECT_EQ(status, grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("isms.role.v1.RoleService"), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  // An idle client connection holds shutdown until the client lets go; drop
  // ours so the test does not wait for it.
  stub_.reset();
  channel_.reset();
  auto exited = server_->Wait(absl::Seconds(20));
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(WIFEXITED(*exited));
  EXPECT_EQ(WEXITSTATUS(*exited), 0);
}

}  // namespace
}  // namespace isms
