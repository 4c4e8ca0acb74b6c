// The role service's authority tried as an attacker would: nobody raises
// themselves on any path, waivers need another manager, the seeds' law holds,
// deputies act only when necessary, delegations are bounded, bootstrap ends
// for good, leavers and strangers are refused, reads follow need to know,
// and the trail says what was attempted.

#include <gmock/gmock.h>

#include "common/testing/status_matchers.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class AuthorityTest : public RegistryTestBase {
 protected:
  absl::StatusOr<v1::Principal> SetBoardLevel(const std::string& as, const std::string& who,
                                              bool board_level) {
    v1::UpdatePrincipalRequest request;
    request.mutable_principal()->set_name(who);
    request.mutable_principal()->set_board_level(board_level);
    request.mutable_update_mask()->add_paths("board_level");
    return registry_->UpdatePrincipal(As(as), request);
  }
  absl::StatusOr<v1::Principal> SetMembers(const std::string& as, const std::string& group,
                                           const std::vector<std::string>& members) {
    v1::UpdatePrincipalRequest request;
    request.mutable_principal()->set_name(group);
    for (const auto& member : members) request.mutable_principal()->add_members(member);
    request.mutable_update_mask()->add_paths("members");
    return registry_->UpdatePrincipal(As(as), request);
  }
  absl::StatusOr<v1::Role> SetMaxHolders(const std::string& as, const std::string& role,
                                         int max_holders) {
    v1::UpdateRoleRequest request;
    request.mutable_role()->set_name(role);
    request.mutable_role()->set_max_holders(max_holders);
    request.mutable_update_mask()->add_paths("max_holders");
    return registry_->UpdateRole(As(as), request);
  }
  absl::StatusOr<v1::Role> AddConflict(const std::string& role, const std::string& conflicting) {
    v1::GetRoleRequest get;
    get.set_name(role);
    v1::Role current = *registry_->GetRole(Admin(), get);
    v1::UpdateRoleRequest request;
    *request.mutable_role() = current;
    request.mutable_role()->add_conflicting_roles(conflicting);
    request.mutable_update_mask()->add_paths("conflicting_roles");
    return registry_->UpdateRole(Admin(), request);
  }
  absl::StatusOr<v1::Assignment> DecideWaiver(const std::string& as, const std::string& name,
                                              bool approve) {
    v1::DecideWaiverRequest request;
    request.set_name(name);
    request.set_approve(approve);
    request.set_reason("reviewed by the board");
    return registry_->DecideWaiver(As(as), request);
  }
  absl::StatusOr<v1::Absence> RecordAbsence(const std::string& as, const std::string& who,
                                            absl::Duration length) {
    v1::CreateAbsenceRequest request;
    request.mutable_absence()->set_principal(who);
    *request.mutable_absence()->mutable_effective_until() = ToProto(clock_.Now() + length);
    request.mutable_absence()->set_reason("leave");
    return registry_->CreateAbsence(As(as), request);
  }
  absl::StatusOr<v1::Delegation> Delegate(const std::string& as, const std::string& assignment,
                                          const std::string& delegate,
                                          const std::string& permission, absl::Duration length,
                                          const std::string& responsibility = "") {
    v1::CreateDelegationRequest request;
    request.mutable_delegation()->set_assignment(assignment);
    request.mutable_delegation()->set_delegate(delegate);
    request.mutable_delegation()->set_permission(permission);
    request.mutable_delegation()->set_responsibility(responsibility);
    *request.mutable_delegation()->mutable_effective_until() = ToProto(clock_.Now() + length);
    return registry_->CreateDelegation(As(as), request);
  }
  absl::StatusOr<v1::Assignment> Revoke(const std::string& as, const std::string& name) {
    v1::RevokeAssignmentRequest request;
    request.set_name(name);
    return registry_->RevokeAssignment(As(as), request);
  }
  absl::Status MarkLeft(const std::string& as, const std::string& who) {
    v1::MarkPrincipalLeftRequest request;
    request.set_name(who);
    return registry_->MarkPrincipalLeft(As(as), request).status();
  }
  v1::CheckPermissionResponse CheckAt(const std::string& principal, const std::string& permission,
                                      absl::Time at, const std::string& resource = "") {
    v1::CheckPermissionRequest request;
    request.set_principal(principal);
    request.set_permission(permission);
    request.set_resource(resource);
    *request.mutable_check_time() = ToProto(at);
    auto response = registry_->CheckPermission(Admin(), request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::CheckPermissionResponse();
  }
  // The last outbox event.
  isms::audit::v1::AuditEvent LastEvent() {
    std::vector<isms::audit::v1::AuditEvent> events = OutboxEvents();
    return events.empty() ? isms::audit::v1::AuditEvent() : events.back();
  }
};

// ------------------------------------------------------------ No self-raise

