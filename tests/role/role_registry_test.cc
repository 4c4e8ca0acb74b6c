// The registry's resources: catalogue updates with etags, pagination,
// time-window queries, leavers, coverage and durability.

#include <gmock/gmock.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "services/role/catalogue.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RoleRegistryTest : public RegistryTestBase {};

TEST_F(RoleRegistryTest, SeedingTwiceLoadsTheCatalogueOnce) {
  auto catalogue = LoadCatalogueFile(ISMS_SOURCE_DIR "/services/role/catalogue/roles.textproto");
  ASSERT_TRUE(catalogue.ok());
  auto again = registry_->SeedCatalogue(*catalogue);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_F(RoleRegistryTest, UpdateRoleWithCurrentEtagSucceedsAndStaleEtagIsAborted) {
  v1::GetRoleRequest get;
  get.set_name("roles/po");
  auto role = registry_->GetRole(Admin(), get);
  ASSERT_TRUE(role.ok());

  v1::UpdateRoleRequest update;
  update.mutable_role()->set_name("roles/po");
  update.mutable_role()->set_etag(role->etag());
  update.mutable_role()->set_max_holders(5);
  update.mutable_update_mask()->add_paths("max_holders");
  auto updated = registry_->UpdateRole(Admin(), update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->max_holders(), 5);
  EXPECT_EQ(updated->title(), role->title());  // Untouched by the mask.
  EXPECT_NE(updated->etag(), role->etag());

  update.mutable_role()->set_max_holders(6);  // Still carries the old etag.
  EXPECT_THAT(registry_->UpdateRole(Admin(), update),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
}

TEST_F(RoleRegistryTest, UpdateMaskMustNameUpdatableFields) {
  v1::UpdateRoleRequest update;
  update.mutable_role()->set_name("roles/po");
  EXPECT_THAT(registry_->UpdateRole(Admin(), update),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("update_mask")));
  update.mutable_update_mask()->add_paths("name");
  EXPECT_THAT(registry_->UpdateRole(Admin(), update),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("update_mask")));
}

TEST_F(RoleRegistryTest, UpdateRefusesReferencesToUnknownRoles) {
  v1::UpdateRoleRequest update;
  update.mutable_role()->set_name("roles/po");
  update.mutable_role()->set_deputy_for("roles/nope");
  update.mutable_update_mask()->add_paths("deputy_for");
  EXPECT_THAT(registry_->UpdateRole(Admin(), update),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("roles/nope")));
}

TEST_F(RoleRegistryTest, CreateAndDeleteRole) {
  v1::CreateRoleRequest create;
  create.set_role_id("dpo");
  create.mutable_role()->set_title("Data Protection Officer");
  create.mutable_role()->set_scope_kind(v1::SCOPE_KIND_ORGANISATION);
  create.mutable_role()->set_holder_kind(v1::HOLDER_KIND_PERSON);
  auto created = registry_->CreateRole(Admin(), create);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), "roles/dpo");
  EXPECT_EQ(created->code(), "DPO");
  EXPECT_THAT(registry_->CreateRole(Admin(), create), StatusIs(absl::StatusCode::kAlreadyExists));

  v1::DeleteRoleRequest remove;
  remove.set_name("roles/dpo");
  EXPECT_TRUE(registry_->DeleteRole(Admin(), remove).ok());
  v1::GetRoleRequest get;
  get.set_name("roles/dpo");
  EXPECT_THAT(registry_->GetRole(Admin(), get), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RoleRegistryTest, DeleteIsRefusedWhileHeldOrReferenced) {
  AddPerson("pat");
  MustAppoint("roles/po", "principals/pat");
  v1::DeleteRoleRequest remove;
  remove.set_name("roles/po");
  EXPECT_THAT(registry_->DeleteRole(Admin(), remove),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("principals/pat")));
  remove.set_name("roles/ao");  // The SIRO is accountable to the AO.
  EXPECT_THAT(registry_->DeleteRole(Admin(), remove),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("referred to")));
}

TEST_F(RoleRegistryTest, ListRolesPagesThroughTheWholeCatalogue) {
  std::vector<std::string> names;
  v1::ListRolesRequest request;
  request.set_page_size(5);
  int pages = 0;
  do {
    auto page = registry_->ListRoles(Admin(), request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& role : page->roles()) names.push_back(role.name());
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names.size(), 12u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 12u);
}

