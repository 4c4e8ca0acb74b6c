// AssetRegistry: the risk register (risks/{id}).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/api/etag.h"
#include "common/api/field_mask.h"
#include "common/api/page_token.h"
#include "common/audit/field_changes.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/asset/asset_registry.h"
#include "services/asset/permissions.h"
#include "services/asset/risk_rules.h"
#include "services/asset/risk_validation.h"

namespace isms::asset {
namespace {

using v1::Risk;

// Who reads the register: readers of the asset register (ISM, SIRO, DSIRO,
// ...) and process owners. Asked in this order, so most readers cost one
// CheckPermission (a process owner three).
std::vector<std::string> RiskReaders() { return {kReadAssets, kManageRisks, kUpdateRisks}; }
// Who keeps it: the SIRO and process owners.
std::vector<std::string> RiskKeepers() { return {kManageRisks, kUpdateRisks}; }
constexpr char kKeepersAudited[] = "isms.risks.manage|isms.risks.update";

absl::Status RiskNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

std::string Fingerprint(const v1::ListRisksRequest& request) {
  return absl::StrCat("risks|", request.asset(), "|", request.owner(), "|", request.band(), "|",
                      request.review_due() ? 1 : 0);
}

// A page token carries the last risk's score and name: "NN" then the name.
std::string CursorOf(const Risk& risk) {
  return absl::StrFormat("%02d%s", RiskScoreOf(risk.likelihood(), risk.impact()), risk.name());
}

absl::StatusOr<RiskCursor> ParseCursor(const std::string& carried) {
  RiskCursor cursor;
  if (carried.empty()) return cursor;
  int score = 0;
  if (carried.size() < 3 || !absl::SimpleAtoi(carried.substr(0, 2), &score) || score < 1 ||
      score > 25) {
    return absl::InvalidArgumentError("page_token: not a risk listing's token");
  }
  cursor.score = score;
  cursor.name = carried.substr(2);
  return cursor;
}

// The owner must hold roles/po, or roles/iao for every asset the risk names,
// in force now.
absl::Status OwnerMayOwn(const Risk& risk, const std::vector<HeldRole>& held) {
  for (const HeldRole& role : held) {
    if (role.role == kPoRole) return absl::OkStatus();
  }
  std::vector<std::string> missing;
  for (const std::string& asset : risk.assets()) {
    bool holds = false;
    for (const HeldRole& role : held)
      holds = holds || (role.role == kIaoRole && role.scope == asset);
    if (!holds) missing.push_back(asset);
  }
  if (!risk.assets().empty() && missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("risk.owner: ", risk.owner(), " holds neither ", kPoRole, " nor ", kIaoRole,
                   risk.assets().empty() ? " (an organisation-wide risk needs a process owner)"
                                         : absl::StrCat(" for ", absl::StrJoin(missing, ", ")),
                   " in the role service now"));
}

absl::Status AssetsInRegister(AssetStore& store,
                              const google::protobuf::RepeatedPtrField<std::string>& assets,
                              absl::string_view field) {
  for (int i = 0; i < assets.size(); ++i) {
    ISMS_ASSIGN_OR_RETURN(std::optional<v1::Asset> asset, store.Get(assets[i]));
    if (!asset.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, "[", i, "]: ", assets[i], " is not in the register"));
    }
  }
  return absl::OkStatus();
}

v1::RiskScore Scoring(const Risk& risk, const std::string& by, absl::Time now) {
  v1::RiskScore score;
  score.set_likelihood(risk.likelihood());
  score.set_impact(risk.impact());
  score.set_scored_by(by);
  *score.mutable_score_time() = ToProto(now);
  return score;
}

}  // namespace

void AssetRegistry::GetRisk(const CallInfo& call, const v1::GetRiskRequest& request,
                            Done<Risk> done) {
  absl::Status valid = ValidateResourceName("name", request.name(), "risks");
  if (!valid.ok()) return done(valid);
  AuthorizeAny(
      call, RiskReaders(), request.name(), request.name(), request, false,
      [this, &request, done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
        if (!grant.ok()) return done(grant.status());
        absl::StatusOr<std::optional<Risk>> found = store_.GetRisk(request.name());
        if (!found.ok()) return done(found.status());
        if (!found->has_value()) return done(RiskNotFound(request.name()));
        done(ShownForm(**std::move(found), clock_.Now()));
      });
}

