// CheckPermission: direct, per-scope, deputy, group and delegated grants,
// and the chain that explains each.

#include <gmock/gmock.h>

#include "common/testing/status_matchers.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class PermissionTest : public RegistryTestBase {
 protected:
  absl::StatusOr<v1::Delegation> Delegate(const std::string& as, const v1::Assignment& assignment,
                                          const std::string& delegate,
                                          const std::string& permission, absl::Time until) {
    v1::CreateDelegationRequest request;
    request.mutable_delegation()->set_assignment(assignment.name());
    request.mutable_delegation()->set_delegate(delegate);
    request.mutable_delegation()->set_permission(permission);
    *request.mutable_delegation()->mutable_effective_until() = ToProto(until);
    return registry_->CreateDelegation(As(as), request);
  }
};

TEST_F(PermissionTest, HolderHasTheRolesPermissionsWithTheAssignmentAsChain) {
  AddPerson("alice", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/alice");
  const auto response = Check("principals/alice", "isms.risks.accept");
  EXPECT_TRUE(response.allowed());
  ASSERT_EQ(response.chain_size(), 1);
  EXPECT_EQ(response.chain(0).kind(), v1::DecisionStep::KIND_ASSIGNMENT);
  EXPECT_EQ(response.chain(0).resource(), siro.name());
  EXPECT_FALSE(Check("principals/alice", "isms.assets.transfers.approve", "assets/42").allowed());
}

TEST_F(PermissionTest, ScopedAssignmentCoversItsAssetAndWhatIsUnderIt) {
  AddPerson("dan");
  MustAppoint("roles/iao", "principals/dan", "assets/42");
  EXPECT_TRUE(Check("principals/dan", "isms.assets.transfers.approve", "assets/42").allowed());
  EXPECT_TRUE(
      Check("principals/dan", "isms.assets.transfers.approve", "assets/42/transfers/7").allowed());
  EXPECT_FALSE(Check("principals/dan", "isms.assets.transfers.approve", "assets/43").allowed());
  EXPECT_FALSE(Check("principals/dan", "isms.assets.transfers.approve", "assets/420").allowed());
  EXPECT_FALSE(Check("principals/dan", "isms.assets.transfers.approve", "").allowed());
}

TEST_F(PermissionTest, DeputyActsForTheRoleItDeputises) {
  AddPerson("dave");
  MustAppoint("roles/dsiro", "principals/dave");
  const auto response = Check("principals/dave", "isms.risks.accept");
  EXPECT_TRUE(response.allowed());
  ASSERT_EQ(response.chain_size(), 3);
  EXPECT_EQ(response.chain(1).kind(), v1::DecisionStep::KIND_DEPUTY);
  EXPECT_EQ(response.chain(1).resource(), "roles/siro");
  EXPECT_EQ(response.chain(2).kind(), v1::DecisionStep::KIND_VACANCY);
  EXPECT_THAT(response.explanation(), HasSubstr("deputises for roles/siro while roles/siro is vacant"));
}

TEST_F(PermissionTest, GroupMembersHoldTheGroupsRole) {
  AddPerson("pat");
  AddPerson("quinn");
  AddGroup("steering", {"principals/pat"});
  MustAppoint("roles/issg", "principals/steering");
  const auto response = Check("principals/pat", "isms.policies.approve");
  EXPECT_TRUE(response.allowed());
  EXPECT_EQ(response.chain(0).kind(), v1::DecisionStep::KIND_GROUP_MEMBERSHIP);
  EXPECT_FALSE(Check("principals/quinn", "isms.policies.approve").allowed());
}

TEST_F(PermissionTest, RemovingAMemberFromTheGroupRemovesTheGroupsPermissions) {
  AddPerson("pat");
  AddPerson("quinn");
  const v1::Principal group = AddGroup("steering", {"principals/pat", "principals/quinn"});
  MustAppoint("roles/issg", "principals/steering");
  ASSERT_TRUE(Allowed("principals/pat", "isms.policies.approve"));
  v1::UpdatePrincipalRequest update;
  update.mutable_principal()->set_name(group.name());
  update.mutable_principal()->set_etag(group.etag());
  update.mutable_principal()->add_members("principals/quinn");
  update.mutable_update_mask()->add_paths("members");
  ASSERT_TRUE(registry_->UpdatePrincipal(Admin(), update).ok());
  EXPECT_FALSE(Allowed("principals/pat", "isms.policies.approve"));
  EXPECT_TRUE(Allowed("principals/quinn", "isms.policies.approve"));
}

TEST_F(PermissionTest, DelegateActsOnBehalfOfTheHolderUntilTheDelegationEnds) {
  AddPerson("dan");
  AddPerson("bob");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/42");
  auto delegation = Delegate("principals/dan", iao, "principals/bob",
                             "isms.assets.transfers.approve", clock_.Now() + absl::Hours(48));
  ASSERT_TRUE(delegation.ok()) << delegation.status();
  EXPECT_EQ(delegation->delegator(), "principals/dan");

  const auto response = Check("principals/bob", "isms.assets.transfers.approve", "assets/42");
  EXPECT_TRUE(response.allowed());
  EXPECT_EQ(response.chain(0).kind(), v1::DecisionStep::KIND_DELEGATION);
  EXPECT_THAT(response.explanation(), HasSubstr("principals/bob on behalf of principals/dan"));
  // Only the delegated permission, only within the holder's scope.
  EXPECT_FALSE(Check("principals/bob", "isms.assets.update", "assets/42").allowed());
  EXPECT_FALSE(Check("principals/bob", "isms.assets.transfers.approve", "assets/43").allowed());

  clock_.Advance(absl::Hours(49));
  EXPECT_FALSE(Check("principals/bob", "isms.assets.transfers.approve", "assets/42").allowed());
}

TEST_F(PermissionTest, ListDelegationsFiltersByDelegateDelegatorAndTime) {
  AddPerson("dan");
  AddPerson("bob");
  AddPerson("erin");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/42");
  ASSERT_TRUE(Delegate("principals/dan", iao, "principals/bob", "isms.assets.transfers.approve",
                       clock_.Now() + absl::Hours(2))
                  .ok());
  ASSERT_TRUE(Delegate("principals/dan", iao, "principals/erin", "isms.assets.update",
                       clock_.Now() + absl::Hours(48))
                  .ok());
  auto count = [&](v1::ListDelegationsRequest request) {
    auto page = registry_->ListDelegations(Admin(), request);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->delegations_size() : -1;
  };
  v1::ListDelegationsRequest to_bob;
  to_bob.set_delegate("principals/bob");
  EXPECT_EQ(count(to_bob), 1);
  v1::ListDelegationsRequest from_dan;
  from_dan.set_delegator("principals/dan");
  EXPECT_EQ(count(from_dan), 2);
  *from_dan.mutable_active_at() = ToProto(clock_.Now() + absl::Hours(3));
  EXPECT_EQ(count(from_dan), 1);
  *to_bob.mutable_active_at() = ToProto(clock_.Now() + absl::Hours(3));
  EXPECT_EQ(count(to_bob), 0);
}

TEST_F(PermissionTest, OnlyTheHolderMayDelegateNotAManagerNorADelegate) {
  AddPerson("dan");
  AddPerson("bob");
  AddPerson("eve");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/42");
  EXPECT_THAT(Delegate("principals/eve", iao, "principals/bob", "isms.assets.transfers.approve",
                       clock_.Now() + absl::Hours(1)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Delegate("principals/admin", iao, "principals/bob", "isms.assets.transfers.approve",
                       clock_.Now() + absl::Hours(1)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only the holder")));
  // Re-delegation: bob, once a delegate, still does not hold the assignment.
  ASSERT_TRUE(Delegate("principals/dan", iao, "principals/bob", "isms.assets.transfers.approve",
                       clock_.Now() + absl::Hours(1))
                  .ok());
  EXPECT_THAT(Delegate("principals/bob", iao, "principals/eve", "isms.assets.transfers.approve",
                       clock_.Now() + absl::Hours(1)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only the holder")));
  EXPECT_THAT(Delegate("principals/dan", iao, "principals/bob", "isms.risks.accept",
                       clock_.Now() + absl::Hours(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("delegation rule")));
}

TEST_F(PermissionTest, RevokingTheAssignmentEndsItsDelegations) {
  AddPerson("dan");
  AddPerson("bob");
  const v1::Assignment iao = MustAppoint("roles/iao", "principals/dan", "assets/42");
  ASSERT_TRUE(Delegate("principals/dan", iao, "principals/bob", "isms.assets.transfers.approve",
                       clock_.Now() + absl::Hours(48))
                  .ok());
  clock_.Advance(absl::Minutes(1));
  v1::RevokeAssignmentRequest revoke;
  revoke.set_name(iao.name());
  ASSERT_TRUE(registry_->RevokeAssignment(Admin(), revoke).ok());
  EXPECT_FALSE(Check("principals/dan", "isms.assets.update", "assets/42").allowed());
  EXPECT_FALSE(Check("principals/bob", "isms.assets.transfers.approve", "assets/42").allowed());
}

TEST_F(PermissionTest, CheckAtAPastTimeUsesWhoHeldTheRoleThen) {
  AddPerson("alice", true);
  const v1::Assignment siro = MustAppoint("roles/siro", "principals/alice");
  clock_.Advance(absl::Hours(24));
  v1::RevokeAssignmentRequest revoke;
  revoke.set_name(siro.name());
  ASSERT_TRUE(registry_->RevokeAssignment(Admin(), revoke).ok());

  v1::CheckPermissionRequest request;
  request.set_principal("principals/alice");
  request.set_permission("isms.risks.accept");
  *request.mutable_check_time() = ToProto(clock_.Now() - absl::Hours(12));
  EXPECT_TRUE(registry_->CheckPermission(Admin(), request)->allowed());
  request.clear_check_time();
  EXPECT_FALSE(registry_->CheckPermission(Admin(), request)->allowed());
}

TEST_F(PermissionTest, BatchAnswersEachCheckInOrder) {
  AddPerson("dan");
  MustAppoint("roles/iao", "principals/dan", "assets/42");
  v1::BatchCheckPermissionsRequest batch;
  for (const char* asset : {"assets/42", "assets/43", "assets/42"}) {
    auto* check = batch.add_checks();
    check->set_principal("principals/dan");
    check->set_permission("isms.assets.update");
    check->set_resource(asset);
  }
  auto response = registry_->BatchCheckPermissions(Admin(), batch);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->results_size(), 3);
  EXPECT_TRUE(response->results(0).allowed());
  EXPECT_FALSE(response->results(1).allowed());
  EXPECT_TRUE(response->results(2).allowed());
}

TEST_F(PermissionTest, BatchRefusesEmptyOversizedAndNamesTheBadCheck) {
  v1::BatchCheckPermissionsRequest batch;
  EXPECT_THAT(registry_->BatchCheckPermissions(Admin(), batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("checks")));
  for (int i = 0; i < 101; ++i) {
    auto* check = batch.add_checks();
    check->set_principal("principals/dan");
    check->set_permission("isms.assets.update");
  }
  EXPECT_THAT(registry_->BatchCheckPermissions(Admin(), batch),
              StatusIs(absl::StatusCode::kInvalidArgument));
  batch.mutable_checks()->DeleteSubrange(0, 99);
  batch.mutable_checks(1)->set_permission("Bad Permission");
  EXPECT_THAT(registry_->BatchCheckPermissions(Admin(), batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("checks[1].permission")));
}

TEST_F(PermissionTest, UnknownOrDepartedPrincipalHoldsNothing) {
  EXPECT_FALSE(Check("principals/nobody", "isms.incidents.report").allowed());
  AddPerson("pat");
  MustAppoint("roles/ts", "principals/pat");
  EXPECT_TRUE(Check("principals/pat", "isms.incidents.report").allowed());
  v1::MarkPrincipalLeftRequest left;
  left.set_name("principals/pat");
  ASSERT_TRUE(registry_->MarkPrincipalLeft(Admin(), left).ok());
  EXPECT_FALSE(Check("principals/pat", "isms.incidents.report").allowed());
}

}  // namespace
}  // namespace isms::role
