// Incidents on a real in-memory store, a fake role service and a fake clock:
// who moves them, every invalid move, breaches escalated to the SIRO of the
// moment (the DSIRO, saying why, when the SIRO is vacant or absent), the
// 72-hour deadline and the overdue listing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "common/testing/status_matchers.h"
#include "services/asset/incident_rules.h"
#include "tests/asset/risk_test_fixture.h"

namespace isms::asset {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class IncidentRegistryTest : public RiskTestFixture {
 protected:
  static std::vector<std::string> Names(const v1::ListIncidentsResponse& response) {
    std::vector<std::string> names;
    for (const v1::Incident& incident : response.incidents()) names.push_back(incident.name());
    return names;
  }
  // Moves `name` through `states` as the ISM, then returns it.
  void Walk(const std::string& name, std::vector<v1::IncidentState> states) {
    for (v1::IncidentState state : states) {
      ASSERT_THAT(Move(name, state, "principals/ism"), IsOk()) << v1::IncidentState_Name(state);
    }
  }
};

TEST_F(IncidentRegistryTest, StaffBreachGoesToTheSiroWithA72HourDeadline) {
  absl::StatusOr<v1::Incident> breach = Report("laptop", true);
  ASSERT_THAT(breach, IsOk());
  EXPECT_EQ(breach->state(), v1::INCIDENT_STATE_REPORTED);
  EXPECT_EQ(breach->reporter(), "principals/staff");
  EXPECT_EQ(breach->escalation().principal(), "principals/siro");
  EXPECT_EQ(breach->escalation().role(), kSiroRole);
  EXPECT_EQ(FromProto(breach->notification_deadline()),
            FromProto(breach->discover_time()) + absl::Hours(72));
  ASSERT_EQ(breach->transitions_size(), 1);
  EXPECT_EQ(breach->transitions(0).actor(), "principals/staff");
  EXPECT_EQ(Events().back().attributes().at("escalated_to"), "principals/siro");
}

TEST_F(IncidentRegistryTest, AfterAHandoverNewBreachesGoToTheNewSiro) {
  ASSERT_THAT(Report("first", true), IsOk());
  holders_.Release("principals/siro", kSiroRole);
  holders_.Hold("principals/new-siro", kSiroRole);
  absl::StatusOr<v1::Incident> second = Report("second", true);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->escalation().principal(), "principals/new-siro");
  v1::GetIncidentRequest get;
  get.set_name("incidents/first");
  absl::StatusOr<v1::Incident> first = Run(&AssetRegistry::GetIncident, As("principals/ism"), get);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->escalation().principal(), "principals/siro");
}

TEST_F(IncidentRegistryTest, VacantSiroGoesToTheDeputyAndSaysSo) {
  holders_.Release("principals/siro", kSiroRole);
  absl::StatusOr<v1::Incident> breach = Report("vacant", true);
  ASSERT_THAT(breach, IsOk());
  EXPECT_EQ(breach->escalation().principal(), "principals/dsiro");
  EXPECT_EQ(breach->escalation().role(), kDsiroRole);
  EXPECT_THAT(breach->escalation().reason(), HasSubstr("roles/siro is vacant"));
}

TEST_F(IncidentRegistryTest, AbsentSiroGoesToTheDeputyAndSaysSo) {
  holders_.SetAbsent("principals/siro", true);
  absl::StatusOr<v1::Incident> breach = Report("absent", true);
  ASSERT_THAT(breach, IsOk());
  EXPECT_EQ(breach->escalation().principal(), "principals/dsiro");
  EXPECT_THAT(breach->escalation().reason(), HasSubstr("is absent"));
}

TEST_F(IncidentRegistryTest, NobodyToEscalateToIsRecordedNotLost) {
  holders_.Release("principals/siro", kSiroRole);
  holders_.Release("principals/dsiro", kDsiroRole);
  absl::StatusOr<v1::Incident> breach = Report("orphan", true);
  ASSERT_THAT(breach, IsOk());
  EXPECT_EQ(breach->escalation().principal(), "");
  EXPECT_THAT(breach->escalation().reason(), HasSubstr("vacant too"));
}

