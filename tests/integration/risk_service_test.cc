// The risk register and incidents as served by the real asset process,
// beside the real role and audit services: scores and their order, who may
// accept a risk, breaches escalated to the SIRO the role service names at the
// moment (the DSIRO when the role is vacant), the 72-hour deadline, every
// invalid move refused, bad input named by field for every RPC, UNAVAILABLE
// with the role service stopped.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "tests/integration/audit_suite.h"

namespace isms::testing {
namespace {

using asset::v1::Incident;
using asset::v1::Risk;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class RiskServiceTest : public AuditSuite {
 protected:
  void SetUp() override {
    AuditSuite::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAudit());
    ASSERT_NO_FATAL_FAILURE(StartRole());
    // As the seeds: the SIRO (board level) and a deputy, a process owner,
    // the IAO of assets/hr-db, a member of staff; the SIRO's appointment ends
    // the bootstrap admin's powers, so the SIRO appoints the ISM
    // (principals/keeper).
    for (const char* id : {"keeper", "iao", "staff", "po"}) {
      ASSERT_NO_FATAL_FAILURE(AddPerson(id, false));
    }
    for (const char* id : {"siro", "siro2", "dsiro"}) ASSERT_NO_FATAL_FAILURE(AddPerson(id, true));
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/dsiro", "principals/dsiro", ""));
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/po", "principals/po", ""));
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/ts", "principals/staff", ""));
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/iao", "principals/iao", "assets/hr-db"));
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/siro", "principals/siro", "", &siro_));
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/ism", "principals/keeper", "", nullptr, kSiroToken));
    ASSERT_NO_FATAL_FAILURE(StartAsset());
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    asset::v1::CreateAssetRequest request;
    request.set_asset_id("hr-db");
    asset::v1::Asset& asset = *request.mutable_asset();
    asset.set_title("HR database");
    asset.set_classification(asset::v1::CLASSIFICATION_CONFIDENTIAL);
    asset.add_information_kinds(asset::v1::INFORMATION_KIND_PERSONAL_DATA);
    asset.set_location("hr-db-01");
    *asset.mutable_review_time() = ToProto(absl::Now() + absl::Hours(24 * 90));
    asset::v1::Asset created;
    grpc::Status status = asset_->CreateAsset(&context, request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void AddPerson(const std::string& id, bool board_level) {
    grpc::ClientContext context;
    Prepare(context, kRootToken);
    role::v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name(id);
    request.mutable_principal()->set_kind(role::v1::PRINCIPAL_KIND_PERSON);
    request.mutable_principal()->set_board_level(board_level);
    role::v1::Principal principal;
    grpc::Status status = role_->CreatePrincipal(&context, request, &principal);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // As the bootstrap admin until the SIRO is appointed, then as `token`.
  void Appoint(const std::string& role, const std::string& principal, const std::string& scope,
               std::string* name = nullptr, const std::string& token = kRootToken) {
    grpc::ClientContext context;
    Prepare(context, token);
    role::v1::CreateAssignmentRequest request;
    request.mutable_assignment()->set_role(role);
    request.mutable_assignment()->set_principal(principal);
    request.mutable_assignment()->set_scope(scope);
    role::v1::Assignment assignment;
    grpc::Status status = role_->CreateAssignment(&context, request, &assignment);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (name != nullptr) *name = assignment.name();
  }

  void Revoke(const std::string& assignment) {
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    role::v1::RevokeAssignmentRequest request;
    request.set_name(assignment);
    request.set_reason("stood down");
    role::v1::Assignment revoked;
    grpc::Status status = role_->RevokeAssignment(&context, request, &revoked);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static Risk NewRisk(int likelihood, int impact) {
    Risk risk;
    risk.set_title(absl::StrCat("risk ", likelihood, "x", impact));
    risk.add_assets("assets/hr-db");
    risk.set_threat("ransomware");
    risk.set_vulnerability("unpatched hosts");
    risk.set_likelihood(likelihood);
    risk.set_impact(impact);
    risk.set_treatment(asset::v1::RISK_TREATMENT_MITIGATE);
    risk.set_treatment_plan("patch monthly");
    risk.set_owner("principals/po");
    *risk.mutable_next_review_time() = ToProto(absl::Now() + absl::Hours(24 * 90));
    return risk;
  }

  grpc::Status CreateRisk(const std::string& id, const Risk& risk, Risk* created,
                          const std::string& token = kPoToken) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::CreateRiskRequest request;
    request.set_risk_id(id);
    *request.mutable_risk() = risk;
    return risks_->CreateRisk(&context, request, created);
  }

  grpc::Status Accept(const std::string& token, const std::string& name, absl::Duration how_long,
                      Risk* accepted) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::AcceptRiskRequest request;
    request.set_name(name);
    request.set_justification("the control costs more than the harm");
    *request.mutable_expire_time() = ToProto(absl::Now() + how_long);
    return risks_->AcceptRisk(&context, request, accepted);
  }

  grpc::Status GetRisk(const std::string& name, Risk* risk) {
    grpc::ClientContext context;
    Prepare(context, kSiroToken);
    asset::v1::GetRiskRequest request;
    request.set_name(name);
    return risks_->GetRisk(&context, request, risk);
  }

  grpc::Status Report(const std::string& id, bool breach, Incident* incident,
                      absl::Duration discovered_ago = absl::Hours(1),
                      const std::string& token = kStaffToken) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::ReportIncidentRequest request;
    request.set_incident_id(id);
    request.mutable_incident()->set_title("Laptop left on a train");
    request.mutable_incident()->add_assets("assets/hr-db");
    *request.mutable_incident()->mutable_discover_time() = ToProto(absl::Now() - discovered_ago);
    request.mutable_incident()->set_personal_data_breach(breach);
    return risks_->ReportIncident(&context, request, incident);
  }

  grpc::Status GetIncident(const std::string& name, Incident* incident) {
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    asset::v1::GetIncidentRequest request;
    request.set_name(name);
    return risks_->GetIncident(&context, request, incident);
  }

  grpc::Status Move(const std::string& token, const std::string& name, asset::v1::IncidentState to,
                    Incident* moved = nullptr) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::TransitionIncidentRequest request;
    request.set_name(name);
    request.set_to_state(to);
    request.set_reason("as SOP-07-05 says");
    Incident ignored;
    return risks_->TransitionIncident(&context, request, moved ? moved : &ignored);
  }

