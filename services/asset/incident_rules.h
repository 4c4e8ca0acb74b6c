#ifndef ISMS_SERVICES_ASSET_INCIDENT_RULES_H_
#define ISMS_SERVICES_ASSET_INCIDENT_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "isms/asset/v1/risk_service.pb.h"

namespace isms::asset {

// How long after discovery a personal data breach must be notified outside.
inline constexpr absl::Duration kBreachNotificationPeriod = absl::Hours(72);

// The permission a move of `incident` to `to` needs, or FailedPrecondition
// naming both states when the move is not allowed (see TransitionIncident
// in risk_service.proto for the table).
absl::StatusOr<std::string> TransitionPermission(const isms::asset::v1::Incident& incident,
                                                 isms::asset::v1::IncidentState to);

// discover_time + kBreachNotificationPeriod.
absl::Time NotificationDeadline(const isms::asset::v1::Incident& incident);

// A breach not closed, past its deadline at `now`, with no notification
// recorded. (Closing a breach is the SIRO's decision that it is dealt with.)
bool NotificationOverdue(const isms::asset::v1::Incident& incident, absl::Time now);

// The incident as stored: derived values (deadline, overdue) cleared.
isms::asset::v1::Incident StoredForm(isms::asset::v1::Incident incident);

// The incident as shown at `now`: derived values filled in.
isms::asset::v1::Incident ShownForm(isms::asset::v1::Incident incident, absl::Time now);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_INCIDENT_RULES_H_
