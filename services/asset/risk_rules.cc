#include "services/asset/risk_rules.h"

#include "common/time/proto_time.h"

namespace isms::asset {

int RiskScoreOf(int likelihood, int impact) {
  if (likelihood < 1 || likelihood > 5 || impact < 1 || impact > 5) return 0;
  return likelihood * impact;
}

v1::RiskBand BandOf(int score) {
  if (score < 1 || score > 25) return v1::RISK_BAND_UNSPECIFIED;
  if (score <= 4) return v1::RISK_BAND_LOW;
  if (score <= 9) return v1::RISK_BAND_MEDIUM;
  if (score <= 14) return v1::RISK_BAND_HIGH;
  return v1::RISK_BAND_VERY_HIGH;
}

ScoreRange ScoresOf(v1::RiskBand band) {
  switch (band) {
    case v1::RISK_BAND_LOW:
      return {1, 4};
    case v1::RISK_BAND_MEDIUM:
      return {5, 9};
    case v1::RISK_BAND_HIGH:
      return {10, 14};
    case v1::RISK_BAND_VERY_HIGH:
      return {15, 25};
    default:
      return {0, 0};
  }
}

bool AcceptanceInForce(const v1::Risk& risk, absl::Time now) {
  if (risk.treatment() != v1::RISK_TREATMENT_ACCEPT || !risk.has_acceptance()) return false;
  const v1::RiskAcceptance& acceptance = risk.acceptance();
  // Nobody's acceptance of a risk they own counts, and one given before a
  // re-score stays ended even if the old score comes back.
  if (acceptance.accepted_by() == risk.owner()) return false;
  for (const v1::RiskScore& scoring : risk.score_history()) {
    if (FromProto(scoring.score_time()) > FromProto(acceptance.accept_time())) return false;
  }
  return now < FromProto(acceptance.expire_time()) &&
         acceptance.accepted_score().likelihood() == risk.likelihood() &&
         acceptance.accepted_score().impact() == risk.impact();
}

bool ReviewDue(const v1::Risk& risk, absl::Time now) {
  if (FromProto(risk.next_review_time()) <= now) return true;
  return risk.treatment() == v1::RISK_TREATMENT_ACCEPT && !AcceptanceInForce(risk, now);
}

v1::Risk StoredForm(v1::Risk risk) {
  risk.clear_score();
  risk.clear_band();
  risk.clear_review_due();
  for (v1::RiskScore& score : *risk.mutable_score_history()) score.clear_score();
  if (risk.has_acceptance()) {
    risk.mutable_acceptance()->clear_in_force();
    risk.mutable_acceptance()->mutable_accepted_score()->clear_score();
  }
  return risk;
}

v1::Risk ShownForm(v1::Risk risk, absl::Time now) {
  risk.set_score(RiskScoreOf(risk.likelihood(), risk.impact()));
  risk.set_band(BandOf(risk.score()));
  for (v1::RiskScore& score : *risk.mutable_score_history()) {
    score.set_score(RiskScoreOf(score.likelihood(), score.impact()));
  }
  if (risk.has_acceptance()) {
    v1::RiskScore* accepted = risk.mutable_acceptance()->mutable_accepted_score();
    accepted->set_score(RiskScoreOf(accepted->likelihood(), accepted->impact()));
    risk.mutable_acceptance()->set_in_force(AcceptanceInForce(risk, now));
  }
  risk.set_review_due(ReviewDue(risk, now));
  return risk;
}

}  // namespace isms::asset