TEST_F(RoleRegistryTest, AssignmentsOfOnePrincipalPageInNameOrder) {
  AddPerson("dan");
  AddPerson("erin");
  std::set<std::string> expected;
  for (int asset = 0; asset < 7; ++asset) {
    expected.insert(
        MustAppoint("roles/iao", "principals/dan", absl::StrCat("assets/", asset)).name());
    MustAppoint("roles/iao", "principals/erin", absl::StrCat("assets/e", asset));
  }
  v1::ListAssignmentsRequest request;
  request.set_principal("principals/dan");
  request.set_page_size(3);
  std::vector<std::string> names;
  int pages = 0;
  do {
    auto page = registry_->ListAssignments(Admin(), request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& a : page->assignments()) {
      EXPECT_EQ(a.principal(), "principals/dan");
      names.push_back(a.name());
    }
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected);

  v1::ListAssignmentsRequest by_role;
  by_role.set_role("roles/iao");
  by_role.set_page_size(100);
  EXPECT_EQ(registry_->ListAssignments(Admin(), by_role)->assignments_size(), 14);
}

TEST_F(RoleRegistryTest, TamperedOrMismatchedPageTokenIsInvalid) {
  AddPerson("a1");
  AddPerson("a2");
  AddPerson("a3");
  v1::ListAssignmentsRequest request;
  request.set_page_size(1);
  request.set_role("roles/ism");
  auto first = registry_->ListAssignments(Admin(), request);
  ASSERT_TRUE(first.ok());

  v1::ListPrincipalsRequest principals;
  principals.set_page_size(1);
  auto page = registry_->ListPrincipals(Admin(), principals);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token().empty());
  principals.set_page_token(page->next_page_token());
  principals.set_show_left(true);  // Other filters than the token was made for.
  EXPECT_THAT(registry_->ListPrincipals(Admin(), principals),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  principals.set_show_left(false);
  principals.set_page_token(page->next_page_token() + "x");
  EXPECT_THAT(registry_->ListPrincipals(Admin(), principals),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(RoleRegistryTest, WhoWasTheSiroOnFirstMarch) {
  AddPerson("alice", true);
  AddPerson("carol", true);
  v1::CreateAssignmentRequest alice;
  alice.mutable_assignment()->set_role("roles/siro");
  alice.mutable_assignment()->set_principal("principals/alice");
  *alice.mutable_assignment()->mutable_effective_from() = ToProto(Day(2025, 6, 1));
  *alice.mutable_assignment()->mutable_effective_until() = ToProto(Day(2026, 2, 15));
  alice.mutable_assignment()->set_late_justification("board minute 2025-17, entered late");
  ASSERT_TRUE(registry_->CreateAssignment(Admin(), alice).ok());
  v1::CreateAssignmentRequest carol = alice;
  carol.mutable_assignment()->set_principal("principals/carol");
  *carol.mutable_assignment()->mutable_effective_from() = ToProto(Day(2026, 2, 15));
  carol.mutable_assignment()->clear_effective_until();
  ASSERT_TRUE(registry_->CreateAssignment(Admin(), carol).ok());

  auto holders_on = [&](absl::Time t) {
    v1::ListAssignmentsRequest request;
    request.set_role("roles/siro");
    *request.mutable_active_at() = ToProto(t);
    std::vector<std::string> holders;
    auto page = registry_->ListAssignments(Admin(), request);
    EXPECT_TRUE(page.ok()) << page.status();
    for (const auto& a : page->assignments()) holders.push_back(a.principal());
    return holders;
  };
  EXPECT_THAT(holders_on(Day(2025, 3, 1)), ElementsAre());
  EXPECT_THAT(holders_on(Day(2025, 12, 1)), ElementsAre("principals/alice"));
  EXPECT_THAT(holders_on(Day(2026, 2, 15)), ElementsAre("principals/carol"));
  EXPECT_THAT(holders_on(Day(2026, 3, 1)), ElementsAre("principals/carol"));

  v1::ListAssignmentsRequest all;
  all.set_role("roles/siro");
  EXPECT_EQ(registry_->ListAssignments(Admin(), all)->assignments_size(), 2);
}

TEST_F(RoleRegistryTest, MarkingSomeoneLeftEndsTheirRolesAndReportsVacancies) {
  AddPerson("alice", true);
  AddPerson("bob");
  AddPerson("dan");
  MustAppoint("roles/siro", "principals/alice");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/9");
  v1::CreateDelegationRequest delegate;
  delegate.mutable_delegation()->set_assignment(iao.name());
  delegate.mutable_delegation()->set_delegate("principals/alice");
  delegate.mutable_delegation()->set_responsibility("approve-transfers");
  *delegate.mutable_delegation()->mutable_effective_until() =
      ToProto(clock_.Now() + absl::Hours(5));
  ASSERT_TRUE(registry_->CreateDelegation(As("principals/dan"), delegate).ok());

  clock_.Advance(absl::Minutes(5));
  v1::MarkPrincipalLeftRequest left;
  left.set_name("principals/alice");
  auto response = registry_->MarkPrincipalLeft(Admin(), left);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->principal().state(), v1::PRINCIPAL_STATE_LEFT);
  ASSERT_EQ(response->ended_assignments_size(), 1);
  EXPECT_EQ(response->ended_assignments(0).revoke_reason(), "principal left");
  EXPECT_EQ(response->ended_delegations_size(), 1);
  ASSERT_EQ(response->vacancies_size(), 1);
  EXPECT_EQ(response->vacancies(0).role(), "roles/siro");

  EXPECT_THAT(registry_->MarkPrincipalLeft(Admin(), left),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already left")));
  v1::ListPrincipalsRequest list;
  auto listed = registry_->ListPrincipals(Admin(), list);
  for (const auto& p : listed->principals()) EXPECT_NE(p.name(), "principals/alice");
}

TEST_F(RoleRegistryTest, ListsLeaveGroupMembersOutUnlessAskedForTheFullView) {
  AddPerson("tom");
  AddPerson("ann");
  AddGroup("ops", {"principals/tom", "principals/ann"});
  auto group_in = [](const v1::ListPrincipalsResponse& page) {
    for (const auto& p : page.principals()) {
      if (p.name() == "principals/ops") return p;
    }
    return v1::Principal();
  };
  v1::ListPrincipalsRequest list;
  auto basic = registry_->ListPrincipals(Admin(), list);
  ASSERT_TRUE(basic.ok()) << basic.status();
  EXPECT_EQ(group_in(*basic).kind(), v1::PRINCIPAL_KIND_GROUP);
  EXPECT_EQ(group_in(*basic).members_size(), 0);
  list.set_view(v1::PRINCIPAL_VIEW_FULL);
  auto full = registry_->ListPrincipals(Admin(), list);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(group_in(*full).members_size(), 2);

  v1::GetPrincipalRequest get;
  get.set_name("principals/ops");
  EXPECT_EQ(registry_->GetPrincipal(Admin(), get)->members_size(), 2);  // Get: FULL.
  get.set_view(v1::PRINCIPAL_VIEW_BASIC);
  EXPECT_EQ(registry_->GetPrincipal(Admin(), get)->members_size(), 0);
  get.set_view(static_cast<v1::PrincipalView>(7));
  EXPECT_THAT(registry_->GetPrincipal(Admin(), get),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("view")));
  list.set_view(static_cast<v1::PrincipalView>(-1));
  EXPECT_THAT(registry_->ListPrincipals(Admin(), list),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("view")));
}