TEST_F(IncidentRegistryTest, ReporterNeverMovesTheirOwnIncident) {
  ASSERT_THAT(Report("own", false, "principals/ism"), IsOk());
  EXPECT_THAT(Move("incidents/own", v1::INCIDENT_STATE_TRIAGED, "principals/ism"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("reported incidents/own")));
  EXPECT_EQ(Events().back().outcome(), isms::audit::v1::OUTCOME_DENIED);
  // Staff may report but not triage.
  ASSERT_THAT(Report("other", false), IsOk());
  EXPECT_THAT(Move("incidents/other", v1::INCIDENT_STATE_TRIAGED, "principals/staff"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(IncidentRegistryTest, OnlyTheSiroClosesABreach) {
  ASSERT_THAT(Report("breach", true), IsOk());
  Walk("incidents/breach", {v1::INCIDENT_STATE_TRIAGED, v1::INCIDENT_STATE_ESCALATED});
  EXPECT_THAT(Move("incidents/breach", v1::INCIDENT_STATE_CLOSED, "principals/ism"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  absl::StatusOr<v1::Incident> closed =
      Move("incidents/breach", v1::INCIDENT_STATE_CLOSED, "principals/siro");
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(closed->state(), v1::INCIDENT_STATE_CLOSED);
  ASSERT_EQ(closed->transitions_size(), 4);
  EXPECT_EQ(closed->transitions(3).actor(), "principals/siro");
  EXPECT_EQ(closed->transitions(3).from_state(), v1::INCIDENT_STATE_ESCALATED);
  EXPECT_EQ(closed->transitions(3).reason(), "as the procedure says");
  EXPECT_FALSE(closed->transitions(3).explanation().empty());
}

TEST_F(IncidentRegistryTest, TheIsmClosesAndReopensWhatIsNoBreach) {
  ASSERT_THAT(Report("minor", false), IsOk());
  Walk("incidents/minor",
       {v1::INCIDENT_STATE_TRIAGED, v1::INCIDENT_STATE_CLOSED, v1::INCIDENT_STATE_TRIAGED});
}

TEST_F(IncidentRegistryTest, EveryInvalidMoveIsRefusedNamingBothStates) {
  const std::vector<v1::IncidentState> states = {
      v1::INCIDENT_STATE_REPORTED, v1::INCIDENT_STATE_TRIAGED, v1::INCIDENT_STATE_ESCALATED,
      v1::INCIDENT_STATE_CLOSED};
  const std::set<std::pair<int, int>> allowed = {
      {v1::INCIDENT_STATE_REPORTED, v1::INCIDENT_STATE_TRIAGED},
      {v1::INCIDENT_STATE_TRIAGED, v1::INCIDENT_STATE_ESCALATED},
      {v1::INCIDENT_STATE_TRIAGED, v1::INCIDENT_STATE_CLOSED},
      {v1::INCIDENT_STATE_ESCALATED, v1::INCIDENT_STATE_CLOSED},
      {v1::INCIDENT_STATE_CLOSED, v1::INCIDENT_STATE_TRIAGED}};
  // How to reach each state as the ISM (not a breach).
  const std::map<int, std::vector<v1::IncidentState>> path = {
      {v1::INCIDENT_STATE_REPORTED, {}},
      {v1::INCIDENT_STATE_TRIAGED, {v1::INCIDENT_STATE_TRIAGED}},
      {v1::INCIDENT_STATE_ESCALATED, {v1::INCIDENT_STATE_TRIAGED, v1::INCIDENT_STATE_ESCALATED}},
      {v1::INCIDENT_STATE_CLOSED, {v1::INCIDENT_STATE_TRIAGED, v1::INCIDENT_STATE_CLOSED}}};
  int n = 0;
  for (v1::IncidentState from : states) {
    for (v1::IncidentState to : states) {
      if (to == v1::INCIDENT_STATE_REPORTED || allowed.count({from, to}) > 0) continue;
      const std::string id = absl::StrCat("i", n++);
      ASSERT_THAT(Report(id, false), IsOk());
      Walk("incidents/" + id, path.at(from));
      EXPECT_THAT(Move("incidents/" + id, to, "principals/ism"),
                  StatusIs(absl::StatusCode::kFailedPrecondition,
                           AllOf(HasSubstr(v1::IncidentState_Name(from)),
                                 HasSubstr(v1::IncidentState_Name(to)))))
          << v1::IncidentState_Name(from) << " -> " << v1::IncidentState_Name(to);
      EXPECT_EQ(Events().back().status_code(), "FAILED_PRECONDITION");
    }
  }
  EXPECT_EQ(n, 7);  // 4 x 3 moves to a state other than REPORTED, 5 of them allowed.
  // Moving to REPORTED is bad input; a breach skips no escalation.
  EXPECT_THAT(Move("incidents/i0", v1::INCIDENT_STATE_REPORTED, "principals/ism"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to_state")));
  ASSERT_THAT(Report("breach", true), IsOk());
  Walk("incidents/breach", {v1::INCIDENT_STATE_TRIAGED});
  EXPECT_THAT(Move("incidents/breach", v1::INCIDENT_STATE_CLOSED, "principals/siro"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("escalated before")));
}

TEST_F(IncidentRegistryTest, MarkingAtTriageEscalatesOnceAndTheFlagStays) {
  ASSERT_THAT(Report("later", false), IsOk());
  absl::StatusOr<v1::Incident> marked =
      Move("incidents/later", v1::INCIDENT_STATE_TRIAGED, "principals/ism", true);
  ASSERT_THAT(marked, IsOk());
  EXPECT_TRUE(marked->personal_data_breach());
  EXPECT_EQ(marked->escalation().principal(), "principals/siro");
  // A handover, close by the SIRO, reopen marking again: the first
  // escalation stands (the SIRO of its moment).
  Walk("incidents/later", {v1::INCIDENT_STATE_ESCALATED});
  ASSERT_THAT(Move("incidents/later", v1::INCIDENT_STATE_CLOSED, "principals/siro"), IsOk());
  holders_.Release("principals/siro", kSiroRole);
  holders_.Hold("principals/new-siro", kSiroRole);
  absl::StatusOr<v1::Incident> reopened =
      Move("incidents/later", v1::INCIDENT_STATE_TRIAGED, "principals/ism", true);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_TRUE(reopened->personal_data_breach());
  EXPECT_EQ(reopened->escalation().principal(), "principals/siro");
  // A breach is never closed by the ISM after it is reopened either.
  Walk("incidents/later", {v1::INCIDENT_STATE_ESCALATED});
  EXPECT_THAT(Move("incidents/later", v1::INCIDENT_STATE_CLOSED, "principals/ism"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(IncidentRegistryTest, OverdueBreachesAreListedFirstUntilNotified) {
  ASSERT_THAT(Report("fresh", true, "principals/staff", absl::Hours(1)), IsOk());
  ASSERT_THAT(Report("old", true, "principals/staff", absl::Hours(73)), IsOk());
  ASSERT_THAT(Report("no-breach", false, "principals/staff", absl::Hours(100)), IsOk());
  v1::ListIncidentsRequest open;
  open.set_open_breaches(true);
  absl::StatusOr<v1::ListIncidentsResponse> listed = ListIncidents(open);
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(Names(*listed), ElementsAre("incidents/old", "incidents/fresh"));
  EXPECT_TRUE(listed->incidents(0).notification_overdue());
  EXPECT_FALSE(listed->incidents(1).notification_overdue());
  v1::ListIncidentsRequest overdue;
  overdue.set_notification_overdue(true);
  EXPECT_THAT(Names(*ListIncidents(overdue)), ElementsAre("incidents/old"));
  // The ISM records the notification: no longer overdue.
  v1::RecordBreachNotificationRequest notify;
  notify.set_name("incidents/old");
  notify.mutable_notification()->set_recipient(v1::NOTIFICATION_RECIPIENT_IG_SIRI);
  *notify.mutable_notification()->mutable_notify_time() = ToProto(clock_.Now());
  notify.mutable_notification()->set_reference("IG-123");
  absl::StatusOr<v1::Incident> notified =
      Run(&AssetRegistry::RecordBreachNotification, As("principals/ism"), notify);
  ASSERT_THAT(notified, IsOk());
  EXPECT_EQ(notified->notifications(0).recorded_by(), "principals/ism");
  EXPECT_FALSE(notified->notification_overdue());
  EXPECT_TRUE(Names(*ListIncidents(overdue)).empty());
  // The fresh one becomes overdue as the clock passes its deadline.
  clock_.Advance(absl::Hours(72));
  EXPECT_THAT(Names(*ListIncidents(overdue)), ElementsAre("incidents/fresh"));
}

TEST_F(IncidentRegistryTest, NotificationsOnlyForBreachesAndNeverBeforeDiscovery) {
  ASSERT_THAT(Report("minor", false), IsOk());
  ASSERT_THAT(Report("breach", true, "principals/staff", absl::Hours(5)), IsOk());
  v1::RecordBreachNotificationRequest notify;
  notify.set_name("incidents/minor");
  notify.mutable_notification()->set_recipient(v1::NOTIFICATION_RECIPIENT_REGULATOR);
  *notify.mutable_notification()->mutable_notify_time() = ToProto(clock_.Now());
  EXPECT_THAT(Run(&AssetRegistry::RecordBreachNotification, As("principals/ism"), notify),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a personal data")));
  notify.set_name("incidents/breach");
  *notify.mutable_notification()->mutable_notify_time() = ToProto(clock_.Now() - absl::Hours(6));
  EXPECT_THAT(Run(&AssetRegistry::RecordBreachNotification, As("principals/ism"), notify),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("before")));
  *notify.mutable_notification()->mutable_notify_time() = ToProto(clock_.Now());
  EXPECT_THAT(Run(&AssetRegistry::RecordBreachNotification, As("principals/staff"), notify),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(IncidentRegistryTest, TheReporterCannotStopTheirOwnBreachsClock) {
  // The ISM reports a breach and so may not also record it notified.
  ASSERT_THAT(Report("own", true, "principals/ism", absl::Hours(80)), IsOk());
  v1::RecordBreachNotificationRequest notify;
  notify.set_name("incidents/own");
  notify.mutable_notification()->set_recipient(v1::NOTIFICATION_RECIPIENT_REGULATOR);
  *notify.mutable_notification()->mutable_notify_time() = ToProto(clock_.Now());
  EXPECT_THAT(Run(&AssetRegistry::RecordBreachNotification, As("principals/ism"), notify),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("reported incidents/own")));
  v1::ListIncidentsRequest overdue;
  overdue.set_notification_overdue(true);
  EXPECT_THAT(Names(*ListIncidents(overdue)), ElementsAre("incidents/own"));
}

TEST_F(IncidentRegistryTest, StaleEtagIsAbortedAndNothingMoves) {
  absl::StatusOr<v1::Incident> incident = Report("x", false);
  ASSERT_THAT(incident, IsOk());
  Walk("incidents/x", {v1::INCIDENT_STATE_TRIAGED});
  v1::TransitionIncidentRequest request;
  request.set_name("incidents/x");
  request.set_etag(incident->etag());
  request.set_to_state(v1::INCIDENT_STATE_ESCALATED);
  request.set_reason("stale");
  EXPECT_THAT(Run(&AssetRegistry::TransitionIncident, As("principals/ism"), request),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_F(IncidentRegistryTest, RoleServiceUnavailableWritesNothing) {
  const size_t before = Events().size();
  holders_.SetUnavailable(true);
  EXPECT_THAT(Report("b", true), StatusIs(absl::StatusCode::kUnavailable));
  permissions_.SetUnavailable(true);
  EXPECT_THAT(Report("c", false), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Events().size(), before);
}

TEST_F(IncidentRegistryTest, ReadersOnlyAndPermissionBeforeExistence) {
  v1::GetIncidentRequest get;
  get.set_name("incidents/none");
  EXPECT_THAT(Run(&AssetRegistry::GetIncident, As("principals/staff"), get),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Run(&AssetRegistry::GetIncident, As("principals/siro"), get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Move("incidents/none", v1::INCIDENT_STATE_TRIAGED, "principals/staff"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(IncidentRegistryTest, ListingPagesFollowTheDeadline) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(Report(absl::StrCat("b", i), true, "principals/staff", absl::Hours(10 - i)),
                IsOk());
  }
  v1::ListIncidentsRequest request;
  request.set_open_breaches(true);
  request.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    absl::StatusOr<v1::ListIncidentsResponse> listed = ListIncidents(request);
    ASSERT_THAT(listed, IsOk());
    for (const std::string& name : Names(*listed)) seen.push_back(name);
    if (listed->next_page_token().empty()) break;
    request.set_page_token(listed->next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre("incidents/b0", "incidents/b1", "incidents/b2", "incidents/b3",
                                "incidents/b4"));
}

}  // namespace
}  // namespace isms::asset
