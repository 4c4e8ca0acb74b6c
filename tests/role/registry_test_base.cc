#include "tests/role/registry_test_base.h"

#include <google/protobuf/util/message_differencer.h>

#include "services/role/catalogue.h"

namespace isms::role {

void RegistryTestBase::SetUp() {
  auto store = SqliteRoleStore::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  RoleRegistry::Options options;
  options.bootstrap_principal = "principals/root";
  auto registry = RoleRegistry::Open(RegistryStore(), clock_, options);
  ASSERT_TRUE(registry.ok()) << registry.status();
  registry_ = *std::move(registry);
  auto catalogue = LoadCatalogueFile(ISMS_SOURCE_DIR "/services/role/catalogue/roles.textproto");
  ASSERT_TRUE(catalogue.ok()) << catalogue.status();
  ASSERT_TRUE(registry_->SeedCatalogue(*catalogue).ok());

  v1::CreatePrincipalRequest create;
  create.set_principal_id("admin");
  create.mutable_principal()->set_display_name("Admin");
  create.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  ASSERT_TRUE(registry_->CreatePrincipal(As("principals/root"), create).ok());
  v1::CreateAssignmentRequest appoint;
  appoint.mutable_assignment()->set_role("roles/ism");
  appoint.mutable_assignment()->set_principal("principals/admin");
  *appoint.mutable_assignment()->mutable_effective_from() = ToProto(Day(2025, 1, 1));
  appoint.mutable_assignment()->set_late_justification("appointed on paper before the register");
  auto appointed = registry_->CreateAssignment(As("principals/root"), appoint);
  ASSERT_TRUE(appointed.ok()) << appointed.status();
}

void RegistryTestBase::ExpectCoverageFromIndexesMatchesAWalk(v1::GetCoverageReportRequest request) {
  request.clear_as_recorded_at();
  auto indexed = registry_->GetCoverageReport(Admin(), request);
  ASSERT_TRUE(indexed.ok()) << indexed.status();
  *request.mutable_as_recorded_at() = ToProto(clock_.Now() + absl::Hours(1));
  auto walked = registry_->GetCoverageReport(Admin(), request);
  ASSERT_TRUE(walked.ok()) << walked.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*indexed, *walked))
      << "from indexes:\n"
      << indexed->DebugString() << "walked:\n"
      << walked->DebugString();
}

CallInfo RegistryTestBase::As(const std::string& principal) {
  return CallInfo{Caller{principal, principal, false}, "test-request", "/test/Method"};
}

v1::Principal RegistryTestBase::AddPerson(const std::string& id, bool board_level) {
  v1::CreatePrincipalRequest request;
  request.set_principal_id(id);
  request.mutable_principal()->set_display_name(id);
  request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  request.mutable_principal()->set_board_level(board_level);
  auto created = registry_->CreatePrincipal(Admin(), request);
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? *created : v1::Principal();
}

v1::Principal RegistryTestBase::AddGroup(const std::string& id,
                                         const std::vector<std::string>& members) {
  v1::CreatePrincipalRequest request;
  request.set_principal_id(id);
  request.mutable_principal()->set_display_name(id);
  request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_GROUP);
  for (const auto& member : members) request.mutable_principal()->add_members(member);
  auto created = registry_->CreatePrincipal(Admin(), request);
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? *created : v1::Principal();
}

absl::StatusOr<v1::Assignment> RegistryTestBase::Appoint(const std::string& role,
                                                         const std::string& principal,
                                                         const std::string& scope,
                                                         const std::string& waiver) {
  v1::CreateAssignmentRequest request;
  request.mutable_assignment()->set_role(role);
  request.mutable_assignment()->set_principal(principal);
  request.mutable_assignment()->set_scope(scope);
  request.mutable_assignment()->set_waiver_justification(waiver);
  return registry_->CreateAssignment(Admin(), request);
}

absl::StatusOr<v1::Assignment> RegistryTestBase::AppointAs(const std::string& as,
                                                           const std::string& role,
                                                           const std::string& principal,
                                                           const std::string& scope,
                                                           const std::string& waiver) {
  v1::CreateAssignmentRequest request;
  request.mutable_assignment()->set_role(role);
  request.mutable_assignment()->set_principal(principal);
  request.mutable_assignment()->set_scope(scope);
  request.mutable_assignment()->set_waiver_justification(waiver);
  return registry_->CreateAssignment(As(as), request);
}

void RegistryTestBase::AddRegistrar(const std::string& principal) {
  if (registry_
          ->GetRole(Admin(),
                    [] {
                      v1::GetRoleRequest get;
                      get.set_name("roles/registrar");
                      return get;
                    }())
          .ok() == false) {
    v1::CreateRoleRequest create;
    create.set_role_id("registrar");
    create.mutable_role()->set_title("Registrar");
    create.mutable_role()->set_scope_kind(v1::SCOPE_KIND_ORGANISATION);
    create.mutable_role()->set_holder_kind(v1::HOLDER_KIND_PERSON);
    create.mutable_role()->add_permissions("isms.assignments.manage");
    create.mutable_role()->add_permissions("isms.principals.read");
    auto created = registry_->CreateRole(Admin(), create);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  MustAppoint("roles/registrar", principal);
}

v1::Assignment RegistryTestBase::MustAppoint(const std::string& role, const std::string& principal,
                                             const std::string& scope) {
  auto appointed = Appoint(role, principal, scope);
  EXPECT_TRUE(appointed.ok()) << appointed.status();
  return appointed.ok() ? *appointed : v1::Assignment();
}

v1::CheckPermissionResponse RegistryTestBase::Check(const std::string& principal,
                                                    const std::string& permission,
                                                    const std::string& resource) {
  v1::CheckPermissionRequest request;
  request.set_principal(principal);
  request.set_permission(permission);
  request.set_resource(resource);
  auto response = registry_->CheckPermission(Admin(), request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : v1::CheckPermissionResponse();
}

std::vector<isms::audit::v1::AuditEvent> RegistryTestBase::OutboxEvents() {
  auto entries = store_->ReadOutbox(0, 100000);
  EXPECT_TRUE(entries.ok());
  std::vector<isms::audit::v1::AuditEvent> events;
  if (entries.ok()) {
    for (auto& entry : *entries) events.push_back(std::move(entry.event));
  }
  return events;
}

}  // namespace isms::role