  std::vector<std::string> ListIncidents(asset::v1::ListIncidentsRequest request) {
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    asset::v1::ListIncidentsResponse response;
    grpc::Status status = risks_->ListIncidents(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const Incident& incident : response.incidents()) names.push_back(incident.name());
    return names;
  }

  // The assignment that makes principals/siro the SIRO.
  std::string siro_;
};

TEST_F(RiskServiceTest, ARiskScoredFourByFiveIsTopBandAndListedFirst) {
  Risk created;
  ASSERT_TRUE(CreateRisk("minor", NewRisk(2, 2), &created).ok());
  ASSERT_TRUE(CreateRisk("ransom", NewRisk(4, 5), &created).ok());
  ASSERT_TRUE(CreateRisk("middling", NewRisk(3, 3), &created).ok());
  EXPECT_EQ(created.score(), 9);
  grpc::ClientContext context;
  Prepare(context, kSiroToken);
  asset::v1::ListRisksResponse listed;
  ASSERT_TRUE(risks_->ListRisks(&context, asset::v1::ListRisksRequest(), &listed).ok());
  ASSERT_EQ(listed.risks_size(), 3);
  EXPECT_EQ(listed.risks(0).name(), "risks/ransom");
  EXPECT_EQ(listed.risks(0).score(), 20);
  EXPECT_EQ(listed.risks(0).band(), asset::v1::RISK_BAND_VERY_HIGH);
  EXPECT_EQ(listed.risks(1).name(), "risks/middling");
  EXPECT_EQ(listed.risks(2).name(), "risks/minor");
}

TEST_F(RiskServiceTest, AcceptingIsRefusedToTheIsmAndTheSirosAcceptanceExpires) {
  Risk risk;
  ASSERT_TRUE(CreateRisk("ransom", NewRisk(4, 5), &risk).ok());
  Risk accepted;
  EXPECT_THAT(Accept(kKeeperToken, "risks/ransom", absl::Hours(24), &accepted),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  // The one wait of these tests: an acceptance ends on the real clock.
  grpc::Status status = Accept(kSiroToken, "risks/ransom", absl::Seconds(2), &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(accepted.acceptance().accepted_by(), "principals/siro");
  EXPECT_EQ(accepted.acceptance().accepted_score().score(), 20);
  EXPECT_TRUE(accepted.acceptance().in_force());
  EXPECT_THAT(accepted.acceptance().explanation(), HasSubstr("roles/siro"));
  EXPECT_FALSE(accepted.review_due());
  Risk later;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  do {
    absl::SleepFor(absl::Milliseconds(200));
    ASSERT_TRUE(GetRisk("risks/ransom", &later).ok());
  } while (!later.review_due() && absl::Now() < give_up);
  EXPECT_TRUE(later.review_due());
  EXPECT_FALSE(later.acceptance().in_force());
  // The refusal and the acceptance both reach the trail (delivered in the
  // background: looked for until they are there, or 30 s).
  bool refused = false, recorded = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!(refused && recorded) && absl::Now() < deadline) {
    for (const auto& entry : ExportAll()) {
      const auto& event = entry.logged().event();
      if (event.method() != "/isms.asset.v1.RiskService/AcceptRisk") continue;
      refused = refused || (event.principal() == "principals/keeper" &&
                            event.outcome() == audit::v1::OUTCOME_DENIED);
      recorded = recorded || (event.principal() == "principals/siro" &&
                              event.outcome() == audit::v1::OUTCOME_SUCCEEDED &&
                              event.attributes().count("permission") > 0 &&
                              event.attributes().at("permission") == "isms.risks.accept");
    }
    if (!(refused && recorded)) absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(recorded);
}

TEST_F(RiskServiceTest, ARiskOwnerMustHoldProcessOwnerOrIaoForTheScope) {
  Risk risk = NewRisk(2, 2);
  risk.set_owner("principals/staff");
  Risk created;
  EXPECT_THAT(CreateRisk("staff-owned", risk, &created),
              GrpcCodeIs(grpc::StatusCode::FAILED_PRECONDITION));
  risk.set_owner("principals/iao");
  EXPECT_TRUE(CreateRisk("iao-owned", risk, &created).ok());
  risk.clear_assets();  // Organisation-wide: the IAO of one asset does not own it.
  EXPECT_THAT(CreateRisk("org", risk, &created), GrpcCodeIs(grpc::StatusCode::FAILED_PRECONDITION));
}

TEST_F(RiskServiceTest, BreachesGoToTheSiroOfTheirMoment) {
  Incident first;
  ASSERT_TRUE(Report("first", true, &first).ok());
  EXPECT_EQ(first.reporter(), "principals/staff");
  EXPECT_EQ(first.escalation().principal(), "principals/siro");
  EXPECT_EQ(first.escalation().source(), siro_);
  // A handover: the ISM revokes the SIRO and appoints another.
  ASSERT_NO_FATAL_FAILURE(Revoke(siro_));
  ASSERT_NO_FATAL_FAILURE(Appoint("roles/siro", "principals/siro2", "", nullptr, kKeeperToken));
  Incident second;
  ASSERT_TRUE(Report("second", true, &second).ok());
  EXPECT_EQ(second.escalation().principal(), "principals/siro2");
  Incident old;
  ASSERT_TRUE(GetIncident("incidents/first", &old).ok());
  EXPECT_EQ(old.escalation().principal(), "principals/siro");
}

TEST_F(RiskServiceTest, WithTheSiroVacantABreachGoesToTheDeputyAndSaysSo) {
  ASSERT_NO_FATAL_FAILURE(Revoke(siro_));
  Incident breach;
  grpc::Status status = Report("vacant", true, &breach);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(breach.escalation().principal(), "principals/dsiro");
  EXPECT_EQ(breach.escalation().role(), "roles/dsiro");
  EXPECT_THAT(breach.escalation().reason(), HasSubstr("roles/siro is vacant"));
  // The deputy, acting for the vacant SIRO as the role service says, closes it.
  ASSERT_TRUE(Move(kKeeperToken, "incidents/vacant", asset::v1::INCIDENT_STATE_TRIAGED).ok());
  ASSERT_TRUE(Move(kKeeperToken, "incidents/vacant", asset::v1::INCIDENT_STATE_ESCALATED).ok());
  Incident closed;
  status = Move(kDsiroToken, "incidents/vacant", asset::v1::INCIDENT_STATE_CLOSED, &closed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(closed.transitions(3).explanation(), HasSubstr("roles/dsiro"));
}

TEST_F(RiskServiceTest, WithTheSiroAbsentABreachGoesToTheDeputyAndSaysSo) {
  {
    // The SIRO records their own absence at the role service.
    grpc::ClientContext context;
    Prepare(context, kSiroToken);
    role::v1::CreateAbsenceRequest request;
    request.mutable_absence()->set_principal("principals/siro");
    *request.mutable_absence()->mutable_effective_until() = ToProto(absl::Now() + absl::Hours(24));
    request.mutable_absence()->set_reason("annual leave");
    role::v1::Absence absence;
    grpc::Status status = role_->CreateAbsence(&context, request, &absence);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  Incident breach;
  grpc::Status status = Report("absent", true, &breach);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(breach.escalation().principal(), "principals/dsiro");
  EXPECT_THAT(breach.escalation().reason(), HasSubstr("principals/siro is absent"));
  EXPECT_THAT(breach.escalation().reason(), Not(HasSubstr("absent too")));
  {
    // The deputy goes on leave as well: the breach still goes to them, and
    // the escalation says nobody present holds the duties.
    grpc::ClientContext context;
    Prepare(context, kDsiroToken);
    role::v1::CreateAbsenceRequest request;
    request.mutable_absence()->set_principal("principals/dsiro");
    *request.mutable_absence()->mutable_effective_until() = ToProto(absl::Now() + absl::Hours(24));
    request.mutable_absence()->set_reason("conference");
    role::v1::Absence absence;
    grpc::Status status = role_->CreateAbsence(&context, request, &absence);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  status = Report("both-absent", true, &breach);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(breach.escalation().principal(), "principals/dsiro");
  EXPECT_THAT(breach.escalation().reason(), HasSubstr("principals/dsiro"));
  EXPECT_THAT(breach.escalation().reason(), HasSubstr("absent too"));
}

TEST_F(RiskServiceTest, ABreachPast72HoursWithoutNotificationIsOverdue) {
  Incident incident;
  ASSERT_TRUE(Report("old", true, &incident, absl::Hours(73)).ok());
  EXPECT_TRUE(incident.notification_overdue());
  ASSERT_TRUE(Report("fresh", true, &incident, absl::Hours(2)).ok());
  EXPECT_FALSE(incident.notification_overdue());
  asset::v1::ListIncidentsRequest overdue;
  overdue.set_notification_overdue(true);
  EXPECT_EQ(ListIncidents(overdue), std::vector<std::string>{"incidents/old"});
  asset::v1::ListIncidentsRequest open;
  open.set_open_breaches(true);
  EXPECT_EQ(ListIncidents(open), (std::vector<std::string>{"incidents/old", "incidents/fresh"}));
  // The ISM records the notification to IG-SIRI.
  grpc::ClientContext context;
  Prepare(context, kKeeperToken);
  asset::v1::RecordBreachNotificationRequest notify;
  notify.set_name("incidents/old");
  notify.mutable_notification()->set_recipient(asset::v1::NOTIFICATION_RECIPIENT_IG_SIRI);
  *notify.mutable_notification()->mutable_notify_time() = ToProto(absl::Now());
  ASSERT_TRUE(risks_->RecordBreachNotification(&context, notify, &incident).ok());
  EXPECT_TRUE(ListIncidents(overdue).empty());
}

TEST_F(RiskServiceTest, EveryInvalidTransitionIsRefused) {
  using asset::v1::IncidentState;
  const std::vector<IncidentState> states = {
      asset::v1::INCIDENT_STATE_REPORTED, asset::v1::INCIDENT_STATE_TRIAGED,
      asset::v1::INCIDENT_STATE_ESCALATED, asset::v1::INCIDENT_STATE_CLOSED};
  const std::set<std::pair<int, int>> allowed = {
      {asset::v1::INCIDENT_STATE_REPORTED, asset::v1::INCIDENT_STATE_TRIAGED},
      {asset::v1::INCIDENT_STATE_TRIAGED, asset::v1::INCIDENT_STATE_ESCALATED},
      {asset::v1::INCIDENT_STATE_TRIAGED, asset::v1::INCIDENT_STATE_CLOSED},
      {asset::v1::INCIDENT_STATE_ESCALATED, asset::v1::INCIDENT_STATE_CLOSED},
      {asset::v1::INCIDENT_STATE_CLOSED, asset::v1::INCIDENT_STATE_TRIAGED}};
  const std::map<int, std::vector<IncidentState>> path = {
      {asset::v1::INCIDENT_STATE_REPORTED, {}},
      {asset::v1::INCIDENT_STATE_TRIAGED, {asset::v1::INCIDENT_STATE_TRIAGED}},
      {asset::v1::INCIDENT_STATE_ESCALATED,
       {asset::v1::INCIDENT_STATE_TRIAGED, asset::v1::INCIDENT_STATE_ESCALATED}},
      {asset::v1::INCIDENT_STATE_CLOSED,
       {asset::v1::INCIDENT_STATE_TRIAGED, asset::v1::INCIDENT_STATE_CLOSED}}};
  int n = 0;
  for (IncidentState from : states) {
    for (IncidentState to : states) {
      if (allowed.count({from, to}) > 0) continue;
      const std::string id = absl::StrCat("i", n++);
      const std::string name = "incidents/" + id;
      Incident incident;
      ASSERT_TRUE(Report(id, false, &incident).ok());
      for (IncidentState step : path.at(from)) ASSERT_TRUE(Move(kKeeperToken, name, step).ok());
      grpc::ClientContext context;
      grpc::Status status = Move(kKeeperToken, name, to);
      SCOPED_TRACE(absl::StrCat(asset::v1::IncidentState_Name(from), " -> ",
                                asset::v1::IncidentState_Name(to)));
      if (to == asset::v1::INCIDENT_STATE_REPORTED) {
        EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
        continue;
      }
      EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::FAILED_PRECONDITION));
      EXPECT_THAT(status.error_message(), HasSubstr(asset::v1::IncidentState_Name(from)));
      EXPECT_THAT(status.error_message(), HasSubstr(asset::v1::IncidentState_Name(to)));
    }
  }
  // A breach is closed by the SIRO only, and never by its reporter.
  Incident breach;
  ASSERT_TRUE(Report("breach", true, &breach).ok());
  ASSERT_TRUE(Move(kKeeperToken, "incidents/breach", asset::v1::INCIDENT_STATE_TRIAGED).ok());
  ASSERT_TRUE(Move(kKeeperToken, "incidents/breach", asset::v1::INCIDENT_STATE_ESCALATED).ok());
  EXPECT_THAT(Move(kKeeperToken, "incidents/breach", asset::v1::INCIDENT_STATE_CLOSED),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(Move(kStaffToken, "incidents/breach", asset::v1::INCIDENT_STATE_CLOSED),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  Incident closed;
  grpc::Status status =
      Move(kSiroToken, "incidents/breach", asset::v1::INCIDENT_STATE_CLOSED, &closed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(closed.transitions_size(), 4);
}

TEST_F(RiskServiceTest, EveryRpcNamesTheFieldOfBadInput) {
  struct Case {
    std::string field;
    std::function<grpc::Status(grpc::ClientContext*)> call;
  };
  const std::vector<Case> cases = {
      {"name",
       [&](grpc::ClientContext* c) {
         asset::v1::GetRiskRequest r;
         r.set_name("assets/x");
         Risk out;
         return risks_->GetRisk(c, r, &out);
       }},
      {"band",
       [&](grpc::ClientContext* c) {
         asset::v1::ListRisksRequest r;
         r.set_band(static_cast<asset::v1::RiskBand>(9));
         asset::v1::ListRisksResponse out;
         return risks_->ListRisks(c, r, &out);
       }},
      {"risk.likelihood",
       [&](grpc::ClientContext* c) {
         asset::v1::CreateRiskRequest r;
         *r.mutable_risk() = NewRisk(6, 1);
         Risk out;
         return risks_->CreateRisk(c, r, &out);
       }},
      {"update_mask",
       [&](grpc::ClientContext* c) {
         asset::v1::UpdateRiskRequest r;
         r.mutable_risk()->set_name("risks/x");
         r.mutable_update_mask()->add_paths("score");
         Risk out;
         return risks_->UpdateRisk(c, r, &out);
       }},
      {"expire_time",
       [&](grpc::ClientContext* c) {
         asset::v1::AcceptRiskRequest r;
         r.set_name("risks/x");
         r.set_justification("x");
         Risk out;
         return risks_->AcceptRisk(c, r, &out);
       }},
      {"incident.discover_time",
       [&](grpc::ClientContext* c) {
         asset::v1::ReportIncidentRequest r;
         r.mutable_incident()->set_title("t");
         *r.mutable_incident()->mutable_discover_time() = ToProto(absl::Now() + absl::Hours(1));
         Incident out;
         return risks_->ReportIncident(c, r, &out);
       }},
      {"name",
       [&](grpc::ClientContext* c) {
         asset::v1::GetIncidentRequest r;
         Incident out;
         return risks_->GetIncident(c, r, &out);
       }},
      {"state",
       [&](grpc::ClientContext* c) {
         asset::v1::ListIncidentsRequest r;
         r.set_state(static_cast<asset::v1::IncidentState>(9));
         asset::v1::ListIncidentsResponse out;
         return risks_->ListIncidents(c, r, &out);
       }},
      {"reason",
       [&](grpc::ClientContext* c) {
         asset::v1::TransitionIncidentRequest r;
         r.set_name("incidents/x");
         r.set_to_state(asset::v1::INCIDENT_STATE_TRIAGED);
         Incident out;
         return risks_->TransitionIncident(c, r, &out);
       }},
      {"notification.recipient",
       [&](grpc::ClientContext* c) {
         asset::v1::RecordBreachNotificationRequest r;
         r.set_name("incidents/x");
         Incident out;
         return risks_->RecordBreachNotification(c, r, &out);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    grpc::ClientContext context;
    Prepare(context, kSiroToken);
    grpc::Status status = c.call(&context);
    EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_THAT(status.error_message(), StartsWith(c.field + ":"));
  }
}

TEST_F(RiskServiceTest, WithTheRoleServiceStoppedWritesAreUnavailable) {
  StopRole();
  Risk risk;
  EXPECT_THAT(CreateRisk("x", NewRisk(2, 2), &risk), GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  Incident incident;
  EXPECT_THAT(Report("x", true, &incident), GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_THAT(GetRisk("risks/x", &risk), GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  // Nothing was written: the outbox holds nothing in the attempts' names
  // (checked once the role service is back, through the store's reads).
  // (The asset service's channel reconnects with backoff: asked until it
  // answers otherwise than UNAVAILABLE.)
  ASSERT_NO_FATAL_FAILURE(StartRole());
  grpc::Status status;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  do {
    absl::SleepFor(absl::Milliseconds(200));
    status = GetRisk("risks/x", &risk);
  } while (status.error_code() == grpc::StatusCode::UNAVAILABLE && absl::Now() < deadline);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::NOT_FOUND));
  grpc::ClientContext context;
  Prepare(context, kKeeperToken);
  asset::v1::GetIncidentRequest get;
  get.set_name("incidents/x");
  EXPECT_THAT(risks_->GetIncident(&context, get, &incident),
              GrpcCodeIs(grpc::StatusCode::NOT_FOUND));
}

}  // namespace
}  // namespace isms::testing