TEST_F(RoleRegistryTest, CoverageReportsVacanciesViolationsAndWhatEndsSoon) {
  auto report = registry_->GetCoverageReport(Admin(), {});
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(report->vacant_mandatory_roles(), ::testing::Contains("roles/siro"));
  EXPECT_THAT(report->vacant_mandatory_roles(), ::testing::Not(::testing::Contains("roles/ism")));
  EXPECT_THAT(report->vacant_mandatory_roles(), ::testing::Not(::testing::Contains("roles/iao")));

  AddPerson("alice", true);
  MustAppoint("roles/siro", "principals/alice");
  AddPerson("pat");
  v1::CreateAssignmentRequest temporary;
  temporary.mutable_assignment()->set_role("roles/po");
  temporary.mutable_assignment()->set_principal("principals/pat");
  *temporary.mutable_assignment()->mutable_effective_until() =
      ToProto(clock_.Now() + absl::Hours(24 * 10));
  ASSERT_TRUE(registry_->CreateAssignment(Admin(), temporary).ok());
  // Alice steps down from the board but still holds the SIRO role.
  v1::UpdatePrincipalRequest demote;
  demote.mutable_principal()->set_name("principals/alice");
  demote.mutable_principal()->set_board_level(false);
  demote.mutable_update_mask()->add_paths("board_level");
  ASSERT_TRUE(registry_->UpdatePrincipal(Admin(), demote).ok());

  v1::GetCoverageReportRequest request;
  request.set_ending_within_days(14);
  report = registry_->GetCoverageReport(Admin(), request);
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(report->vacant_mandatory_roles(), ::testing::Not(::testing::Contains("roles/siro")));
  ASSERT_EQ(report->violations_size(), 1);
  EXPECT_EQ(report->violations(0).principal(), "principals/alice");
  EXPECT_THAT(report->violations(0).rule(), HasSubstr("board-level rule"));
  ASSERT_EQ(report->ending_assignments_size(), 1);
  EXPECT_EQ(report->ending_assignments(0).principal(), "principals/pat");
  ExpectCoverageFromIndexesMatchesAWalk(request);

  request.set_ending_within_days(5);
  EXPECT_EQ(registry_->GetCoverageReport(Admin(), request)->ending_assignments_size(), 0);
  request.set_ending_within_days(-1);
  EXPECT_THAT(registry_->GetCoverageReport(Admin(), request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ending_within_days")));
}

TEST_F(RoleRegistryTest, EverySuccessfulChangeWritesOneEvent) {
  const size_t before = OutboxEvents().size();
  AddPerson("pat");
  const v1::Assignment po = MustAppoint("roles/po", "principals/pat");
  const auto events = OutboxEvents();
  ASSERT_EQ(events.size(), before + 2);
  EXPECT_EQ(events[before].resource(), "principals/pat");
  EXPECT_EQ(events[before + 1].resource(), po.name());
  EXPECT_EQ(events[before + 1].outcome(), isms::audit::v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(events[before + 1].method(), "/test/Method");
  EXPECT_EQ(events[before + 1].request_id(), "test-request");
}

TEST_F(RoleRegistryTest, ServiceActingOnBehalfIsRecordedWithBothIdentities) {
  const CallInfo gateway{Caller{"services/gateway", "principals/admin", true}, "req-7",
                         "/isms.role.v1.RoleService/CreatePrincipal"};
  v1::CreatePrincipalRequest request;
  request.set_principal_id("zoe");
  request.mutable_principal()->set_display_name("Zoe");
  request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  ASSERT_TRUE(registry_->CreatePrincipal(gateway, request).ok());
  const auto events = OutboxEvents();
  EXPECT_EQ(events.back().actor(), "services/gateway");
  EXPECT_EQ(events.back().principal(), "principals/admin");
  EXPECT_EQ(events.back().request_id(), "req-7");
}

TEST(RoleRegistryDurabilityTest, ReopenedStoreHoldsEveryCommittedChange) {
  isms::testing::TempDir dir;
  const std::string path = dir.path() + "/role.db";
  FakeClock clock(absl::FromUnixSeconds(1767000000));
  RoleRegistry::Options options;
  options.bootstrap_principal = "principals/root";
  const CallInfo root{Caller{"principals/root", "principals/root", false}, "r", "/t"};
  std::string assignment_name;
  {
    auto store = SqliteRoleStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    auto registry = RoleRegistry::Open(**store, clock, options);
    ASSERT_TRUE(registry.ok());
    auto catalogue = LoadCatalogueFile(ISMS_SOURCE_DIR "/services/role/catalogue/roles.textproto");
    ASSERT_TRUE((*registry)->SeedCatalogue(*catalogue).ok());
    v1::CreatePrincipalRequest create;
    create.set_principal_id("pat");
    create.mutable_principal()->set_display_name("Pat");
    create.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    ASSERT_TRUE((*registry)->CreatePrincipal(root, create).ok());
    v1::CreateAssignmentRequest appoint;
    appoint.mutable_assignment()->set_role("roles/po");
    appoint.mutable_assignment()->set_principal("principals/pat");
    auto appointed = (*registry)->CreateAssignment(root, appoint);
    ASSERT_TRUE(appointed.ok());
    assignment_name = appointed->name();
  }
  auto store = SqliteRoleStore::Open(path);
  ASSERT_TRUE(store.ok());
  auto registry = RoleRegistry::Open(**store, clock, options);
  ASSERT_TRUE(registry.ok());
  v1::GetAssignmentRequest get;
  get.set_name(assignment_name);
  auto assignment = (*registry)->GetAssignment(root, get);
  ASSERT_TRUE(assignment.ok()) << assignment.status();
  EXPECT_EQ(assignment->principal(), "principals/pat");
  EXPECT_EQ((*registry)->ListRoles(root, {})->roles_size(), 12);
}

}  // namespace
}  // namespace isms::role
