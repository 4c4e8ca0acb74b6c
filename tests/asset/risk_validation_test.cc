#include "services/asset/risk_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"

namespace isms::asset {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1767000000);

v1::CreateRiskRequest ValidCreate() {
  v1::CreateRiskRequest request;
  request.set_risk_id("ransom");
  v1::Risk& risk = *request.mutable_risk();
  risk.set_title("Ransomware");
  risk.add_assets("assets/hr-db");
  risk.set_threat("ransomware");
  risk.set_vulnerability("unpatched hosts");
  risk.set_likelihood(4);
  risk.set_impact(5);
  risk.set_treatment(v1::RISK_TREATMENT_MITIGATE);
  risk.set_treatment_plan("patch");
  risk.set_owner("principals/po");
  *risk.mutable_next_review_time() = ToProto(kNow + absl::Hours(24 * 30));
  return request;
}

v1::ReportIncidentRequest ValidReport() {
  v1::ReportIncidentRequest request;
  request.set_incident_id("laptop");
  request.mutable_incident()->set_title("Laptop lost");
  request.mutable_incident()->add_assets("assets/hr-db");
  *request.mutable_incident()->mutable_discover_time() = ToProto(kNow - absl::Hours(2));
  return request;
}

// Every case must be refused INVALID_ARGUMENT with a message starting with
// its field.
template <typename Request>
struct Case {
  std::string field;
  std::function<void(Request&)> change;
};

template <typename Request>
void ExpectEachNamed(const Request& valid, const std::vector<Case<Request>>& cases,
                     const std::function<absl::Status(const Request&)>& validate) {
  ASSERT_THAT(validate(valid), IsOk());
  for (const auto& c : cases) {
    Request request = valid;
    c.change(request);
    EXPECT_THAT(validate(request),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(c.field + ":")))
        << c.field;
  }
}

TEST(RiskValidationTest, NamesEveryBadFieldOfACreate) {
  using R = v1::CreateRiskRequest;
  ExpectEachNamed<R>(
      ValidCreate(),
      {
          {"risk_id", [](R& r) { r.set_risk_id("Bad Id"); }},
          {"risk.title", [](R& r) { r.mutable_risk()->clear_title(); }},
          {"risk.title", [](R& r) { r.mutable_risk()->set_title(std::string(257, 'x')); }},
          {"risk.assets[0]", [](R& r) { r.mutable_risk()->set_assets(0, "principals/x"); }},
          {"risk.assets[1]", [](R& r) { r.mutable_risk()->add_assets("assets/hr-db"); }},
          {"risk.assets",
           [](R& r) {
             for (int i = 0; i < 101; ++i)
               r.mutable_risk()->add_assets(absl::StrCat("assets/a", i));
           }},
          {"risk.threat", [](R& r) { r.mutable_risk()->clear_threat(); }},
          {"risk.vulnerability",
           [](R& r) { r.mutable_risk()->set_vulnerability(std::string(4097, 'x')); }},
          {"risk.likelihood", [](R& r) { r.mutable_risk()->set_likelihood(0); }},
          {"risk.likelihood", [](R& r) { r.mutable_risk()->set_likelihood(6); }},
          {"risk.impact", [](R& r) { r.mutable_risk()->set_impact(-1); }},
          {"risk.treatment",
           [](R& r) { r.mutable_risk()->set_treatment(static_cast<v1::RiskTreatment>(9)); }},
          {"risk.treatment",
           [](R& r) { r.mutable_risk()->set_treatment(v1::RISK_TREATMENT_ACCEPT); }},
          {"risk.treatment_plan", [](R& r) { r.mutable_risk()->clear_treatment_plan(); }},
          {"risk.owner", [](R& r) { r.mutable_risk()->clear_owner(); }},
          {"risk.owner", [](R& r) { r.mutable_risk()->set_owner("roles/po"); }},
          {"risk.next_review_time", [](R& r) { r.mutable_risk()->clear_next_review_time(); }},
          {"risk.next_review_time",
           [](R& r) { r.mutable_risk()->mutable_next_review_time()->set_nanos(-1); }},
          {"risk.next_review_time",
           [](R& r) { *r.mutable_risk()->mutable_next_review_time() = ToProto(kNow); }},
          {"risk.next_review_time",
           [](R& r) {
             *r.mutable_risk()->mutable_next_review_time() = ToProto(kNow + absl::Hours(24 * 800));
           }},
      },
      [](const R& r) { return ValidateCreateRiskRequest(r, kNow); });
}

TEST(RiskValidationTest, NamesEveryBadFieldOfAnUpdate) {
  using R = v1::UpdateRiskRequest;
  R valid;
  valid.mutable_risk()->set_name("risks/ransom");
  valid.mutable_risk()->set_likelihood(3);
  valid.mutable_update_mask()->add_paths("likelihood");
  ExpectEachNamed<R>(
      valid,
      {
          {"risk.name", [](R& r) { r.mutable_risk()->set_name("assets/x"); }},
          {"update_mask", [](R& r) { r.clear_update_mask(); }},
          {"update_mask", [](R& r) { r.mutable_update_mask()->add_paths("score"); }},
          {"update_mask", [](R& r) { r.mutable_update_mask()->add_paths("acceptance"); }},
          {"update_mask", [](R& r) { r.mutable_update_mask()->add_paths("score_history"); }},
          {"risk.treatment",
           [](R& r) {
             r.mutable_risk()->set_treatment(v1::RISK_TREATMENT_ACCEPT);
             r.mutable_update_mask()->add_paths("treatment");
           }},
          {"risk.next_review_time",
           [](R& r) { r.mutable_update_mask()->add_paths("next_review_time"); }},
      },
      [](const R& r) { return ValidateUpdateRiskRequest(r, kNow); });
}

