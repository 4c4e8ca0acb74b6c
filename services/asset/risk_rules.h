#ifndef ISMS_SERVICES_ASSET_RISK_RULES_H_
#define ISMS_SERVICES_ASSET_RISK_RULES_H_

#include "absl/time/time.h"
#include "isms/asset/v1/risk_service.pb.h"

namespace isms::asset {

// likelihood x impact. REQUIRES: both 1..5 (0 when either is out of range).
int RiskScoreOf(int likelihood, int impact);

// The band of a score 1..25: LOW 1-4, MEDIUM 5-9, HIGH 10-14, VERY_HIGH
// 15-25; UNSPECIFIED outside 1..25.
isms::asset::v1::RiskBand BandOf(int score);

// The lowest and highest score of `band`; {0, 0} for UNSPECIFIED.
struct ScoreRange {
  int low = 0;
  int high = 0;
};
ScoreRange ScoresOf(isms::asset::v1::RiskBand band);

// The acceptance is in force at `now`: the treatment is ACCEPT, it has not
// expired, and the risk is scored as it was accepted.
bool AcceptanceInForce(const isms::asset::v1::Risk& risk, absl::Time now);

// Due for review at `now`: next_review_time has passed, or the risk was
// accepted and the acceptance has expired.
bool ReviewDue(const isms::asset::v1::Risk& risk, absl::Time now);

// The risk as stored: every output-only value derived from others (score,
// band, the scores in its history, in_force, review_due) cleared, so nothing
// derived is kept apart from its inputs.
isms::asset::v1::Risk StoredForm(isms::asset::v1::Risk risk);

// The risk as shown at `now`: the derived values filled in.
isms::asset::v1::Risk ShownForm(isms::asset::v1::Risk risk, absl::Time now);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_RISK_RULES_H_
