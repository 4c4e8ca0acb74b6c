// AssetRegistry: incidents (incidents/{id}), personal data breaches and their
// escalation to the SIRO of the moment.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/api/etag.h"
#include "common/api/page_token.h"
#include "common/audit/field_changes.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/asset/asset_registry.h"
#include "services/asset/incident_rules.h"
#include "services/asset/permissions.h"
#include "services/asset/risk_validation.h"

namespace isms::asset {
namespace {

using v1::Incident;

// Who reads incidents: those who handle them (ISM, ITSO) and the SIRO, to
// whom breaches go.
std::vector<std::string> IncidentReaders() { return {kManageIncidents, kReceiveBreaches}; }
// Who may be asked to move one (the move's own permission is asked next).
std::vector<std::string> IncidentHandlers() {
  return {kManageIncidents, kEscalateIncidents, kReceiveBreaches};
}

absl::Status IncidentNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

std::string Fingerprint(const v1::ListIncidentsRequest& request) {
  return absl::StrCat("incidents|", request.state(), "|", request.open_breaches() ? 1 : 0, "|",
                      request.notification_overdue() ? 1 : 0);
}

// A page token carries the last incident's discovery (micros, 20 digits
// after an offset that keeps it positive) and name.
constexpr int64_t kOffset = int64_t{1} << 62;
std::string CursorOf(const Incident& incident) {
  return absl::StrFormat("%020d%s",
                         absl::ToUnixMicros(FromProto(incident.discover_time())) + kOffset,
                         incident.name());
}

absl::StatusOr<IncidentCursor> ParseCursor(const std::string& carried) {
  IncidentCursor cursor;
  if (carried.empty()) return cursor;
  int64_t micros = 0;
  // Tokens are checked but not secret (page_token.h): a made-up one must
  // not take the offset below zero (or out of int64).
  if (carried.size() < 21 || !absl::SimpleAtoi(carried.substr(0, 20), &micros) || micros < 0) {
    return absl::InvalidArgumentError("page_token: not an incident listing's token");
  }
  cursor.discover_micros = micros - kOffset;
  cursor.name = carried.substr(20);
  return cursor;
}

v1::BreachEscalation EscalationFrom(const BreachRecipient& recipient, absl::Time now) {
  v1::BreachEscalation escalation;
  escalation.set_principal(recipient.principal);
  escalation.set_role(recipient.role);
  escalation.set_source(recipient.source);
  escalation.set_reason(recipient.reason);
  *escalation.mutable_escalate_time() = ToProto(now);
  return escalation;
}

// Asks the role service whom a breach goes to when `needed`; otherwise
// answers an empty recipient at once.
void RecipientIfNeeded(RoleHolders& holders, bool needed,
                       RoleHolders::Answer<BreachRecipient> answer) {
  if (!needed) return answer(BreachRecipient());
  holders.BreachRecipientNow(std::move(answer));
}

}  // namespace

void AssetRegistry::ReportIncident(const CallInfo& call, const v1::ReportIncidentRequest& request,
                                   Done<Incident> done) {
  absl::Status valid = ValidateReportIncidentRequest(request, clock_.Now());
  if (!valid.ok()) return done(valid);
  const std::string name =
      absl::StrCat("incidents/", request.incident_id().empty() ? NewId() : request.incident_id());
  Authorize(
      call, kReportIncidents, name, name, request, true,
      [this, &call, &request, name,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
        if (!grant.ok()) return done(grant.status());
        RecipientIfNeeded(
            holders_, request.incident().personal_data_breach(),
            [this, &call, &request, name, grant = *std::move(grant),
             done = std::move(done)](absl::StatusOr<BreachRecipient> recipient) {
              if (!recipient.ok()) return done(recipient.status());
              Incident incident;
              absl::Status created = Mutate(call, name, kReportIncidents, grant, [&](Mutation& m) {
                const absl::Time now = clock_.Now();
                const Incident& asked = request.incident();
                m.field_changes = DiffFields(Incident(), asked);
                ISMS_ASSIGN_OR_RETURN(std::optional<Incident> current, store_.GetIncident(name));
                if (current.has_value()) {
                  return absl::AlreadyExistsError(absl::StrCat(name, " already exists"));
                }
                for (int i = 0; i < asked.assets_size(); ++i) {
                  ISMS_ASSIGN_OR_RETURN(std::optional<v1::Asset> asset,
                                        store_.Get(asked.assets(i)));
                  if (!asset.has_value()) {
                    return absl::FailedPreconditionError(absl::StrCat(
                        "incident.assets[", i, "]: ", asked.assets(i), " is not in the register"));
                  }
                }
                incident.set_name(name);
                incident.set_title(asked.title());
                incident.set_description(asked.description());
                *incident.mutable_assets() = asked.assets();
                *incident.mutable_discover_time() = asked.discover_time();
                incident.set_personal_data_breach(asked.personal_data_breach());
                incident.set_state(v1::INCIDENT_STATE_REPORTED);
                incident.set_reporter(call.caller.principal);
                v1::IncidentTransition& reported = *incident.add_transitions();
                reported.set_to_state(v1::INCIDENT_STATE_REPORTED);
                reported.set_actor(call.caller.principal);
                *reported.mutable_transition_time() = ToProto(now);
                reported.set_reason("reported");
                reported.set_explanation(grant.explanation);
                if (incident.personal_data_breach()) {
                  *incident.mutable_escalation() = EscalationFrom(*recipient, now);
                  m.attributes["escalated_to"] = recipient->principal;
                  m.attributes["escalation_reason"] = recipient->reason;
                }
                *incident.mutable_create_time() = ToProto(now);
                SetEtag(incident);
                m.field_changes = DiffFields(Incident(), incident);
                m.changes.incidents_created.push_back(incident);
                m.description = absl::StrCat(
                    "reported ", name,
                    incident.personal_data_breach()
                        ? absl::StrCat(
                              ", a personal data breach escalated to ",
                              recipient->principal.empty() ? "nobody" : recipient->principal, " (",
                              recipient->reason, ")")
                        : "");
                return absl::OkStatus();
              });
              if (!created.ok()) return done(created);
              done(ShownForm(std::move(incident), clock_.Now()));
            });
      });
}

void AssetRegistry::GetIncident(const CallInfo& call, const v1::GetIncidentRequest& request,
                                Done<Incident> done) {
  absl::Status valid = ValidateResourceName("name", request.name(), "incidents");
  if (!valid.ok()) return done(valid);
  AuthorizeAny(
      call, IncidentReaders(), request.name(), request.name(), request, false,
      [this, &request, done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
        if (!grant.ok()) return done(grant.status());
        absl::StatusOr<std::optional<Incident>> found = store_.GetIncident(request.name());
        if (!found.ok()) return done(found.status());
        if (!found->has_value()) return done(IncidentNotFound(request.name()));
        done(ShownForm(**std::move(found), clock_.Now()));
      });
}

void AssetRegistry::ListIncidents(const CallInfo& call, const v1::ListIncidentsRequest& request,
                                  Done<v1::ListIncidentsResponse> done) {
  absl::Status valid = ValidateListIncidentsRequest(request);
  if (!valid.ok()) return done(valid);
  const std::string fingerprint = Fingerprint(request);
  absl::StatusOr<std::string> carried = DecodePageToken(request.page_token(), fingerprint);
  if (!carried.ok()) return done(carried.status());
  absl::StatusOr<IncidentCursor> after = ParseCursor(*carried);
  if (!after.ok()) return done(after.status());
  const int page_size = *EffectivePageSize(request.page_size());
  AuthorizeAny(call, IncidentReaders(), "", "incidents", request, false,
               [this, &request, fingerprint, after = *std::move(after), page_size,
                done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
                 if (!grant.ok()) return done(grant.status());
                 IncidentFilter filter;
                 filter.state = request.state();
                 filter.open_breaches = request.open_breaches();
                 filter.notification_overdue = request.notification_overdue();
                 filter.now = clock_.Now();
                 absl::StatusOr<std::vector<Incident>> found =
                     store_.ListIncidents(filter, after, page_size + 1);
                 if (!found.ok()) return done(found.status());
                 v1::ListIncidentsResponse response;
                 for (Incident& incident : *found) {
                   if (response.incidents_size() == page_size) {
                     response.set_next_page_token(
                         EncodePageToken(CursorOf(response.incidents(page_size - 1)), fingerprint));
                     break;
                   }
                   *response.add_incidents() = ShownForm(std::move(incident), filter.now);
                 }
                 done(std::move(response));
               });
}

void AssetRegistry::TransitionIncident(const CallInfo& call,
                                       const v1::TransitionIncidentRequest& request,
                                       Done<Incident> done) {
  absl::Status valid = ValidateTransitionIncidentRequest(request);
  if (!valid.ok()) return done(valid);
  const std::string& name = request.name();
  // First: may the caller handle incidents at all (before they learn whether
  // this one exists or where it stands)?
  AuthorizeAny(
      call, IncidentHandlers(), name, name, request, true,
      [this, &call, &request, &name,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> handler) mutable {
        if (!handler.ok()) return done(handler.status());
        absl::StatusOr<std::optional<Incident>> before = store_.GetIncident(name);
        if (!before.ok()) return done(before.status());
        if (!before->has_value()) return done(IncidentNotFound(name));
        const Incident seen = **before;
        absl::StatusOr<std::string> permission = TransitionPermission(seen, request.to_state());
        if (!permission.ok()) {
          // Refused moves are audited like every refusal.
          return done(Mutate(call, name, "", *handler, [&](Mutation& m) {
            m.field_changes = DiffFields(v1::TransitionIncidentRequest(), request);
            return permission.status();
          }));
        }
        // Then: does the caller hold what this move needs?
        Authorize(
            call, *permission, name, name, request, true,
            [this, &call, &request, &name, seen, permission = *permission,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
              if (!grant.ok()) return done(grant.status());
              const bool escalate_now =
                  request.mark_personal_data_breach() && !seen.personal_data_breach();
              RecipientIfNeeded(
                  holders_, escalate_now,
                  [this, &call, &request, &name, seen, permission, escalate_now,
                   grant = *std::move(grant),
                   done = std::move(done)](absl::StatusOr<BreachRecipient> recipient) {
                    if (!recipient.ok()) return done(recipient.status());
                    Incident moved;
                    absl::Status changed = Mutate(call, name, permission, grant, [&](Mutation& m) {
                      const absl::Time now = clock_.Now();
                      m.attributes["reason"] = request.reason();
                      m.field_changes = DiffFields(v1::TransitionIncidentRequest(), request);
                      ISMS_ASSIGN_OR_RETURN(std::optional<Incident> current,
                                            store_.GetIncident(name));
                      if (!current.has_value()) return IncidentNotFound(name);
                      ISMS_RETURN_IF_ERROR(CheckEtag(name, request.etag(), current->etag()));
                      // The permission was decided on what was read before.
                      if (current->state() != seen.state() ||
                          current->personal_data_breach() != seen.personal_data_breach()) {
                        return absl::AbortedError(
                            absl::StrCat(name, " changed while the move was checked; retry"));
                      }
                      // Whoever reported an incident does not also judge it.
                      if (current->reporter() == call.caller.principal) {
                        return absl::PermissionDeniedError(
                            absl::StrCat(call.caller.principal, " reported ", name,
                                         " and may not move it themselves; another handler must"));
                      }
                      moved = *current;
                      v1::IncidentTransition& step = *moved.add_transitions();
                      step.set_from_state(current->state());
                      step.set_to_state(request.to_state());
                      step.set_actor(call.caller.principal);
                      *step.mutable_transition_time() = ToProto(now);
                      step.set_reason(request.reason());
                      step.set_explanation(grant.explanation);
                      moved.set_state(request.to_state());
                      if (escalate_now) {
                        moved.set_personal_data_breach(true);
                        *moved.mutable_escalation() = EscalationFrom(*recipient, now);
                        m.attributes["escalated_to"] = recipient->principal;
                        m.attributes["escalation_reason"] = recipient->reason;
                      }
                      SetEtag(moved);
                      m.field_changes = DiffFields(*current, moved);
                      m.changes.incidents_updated.push_back(moved);
                      m.description = absl::StrCat(
                          name, " moved from ", v1::IncidentState_Name(current->state()), " to ",
                          v1::IncidentState_Name(request.to_state()),
                          escalate_now
                              ? absl::StrCat(
                                    "; marked a personal data breach and "
                                    "escalated to ",
                                    recipient->principal.empty() ? "nobody" : recipient->principal)
                              : "");
                      return absl::OkStatus();
                    });
                    if (!changed.ok()) return done(changed);
                    done(ShownForm(std::move(moved), clock_.Now()));
                  });
            });
      });
}

void AssetRegistry::RecordBreachNotification(const CallInfo& call,
                                             const v1::RecordBreachNotificationRequest& request,
                                             Done<Incident> done) {
  absl::Status valid = ValidateRecordBreachNotificationRequest(request, clock_.Now());
  if (!valid.ok()) return done(valid);
  const std::string& name = request.name();
  Authorize(
      call, kEscalateIncidents, name, name, request, true,
      [this, &call, &request, &name,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
        if (!grant.ok()) return done(grant.status());
        Incident notified;
        absl::Status changed = Mutate(call, name, kEscalateIncidents, *grant, [&](Mutation& m) {
          const absl::Time now = clock_.Now();
          m.field_changes = DiffFields(v1::RecordBreachNotificationRequest(), request);
          ISMS_ASSIGN_OR_RETURN(std::optional<Incident> current, store_.GetIncident(name));
          if (!current.has_value()) return IncidentNotFound(name);
          ISMS_RETURN_IF_ERROR(CheckEtag(name, request.etag(), current->etag()));
          // The reporter does not close their own breach's clock either.
          if (current->reporter() == call.caller.principal) {
            return absl::PermissionDeniedError(
                absl::StrCat(call.caller.principal, " reported ", name,
                             " and may not record its notification; another handler must"));
          }
          if (!current->personal_data_breach()) {
            return absl::FailedPreconditionError(
                absl::StrCat(name, " is not a personal data breach; only breaches are notified"));
          }
          if (FromProto(request.notification().notify_time()) <
              FromProto(current->discover_time())) {
            return absl::FailedPreconditionError(
                absl::StrCat("notification.notify_time: before ", name, " was discovered"));
          }
          notified = *current;
          v1::BreachNotification& notification = *notified.add_notifications();
          notification = request.notification();
          notification.set_recorded_by(call.caller.principal);
          *notification.mutable_record_time() = ToProto(now);
          SetEtag(notified);
          m.field_changes = DiffFields(*current, notified);
          m.changes.incidents_updated.push_back(notified);
          m.description =
              absl::StrCat("recorded the notification of ", name, " to ",
                           v1::NotificationRecipient_Name(request.notification().recipient()));
          return absl::OkStatus();
        });
        if (!changed.ok()) return done(changed);
        done(ShownForm(std::move(notified), clock_.Now()));
      });
}

}  // namespace isms::asset
