// Answers that stay true in time: questions about a past moment are answered
// from that moment (bitemporal: when something was in force, and what the
// register said as of when), backdating is justified and marked, corrections
// never rewrite what was believed before them, and bootstrap's end is stored.

#include <gmock/gmock.h>

#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "services/role/catalogue.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TimeTest : public RegistryTestBase {
 protected:
  v1::CheckPermissionResponse CheckAt(const std::string& principal, const std::string& permission,
                                      absl::Time at, absl::Time recorded_at = absl::InfiniteFuture()) {
    v1::CheckPermissionRequest request;
    request.set_principal(principal);
    request.set_permission(permission);
    *request.mutable_check_time() = ToProto(at);
    if (recorded_at != absl::InfiniteFuture()) {
      *request.mutable_as_recorded_at() = ToProto(recorded_at);
    }
    auto response = registry_->CheckPermission(Admin(), request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::CheckPermissionResponse();
  }
  std::vector<std::string> HoldersAt(const std::string& role, absl::Time at,
                                     absl::Time recorded_at = absl::InfiniteFuture()) {
    v1::ListAssignmentsRequest request;
    request.set_role(role);
    *request.mutable_active_at() = ToProto(at);
    if (recorded_at != absl::InfiniteFuture()) {
      *request.mutable_as_recorded_at() = ToProto(recorded_at);
    }
    auto page = registry_->ListAssignments(Admin(), request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> holders;
    if (page.ok()) {
      for (const auto& a : page->assignments()) holders.push_back(a.principal());
    }
    return holders;
  }
  absl::StatusOr<v1::Assignment> AppointFrom(const std::string& role, const std::string& who,
                                             absl::Time from, const std::string& justification) {
    v1::CreateAssignmentRequest request;
    request.mutable_assignment()->set_role(role);
    request.mutable_assignment()->set_principal(who);
    *request.mutable_assignment()->mutable_effective_from() = ToProto(from);
    request.mutable_assignment()->set_late_justification(justification);
    return registry_->CreateAssignment(Admin(), request);
  }
  absl::Status MarkLeft(const std::string& who) {
    v1::MarkPrincipalLeftRequest request;
    request.set_name(who);
    return registry_->MarkPrincipalLeft(Admin(), request).status();
  }
};

TEST_F(TimeTest, WasAliceAllowedAtTGivesTheSameAnswerAfterSheLeaves) {
  AddPerson("alice", true);
  MustAppoint("roles/siro", "principals/alice");
  clock_.Advance(absl::Hours(1));
  const absl::Time t = clock_.Now();
  ASSERT_TRUE(CheckAt("principals/alice", "isms.risks.accept", t).allowed());
  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(MarkLeft("principals/alice").ok());
  clock_.Advance(absl::Hours(24));
  EXPECT_TRUE(CheckAt("principals/alice", "isms.risks.accept", t).allowed());
  const auto now = Check("principals/alice", "isms.risks.accept");
  EXPECT_FALSE(now.allowed());
  EXPECT_EQ(now.denial(), v1::DENIAL_PRINCIPAL_LEFT);
  // The coverage report at t judges her by her record then: no violation.
  v1::GetCoverageReportRequest at_t;
  *at_t.mutable_at_time() = ToProto(t);
  auto report = registry_->GetCoverageReport(Admin(), at_t);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->violations_size(), 0);
  EXPECT_THAT(report->vacant_mandatory_roles(), ::testing::Not(::testing::Contains("roles/siro")));
}

