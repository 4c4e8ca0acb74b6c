#include "tests/integration/audit_suite.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/auth/sha256.h"
#include "tests/audit/test_keys.h"

namespace isms::testing {
namespace {

// A loopback port nobody listens on now (the kernel's choice for port 0).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
}

void PrintTail(const std::string& label, const std::string& path) {
  std::ifstream log(path);
  std::string line;
  std::deque<std::string> tail;
  while (std::getline(log, line)) {
    tail.push_back(line);
    if (tail.size() > 25) tail.pop_front();
  }
  for (const std::string& l : tail) std::cerr << label << ": " << l << "\n";
}

void Stop(std::unique_ptr<ServerProcess>& server, int signal) {
  if (server == nullptr) return;
  server->Signal(signal);
  auto exited = server->Wait(absl::Seconds(20));
  EXPECT_TRUE(exited.ok()) << exited.status();
  server.reset();
}

}  // namespace

audit::v1::AuditEvent TestEvent(const std::string& id, const std::string& actor) {
  audit::v1::AuditEvent event;
  event.set_event_id(id);
  event.set_service("isms.test.v1.TestService");
  event.set_method("/isms.test.v1.TestService/Change");
  event.set_actor(actor);
  event.set_principal(actor);
  event.set_resource(absl::StrCat("things/", id));
  event.set_outcome(audit::v1::OUTCOME_SUCCEEDED);
  event.set_description("a change for the test");
  return event;
}

std::string AuditSuite::TokenFileOf(const std::string& token) const {
  const std::string path = absl::StrCat(dir_.path(), "/", token, ".token");
  WriteFile(path, token + "\n");
  return path;
}

void AuditSuite::SetUp() {
  audit_port_ = FreeLoopbackPort();
  role_port_ = FreeLoopbackPort();
  asset_port_ = FreeLoopbackPort();
  WriteFile(dir_.path() + "/audit-key.pem", audit::NewKeyPem());
  WriteFile(
      dir_.path() + "/audit-tokens",
      absl::StrCat(Sha256Hex(kRootToken), " principal principals/root\n", Sha256Hex(kAuditorToken),
                   " principal principals/auditor\n", Sha256Hex(kNobodyToken),
                   " principal principals/nobody\n", Sha256Hex(kRoleServiceToken),
                   " service services/role append-audit\n", Sha256Hex(kSiemToken),
                   " service services/siem read-audit\n", Sha256Hex(kPlainServiceToken),
                   " service services/plain\n", Sha256Hex(kGatewayToken),
                   " service services/gateway append-audit read-audit on-behalf-of\n",
                   Sha256Hex(kAssetServiceToken), " service services/asset append-audit\n"));
  WriteFile(
      dir_.path() + "/role-tokens",
      absl::StrCat(Sha256Hex(kRootToken), " principal principals/root\n", Sha256Hex(kAuditorToken),
                   " principal principals/auditor\n", Sha256Hex(kAuditServiceToken),
                   " service services/audit check-permissions\n", Sha256Hex(kAssetServiceToken),
                   " service services/asset check-permissions read-register\n",
                   // The asset tests' ISM changes appointments once bootstrap ends.
                   Sha256Hex(kKeeperToken), " principal principals/keeper\n",
                   // The asset tests' IAO delegates at the role service.
                   Sha256Hex(kIaoToken), " principal principals/iao\n",
                   // The risk tests' SIRO appoints their ISM; SIRO and DSIRO
                   // record their absences.
                   Sha256Hex(kSiroToken), " principal principals/siro\n", Sha256Hex(kDsiroToken),
                   " principal principals/dsiro\n"));
  WriteFile(
      dir_.path() + "/asset-tokens",
      absl::StrCat(
          Sha256Hex(kKeeperToken), " principal principals/keeper\n", Sha256Hex(kIaoToken),
          " principal principals/iao\n", Sha256Hex(kNobodyToken), " principal principals/nobody\n",
          Sha256Hex(kAuditorToken), " principal principals/auditor\n", Sha256Hex(kSiroToken),
          " principal principals/siro\n", Sha256Hex(kSiro2Token), " principal principals/siro2\n",
          Sha256Hex(kDsiroToken), " principal principals/dsiro\n", Sha256Hex(kStaffToken),
          " principal principals/staff\n", Sha256Hex(kPoToken), " principal principals/po\n"));
}

void AuditSuite::TearDown() {
  if (HasFailure()) {
    PrintTail("audit", dir_.path() + "/audit.log");
    PrintTail("role", dir_.path() + "/role.log");
    PrintTail("asset", dir_.path() + "/asset.log");
  }
  asset_.reset();
  risks_.reset();
  asset_server_.reset();
  audit_.reset();
  role_.reset();
  audit_server_.reset();
  role_server_.reset();
}