TEST_F(AuthorityTest, IsmCannotMakeThemselvesSiroAndTheAttemptIsAudited) {
  SetBoardLevel("principals/admin", "principals/admin", true).IgnoreError();
  EXPECT_THAT(Appoint("roles/siro", "principals/admin"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("self-appointment rule")));
  const auto event = LastEvent();
  EXPECT_EQ(event.outcome(), isms::audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(event.attributes().at("principal"), "principals/admin");
  EXPECT_FALSE(Allowed("principals/admin", "isms.risks.accept"));
}

TEST_F(AuthorityTest, NobodyAppointsAGroupTheyBelongTo) {
  AddPerson("bob");
  AddGroup("steering", {"principals/bob", "principals/admin"});
  EXPECT_THAT(Appoint("roles/issg", "principals/steering"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("a group they belong to")));
}

TEST_F(AuthorityTest, NobodyMarksThemselvesBoardLevelOrJoinsAGroup) {
  EXPECT_THAT(SetBoardLevel("principals/admin", "principals/admin", true),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("self-raise rule")));
  AddPerson("bob");
  AddGroup("steering", {"principals/bob"});
  EXPECT_THAT(SetMembers("principals/admin", "principals/steering",
                         {"principals/bob", "principals/admin"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("add themselves")));
  // The same changes for someone else are fine.
  EXPECT_TRUE(SetBoardLevel("principals/admin", "principals/bob", true).ok());
}

TEST_F(AuthorityTest, NobodyChangesTheRulesOfARoleTheyHold) {
  // principals/admin holds roles/ism.
  EXPECT_THAT(SetMaxHolders("principals/admin", "roles/ism", 5),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("holds roles/ism")));
  v1::DeleteRoleRequest remove;
  remove.set_name("roles/ism");
  EXPECT_THAT(registry_->DeleteRole(Admin(), remove),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("self-raise rule")));
  // A role they do not hold is theirs to manage.
  EXPECT_TRUE(SetMaxHolders("principals/admin", "roles/po", 5).ok());
}

TEST_F(AuthorityTest, NobodyChangesTheRulesOfARoleTheyDeputiseFor) {
  AddPerson("sam", true);
  MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  // The SIRO is away: the deputy acts for the SIRO, with the SIRO's manage permissions...
  ASSERT_TRUE(RecordAbsence("principals/sam", "principals/sam", absl::Hours(24)).ok());
  EXPECT_TRUE(Allowed("principals/dee", "isms.roles.manage"));
  // ... but never to change the rules of the role deputised for.
  v1::UpdateRoleRequest request;
  request.mutable_role()->set_name("roles/siro");
  request.mutable_role()->add_permissions("isms.everything");
  request.mutable_update_mask()->add_paths("permissions");
  EXPECT_THAT(registry_->UpdateRole(As("principals/dee"), request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("as deputy")));
}

TEST_F(AuthorityTest, TheSeedsLawCannotBeSwitchedOffByRpc) {
  EXPECT_THAT(SetMaxHolders("principals/admin", "roles/siro", 2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("MR 35a")));
  EXPECT_THAT(SetMaxHolders("principals/admin", "roles/iao", 0),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("MR 35e")));
  v1::UpdateRoleRequest board;
  board.mutable_role()->set_name("roles/siro");
  board.mutable_role()->set_board_level_required(false);
  board.mutable_update_mask()->add_paths("board_level_required");
  EXPECT_THAT(registry_->UpdateRole(Admin(), board),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("board_level_required")));
  v1::UpdateRoleRequest scope;
  scope.mutable_role()->set_name("roles/iao");
  scope.mutable_role()->set_scope_kind(v1::SCOPE_KIND_ORGANISATION);
  scope.mutable_update_mask()->add_paths("scope_kind");
  EXPECT_THAT(registry_->UpdateRole(Admin(), scope),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("MR 35e")));
  v1::DeleteRoleRequest remove;
  remove.set_name("roles/iao");
  EXPECT_THAT(registry_->DeleteRole(Admin(), remove),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("statutory rule")));
}

