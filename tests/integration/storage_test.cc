// The real role service binary against its data directory: one process per
// directory, integrity of stored records, and no silent fresh start.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/auth/sha256.h"
#include "common/testing/server_process.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms {
namespace {

using ::testing::HasSubstr;

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(TokenFile()) << Sha256Hex("root-token") << " principal principals/root\n";
  }

  std::string TokenFile() const { return dir_.path() + "/tokens"; }
  std::string DataDir() const { return dir_.path() + "/data"; }
  std::string Database() const { return DataDir() + "/role.db"; }
  std::string Log(const std::string& name) const { return dir_.path() + "/" + name + ".log"; }

  absl::StatusOr<std::unique_ptr<isms::testing::ServerProcess>> Start(
      const std::string& log, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {absl::StrCat("--data_dir=", DataDir()),
                                     absl::StrCat("--token_file=", TokenFile()),
                                     absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                                                  "/services/role/catalogue/roles.textproto"),
                                     "--bootstrap_principal=principals/root"};
    args.insert(args.end(), extra.begin(), extra.end());
    return isms::testing::ServerProcess::Start(ISMS_ROLE_SERVICE_BINARY, args, Log(log),
                                               absl::Seconds(10));
  }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Stops `server` with SIGTERM and waits for a clean exit.
  static void Stop(isms::testing::ServerProcess& server) {
    server.Signal(SIGTERM);
    auto exited = server.Wait(absl::Seconds(10));
    ASSERT_TRUE(exited.ok()) << exited.status();
    ASSERT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0);
  }

  static grpc::health::v1::HealthCheckResponse::ServingStatus Health(grpc::Channel& channel,
                                                                     const std::string& service) {
    auto health = grpc::health::v1::Health::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  isms::testing::TempDir dir_;
};

// ServerProcess reports a child that exits while starting with its raw wait
// status: 256 is exit code 1.
constexpr char kExitedWithOne[] = "exited during start (status 256)";

TEST_F(StorageTest, SecondProcessOnTheSameDataDirExitsNamingTheFirst) {
  auto first = Start("first", {"--init"});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Start("second");
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(kExitedWithOne));
  EXPECT_THAT(ReadAll(Log("second")),
              HasSubstr(absl::StrCat("in use by process ", (*first)->pid())));
}

TEST_F(StorageTest, FlippedByteInAStoredRecordRefusesStartNamingIt) {
  {
    auto server = Start("first", {"--init"});
    ASSERT_TRUE(server.ok()) << server.status();
    Stop(**server);
  }
  // Damage one byte of the stored SIRO role, as a bad disk sector or a hand edit would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Database().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT resource FROM roles WHERE name = 'roles/siro'", -1,
                               &select, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
  std::string bytes(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                    sqlite3_column_bytes(select, 0));
  sqlite3_finalize(select);
  bytes[bytes.size() / 2] ^= 0x01;
  sqlite3_stmt* update = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE roles SET resource = ? WHERE name = 'roles/siro'", -1,
                               &update, nullptr),
            SQLITE_OK);
  sqlite3_bind_blob(update, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(update), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(update);
  sqlite3_close(db);

  auto restarted = Start("restarted");
  ASSERT_FALSE(restarted.ok());
  EXPECT_THAT(std::string(restarted.status().message()), HasSubstr(kExitedWithOne));
  EXPECT_THAT(ReadAll(Log("restarted")), HasSubstr("roles record roles/siro does not match"));
}

TEST_F(StorageTest, MissingDatabaseWithoutInitRefusesStart) {
  auto server = Start("server");
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr(kExitedWithOne));
  EXPECT_THAT(ReadAll(Log("server")), HasSubstr("does not exist; refusing to start fresh"));
  EXPECT_FALSE(std::filesystem::exists(Database()));
}

TEST_F(StorageTest, ZeroLengthDatabaseWithoutInitRefusesStart) {
  std::filesystem::create_directories(DataDir());
  std::ofstream(Database()).close();
  auto server = Start("server");
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr(kExitedWithOne));
  EXPECT_THAT(ReadAll(Log("server")), HasSubstr("is empty (no schema); refusing to start fresh"));
}

TEST_F(StorageTest, ZeroLengthDatabaseWithInitStartsWithWritesServing) {
  std::filesystem::create_directories(DataDir());
  std::ofstream(Database()).close();
  auto server = Start("server", {"--init"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("isms.role.v1.RoleService/writes");
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// The child's file size limit (RLIMIT_FSIZE, set from outside with prlimit)
// stands in for a full disk: every write past the limit fails (EFBIG).
TEST_F(StorageTest, FailingWritesTurnWritesHealthNotServingUntilAWriteSucceeds) {
  auto server = Start("server", {"--init"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto roles = isms::role::v1::RoleService::NewStub(channel);
  auto create = [&](const std::string& id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer root-token");
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    isms::role::v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name(id);
    request.mutable_principal()->set_kind(isms::role::v1::PRINCIPAL_KIND_PERSON);
    isms::role::v1::Principal response;
    return roles->CreatePrincipal(&context, request, &response);
  };
  const std::string writes = "isms.role.v1.RoleService/writes";
  ASSERT_EQ(Health(*channel, writes), grpc::health::v1::HealthCheckResponse::SERVING);

  // Only the soft limit changes, so no privilege is needed to restore it.
  struct rlimit before;
  ASSERT_EQ(prlimit((*server)->pid(), RLIMIT_FSIZE, nullptr, &before), 0);
  struct rlimit tiny = {1, before.rlim_max};
  ASSERT_EQ(prlimit((*server)->pid(), RLIMIT_FSIZE, &tiny, nullptr), 0);
  grpc::Status refused = create("alice");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_THAT(refused.error_message(), ::testing::StartsWith("storage "));
  EXPECT_EQ(Health(*channel, writes), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health(*channel, ""), grpc::health::v1::HealthCheckResponse::SERVING);

  ASSERT_EQ(prlimit((*server)->pid(), RLIMIT_FSIZE, &before, nullptr), 0);
  grpc::Status created = create("alice");
  EXPECT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(Health(*channel, writes), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace isms