void AssetRegistry::ListRisks(const CallInfo& call, const v1::ListRisksRequest& request,
                              Done<v1::ListRisksResponse> done) {
  absl::Status valid = ValidateListRisksRequest(request);
  if (!valid.ok()) return done(valid);
  const std::string fingerprint = Fingerprint(request);
  absl::StatusOr<std::string> carried = DecodePageToken(request.page_token(), fingerprint);
  if (!carried.ok()) return done(carried.status());
  absl::StatusOr<RiskCursor> after = ParseCursor(*carried);
  if (!after.ok()) return done(after.status());
  const int page_size = *EffectivePageSize(request.page_size());
  AuthorizeAny(call, RiskReaders(), "", "risks", request, false,
               [this, &request, fingerprint, after = *std::move(after), page_size,
                done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
                 if (!grant.ok()) return done(grant.status());
                 RiskFilter filter;
                 filter.asset = request.asset();
                 filter.owner = request.owner();
                 filter.band = request.band();
                 filter.review_due = request.review_due();
                 filter.now = clock_.Now();
                 absl::StatusOr<std::vector<Risk>> found =
                     store_.ListRisks(filter, after, page_size + 1);
                 if (!found.ok()) return done(found.status());
                 v1::ListRisksResponse response;
                 for (Risk& risk : *found) {
                   if (response.risks_size() == page_size) {
                     response.set_next_page_token(
                         EncodePageToken(CursorOf(response.risks(page_size - 1)), fingerprint));
                     break;
                   }
                   *response.add_risks() = ShownForm(std::move(risk), filter.now);
                 }
                 done(std::move(response));
               });
}

void AssetRegistry::CreateRisk(const CallInfo& call, const v1::CreateRiskRequest& request,
                               Done<Risk> done) {
  absl::Status valid = ValidateCreateRiskRequest(request, clock_.Now());
  if (!valid.ok()) return done(valid);
  const std::string name =
      absl::StrCat("risks/", request.risk_id().empty() ? NewId() : request.risk_id());
  AuthorizeAny(
      call, RiskKeepers(), name, name, request, true,
      [this, &call, &request, name,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
        if (!grant.ok()) return done(grant.status());
        holders_.RolesOf(
            request.risk().owner(),
            [this, &call, &request, name, grant = *std::move(grant),
             done = std::move(done)](absl::StatusOr<std::vector<HeldRole>> held) {
              if (!held.ok()) return done(held.status());
              Risk risk;
              absl::Status created = Mutate(call, name, kKeepersAudited, grant, [&](Mutation& m) {
                const absl::Time now = clock_.Now();
                risk = request.risk();
                risk.set_name(name);
                m.field_changes = DiffFields(Risk(), risk);
                ISMS_ASSIGN_OR_RETURN(std::optional<Risk> current, store_.GetRisk(name));
                if (current.has_value()) {
                  return absl::AlreadyExistsError(absl::StrCat(name, " already exists"));
                }
                ISMS_RETURN_IF_ERROR(AssetsInRegister(store_, risk.assets(), "risk.assets"));
                ISMS_RETURN_IF_ERROR(OwnerMayOwn(risk, *held));
                risk.clear_acceptance();
                risk.clear_score_history();
                *risk.add_score_history() = Scoring(risk, call.caller.principal, now);
                *risk.mutable_create_time() = ToProto(now);
                *risk.mutable_update_time() = risk.create_time();
                risk = StoredForm(std::move(risk));
                SetEtag(risk);
                m.field_changes = DiffFields(Risk(), risk);
                m.changes.risks_created.push_back(risk);
                m.description = absl::StrCat("created ", name, " scored ",
                                             RiskScoreOf(risk.likelihood(), risk.impact()));
                return absl::OkStatus();
              });
              if (!created.ok()) return done(created);
              done(ShownForm(std::move(risk), clock_.Now()));
            });
      });
}