TEST(RiskValidationTest, NamesEveryBadFieldOfAnAcceptance) {
  using R = v1::AcceptRiskRequest;
  R valid;
  valid.set_name("risks/ransom");
  valid.set_justification("cheaper to bear");
  *valid.mutable_expire_time() = ToProto(kNow + absl::Hours(24 * 30));
  ExpectEachNamed<R>(
      valid,
      {
          {"name", [](R& r) { r.set_name("risks/"); }},
          {"justification", [](R& r) { r.clear_justification(); }},
          {"expire_time", [](R& r) { r.clear_expire_time(); }},
          {"expire_time", [](R& r) { *r.mutable_expire_time() = ToProto(kNow); }},
          {"expire_time",
           [](R& r) { *r.mutable_expire_time() = ToProto(kNow + absl::Hours(24 * 400)); }},
      },
      [](const R& r) { return ValidateAcceptRiskRequest(r, kNow); });
}

TEST(RiskValidationTest, NamesEveryBadFieldOfAListing) {
  using R = v1::ListRisksRequest;
  ExpectEachNamed<R>(R(),
                     {
                         {"page_size", [](R& r) { r.set_page_size(-1); }},
                         {"asset", [](R& r) { r.set_asset("risks/x"); }},
                         {"owner", [](R& r) { r.set_owner("x"); }},
                         {"band", [](R& r) { r.set_band(static_cast<v1::RiskBand>(7)); }},
                     },
                     [](const R& r) { return ValidateListRisksRequest(r); });
  using L = v1::ListIncidentsRequest;
  ExpectEachNamed<L>(L(),
                     {
                         {"page_size", [](L& r) { r.set_page_size(-5); }},
                         {"state", [](L& r) { r.set_state(static_cast<v1::IncidentState>(8)); }},
                     },
                     [](const L& r) { return ValidateListIncidentsRequest(r); });
}

TEST(RiskValidationTest, NamesEveryBadFieldOfAReport) {
  using R = v1::ReportIncidentRequest;
  ExpectEachNamed<R>(
      ValidReport(),
      {
          {"incident_id", [](R& r) { r.set_incident_id("-bad"); }},
          {"incident.title", [](R& r) { r.mutable_incident()->clear_title(); }},
          {"incident.description",
           [](R& r) { r.mutable_incident()->set_description(std::string(4097, 'x')); }},
          {"incident.assets[0]", [](R& r) { r.mutable_incident()->set_assets(0, "assets/"); }},
          {"incident.discover_time", [](R& r) { r.mutable_incident()->clear_discover_time(); }},
          // In the future: it would push a breach's deadline out.
          {"incident.discover_time",
           [](R& r) {
             *r.mutable_incident()->mutable_discover_time() = ToProto(kNow + absl::Minutes(6));
           }},
          // Before any sane limit.
          {"incident.discover_time",
           [](R& r) {
             *r.mutable_incident()->mutable_discover_time() = ToProto(kNow - absl::Hours(24 * 367));
           }},
      },
      [](const R& r) { return ValidateReportIncidentRequest(r, kNow); });
  // Clock skew is allowed.
  R skewed = ValidReport();
  *skewed.mutable_incident()->mutable_discover_time() = ToProto(kNow + absl::Minutes(4));
  EXPECT_THAT(ValidateReportIncidentRequest(skewed, kNow), IsOk());
}

TEST(RiskValidationTest, NamesEveryBadFieldOfAMove) {
  using R = v1::TransitionIncidentRequest;
  R valid;
  valid.set_name("incidents/x");
  valid.set_to_state(v1::INCIDENT_STATE_TRIAGED);
  valid.set_reason("seen");
  ExpectEachNamed<R>(
      valid,
      {
          {"name", [](R& r) { r.set_name("risks/x"); }},
          {"to_state", [](R& r) { r.clear_to_state(); }},
          {"to_state", [](R& r) { r.set_to_state(static_cast<v1::IncidentState>(12)); }},
          {"to_state", [](R& r) { r.set_to_state(v1::INCIDENT_STATE_REPORTED); }},
          {"reason", [](R& r) { r.clear_reason(); }},
          {"mark_personal_data_breach",
           [](R& r) {
             r.set_to_state(v1::INCIDENT_STATE_CLOSED);
             r.set_mark_personal_data_breach(true);
           }},
      },
      [](const R& r) { return ValidateTransitionIncidentRequest(r); });
}

TEST(RiskValidationTest, NamesEveryBadFieldOfANotification) {
  using R = v1::RecordBreachNotificationRequest;
  R valid;
  valid.set_name("incidents/x");
  valid.mutable_notification()->set_recipient(v1::NOTIFICATION_RECIPIENT_IG_SIRI);
  *valid.mutable_notification()->mutable_notify_time() = ToProto(kNow);
  ExpectEachNamed<R>(
      valid,
      {
          {"name", [](R& r) { r.clear_name(); }},
          {"notification.recipient", [](R& r) { r.mutable_notification()->clear_recipient(); }},
          {"notification.recipient",
           [](R& r) {
             r.mutable_notification()->set_recipient(static_cast<v1::NotificationRecipient>(5));
           }},
          {"notification.notify_time", [](R& r) { r.mutable_notification()->clear_notify_time(); }},
          {"notification.notify_time",
           [](R& r) {
             *r.mutable_notification()->mutable_notify_time() = ToProto(kNow + absl::Hours(1));
           }},
          {"notification.reference",
           [](R& r) { r.mutable_notification()->set_reference(std::string(257, 'x')); }},
      },
      [](const R& r) { return ValidateRecordBreachNotificationRequest(r, kNow); });
}

}  // namespace
}  // namespace isms::asset
