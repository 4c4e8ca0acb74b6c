// Batch writes (an HR sync): each item validated, decided, audited and
// answered on its own, in order, with one wait for storage.

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "services/role/role_validation.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using isms::testing::StatusIs;
using ::testing::HasSubstr;

class BatchWriteTest : public RegistryTestBase {
 protected:
  static void AddPersonRequest(v1::BatchCreatePrincipalsRequest& batch, const std::string& id) {
    v1::CreatePrincipalRequest* request = batch.add_requests();
    request->set_principal_id(id);
    request->mutable_principal()->set_display_name(id);
    request->mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    request->mutable_principal()->set_board_level(true);
  }
  static void AddAppointment(v1::BatchCreateAssignmentsRequest& batch, const std::string& role,
                             const std::string& principal) {
    v1::CreateAssignmentRequest* request = batch.add_requests();
    request->mutable_assignment()->set_role(role);
    request->mutable_assignment()->set_principal(principal);
  }
};

TEST_F(BatchWriteTest, EachPrincipalIsValidatedDecidedAndAnsweredOnItsOwn) {
  v1::BatchCreatePrincipalsRequest batch;
  AddPersonRequest(batch, "ann");
  AddPersonRequest(batch, "Not An Id");
  AddPersonRequest(batch, "ann");  // Exists by now: the earlier item made it.
  AddPersonRequest(batch, "ben");
  const size_t events_before = OutboxEvents().size();
  auto response = registry_->BatchCreatePrincipals(Admin(), batch);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->results_size(), 4);
  EXPECT_EQ(response->results(0).status().code(), 0);
  EXPECT_EQ(response->results(0).principal().name(), "principals/ann");
  EXPECT_EQ(response->results(1).status().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(response->results(1).status().message(), HasSubstr("requests[1].principal_id"));
  EXPECT_FALSE(response->results(1).has_principal());
  EXPECT_EQ(response->results(2).status().code(),
            static_cast<int>(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(response->results(3).principal().name(), "principals/ben");
  v1::GetPrincipalRequest get;
  get.set_name("principals/ben");
  EXPECT_TRUE(registry_->GetPrincipal(Admin(), get).ok());
  // Two creations and the refused duplicate, each its own event; the bad
  // item never reached a decision.
  const auto events = OutboxEvents();
  ASSERT_EQ(events.size(), events_before + 3);
  EXPECT_EQ(events[events_before].resource(), "principals/ann");
  EXPECT_EQ(events[events_before + 1].outcome(), isms::audit::v1::OUTCOME_REFUSED);
  EXPECT_EQ(events[events_before + 2].resource(), "principals/ben");
}

TEST_F(BatchWriteTest, AppointmentsAreDecidedInOrderEachSeeingTheOnesBefore) {
  AddPerson("alice", /*board_level=*/true);
  AddPerson("bob", /*board_level=*/true);
  v1::BatchCreateAssignmentsRequest batch;
  AddAppointment(batch, "roles/siro", "principals/alice");
  AddAppointment(batch, "roles/siro", "principals/bob");
  AddAppointment(batch, "roles/ts", "principals/bob");
  AddAppointment(batch, "roles/ts", "principals/admin");  // Self-appointment.
  auto response = registry_->BatchCreateAssignments(Admin(), batch);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->results_size(), 4);
  EXPECT_EQ(response->results(0).status().code(), 0);
  EXPECT_EQ(response->results(0).assignment().principal(), "principals/alice");
  EXPECT_EQ(response->results(1).status().code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(response->results(1).status().message(), HasSubstr("maximum-holders rule"));
  EXPECT_EQ(response->results(2).status().code(), 0);
  EXPECT_EQ(response->results(3).status().code(),
            static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(response->results(3).status().message(), HasSubstr("self-appointment rule"));
  EXPECT_TRUE(Allowed("principals/alice", "isms.risks.accept"));
}

TEST_F(BatchWriteTest, ACallerWhoMayNotCreatePrincipalsIsRefusedOnceForTheWholeBatch) {
  AddPerson("eve");
  v1::BatchCreatePrincipalsRequest batch;
  for (int i = 0; i < 50; ++i) AddPersonRequest(batch, absl::StrCat("p", i));
  const size_t events_before = OutboxEvents().size();
  EXPECT_THAT(registry_->BatchCreatePrincipals(As("principals/eve"), batch),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(OutboxEvents().size(), events_before + 1);
  v1::BatchCreateAssignmentsRequest appointments;
  AddAppointment(appointments, "roles/ts", "principals/eve");
  EXPECT_THAT(registry_->BatchCreateAssignments(As("principals/nobody"), appointments),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not in the register")));
  // Eve may appoint in none of the batch's scopes: one refusal, one event.
  AddPerson("ann");
  for (int i = 0; i < 50; ++i) AddAppointment(appointments, "roles/ts", "principals/ann");
  const size_t before_appointments = OutboxEvents().size();
  EXPECT_THAT(registry_->BatchCreateAssignments(As("principals/eve"), appointments),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("isms.assignments.manage")));
  EXPECT_EQ(OutboxEvents().size(), before_appointments + 1);
}

TEST_F(BatchWriteTest, AnEmptyOrOversizedBatchIsRefusedNamingTheField) {
  v1::BatchCreatePrincipalsRequest empty;
  EXPECT_THAT(registry_->BatchCreatePrincipals(Admin(), empty),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("requests")));
  v1::BatchCreateAssignmentsRequest oversized;
  for (int i = 0; i <= kMaxBatchWrites; ++i) {
    AddAppointment(oversized, "roles/ts", "principals/admin");
  }
  EXPECT_THAT(registry_->BatchCreateAssignments(Admin(), oversized),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 1 to 1000")));
}

}  // namespace
}  // namespace isms::role
