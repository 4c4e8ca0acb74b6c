#include "services/asset/risk_validation.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"

namespace isms::asset {
namespace {

std::string Field(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status ValidateTime(absl::string_view field, const google::protobuf::Timestamp& time,
                          bool present) {
  if (!present) return Invalid(field, "required");
  return IsValidTimestamp(time) ? absl::OkStatus() : Invalid(field, "not a valid timestamp");
}

absl::Status ValidateAssets(absl::string_view field,
                            const google::protobuf::RepeatedPtrField<std::string>& assets) {
  ISMS_RETURN_IF_ERROR(ValidateCount(field, assets.size()));
  std::set<absl::string_view> seen;
  for (int i = 0; i < assets.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    ISMS_RETURN_IF_ERROR(ValidateResourceName(at, assets[i], "assets"));
    if (!seen.insert(assets[i]).second) return Invalid(at, absl::StrCat("duplicate ", assets[i]));
  }
  return absl::OkStatus();
}

absl::Status ValidateLevel(absl::string_view field, int value) {
  if (value < 1 || value > 5) return Invalid(field, "want 1..5");
  return absl::OkStatus();
}

// The fields UpdateRisk may change, as update_mask paths.
const std::set<std::string>& UpdatablePaths() {
  static const auto* paths = new std::set<std::string>{
      "title",  "assets",    "threat",         "vulnerability", "likelihood",
      "impact", "treatment", "treatment_plan", "owner",         "next_review_time"};
  return *paths;
}

absl::Status ValidateReviewInFuture(absl::string_view field,
                                    const google::protobuf::Timestamp& time, absl::Time now) {
  if (FromProto(time) <= now) return Invalid(field, "must lie in the future");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRisk(const v1::Risk& risk, absl::string_view prefix, absl::Time now) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName(Field(prefix, "name"), risk.name(), "risks"));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "title"), risk.title(), kMaxShortTextLength, true));
  ISMS_RETURN_IF_ERROR(ValidateAssets(Field(prefix, "assets"), risk.assets()));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "threat"), risk.threat(), kMaxLongTextLength, true));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "vulnerability"), risk.vulnerability(), kMaxLongTextLength, true));
  ISMS_RETURN_IF_ERROR(ValidateLevel(Field(prefix, "likelihood"), risk.likelihood()));
  ISMS_RETURN_IF_ERROR(ValidateLevel(Field(prefix, "impact"), risk.impact()));
  if (!v1::RiskTreatment_IsValid(risk.treatment())) {
    return Invalid(Field(prefix, "treatment"),
                   absl::StrCat("unknown treatment ", static_cast<int>(risk.treatment())));
  }
  ISMS_RETURN_IF_ERROR(ValidateText(Field(prefix, "treatment_plan"), risk.treatment_plan(),
                                    kMaxLongTextLength,
                                    risk.treatment() != v1::RISK_TREATMENT_UNSPECIFIED));
  ISMS_RETURN_IF_ERROR(ValidateResourceName(Field(prefix, "owner"), risk.owner(), "principals"));
  const std::string review = Field(prefix, "next_review_time");
  ISMS_RETURN_IF_ERROR(ValidateTime(review, risk.next_review_time(), risk.has_next_review_time()));
  if (FromProto(risk.next_review_time()) > now + kMaxRiskReviewAhead) {
    return Invalid(review, "more than two years ahead");
  }
  return absl::OkStatus();
}

absl::Status ValidateCreateRiskRequest(const v1::CreateRiskRequest& request, absl::Time now) {
  if (!request.risk_id().empty()) ISMS_RETURN_IF_ERROR(ValidateId("risk_id", request.risk_id()));
  v1::Risk risk = request.risk();
  risk.set_name("risks/new");  // The name comes from risk_id.
  ISMS_RETURN_IF_ERROR(ValidateRisk(risk, "risk", now));
  if (risk.treatment() == v1::RISK_TREATMENT_ACCEPT) {
    return Invalid("risk.treatment",
                   "ACCEPT is recorded by AcceptRisk, by a holder of "
                   "isms.risks.accept");
  }
  return ValidateReviewInFuture("risk.next_review_time", risk.next_review_time(), now);
}

absl::Status ValidateUpdateRiskRequest(const v1::UpdateRiskRequest& request, absl::Time now) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("risk.name", request.risk().name(), "risks"));
  if (request.update_mask().paths_size() == 0) {
    return Invalid("update_mask", "required; name the fields to change");
  }
  for (const std::string& path : request.update_mask().paths()) {
    if (UpdatablePaths().count(path) == 0) {
      return Invalid("update_mask",
                     absl::StrCat("field '", path.substr(0, 64), "' cannot be updated"));
    }
    if (path == "treatment" && request.risk().treatment() == v1::RISK_TREATMENT_ACCEPT) {
      return Invalid("risk.treatment", "ACCEPT is recorded by AcceptRisk");
    }
    if (path == "next_review_time") {
      const v1::Risk& risk = request.risk();
      ISMS_RETURN_IF_ERROR(ValidateTime("risk.next_review_time", risk.next_review_time(),
                                        risk.has_next_review_time()));
      ISMS_RETURN_IF_ERROR(
          ValidateReviewInFuture("risk.next_review_time", risk.next_review_time(), now));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAcceptRiskRequest(const v1::AcceptRiskRequest& request, absl::Time now) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "risks"));
  ISMS_RETURN_IF_ERROR(
      ValidateText("justification", request.justification(), kMaxLongTextLength, true));
  ISMS_RETURN_IF_ERROR(
      ValidateTime("expire_time", request.expire_time(), request.has_expire_time()));
  const absl::Time expire = FromProto(request.expire_time());
  if (expire <= now) return Invalid("expire_time", "must lie in the future");
  if (expire > now + kMaxAcceptance) return Invalid("expire_time", "at most one year ahead");
  return absl::OkStatus();
}