void AssetRegistry::UpdateRisk(const CallInfo& call, const v1::UpdateRiskRequest& request,
                               Done<Risk> done) {
  absl::Status valid = ValidateUpdateRiskRequest(request, clock_.Now());
  if (!valid.ok()) return done(valid);
  const std::string& name = request.risk().name();
  AuthorizeAny(
      call, RiskKeepers(), name, name, request, true,
      [this, &call, &request, &name,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
        if (!grant.ok()) return done(grant.status());
        // The owner the update leaves is asked about before the write; the
        // write checks it is still the one asked about.
        absl::StatusOr<std::optional<Risk>> before = store_.GetRisk(name);
        if (!before.ok()) return done(before.status());
        if (!before->has_value()) return done(RiskNotFound(name));
        Risk planned = **before;
        ApplyUpdateMask(request.risk(), request.update_mask(), &planned);
        const std::string owner = planned.owner();
        holders_.RolesOf(
            owner, [this, &call, &request, &name, owner, grant = *std::move(grant),
                    done = std::move(done)](absl::StatusOr<std::vector<HeldRole>> held) {
              if (!held.ok()) return done(held.status());
              Risk updated;
              absl::Status changed = Mutate(call, name, kKeepersAudited, grant, [&](Mutation& m) {
                const absl::Time now = clock_.Now();
                m.attributes["update_mask"] = MaskPaths(request.update_mask());
                ISMS_ASSIGN_OR_RETURN(std::optional<Risk> current, store_.GetRisk(name));
                {
                  Risk asked = current.value_or(Risk());
                  ApplyUpdateMask(request.risk(), request.update_mask(), &asked);
                  m.field_changes = DiffFields(current.value_or(Risk()), asked);
                }
                if (!current.has_value()) return RiskNotFound(name);
                ISMS_RETURN_IF_ERROR(CheckEtag(name, request.risk().etag(), current->etag()));
                updated = *current;
                ApplyUpdateMask(request.risk(), request.update_mask(), &updated);
                updated = StoredForm(std::move(updated));
                ISMS_RETURN_IF_ERROR(ValidateRisk(updated, "risk", now));
                if (updated.owner() != owner) {
                  return absl::AbortedError(
                      absl::StrCat(name, " changed while its owner was checked; retry"));
                }
                bool owner_or_assets = false;
                for (const std::string& path : request.update_mask().paths()) {
                  owner_or_assets = owner_or_assets || path == "owner" || path == "assets";
                  if (path == "assets") {
                    ISMS_RETURN_IF_ERROR(AssetsInRegister(store_, updated.assets(), "risk.assets"));
                  }
                }
                if (owner_or_assets) ISMS_RETURN_IF_ERROR(OwnerMayOwn(updated, *held));
                updated.set_etag(current->etag());
                const bool rescored = updated.likelihood() != current->likelihood() ||
                                      updated.impact() != current->impact();
                if (!rescored && updated.SerializeAsString() == current->SerializeAsString()) {
                  return absl::OkStatus();  // Nothing to write.
                }
                // Every scoring is kept, with who and when.
                if (rescored)
                  *updated.add_score_history() = Scoring(updated, call.caller.principal, now);
                // An acceptance was given for this owner: a new owner ends it
                // (handing the risk to whoever accepted it must not leave
                // them an acceptance of their own risk). The audit event
                // keeps what it was. A re-score keeps the record but ends it
                // for good (AcceptanceInForce).
                if (updated.has_acceptance() && updated.owner() != current->owner()) {
                  updated.clear_acceptance();
                }
                *updated.mutable_update_time() = ToProto(now);
                SetEtag(updated);
                m.field_changes = DiffFields(*current, updated);
                m.changes.risks_updated.push_back(updated);
                m.description =
                    absl::StrCat("updated ", name, " (", MaskPaths(request.update_mask()), ")");
                return absl::OkStatus();
              });
              if (!changed.ok()) return done(changed);
              if (updated.name().empty()) return done(RiskNotFound(name));
              done(ShownForm(std::move(updated), clock_.Now()));
            });
      });
}

void AssetRegistry::AcceptRisk(const CallInfo& call, const v1::AcceptRiskRequest& request,
                               Done<Risk> done) {
  absl::Status valid = ValidateAcceptRiskRequest(request, clock_.Now());
  if (!valid.ok()) return done(valid);
  const std::string& name = request.name();
  Authorize(call, kAcceptRisks, name, name, request, true,
            [this, &call, &request, &name,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
              if (!grant.ok()) return done(grant.status());
              Risk accepted;
              absl::Status changed = Mutate(call, name, kAcceptRisks, *grant, [&](Mutation& m) {
                const absl::Time now = clock_.Now();
                m.attributes["justification"] = request.justification();
                ISMS_ASSIGN_OR_RETURN(std::optional<Risk> current, store_.GetRisk(name));
                if (!current.has_value()) return RiskNotFound(name);
                // Whoever owns a risk does not also judge it acceptable: the
                // owner must be changed first (or another holder accept).
                if (current->owner() == call.caller.principal) {
                  return absl::PermissionDeniedError(
                      absl::StrCat(call.caller.principal, " owns ", name,
                                   " and may not accept it; nobody accepts a risk they own"));
                }
                ISMS_RETURN_IF_ERROR(CheckEtag(name, request.etag(), current->etag()));
                accepted = *current;
                accepted.set_treatment(v1::RISK_TREATMENT_ACCEPT);
                if (accepted.treatment_plan().empty()) {
                  accepted.set_treatment_plan(absl::StrCat("Accepted: ", request.justification()));
                }
                v1::RiskAcceptance& acceptance = *accepted.mutable_acceptance();
                acceptance.Clear();
                acceptance.set_accepted_by(call.caller.principal);
                *acceptance.mutable_accept_time() = ToProto(now);
                *acceptance.mutable_accepted_score() =
                    Scoring(*current, call.caller.principal, now);
                *acceptance.mutable_expire_time() = request.expire_time();
                acceptance.set_justification(request.justification());
                acceptance.set_explanation(grant->explanation);
                *accepted.mutable_update_time() = ToProto(now);
                accepted = StoredForm(std::move(accepted));
                SetEtag(accepted);
                m.field_changes = DiffFields(*current, accepted);
                m.changes.risks_updated.push_back(accepted);
                m.description = absl::StrCat(
                    "accepted ", name, " at score ",
                    RiskScoreOf(accepted.likelihood(), accepted.impact()), " until ",
                    absl::FormatTime(absl::RFC3339_sec, FromProto(request.expire_time()),
                                     absl::UTCTimeZone()));
                return absl::OkStatus();
              });
              if (!changed.ok()) return done(changed);
              done(ShownForm(std::move(accepted), clock_.Now()));
            });
}

}  // namespace isms::asset