TEST_F(AuthorityTest, ManagingPeopleDoesNotReachIntoRoles) {
  // A COL manages people but not appointments.
  AddPerson("col");
  MustAppoint("roles/col", "principals/col");
  AddPerson("bob");
  AddPerson("carl");
  AddGroup("steering", {"principals/bob"});
  MustAppoint("roles/issg", "principals/steering");
  EXPECT_THAT(SetMembers("principals/col", "principals/steering", {"principals/bob", "principals/carl"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("isms.assignments.manage")));
  AddPerson("ted");
  MustAppoint("roles/itso", "principals/ted");
  EXPECT_THAT(MarkLeft("principals/col", "principals/ted"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("isms.assignments.manage")));
  EXPECT_TRUE(Allowed("principals/ted", "isms.assets.security.manage"));
  // People without roles are the COL's to manage.
  EXPECT_TRUE(MarkLeft("principals/col", "principals/carl").ok());
}

// ------------------------------------------------------------ Waivers

TEST_F(AuthorityTest, AWaiverNeedsAManagerOtherThanTheAppointeeAndTheAppointer) {
  AddPerson("rita");
  AddRegistrar("principals/rita");
  AddPerson("pat");
  MustAppoint("roles/po", "principals/pat");
  ASSERT_TRUE(AddConflict("roles/ts", "roles/po").ok());
  // Appointing pat to a conflicting role with a justification asks for a waiver.
  auto pending = Appoint("roles/ts", "principals/pat", "", "small team, reviewed quarterly");
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->waiver_state(), v1::WAIVER_STATE_PENDING);
  EXPECT_FALSE(Allowed("principals/pat", "isms.incidents.report"));  // Not in force yet.
  // The appointer cannot approve it, nor the appointee.
  EXPECT_THAT(DecideWaiver("principals/admin", pending->name(), true),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("waiver rule")));
  EXPECT_THAT(DecideWaiver("principals/pat", pending->name(), true),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto approved = DecideWaiver("principals/rita", pending->name(), true);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->waiver_state(), v1::WAIVER_STATE_APPROVED);
  EXPECT_EQ(approved->waiver_decided_by(), "principals/rita");
  EXPECT_TRUE(Allowed("principals/pat", "isms.incidents.report"));
  EXPECT_THAT(DecideWaiver("principals/rita", pending->name(), false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no pending waiver")));
}

TEST_F(AuthorityTest, ASelfApprovedWaiverIsRefusedAndARejectedOneNeverComesIntoForce) {
  AddPerson("rita");
  AddRegistrar("principals/rita");
  ASSERT_TRUE(AddConflict("roles/ts", "roles/registrar").ok());
  auto pending = Appoint("roles/ts", "principals/rita", "", "needs staff access too");
  ASSERT_TRUE(pending.ok()) << pending.status();
  // rita holds the manage permission herself, but not for her own waiver.
  EXPECT_THAT(DecideWaiver("principals/rita", pending->name(), true),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("other than the appointee")));
  AddPerson("ralf");
  AddRegistrar("principals/ralf");
  ASSERT_TRUE(DecideWaiver("principals/ralf", pending->name(), false).ok());
  clock_.Advance(absl::Hours(1));
  EXPECT_FALSE(Allowed("principals/rita", "isms.incidents.report"));
}

// ------------------------------------------------------------ Segregation on every path

TEST_F(AuthorityTest, SegregationHoldsThroughGroupDeputyDelegationAndGroupChange) {
  AddPerson("ann", true);
  MustAppoint("roles/ao", "principals/ann");  // AO conflicts with SIRO.
  // Deputy path: the DSIRO deputises for the SIRO, which conflicts with the AO.
  EXPECT_THAT(Appoint("roles/dsiro", "principals/ann"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("segregation-of-duties rule")));
  // Group path: bob holds the ISSG role through a group, made to conflict with the SIRO.
  ASSERT_TRUE(AddConflict("roles/issg", "roles/siro").ok());
  AddPerson("bob", true);
  AddGroup("board", {"principals/bob"});
  MustAppoint("roles/issg", "principals/board");
  EXPECT_THAT(Appoint("roles/siro", "principals/bob"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("via group")));
  // Group change: adding the SIRO to the group refused.
  AddPerson("sam", true);
  MustAppoint("roles/siro", "principals/sam");
  EXPECT_THAT(SetMembers("principals/admin", "principals/board", {"principals/bob", "principals/sam"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("adding principals/sam")));
  // Delegation path: the SIRO delegates to someone holding a conflicting role.
  const auto siro = registry_->ListAssignments(Admin(), [] {
    v1::ListAssignmentsRequest r;
    r.set_role("roles/siro");
    return r;
  }());
  ASSERT_TRUE(siro.ok());
  EXPECT_THAT(Delegate("principals/sam", siro->assignments(0).name(), "principals/ann",
                       "isms.risks.manage", absl::Hours(24)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("segregation-of-duties rule")));
}

TEST_F(AuthorityTest, CoverageListsEveryStandingConflictWaivedOrNot) {
  AddPerson("rita");
  AddRegistrar("principals/rita");
  AddPerson("pat");
  MustAppoint("roles/po", "principals/pat");
  AddPerson("tom");
  AddGroup("ops", {"principals/tom"});
  MustAppoint("roles/issg", "principals/ops");
  MustAppoint("roles/po", "principals/tom");
  // The conflict rule arrives after tom already holds both: it stands, unwaived.
  ASSERT_TRUE(AddConflict("roles/ts", "roles/po").ok());
  ASSERT_TRUE(AddConflict("roles/issg", "roles/po").ok());
  auto pending = Appoint("roles/ts", "principals/pat", "", "small team");
  ASSERT_TRUE(pending.ok());
  auto report = registry_->GetCoverageReport(Admin(), {});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->pending_waivers_size(), 1);
  EXPECT_EQ(report->pending_waivers(0).name(), pending->name());
  ASSERT_TRUE(DecideWaiver("principals/rita", pending->name(), true).ok());
  report = registry_->GetCoverageReport(Admin(), {});
  ASSERT_TRUE(report.ok());
  bool pat_waived = false, tom_unwaived = false;
  for (const auto& conflict : report->conflicts()) {
    if (conflict.principal() == "principals/pat") pat_waived = conflict.waived();
    if (conflict.principal() == "principals/tom") {
      tom_unwaived = !conflict.waived();
      EXPECT_THAT(conflict.role_via() + conflict.conflicting_role_via(), HasSubstr("via group"));
    }
  }
  EXPECT_TRUE(pat_waived);
  EXPECT_TRUE(tom_unwaived);
  ExpectCoverageFromIndexesMatchesAWalk({});
}

// ------------------------------------------------------------ Deputies

