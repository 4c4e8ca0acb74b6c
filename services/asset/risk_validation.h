#ifndef ISMS_SERVICES_ASSET_RISK_VALIDATION_H_
#define ISMS_SERVICES_ASSET_RISK_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "isms/asset/v1/risk_service.pb.h"

namespace isms::asset {

// Checks of the risk register's and incidents' requests. Each returns OK or
// InvalidArgument naming the first field at fault ("risk.likelihood: want
// 1..5").

// How far ahead a risk's next review may be set.
inline constexpr absl::Duration kMaxRiskReviewAhead = absl::Hours(24 * 731);
// How long an acceptance may last.
inline constexpr absl::Duration kMaxAcceptance = absl::Hours(24 * 366);
// How far back an incident's discovery may lie, and how far ahead (clock
// skew).
inline constexpr absl::Duration kMaxDiscoveryAge = absl::Hours(24 * 366);
inline constexpr absl::Duration kClockSkew = absl::Minutes(5);

// The stored fields of `risk` (name, title, assets, threat, vulnerability,
// likelihood, impact, treatment and plan, owner, next_review_time at most
// two years after `now`). `prefix` is the request's field ("risk").
absl::Status ValidateRisk(const isms::asset::v1::Risk& risk, absl::string_view prefix,
                          absl::Time now);

// risk_id and the risk; treatment ACCEPT refused (AcceptRisk sets it);
// next_review_time in the future.
absl::Status ValidateCreateRiskRequest(const isms::asset::v1::CreateRiskRequest& request,
                                       absl::Time now);

// risk.name and update_mask (required, updatable paths only); a masked
// treatment may not be ACCEPT, a masked next_review_time must lie in the
// future. The updated risk is checked with ValidateRisk.
absl::Status ValidateUpdateRiskRequest(const isms::asset::v1::UpdateRiskRequest& request,
                                       absl::Time now);

// name, justification, expire_time in (now, now + kMaxAcceptance].
absl::Status ValidateAcceptRiskRequest(const isms::asset::v1::AcceptRiskRequest& request,
                                       absl::Time now);

absl::Status ValidateListRisksRequest(const isms::asset::v1::ListRisksRequest& request);

// incident_id, title, description, assets, discover_time within
// [now - kMaxDiscoveryAge, now + kClockSkew].
absl::Status ValidateReportIncidentRequest(const isms::asset::v1::ReportIncidentRequest& request,
                                           absl::Time now);

absl::Status ValidateListIncidentsRequest(const isms::asset::v1::ListIncidentsRequest& request);

// name, to_state, reason; mark_personal_data_breach only with TRIAGED.
absl::Status ValidateTransitionIncidentRequest(
    const isms::asset::v1::TransitionIncidentRequest& request);

// name, recipient, notify_time not after now + kClockSkew, reference.
absl::Status ValidateRecordBreachNotificationRequest(
    const isms::asset::v1::RecordBreachNotificationRequest& request, absl::Time now);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_RISK_VALIDATION_H_