TEST_F(TimeTest, GroupMembershipAndRoleRulesAreTakenAsTheyStoodThen) {
  AddPerson("bob");
  AddGroup("ops", {"principals/bob"});
  MustAppoint("roles/issg", "principals/ops");
  clock_.Advance(absl::Hours(1));
  const absl::Time t = clock_.Now();
  clock_.Advance(absl::Hours(1));
  // bob leaves the group; the ISSG loses a permission.
  v1::UpdatePrincipalRequest members;
  members.mutable_principal()->set_name("principals/ops");
  members.mutable_update_mask()->add_paths("members");
  AddPerson("carl");
  members.mutable_principal()->add_members("principals/carl");
  ASSERT_TRUE(registry_->UpdatePrincipal(Admin(), members).ok());
  v1::UpdateRoleRequest role;
  role.mutable_role()->set_name("roles/issg");
  role.mutable_role()->add_permissions("isms.policies.approve");
  role.mutable_role()->add_permissions("isms.objectives.manage");
  role.mutable_update_mask()->add_paths("permissions");
  auto updated = registry_->UpdateRole(Admin(), role);
  ASSERT_TRUE(updated.ok()) << updated.status();
  // At t bob was a member and the role granted reports.read.
  EXPECT_TRUE(CheckAt("principals/bob", "isms.reports.read", t).allowed());
  EXPECT_TRUE(CheckAt("principals/bob", "isms.objectives.manage", t).allowed());
  EXPECT_FALSE(Allowed("principals/bob", "isms.objectives.manage"));
  EXPECT_FALSE(Allowed("principals/carl", "isms.reports.read"));
  EXPECT_TRUE(Allowed("principals/carl", "isms.policies.approve"));
}

TEST_F(TimeTest, ABackdatedAppointmentNeedsAJustificationAndIsMarkedLate) {
  AddPerson("ted");
  EXPECT_THAT(AppointFrom("roles/itso", "principals/ted", Day(2001, 3, 1), ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("backdating rule")));
  EXPECT_THAT(HoldersAt("roles/itso", Day(2001, 6, 1)), ElementsAre());
  const absl::Time before_correction = clock_.Now();
  clock_.Advance(absl::Minutes(1));
  auto late = AppointFrom("roles/itso", "principals/ted", Day(2001, 3, 1),
                          "paper records of 2001 found in the archive");
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_TRUE(late->recorded_late());
  // Who was the ITSO in June 2001? Now: ted. As the register stood before the
  // late record: nobody. The late record never silently rewrites that.
  EXPECT_THAT(HoldersAt("roles/itso", Day(2001, 6, 1)), ElementsAre("principals/ted"));
  EXPECT_THAT(HoldersAt("roles/itso", Day(2001, 6, 1), before_correction), ElementsAre());
  // A start within the tolerance needs no justification.
  AddPerson("una");
  EXPECT_TRUE(AppointFrom("roles/po", "principals/una", clock_.Now() - absl::Minutes(2), "").ok());
}

TEST_F(TimeTest, ACorrectionKeepsWhatWasBelievedBeforeIt) {
  AddPerson("ted");
  const v1::Assignment itso = MustAppoint("roles/itso", "principals/ted");
  clock_.Advance(absl::Hours(1));
  const absl::Time t = clock_.Now();
  const absl::Time believed = clock_.Now();
  clock_.Advance(absl::Hours(1));
  v1::CorrectAssignmentRequest correct;
  correct.set_name(itso.name());
  correct.set_void_(true);
  correct.set_reason("appointed in error: wrong ted");
  auto voided = registry_->CorrectAssignment(Admin(), correct);
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_TRUE(voided->has_void_time());
  // Now the register says ted never held it; as recorded before the
  // correction, he did.
  EXPECT_FALSE(CheckAt("principals/ted", "isms.assets.security.manage", t).allowed());
  EXPECT_TRUE(CheckAt("principals/ted", "isms.assets.security.manage", t, believed).allowed());
  EXPECT_THAT(HoldersAt("roles/itso", t), ElementsAre());
  EXPECT_THAT(HoldersAt("roles/itso", t, believed), ElementsAre("principals/ted"));
  v1::GetCoverageReportRequest report_then;
  *report_then.mutable_at_time() = ToProto(t);
  *report_then.mutable_as_recorded_at() = ToProto(believed);
  auto then = registry_->GetCoverageReport(Admin(), report_then);
  ASSERT_TRUE(then.ok());
  EXPECT_THAT(then->vacant_mandatory_roles(), ::testing::Not(::testing::Contains("roles/itso")));
  report_then.clear_as_recorded_at();
  auto corrected = registry_->GetCoverageReport(Admin(), report_then);
  ASSERT_TRUE(corrected.ok());
  EXPECT_THAT(corrected->vacant_mandatory_roles(), ::testing::Contains("roles/itso"));
}