absl::Status ValidateListRisksRequest(const v1::ListRisksRequest& request) {
  ISMS_RETURN_IF_ERROR(EffectivePageSize(request.page_size()).status());
  ISMS_RETURN_IF_ERROR(ValidateOptionalResourceName("asset", request.asset(), "assets"));
  ISMS_RETURN_IF_ERROR(ValidateOptionalResourceName("owner", request.owner(), "principals"));
  if (!v1::RiskBand_IsValid(request.band())) {
    return Invalid("band", absl::StrCat("unknown band ", static_cast<int>(request.band())));
  }
  return absl::OkStatus();
}

absl::Status ValidateReportIncidentRequest(const v1::ReportIncidentRequest& request,
                                           absl::Time now) {
  if (!request.incident_id().empty()) {
    ISMS_RETURN_IF_ERROR(ValidateId("incident_id", request.incident_id()));
  }
  const v1::Incident& incident = request.incident();
  ISMS_RETURN_IF_ERROR(ValidateText("incident.title", incident.title(), kMaxShortTextLength, true));
  ISMS_RETURN_IF_ERROR(
      ValidateText("incident.description", incident.description(), kMaxLongTextLength, false));
  ISMS_RETURN_IF_ERROR(ValidateAssets("incident.assets", incident.assets()));
  ISMS_RETURN_IF_ERROR(ValidateTime("incident.discover_time", incident.discover_time(),
                                    incident.has_discover_time()));
  const absl::Time discovered = FromProto(incident.discover_time());
  // A discovery in the future would push a breach's 72-hour deadline out.
  if (discovered > now + kClockSkew) return Invalid("incident.discover_time", "in the future");
  if (discovered < now - kMaxDiscoveryAge) {
    return Invalid("incident.discover_time", "more than a year ago");
  }
  return absl::OkStatus();
}

absl::Status ValidateListIncidentsRequest(const v1::ListIncidentsRequest& request) {
  ISMS_RETURN_IF_ERROR(EffectivePageSize(request.page_size()).status());
  if (!v1::IncidentState_IsValid(request.state())) {
    return Invalid("state", absl::StrCat("unknown state ", static_cast<int>(request.state())));
  }
  return absl::OkStatus();
}

absl::Status ValidateTransitionIncidentRequest(const v1::TransitionIncidentRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "incidents"));
  if (request.to_state() == v1::INCIDENT_STATE_UNSPECIFIED) return Invalid("to_state", "required");
  if (!v1::IncidentState_IsValid(request.to_state())) {
    return Invalid("to_state",
                   absl::StrCat("unknown state ", static_cast<int>(request.to_state())));
  }
  if (request.to_state() == v1::INCIDENT_STATE_REPORTED) {
    return Invalid("to_state", "INCIDENT_STATE_REPORTED is where an incident starts");
  }
  ISMS_RETURN_IF_ERROR(ValidateText("reason", request.reason(), kMaxLongTextLength, true));
  if (request.mark_personal_data_breach() && request.to_state() != v1::INCIDENT_STATE_TRIAGED) {
    return Invalid("mark_personal_data_breach", "only when moving to INCIDENT_STATE_TRIAGED");
  }
  return absl::OkStatus();
}

absl::Status ValidateRecordBreachNotificationRequest(
    const v1::RecordBreachNotificationRequest& request, absl::Time now) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("name", request.name(), "incidents"));
  const v1::BreachNotification& notification = request.notification();
  if (notification.recipient() == v1::NOTIFICATION_RECIPIENT_UNSPECIFIED) {
    return Invalid("notification.recipient", "required");
  }
  if (!v1::NotificationRecipient_IsValid(notification.recipient())) {
    return Invalid("notification.recipient",
                   absl::StrCat("unknown recipient ", static_cast<int>(notification.recipient())));
  }
  ISMS_RETURN_IF_ERROR(ValidateTime("notification.notify_time", notification.notify_time(),
                                    notification.has_notify_time()));
  if (FromProto(notification.notify_time()) > now + kClockSkew) {
    return Invalid("notification.notify_time", "in the future");
  }
  return ValidateText("notification.reference", notification.reference(), kMaxShortTextLength,
                      false);
}

}  // namespace isms::asset
