// The catalogue's appointment rules, each refused with FAILED_PRECONDITION
// naming the rule, and each refusal written to the outbox.

#include <gmock/gmock.h>

#include "common/testing/status_matchers.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class RoleRulesTest : public RegistryTestBase {};

TEST_F(RoleRulesTest, BoardLevelRoleNeedsBoardLevelHolder) {
  AddPerson("bob", /*board_level=*/false);
  EXPECT_THAT(Appoint("roles/siro", "principals/bob"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("board-level rule")));
  AddPerson("alice", /*board_level=*/true);
  EXPECT_TRUE(Appoint("roles/siro", "principals/alice").ok());
}

TEST_F(RoleRulesTest, SecondSiroAtTheSameTimeIsRefused) {
  AddPerson("alice", true);
  AddPerson("carol", true);
  MustAppoint("roles/siro", "principals/alice");
  EXPECT_THAT(Appoint("roles/siro", "principals/carol"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("maximum-holders rule: roles/siro allows 1")));
}

TEST_F(RoleRulesTest, NextSiroMayStartWhenTheFirstEnds) {
  AddPerson("alice", true);
  AddPerson("carol", true);
  v1::CreateAssignmentRequest first;
  first.mutable_assignment()->set_role("roles/siro");
  first.mutable_assignment()->set_principal("principals/alice");
  *first.mutable_assignment()->mutable_effective_until() = ToProto(Day(2026, 3, 1));
  ASSERT_TRUE(registry_->CreateAssignment(Admin(), first).ok());
  v1::CreateAssignmentRequest second = first;
  second.mutable_assignment()->set_principal("principals/carol");
  *second.mutable_assignment()->mutable_effective_from() = ToProto(Day(2026, 3, 1));
  second.mutable_assignment()->clear_effective_until();
  EXPECT_TRUE(registry_->CreateAssignment(Admin(), second).ok());
}

TEST_F(RoleRulesTest, IaoMaximumIsPerAsset) {
  AddPerson("dan");
  AddPerson("erin");
  MustAppoint("roles/iao", "principals/dan", "assets/42");
  EXPECT_TRUE(Appoint("roles/iao", "principals/erin", "assets/43").ok());
  EXPECT_THAT(Appoint("roles/iao", "principals/erin", "assets/42"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("maximum-holders")));
}

TEST_F(RoleRulesTest, ScopeMustMatchTheRolesScopeKind) {
  AddPerson("dan");
  EXPECT_THAT(Appoint("roles/iao", "principals/dan"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("scope rule")));
  EXPECT_THAT(Appoint("roles/po", "principals/dan", "assets/1"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("scope rule")));
}

TEST_F(RoleRulesTest, ConflictingRolesNeedAWaiverWhichIsRecorded) {
  AddPerson("alice", true);
  MustAppoint("roles/siro", "principals/alice");
  EXPECT_THAT(
      Appoint("roles/ao", "principals/alice"),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("segregation-of-duties rule: roles/ao conflicts with roles/siro")));

  auto waived = Appoint("roles/ao", "principals/alice", "", "Board approved 2026-01-05");
  ASSERT_TRUE(waived.ok()) << waived.status();
  EXPECT_EQ(waived->waiver_justification(), "Board approved 2026-01-05");
  const auto events = OutboxEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().resource(), waived->name());
  EXPECT_EQ(events.back().attributes().at("waiver_justification"), "Board approved 2026-01-05");
}

TEST_F(RoleRulesTest, SamePrincipalTwiceInTheSamePeriodIsRefused) {
  AddPerson("pat");
  MustAppoint("roles/po", "principals/pat");
  EXPECT_THAT(Appoint("roles/po", "principals/pat"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("duplicate rule")));
}

TEST_F(RoleRulesTest, GroupRoleNeedsAGroupAndPersonRoleAPerson) {
  AddPerson("pat");
  AddGroup("steering", {"principals/pat"});
  EXPECT_THAT(Appoint("roles/issg", "principals/pat"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("holder rule")));
  EXPECT_THAT(Appoint("roles/po", "principals/steering"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("holder rule")));
  EXPECT_TRUE(Appoint("roles/issg", "principals/steering").ok());
}

TEST_F(RoleRulesTest, PersonWhoLeftCannotBeAppointed) {
  AddPerson("pat");
  v1::MarkPrincipalLeftRequest left;
  left.set_name("principals/pat");
  ASSERT_TRUE(registry_->MarkPrincipalLeft(Admin(), left).ok());
  EXPECT_THAT(Appoint("roles/po", "principals/pat"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("holder rule")));
}

TEST_F(RoleRulesTest, RefusalsAreWrittenToTheOutbox) {
  AddPerson("bob");
  const size_t before = OutboxEvents().size();
  ASSERT_FALSE(Appoint("roles/siro", "principals/bob").ok());
  const auto events = OutboxEvents();
  ASSERT_EQ(events.size(), before + 1);
  EXPECT_EQ(events.back().outcome(), isms::audit::v1::OUTCOME_REFUSED);
  EXPECT_EQ(events.back().status_code(), "FAILED_PRECONDITION");
  EXPECT_EQ(events.back().principal(), "principals/admin");
  EXPECT_THAT(events.back().description(), HasSubstr("board-level rule"));
  EXPECT_EQ(events.back().resource(), "roles/siro");
  EXPECT_EQ(events.back().attributes().at("principal"), "principals/bob");
}

TEST_F(RoleRulesTest, OnlyManagersMayAppointAndDenialsAreAudited) {
  AddPerson("bob");
  v1::CreateAssignmentRequest request;
  request.mutable_assignment()->set_role("roles/po");
  request.mutable_assignment()->set_principal("principals/bob");
  const size_t before = OutboxEvents().size();
  EXPECT_THAT(registry_->CreateAssignment(As("principals/bob"), request),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("principals/bob lacks isms.assignments.manage")));
  const auto events = OutboxEvents();
  ASSERT_EQ(events.size(), before + 1);
  EXPECT_EQ(events.back().outcome(), isms::audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(events.back().actor(), "principals/bob");
}

TEST_F(RoleRulesTest, PermissionIsCheckedBeforeExistence) {
  AddPerson("bob");
  v1::GetRoleRequest unused;
  v1::DeleteRoleRequest request;
  request.set_name("roles/nonexistent");
  EXPECT_THAT(registry_->DeleteRole(As("principals/bob"), request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(registry_->DeleteRole(Admin(), request), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RoleRulesTest, BootstrapEndsOnceSomeoneHoldsTheManagePermissions) {
  // SetUp appointed principals/admin as ISM through the bootstrap principal.
  EXPECT_FALSE(Allowed("principals/root", "isms.assignments.manage"));
  EXPECT_TRUE(Allowed("principals/admin", "isms.assignments.manage"));
}

}  // namespace
}  // namespace isms::role
