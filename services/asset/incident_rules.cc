#include "services/asset/incident_rules.h"

#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"
#include "services/asset/permissions.h"

namespace isms::asset {

using v1::Incident;

absl::StatusOr<std::string> TransitionPermission(const Incident& incident, v1::IncidentState to) {
  const v1::IncidentState from = incident.state();
  if (from == v1::INCIDENT_STATE_REPORTED && to == v1::INCIDENT_STATE_TRIAGED) {
    return std::string(kManageIncidents);
  }
  if (from == v1::INCIDENT_STATE_TRIAGED && to == v1::INCIDENT_STATE_ESCALATED) {
    return std::string(kEscalateIncidents);
  }
  if (from == v1::INCIDENT_STATE_TRIAGED && to == v1::INCIDENT_STATE_CLOSED &&
      !incident.personal_data_breach()) {
    return std::string(kManageIncidents);
  }
  if (from == v1::INCIDENT_STATE_ESCALATED && to == v1::INCIDENT_STATE_CLOSED) {
    // The SIRO closes breaches; the ISM only what is not one.
    return std::string(incident.personal_data_breach() ? kReceiveBreaches : kManageIncidents);
  }
  if (from == v1::INCIDENT_STATE_CLOSED && to == v1::INCIDENT_STATE_TRIAGED) {
    return std::string(kManageIncidents);  // Reopened.
  }
  return absl::FailedPreconditionError(
      absl::StrCat(incident.name(), " cannot move from ", v1::IncidentState_Name(from), " to ",
                   v1::IncidentState_Name(to),
                   from == v1::INCIDENT_STATE_TRIAGED && to == v1::INCIDENT_STATE_CLOSED
                       ? ": a personal data breach is escalated before it is closed"
                       : ""));
}

absl::Time NotificationDeadline(const Incident& incident) {
  return FromProto(incident.discover_time()) + kBreachNotificationPeriod;
}

bool NotificationOverdue(const Incident& incident, absl::Time now) {
  return incident.personal_data_breach() && incident.state() != v1::INCIDENT_STATE_CLOSED &&
         incident.notifications_size() == 0 && NotificationDeadline(incident) <= now;
}

Incident StoredForm(Incident incident) {
  incident.clear_notification_deadline();
  incident.clear_notification_overdue();
  return incident;
}

Incident ShownForm(Incident incident, absl::Time now) {
  if (incident.personal_data_breach()) {
    *incident.mutable_notification_deadline() = ToProto(NotificationDeadline(incident));
    incident.set_notification_overdue(NotificationOverdue(incident, now));
  }
  return incident;
}

}  // namespace isms::asset
