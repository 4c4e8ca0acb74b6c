#ifndef ISMS_SERVICES_ASSET_PERMISSIONS_H_
#define ISMS_SERVICES_ASSET_PERMISSIONS_H_

namespace isms::asset {

// The permissions of the risk register and incidents the asset service asks
// the role service about (see risk_service.proto for who holds them).
inline constexpr char kManageRisks[] = "isms.risks.manage";
inline constexpr char kUpdateRisks[] = "isms.risks.update";
inline constexpr char kAcceptRisks[] = "isms.risks.accept";
inline constexpr char kReportIncidents[] = "isms.incidents.report";
inline constexpr char kManageIncidents[] = "isms.incidents.manage";
inline constexpr char kEscalateIncidents[] = "isms.incidents.escalate";
inline constexpr char kReceiveBreaches[] = "isms.breaches.receive";

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_PERMISSIONS_H_