TEST_F(TimeTest, ACorrectionEndsEarlierNeverLaterAndNeedsAReason) {
  AddPerson("ted");
  v1::CreateAssignmentRequest appoint;
  appoint.mutable_assignment()->set_role("roles/itso");
  appoint.mutable_assignment()->set_principal("principals/ted");
  *appoint.mutable_assignment()->mutable_effective_until() = ToProto(clock_.Now() + absl::Hours(10));
  auto itso = registry_->CreateAssignment(Admin(), appoint);
  ASSERT_TRUE(itso.ok());
  v1::CorrectAssignmentRequest later;
  later.set_name(itso->name());
  later.set_reason("extend");
  *later.mutable_effective_until() = ToProto(clock_.Now() + absl::Hours(20));
  EXPECT_THAT(registry_->CorrectAssignment(Admin(), later),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("never later")));
  v1::CorrectAssignmentRequest no_reason = later;
  no_reason.clear_reason();
  EXPECT_THAT(registry_->CorrectAssignment(Admin(), no_reason),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  v1::CorrectAssignmentRequest earlier = later;
  *earlier.mutable_effective_until() = ToProto(clock_.Now() + absl::Hours(5));
  auto corrected = registry_->CorrectAssignment(Admin(), earlier);
  ASSERT_TRUE(corrected.ok()) << corrected.status();
  EXPECT_EQ(corrected->correction_reason(), "extend");
  EXPECT_EQ(corrected->corrected_by(), "principals/admin");
}