void AuditSuite::StartAudit(std::vector<std::string> extra) {
  std::vector<std::string> args = {
      absl::StrCat("--listen=127.0.0.1:", audit_port_),
      absl::StrCat("--data_dir=", dir_.path(), "/audit-data"),
      absl::StrCat("--token_file=", dir_.path(), "/audit-tokens"),
      absl::StrCat("--signing_key_file=", dir_.path(), "/audit-key.pem"),
      absl::StrCat("--public_key_file=", PublicKeyFile()),
      absl::StrCat("--role_service_address=127.0.0.1:", role_port_),
      absl::StrCat("--role_service_token_file=", TokenFileOf(kAuditServiceToken)),
      "--init"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto server = ServerProcess::Start(ISMS_AUDIT_SERVICE_BINARY, args, dir_.path() + "/audit.log");
  ASSERT_TRUE(server.ok()) << server.status();
  audit_server_ = *std::move(server);
  audit_ = audit::v1::AuditService::NewStub(
      grpc::CreateChannel(audit_server_->address(), grpc::InsecureChannelCredentials()));
}

void AuditSuite::StopAudit() { Stop(audit_server_, SIGTERM); }
void AuditSuite::KillAudit() { Stop(audit_server_, SIGKILL); }

void AuditSuite::StartRole(std::vector<std::string> extra) {
  std::vector<std::string> args = {
      absl::StrCat("--listen=127.0.0.1:", role_port_),
      absl::StrCat("--data_dir=", dir_.path(), "/role-data"),
      absl::StrCat("--token_file=", dir_.path(), "/role-tokens"),
      absl::StrCat("--catalogue_file=", ISMS_SOURCE_DIR,
                   "/services/role/catalogue/roles.textproto"),
      "--bootstrap_principal=principals/root",
      "--write_burst=1000000",
      "--write_rate=1000000",
      absl::StrCat("--audit_address=127.0.0.1:", audit_port_),
      absl::StrCat("--audit_token_file=", TokenFileOf(kRoleServiceToken)),
      "--audit_max_backoff=1s",
      "--init"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto server = ServerProcess::Start(ISMS_ROLE_SERVICE_BINARY, args, dir_.path() + "/role.log");
  ASSERT_TRUE(server.ok()) << server.status();
  role_server_ = *std::move(server);
  role_ = role::v1::RoleService::NewStub(
      grpc::CreateChannel(role_server_->address(), grpc::InsecureChannelCredentials()));
}

void AuditSuite::StopRole() { Stop(role_server_, SIGTERM); }
void AuditSuite::KillRole() { Stop(role_server_, SIGKILL); }

void AuditSuite::StartAsset(std::vector<std::string> extra) {
  std::vector<std::string> args = {
      absl::StrCat("--listen=127.0.0.1:", asset_port_),
      absl::StrCat("--data_dir=", dir_.path(), "/asset-data"),
      absl::StrCat("--token_file=", dir_.path(), "/asset-tokens"),
      absl::StrCat("--role_service_address=127.0.0.1:", role_port_),
      absl::StrCat("--role_service_token_file=", TokenFileOf(kAssetServiceToken)),
      absl::StrCat("--audit_address=127.0.0.1:", audit_port_),
      absl::StrCat("--audit_token_file=", TokenFileOf(kAssetServiceToken)),
      "--audit_max_backoff=1s",
      "--write_burst=1000000",
      "--write_rate=1000000",
      "--init"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto server = ServerProcess::Start(ISMS_ASSET_SERVICE_BINARY, args, dir_.path() + "/asset.log");
  ASSERT_TRUE(server.ok()) << server.status();
  asset_server_ = *std::move(server);
  auto channel = grpc::CreateChannel(asset_server_->address(), grpc::InsecureChannelCredentials());
  asset_ = asset::v1::AssetService::NewStub(channel);
  risks_ = asset::v1::RiskService::NewStub(channel);
}

void AuditSuite::StopAsset() { Stop(asset_server_, SIGTERM); }
void AuditSuite::KillAsset() { Stop(asset_server_, SIGKILL); }

void AuditSuite::Prepare(grpc::ClientContext& context, const std::string& token,
                         absl::Duration timeout) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

std::vector<audit::v1::LogEntry> AuditSuite::ExportAll() {
  grpc::ClientContext context;
  Prepare(context, kSiemToken);
  auto reader = audit_->ExportEvents(&context, audit::v1::ExportEventsRequest());
  std::vector<audit::v1::LogEntry> entries;
  audit::v1::ExportEventsResponse response;
  while (reader->Read(&response)) {
    for (const auto& entry : response.entries()) entries.push_back(entry);
  }
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return entries;
}

grpc::Status AuditSuite::Append(const std::vector<audit::v1::AuditEvent>& events,
                                audit::v1::AppendEventsResponse* response,
                                const std::string& token) {
  audit::v1::AppendEventsRequest request;
  for (const auto& event : events) *request.add_events() = event;
  audit::v1::AppendEventsResponse ignored;
  grpc::ClientContext context;
  Prepare(context, token);
  return audit_->AppendEvents(&context, request, response ? response : &ignored);
}

void AuditSuite::AppointAuditor() {
  {
    grpc::ClientContext context;
    Prepare(context, kRootToken);
    role::v1::CreatePrincipalRequest request;
    request.set_principal_id("auditor");
    request.mutable_principal()->set_display_name("Auditor");
    request.mutable_principal()->set_kind(role::v1::PRINCIPAL_KIND_PERSON);
    request.mutable_principal()->set_board_level(true);
    role::v1::Principal principal;
    grpc::Status status = role_->CreatePrincipal(&context, request, &principal);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  grpc::ClientContext context;
  Prepare(context, kRootToken);
  role::v1::CreateAssignmentRequest request;
  request.mutable_assignment()->set_role("roles/siro");
  request.mutable_assignment()->set_principal("principals/auditor");
  role::v1::Assignment assignment;
  grpc::Status status = role_->CreateAssignment(&context, request, &assignment);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

}  // namespace isms::testing