TEST_F(AuthorityTest, DeputyActsOnlyWhileTheHolderIsAbsentOrTheRoleVacant) {
  AddPerson("sam", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  EXPECT_FALSE(Allowed("principals/dee", "isms.risks.accept"));  // The SIRO is there.
  auto absence = RecordAbsence("principals/sam", "principals/sam", absl::Hours(48));
  ASSERT_TRUE(absence.ok()) << absence.status();
  const auto absent = Check("principals/dee", "isms.risks.accept");
  EXPECT_TRUE(absent.allowed());
  ASSERT_EQ(absent.chain_size(), 3);
  EXPECT_EQ(absent.chain(2).kind(), v1::DecisionStep::KIND_ABSENCE);
  EXPECT_EQ(absent.chain(2).resource(), absence->name());
  EXPECT_THAT(absent.explanation(), HasSubstr("principals/sam is absent"));
  clock_.Advance(absl::Hours(49));
  EXPECT_FALSE(Allowed("principals/dee", "isms.risks.accept"));
  ASSERT_TRUE(Revoke("principals/admin", siro.name()).ok());
  const auto vacant = Check("principals/dee", "isms.risks.accept");
  EXPECT_TRUE(vacant.allowed());
  EXPECT_EQ(vacant.chain(2).kind(), v1::DecisionStep::KIND_VACANCY);
}

TEST_F(AuthorityTest, DsiroCannotRevokeTheSiro) {
  AddPerson("sam", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  ASSERT_TRUE(RecordAbsence("principals/sam", "principals/sam", absl::Hours(24)).ok());
  ASSERT_TRUE(Allowed("principals/dee", "isms.assignments.manage"));
  EXPECT_THAT(Revoke("principals/dee", siro.name()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
  v1::CorrectAssignmentRequest correct;
  correct.set_name(siro.name());
  correct.set_void_(true);
  correct.set_reason("never really appointed");
  EXPECT_THAT(registry_->CorrectAssignment(As("principals/dee"), correct),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
}

TEST_F(AuthorityTest, AManagerWhoDeputisesCannotRecordTheHoldersAbsence) {
  AddPerson("sam", true);
  MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  AddRegistrar("principals/dee");
  EXPECT_THAT(RecordAbsence("principals/dee", "principals/sam", absl::Hours(24)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("self-raise rule")));
  EXPECT_FALSE(Allowed("principals/dee", "isms.risks.accept"));
  // Another manager may record it.
  EXPECT_TRUE(RecordAbsence("principals/admin", "principals/sam", absl::Hours(24)).ok());
}

// ------------------------------------------------------------ Delegations

TEST_F(AuthorityTest, ManagementPermissionsAreNeverDelegated) {
  AddPerson("sam", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/sam");
  AddPerson("bob");
  EXPECT_THAT(Delegate("principals/sam", siro.name(), "principals/bob", "isms.assignments.manage",
                       absl::Hours(24)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("never delegated")));
}

TEST_F(AuthorityTest, ADelegateCannotAppointThemselvesToOutliveTheDelegation) {
  AddPerson("sam", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/sam");
  AddPerson("bob");
  ASSERT_TRUE(Delegate("principals/sam", siro.name(), "principals/bob", "isms.risks.manage",
                       absl::Hours(24))
                  .ok());
  EXPECT_THAT(AppointAs("principals/bob", "roles/po", "principals/bob"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuthorityTest, DelegationsAreBoundedByTheMaximumAndTheDelegatorsAssignment) {
  AddPerson("dan");
  v1::CreateAssignmentRequest appoint;
  appoint.mutable_assignment()->set_role("roles/iao");
  appoint.mutable_assignment()->set_principal("principals/dan");
  appoint.mutable_assignment()->set_scope("assets/42");
  *appoint.mutable_assignment()->mutable_effective_until() = ToProto(clock_.Now() + absl::Hours(72));
  auto iao = registry_->CreateAssignment(Admin(), appoint);
  ASSERT_TRUE(iao.ok());
  AddPerson("bob");
  EXPECT_THAT(Delegate("principals/dan", iao->name(), "principals/bob",
                       "isms.assets.transfers.approve", absl::Hours(73)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cannot outlive")));
  AddPerson("ted");
  const v1::Assignment itso = MustAppoint("roles/itso", "principals/ted");
  EXPECT_THAT(Delegate("principals/ted", itso.name(), "principals/bob", "isms.incidents.manage",
                       absl::Hours(24 * 366)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("at most")));
  v1::CreateDelegationRequest backdated;
  backdated.mutable_delegation()->set_assignment(itso.name());
  backdated.mutable_delegation()->set_delegate("principals/bob");
  backdated.mutable_delegation()->set_permission("isms.incidents.manage");
  *backdated.mutable_delegation()->mutable_effective_from() = ToProto(clock_.Now() - absl::Hours(24));
  *backdated.mutable_delegation()->mutable_effective_until() = ToProto(clock_.Now() + absl::Hours(1));
  EXPECT_THAT(registry_->CreateDelegation(As("principals/ted"), backdated),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("backdating rule")));
}

TEST_F(AuthorityTest, RevokingAnAssignmentEndsEachDelegationAndNamesIt) {
  AddPerson("dan");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/42");
  AddPerson("bob");
  AddPerson("eve");
  auto first = Delegate("principals/dan", iao.name(), "principals/bob",
                        "isms.assets.transfers.approve", absl::Hours(24));
  auto second =
      Delegate("principals/dan", iao.name(), "principals/eve", "isms.assets.update", absl::Hours(24));
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(Revoke("principals/admin", iao.name()).ok());
  const auto event = LastEvent();
  EXPECT_THAT(event.attributes().at("ended_delegations"), HasSubstr(first->name()));
  EXPECT_THAT(event.attributes().at("ended_delegations"), HasSubstr(second->name()));
  EXPECT_FALSE(Allowed("principals/bob", "isms.assets.transfers.approve", "assets/42"));
}

TEST_F(AuthorityTest, DelegatingAResponsibilityGrantsTheTiedPermissionsOnly) {
  AddPerson("dan");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/42");
  AddPerson("bob");
  auto delegated = Delegate("principals/dan", iao.name(), "principals/bob", "", absl::Hours(24),
                            "approve-transfers");
  ASSERT_TRUE(delegated.ok()) << delegated.status();
  EXPECT_TRUE(Allowed("principals/bob", "isms.assets.transfers.approve", "assets/42"));
  EXPECT_FALSE(Allowed("principals/bob", "isms.assets.update", "assets/42"));
  // The annual judgement is the owner's own: tied to no permission.
  EXPECT_THAT(Delegate("principals/dan", iao.name(), "principals/bob", "", absl::Hours(24),
                       "annual-judgement"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("tied to no permission")));
}

// ------------------------------------------------------------ Bootstrap

TEST_F(AuthorityTest, BootstrapDoesNotReturnWhenTheManagersTermEndsOrTheyLeave) {
  // SetUp's first appointment of admin as ISM ended bootstrap.
  const auto denied = Check("principals/root", "isms.assignments.manage");
  EXPECT_FALSE(denied.allowed());
  EXPECT_EQ(denied.denial(), v1::DENIAL_BOOTSTRAP_ENDED);
  EXPECT_THAT(denied.explanation(), HasSubstr("bootstrap ended"));
  // The managers go: the SIRO's term ends, the ISM leaves. Nobody manages now...
  AddPerson("sam", true);
  v1::CreateAssignmentRequest term;
  term.mutable_assignment()->set_role("roles/siro");
  term.mutable_assignment()->set_principal("principals/sam");
  *term.mutable_assignment()->mutable_effective_until() = ToProto(clock_.Now() + absl::Hours(1));
  ASSERT_TRUE(registry_->CreateAssignment(Admin(), term).ok());
  ASSERT_TRUE(MarkLeft("principals/sam", "principals/admin").ok());
  clock_.Advance(absl::Hours(2));
  // ... and still the bootstrap principal gets nothing back.
  v1::CreatePrincipalRequest create;
  create.set_principal_id("mallory");
  create.mutable_principal()->set_display_name("Mallory");
  create.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  EXPECT_THAT(registry_->CreatePrincipal(As("principals/root"), create),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("bootstrap has ended")));
  // The dead credential reads nothing either.
  EXPECT_THAT(registry_->ListRoles(As("principals/root"), {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("bootstrap has ended")));
}

TEST_F(AuthorityTest, DenialOfAStrangerNamesThemUnknown) {
  const auto ghost = Check("principals/ghost", "isms.incidents.report");
  EXPECT_FALSE(ghost.allowed());
  EXPECT_EQ(ghost.denial(), v1::DENIAL_UNKNOWN_PRINCIPAL);
  EXPECT_THAT(ghost.explanation(), HasSubstr("unknown"));
  AddPerson("bob");
  EXPECT_EQ(Check("principals/bob", "isms.risks.accept").denial(), v1::DENIAL_NOT_HELD);
}

// ------------------------------------------------------------ Leavers and callers

TEST_F(AuthorityTest, ALeaverIsRefusedOnEveryCallReadsIncluded) {
  AddPerson("bob");
  MustAppoint("roles/ts", "principals/bob");
  ASSERT_TRUE(MarkLeft("principals/admin", "principals/bob").ok());
  v1::ListRolesRequest list;
  EXPECT_THAT(registry_->ListRoles(As("principals/bob"), list),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("has left")));
  v1::CheckPermissionRequest own;
  own.set_principal("principals/bob");
  own.set_permission("isms.incidents.report");
  EXPECT_THAT(registry_->CheckPermission(As("principals/bob"), own),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Through a service acting on the leaver's behalf as well.
  CallInfo gateway{Caller{"services/gateway", "principals/bob", true, {"on-behalf-of"}}, "r",
                   "/test/Method"};
  EXPECT_THAT(registry_->ListRoles(gateway, list),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("has left")));
  // The refused read is in the trail.
  const auto event = LastEvent();
  EXPECT_EQ(event.outcome(), isms::audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(event.actor(), "services/gateway");
  EXPECT_EQ(event.principal(), "principals/bob");
}

TEST_F(AuthorityTest, AServiceNeverActsForTheBootstrapPrincipalOrAStranger) {
  CallInfo for_root{Caller{"services/gateway", "principals/root", true, {"on-behalf-of"}}, "r",
                    "/test/Method"};
  EXPECT_THAT(registry_->ListRoles(for_root, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("bootstrap")));
  CallInfo for_ghost{Caller{"services/gateway", "principals/ghost", true, {"on-behalf-of"}}, "r",
                     "/test/Method"};
  EXPECT_THAT(registry_->ListRoles(for_ghost, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not in the register")));
}

TEST_F(AuthorityTest, ReadsFollowNeedToKnow) {
  AddPerson("bob");
  AddPerson("alice");
  v1::GetPrincipalRequest own;
  own.set_name("principals/bob");
  EXPECT_TRUE(registry_->GetPrincipal(As("principals/bob"), own).ok());
  v1::GetPrincipalRequest other;
  other.set_name("principals/alice");
  EXPECT_THAT(registry_->GetPrincipal(As("principals/bob"), other),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("need to know")));
  EXPECT_THAT(registry_->ListPrincipals(As("principals/bob"), {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::CheckPermissionRequest check;
  check.set_principal("principals/alice");
  check.set_permission("isms.risks.accept");
  EXPECT_THAT(registry_->CheckPermission(As("principals/bob"), check),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListAssignmentsRequest others;
  others.set_principal("principals/admin");
  EXPECT_THAT(registry_->ListAssignments(As("principals/bob"), others),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(registry_->GetCoverageReport(As("principals/bob"), {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The catalogue is everyone's; the ISM reads people.
  EXPECT_TRUE(registry_->ListRoles(As("principals/bob"), {}).ok());
  EXPECT_TRUE(registry_->GetPrincipal(Admin(), other).ok());
  // A service checks anyone only with its capability.
  CallInfo plain{Caller{"services/batch", "services/batch", true, {}}, "r", "/test/Method"};
  EXPECT_THAT(registry_->CheckPermission(plain, check),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("check-permissions")));
  CallInfo checker{Caller{"services/asset", "services/asset", true, {"check-permissions"}}, "r",
                   "/test/Method"};
  EXPECT_TRUE(registry_->CheckPermission(checker, check).ok());
}

// ------------------------------------------------------------ The trail

TEST_F(AuthorityTest, RefusalsRecordTheTargetAndUpdatesCarryBeforeAndAfter) {
  AddPerson("bob");
  // bob (no manage permission) tries to appoint alice to the ITSO role.
  EXPECT_THAT(AppointAs("principals/bob", "roles/itso", "principals/admin"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto refused = LastEvent();
  EXPECT_EQ(refused.attributes().at("principal"), "principals/admin");
  bool asked_role = false;
  for (const auto& change : refused.changes()) {
    if (change.field() == "role") asked_role = change.after() == "\"roles/itso\"";
  }
  EXPECT_TRUE(asked_role);
  ASSERT_TRUE(SetBoardLevel("principals/admin", "principals/bob", true).ok());
  auto updated = LastEvent();
  bool board_change = false;
  for (const auto& change : updated.changes()) {
    if (change.field() == "board_level") {
      board_change = change.before().empty() && change.after() == "true";
    }
  }
  EXPECT_TRUE(board_change);
}

// ------------------------------------------------------------ Paths found by an attacker

TEST_F(AuthorityTest, ADeputyCannotMarkTheAbsentHolderLeftNorLowerTheirBoardLevel) {
  AddPerson("sam", true);
  MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  ASSERT_TRUE(RecordAbsence("principals/sam", "principals/sam", absl::Hours(24)).ok());
  EXPECT_THAT(SetBoardLevel("principals/dee", "principals/sam", false),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
  EXPECT_THAT(MarkLeft("principals/dee", "principals/sam"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
  EXPECT_TRUE(Allowed("principals/sam", "isms.risks.accept"));
}

TEST_F(AuthorityTest, ADeputyRoleIsHeldInTheScopeOfTheRoleItDeputisesFor) {
  v1::CreateRoleRequest create;
  create.set_role_id("assetdep");
  create.mutable_role()->set_title("Asset deputy");
  create.mutable_role()->set_scope_kind(v1::SCOPE_KIND_ASSET);
  create.mutable_role()->set_holder_kind(v1::HOLDER_KIND_PERSON);
  create.mutable_role()->set_deputy_for("roles/siro");
  EXPECT_THAT(registry_->CreateRole(Admin(), create),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another kind of scope")));
  create.mutable_role()->set_scope_kind(v1::SCOPE_KIND_ORGANISATION);
  create.mutable_role()->set_deputy_for("roles/dsiro");
  EXPECT_THAT(registry_->CreateRole(Admin(), create),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("do not chain")));
}

TEST_F(AuthorityTest, ADeputyDecidesNoWaiverOfTheRoleOrOfTheHolderItActsFor) {
  AddPerson("sam", true);
  MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  AddRegistrar("principals/dee");  // dee manages appointments in her own right too.
  // The SIRO's own conflicting appointment (AO) waits for a waiver...
  auto pending = Appoint("roles/ao", "principals/sam", "", "interim");
  ASSERT_TRUE(pending.ok()) << pending.status();
  ASSERT_EQ(pending->waiver_state(), v1::WAIVER_STATE_PENDING);
  // ... which the SIRO's deputy may not decide.
  EXPECT_THAT(DecideWaiver("principals/dee", pending->name(), true),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("waiver rule")));
}

TEST_F(AuthorityTest, AFutureAppointmentAlreadyBarsChangingTheRole) {
  v1::CreateAssignmentRequest later;
  later.mutable_assignment()->set_role("roles/po");
  later.mutable_assignment()->set_principal("principals/admin");
  *later.mutable_assignment()->mutable_effective_from() = ToProto(clock_.Now() + absl::Hours(1));
  AddPerson("sam", true);
  MustAppoint("roles/siro", "principals/sam");
  ASSERT_TRUE(registry_->CreateAssignment(As("principals/sam"), later).ok());
  EXPECT_THAT(SetMaxHolders("principals/admin", "roles/po", 3),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("self-raise rule")));
}

TEST_F(AuthorityTest, APeopleManagerCannotMarkADelegateOrAGroupMemberLeft) {
  AddPerson("col");
  MustAppoint("roles/col", "principals/col");
  AddPerson("sam", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/sam");
  AddPerson("bob");
  ASSERT_TRUE(
      Delegate("principals/sam", siro.name(), "principals/bob", "isms.risks.manage", absl::Hours(24))
          .ok());
  EXPECT_THAT(MarkLeft("principals/col", "principals/bob"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("isms.assignments.manage")));
  AddPerson("carl");
  AddGroup("steering", {"principals/carl"});
  MustAppoint("roles/issg", "principals/steering");
  EXPECT_THAT(MarkLeft("principals/col", "principals/carl"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("isms.assignments.manage")));
}

TEST_F(AuthorityTest, TheBootstrapNameIsReservedAndAGroupTakesNoLeaver) {
  v1::CreatePrincipalRequest create;
  create.set_principal_id("root");
  create.mutable_principal()->set_display_name("Root");
  create.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
  EXPECT_THAT(registry_->CreatePrincipal(Admin(), create),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("reserved name")));
  AddPerson("gone");
  ASSERT_TRUE(MarkLeft("principals/admin", "principals/gone").ok());
  v1::CreatePrincipalRequest group;
  group.set_principal_id("ghosts");
  group.mutable_principal()->set_display_name("Ghosts");
  group.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_GROUP);
  group.mutable_principal()->add_members("principals/gone");
  EXPECT_THAT(registry_->CreatePrincipal(Admin(), group),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("active person")));
}

TEST_F(AuthorityTest, MakingARoleADeputyChecksItsHoldersForConflicts) {
  AddPerson("ann", true);
  MustAppoint("roles/ao", "principals/ann");
  MustAppoint("roles/po", "principals/ann");
  v1::UpdateRoleRequest request;
  request.mutable_role()->set_name("roles/po");
  request.mutable_role()->set_deputy_for("roles/siro");
  request.mutable_update_mask()->add_paths("deputy_for");
  EXPECT_THAT(registry_->UpdateRole(Admin(), request),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("segregation-of-duties rule: principals/ann")));
}

TEST_F(AuthorityTest, ARefusedReadRecordsWhatWasAsked) {
  AddPerson("bob");
  v1::CheckPermissionRequest check;
  check.set_principal("principals/admin");
  check.set_permission("isms.audit.read");
  check.set_resource("assets/77");
  ASSERT_FALSE(registry_->CheckPermission(As("principals/bob"), check).ok());
  const auto event = LastEvent();
  std::string asked;
  for (const auto& change : event.changes()) asked += change.field() + "=" + change.after() + ";";
  EXPECT_THAT(asked, HasSubstr("permission=\"isms.audit.read\""));
  EXPECT_THAT(asked, HasSubstr("resource=\"assets/77\""));
}

TEST_F(AuthorityTest, ADeputyIsNotReportedAsConflictingWithTheRoleItDeputisesFor) {
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  auto report = registry_->GetCoverageReport(Admin(), {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->conflicts_size(), 0);
}

TEST_F(AuthorityTest, ADelegationCannotStartBeforeItsAssignmentAndARoleNotConflictItself) {
  AddPerson("ted");
  v1::CreateAssignmentRequest later;
  later.mutable_assignment()->set_role("roles/itso");
  later.mutable_assignment()->set_principal("principals/ted");
  *later.mutable_assignment()->mutable_effective_from() = ToProto(clock_.Now() + absl::Hours(5));
  auto itso = registry_->CreateAssignment(Admin(), later);
  ASSERT_TRUE(itso.ok());
  AddPerson("bob");
  EXPECT_THAT(Delegate("principals/ted", itso->name(), "principals/bob", "isms.incidents.manage",
                       absl::Hours(24)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("comes into force")));
  v1::UpdateRoleRequest self;
  self.mutable_role()->set_name("roles/po");
  self.mutable_role()->add_conflicting_roles("roles/po");
  self.mutable_update_mask()->add_paths("conflicting_roles");
  EXPECT_THAT(registry_->UpdateRole(Admin(), self),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("conflict with itself")));
}

// ------------------------------------------------------------ Second round

TEST_F(AuthorityTest, AnActingDeputyAddsNoDeputyToTheRoleItStandsInFor) {
  AddPerson("sam", true);
  MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  ASSERT_TRUE(RecordAbsence("principals/sam", "principals/sam", absl::Hours(24)).ok());
  ASSERT_TRUE(Allowed("principals/dee", "isms.roles.manage"));
  v1::CreateRoleRequest create;
  create.set_role_id("dep2");
  create.mutable_role()->set_title("Second deputy");
  create.mutable_role()->set_scope_kind(v1::SCOPE_KIND_ORGANISATION);
  create.mutable_role()->set_holder_kind(v1::HOLDER_KIND_PERSON);
  create.mutable_role()->set_deputy_for("roles/siro");
  EXPECT_THAT(registry_->CreateRole(As("principals/dee"), create),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("self-raise rule")));
  // Nor fills a deputy role of it made by someone else.
  ASSERT_TRUE(registry_->CreateRole(Admin(), create).ok());
  AddPerson("col");
  EXPECT_THAT(AppointAs("principals/dee", "roles/dep2", "principals/col"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
}

TEST_F(AuthorityTest, NobodyStripsTheSirosManagementPowers) {
  v1::GetRoleRequest get;
  get.set_name("roles/siro");
  const v1::Role siro = *registry_->GetRole(Admin(), get);
  v1::UpdateRoleRequest request;
  request.mutable_role()->set_name("roles/siro");
  for (const std::string& permission : siro.permissions()) {
    if (permission.find(".manage") == std::string::npos || permission == "isms.risks.manage") {
      request.mutable_role()->add_permissions(permission);
    }
  }
  request.mutable_update_mask()->add_paths("permissions");
  EXPECT_THAT(registry_->UpdateRole(Admin(), request),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("MR 35a")));
}

TEST_F(AuthorityTest, AResponsibilityDelegationDoesNotWidenWhenTheRoleChanges) {
  AddPerson("dan");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/42");
  AddPerson("bob");
  auto delegated = Delegate("principals/dan", iao.name(), "principals/bob", "", absl::Hours(24),
                            "report-breaches");
  ASSERT_TRUE(delegated.ok()) << delegated.status();
  EXPECT_EQ(delegated->granted_permissions_size(), 1);
  // The IAO role's responsibility is widened later...
  v1::GetRoleRequest get;
  get.set_name("roles/iao");
  v1::Role iao_role = *registry_->GetRole(Admin(), get);
  for (auto& responsibility : *iao_role.mutable_responsibilities()) {
    if (responsibility.id() == "report-breaches") {
      responsibility.add_permissions("isms.assets.update");
    }
  }
  v1::UpdateRoleRequest widen;
  *widen.mutable_role() = iao_role;
  widen.mutable_update_mask()->add_paths("responsibilities");
  ASSERT_TRUE(registry_->UpdateRole(Admin(), widen).ok());
  // ... but the delegation hands over what it did when it was made.
  EXPECT_TRUE(Allowed("principals/bob", "isms.breaches.report", "assets/42"));
  EXPECT_FALSE(Allowed("principals/bob", "isms.assets.update", "assets/42"));
}

TEST_F(AuthorityTest, AnActingDeputyTouchesNoRecordDelegationOrAbsenceOfTheHolder) {
  AddPerson("sam", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/sam");
  AddPerson("dee");
  MustAppoint("roles/dsiro", "principals/dee");
  AddPerson("bob");
  auto delegation =
      Delegate("principals/sam", siro.name(), "principals/bob", "isms.risks.manage", absl::Hours(24));
  ASSERT_TRUE(delegation.ok());
  auto absence = RecordAbsence("principals/sam", "principals/sam", absl::Hours(24));
  ASSERT_TRUE(absence.ok());
  v1::RevokeDelegationRequest revoke_delegation;
  revoke_delegation.set_name(delegation->name());
  EXPECT_THAT(registry_->RevokeDelegation(As("principals/dee"), revoke_delegation),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
  v1::RevokeAbsenceRequest revoke_absence;
  revoke_absence.set_name(absence->name());
  EXPECT_THAT(registry_->RevokeAbsence(As("principals/dee"), revoke_absence),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
  v1::UpdatePrincipalRequest rename;
  rename.mutable_principal()->set_name("principals/sam");
  rename.mutable_principal()->set_email("evil@example.org");
  rename.mutable_update_mask()->add_paths("email");
  EXPECT_THAT(registry_->UpdatePrincipal(As("principals/dee"), rename),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deputy rule")));
}

TEST_F(AuthorityTest, ALeaverLeavesTheirGroupsAndAnEmptyHoldingGroupIsAViolation) {
  AddPerson("carl");
  AddGroup("steering", {"principals/carl"});
  MustAppoint("roles/issg", "principals/steering");
  ASSERT_TRUE(MarkLeft("principals/admin", "principals/carl").ok());
  v1::GetPrincipalRequest get;
  get.set_name("principals/steering");
  EXPECT_EQ(registry_->GetPrincipal(Admin(), get)->members_size(), 0);
  auto report = registry_->GetCoverageReport(Admin(), {});
  ASSERT_TRUE(report.ok());
  bool flagged = false;
  for (const auto& violation : report->violations()) {
    if (violation.principal() == "principals/steering") flagged = true;
  }
  EXPECT_TRUE(flagged);
}

}  // namespace
}  // namespace isms::role