// Bootstrap's end is stored, not recomputed: it survives a restart with the
// managers gone, and only the operator's break-glass start reopens it.
TEST(BootstrapPersistenceTest, BootstrapEndSurvivesRestartAndOnlyBreakGlassReopensIt) {
  isms::testing::TempDir dir;
  const std::string path = dir.path() + "/role.db";
  FakeClock clock(absl::FromCivil(absl::CivilDay(2026, 1, 10), absl::UTCTimeZone()));
  RoleRegistry::Options options;
  options.bootstrap_principal = "principals/root";
  const CallInfo root{Caller{"principals/root", "principals/root", false}, "r", "/test/Method"};
  // Asked by a service that may check anyone: once bootstrap has ended the
  // bootstrap principal itself is refused every call.
  const CallInfo checker{Caller{"services/checker", "services/checker", true, {"check-permissions"}},
                         "r", "/test/Method"};
  auto check_root = [&](RoleRegistry& registry) {
    v1::CheckPermissionRequest request;
    request.set_principal("principals/root");
    request.set_permission("isms.assignments.manage");
    auto response = registry.CheckPermission(checker, request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() && response->allowed();
  };
  std::string ism_assignment;
  {
    auto store = SqliteRoleStore::Open(path);
    ASSERT_TRUE(store.ok());
    auto registry = RoleRegistry::Open(**store, clock, options);
    ASSERT_TRUE(registry.ok());
    auto catalogue = LoadCatalogueFile(ISMS_SOURCE_DIR "/services/role/catalogue/roles.textproto");
    ASSERT_TRUE((*registry)->SeedCatalogue(*catalogue).ok());
    v1::CreatePrincipalRequest create;
    create.set_principal_id("ivy");
    create.mutable_principal()->set_display_name("Ivy");
    create.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    ASSERT_TRUE((*registry)->CreatePrincipal(root, create).ok());
    v1::CreateAssignmentRequest appoint;
    appoint.mutable_assignment()->set_role("roles/ism");
    appoint.mutable_assignment()->set_principal("principals/ivy");
    *appoint.mutable_assignment()->mutable_effective_until() =
        ToProto(clock.Now() + absl::Hours(1));
    ASSERT_TRUE((*registry)->CreateAssignment(root, appoint).ok());
    EXPECT_FALSE(check_root(**registry));
  }
  clock.Advance(absl::Hours(2));  // The ISM's term is over: nobody manages.
  {
    auto store = SqliteRoleStore::Open(path);
    ASSERT_TRUE(store.ok());
    auto registry = RoleRegistry::Open(**store, clock, options);
    ASSERT_TRUE(registry.ok());
    EXPECT_FALSE(check_root(**registry));
  }
  RoleRegistry::Options break_glass = options;
  break_glass.break_glass_bootstrap = true;
  {
    auto store = SqliteRoleStore::Open(path);
    ASSERT_TRUE(store.ok());
    auto registry = RoleRegistry::Open(**store, clock, break_glass);
    ASSERT_TRUE(registry.ok());
    EXPECT_TRUE(check_root(**registry));
    auto events = (*store)->ReadOutbox(0, 1000);
    ASSERT_TRUE(events.ok());
    EXPECT_THAT(events->back().event.description(), HasSubstr("break-glass"));
    // The next management appointment closes it again.
    v1::CreateAssignmentRequest appoint;
    appoint.mutable_assignment()->set_role("roles/ism");
    appoint.mutable_assignment()->set_principal("principals/ivy");
    ASSERT_TRUE((*registry)->CreateAssignment(root, appoint).ok());
    EXPECT_FALSE(check_root(**registry));
    // What bootstrap could do in its window stays answerable.
    v1::CheckPermissionRequest past;
    past.set_principal("principals/root");
    past.set_permission("isms.assignments.manage");
    *past.mutable_check_time() = ToProto(clock.Now() - absl::Hours(2) - absl::Minutes(30));
    EXPECT_TRUE((*registry)->CheckPermission(checker, past)->allowed());
  }
}

// Handing management permissions to a role someone already holds ends
// bootstrap, as appointing them to a management role would.
TEST(BootstrapPersistenceTest, GivingAFilledRoleManagementPermissionsEndsBootstrap) {
  auto store = SqliteRoleStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  FakeClock clock(absl::FromCivil(absl::CivilDay(2026, 1, 10), absl::UTCTimeZone()));
  RoleRegistry::Options options;
  options.bootstrap_principal = "principals/root";
  auto registry = RoleRegistry::Open(**store, clock, options);
  ASSERT_TRUE(registry.ok());
  auto catalogue = LoadCatalogueFile(ISMS_SOURCE_DIR "/services/role/catalogue/roles.textproto");
  ASSERT_TRUE((*registry)->SeedCatalogue(*catalogue).ok());
  const CallInfo root{Caller{"principals/root", "principals/root", false}, "r", "/test/Method"};
  v1::CreatePrincipalRequest create;
  create.set_principal_id("alice");
  create.mutable_principal()->set_display_name("Alice");
  create.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  ASSERT_TRUE((*registry)->CreatePrincipal(root, create).ok());
  v1::CreateAssignmentRequest appoint;
  appoint.mutable_assignment()->set_role("roles/po");
  appoint.mutable_assignment()->set_principal("principals/alice");
  ASSERT_TRUE((*registry)->CreateAssignment(root, appoint).ok());
  v1::UpdateRoleRequest grant;
  grant.mutable_role()->set_name("roles/po");
  for (const char* p : {"isms.risks.update", "isms.measurements.manage", "isms.assignments.manage"}) {
    grant.mutable_role()->add_permissions(p);
  }
  grant.mutable_update_mask()->add_paths("permissions");
  ASSERT_TRUE((*registry)->UpdateRole(root, grant).ok());
  create.set_principal_id("carol");
  EXPECT_THAT((*registry)->CreatePrincipal(root, create),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("bootstrap has ended")));
}

}  // namespace
}  // namespace isms::role
