#ifndef ISMS_SERVICES_ASSET_ASSET_STORE_H_
#define ISMS_SERVICES_ASSET_ASSET_STORE_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/outbox/outbox_source.h"
#include "isms/asset/v1/asset_service.pb.h"
#include "isms/asset/v1/risk_service.pb.h"
#include "isms/audit/v1/audit_event.pb.h"

namespace isms::asset {

// Which assets a listing returns; unset members match everything.
struct AssetFilter {
  isms::asset::v1::Classification classification = isms::asset::v1::CLASSIFICATION_UNSPECIFIED;
  isms::asset::v1::InformationKind information_kind = isms::asset::v1::INFORMATION_KIND_UNSPECIFIED;
  // review_time at or before `now`.
  bool review_overdue = false;
  // No attestation, or the last one at or before now - kAttestationPeriod.
  bool attestation_overdue = false;
  absl::Time now = absl::UnixEpoch();
};

// How long an attestation counts: the IAO's judgement is annual.
inline constexpr absl::Duration kAttestationPeriod = absl::Hours(24 * 365);

// True when `asset` passes `filter` (what the store's queries compute, for
// checking their answers and for tests).
bool Matches(const AssetFilter& filter, const isms::asset::v1::Asset& asset);

// Which risks a listing returns; unset members match everything.
struct RiskFilter {
  // Risks naming this asset.
  std::string asset;
  std::string owner;
  isms::asset::v1::RiskBand band = isms::asset::v1::RISK_BAND_UNSPECIFIED;
  // Due for review at `now` (risk_rules.h ReviewDue).
  bool review_due = false;
  absl::Time now = absl::UnixEpoch();
};

// Where a risk listing goes on from: after the risk with this score and name
// (score 26 and "" for the start: scores run 25 down to 1).
struct RiskCursor {
  int score = 26;
  std::string name;
};

// Which incidents a listing returns; unset members match everything.
struct IncidentFilter {
  isms::asset::v1::IncidentState state = isms::asset::v1::INCIDENT_STATE_UNSPECIFIED;
  // Personal data breaches not closed.
  bool open_breaches = false;
  // incident_rules.h NotificationOverdue at `now`.
  bool notification_overdue = false;
  absl::Time now = absl::UnixEpoch();
};

// Where an incident listing goes on from: after this discovery time (Unix
// micros) and name.
struct IncidentCursor {
  int64_t discover_micros = std::numeric_limits<int64_t>::min();
  std::string name;
};

// What the store's risk and incident queries compute, for checking their
// answers.
bool Matches(const RiskFilter& filter, const isms::asset::v1::Risk& risk);
bool Matches(const IncidentFilter& filter, const isms::asset::v1::Incident& incident);

// One transaction's worth of writes.
struct AssetChanges {
  // Inserted; AlreadyExists if the name is taken.
  std::vector<isms::asset::v1::Asset> created;
  // Replaced; NotFound if the name is not stored.
  std::vector<isms::asset::v1::Asset> updated;
  // Removed, with every access record and attestation of theirs; NotFound
  // if the name is not stored.
  std::vector<std::string> deleted;
  // Access records ("assets/{a}/accessRecords/{id}") inserted (AlreadyExists
  // if taken) and replaced (NotFound if not stored).
  std::vector<isms::asset::v1::AccessRecord> access_created;
  std::vector<isms::asset::v1::AccessRecord> access_updated;
  // Attestations ("assets/{a}/attestations/{id}") inserted; AlreadyExists if
  // taken.
  std::vector<isms::asset::v1::Attestation> attestations_created;
  // Risks ("risks/{id}") and incidents ("incidents/{id}") inserted
  // (AlreadyExists if taken) and replaced (NotFound if not stored), in their
  // stored form (risk_rules.h, incident_rules.h: nothing derived).
  std::vector<isms::asset::v1::Risk> risks_created;
  std::vector<isms::asset::v1::Risk> risks_updated;
  std::vector<isms::asset::v1::Incident> incidents_created;
  std::vector<isms::asset::v1::Incident> incidents_updated;
  // Written to the outbox with the changes.
  std::vector<isms::audit::v1::AuditEvent> events;
};

// Durable storage of the asset register and its audit outbox, which it hands
// to the outbox relay (OutboxSource). Implementations are thread-safe.
class AssetStore : public OutboxSource {
 public:
  virtual ~AssetStore() = default;

  // The asset named `name`, or nullopt if none is stored.
  virtual absl::StatusOr<std::optional<isms::asset::v1::Asset>> Get(absl::string_view name) = 0;

  // Up to `limit` assets that pass `filter`, with names after `after` ("" for
  // the start), in name order.
  virtual absl::StatusOr<std::vector<isms::asset::v1::Asset>> List(const AssetFilter& filter,
                                                                   absl::string_view after,
                                                                   int limit) = 0;

  // The names of up to `limit` assets that pass `filter`, after `after`, in
  // name order. Cheaper than List (the records are not read), so a caller
  // that must look at every asset (coverage) reads names only; a name is not
  // a verified record: Get the ones to show.
  virtual absl::StatusOr<std::vector<std::string>> ListNames(const AssetFilter& filter,
                                                             absl::string_view after,
                                                             int limit) = 0;

  // How many assets pass `filter`.
  virtual absl::StatusOr<int64_t> Count(const AssetFilter& filter) = 0;

  // The access record named `name`, or nullopt.
  virtual absl::StatusOr<std::optional<isms::asset::v1::AccessRecord>> GetAccessRecord(
      absl::string_view name) = 0;

  // Up to `limit` access records of asset `asset` ("assets/{id}"; "" for
  // every asset) and principal `principal` ("" for every principal), with
  // names after `after`, in name order. Records are returned as stored:
  // ended and revoked ones included, active and to_be_removed unset.
  virtual absl::StatusOr<std::vector<isms::asset::v1::AccessRecord>> ListAccessRecords(
      absl::string_view asset, absl::string_view principal, absl::string_view after, int limit) = 0;

  // Up to `limit` attestations of asset `asset` with names after `after`, in
  // name order.
  virtual absl::StatusOr<std::vector<isms::asset::v1::Attestation>> ListAttestations(
      absl::string_view asset, absl::string_view after, int limit) = 0;

  // The risk named `name` in its stored form, or nullopt.
  virtual absl::StatusOr<std::optional<isms::asset::v1::Risk>> GetRisk(absl::string_view name) = 0;

  // Up to `limit` risks passing `filter`, after `after`, highest score first
  // (likelihood x impact), then by name; in their stored form.
  virtual absl::StatusOr<std::vector<isms::asset::v1::Risk>> ListRisks(const RiskFilter& filter,
                                                                       const RiskCursor& after,
                                                                       int limit) = 0;

  // The incident named `name` in its stored form, or nullopt.
  virtual absl::StatusOr<std::optional<isms::asset::v1::Incident>> GetIncident(
      absl::string_view name) = 0;

  // Up to `limit` incidents passing `filter`, after `after`, oldest
  // discovery first (a breach's deadline follows its discovery), then by
  // name.
  virtual absl::StatusOr<std::vector<isms::asset::v1::Incident>> ListIncidents(
      const IncidentFilter& filter, const IncidentCursor& after, int limit) = 0;

  // Writes all of `changes` in one durable transaction: when this returns OK
  // they survive a crash; otherwise none of them was made.
  virtual absl::Status Commit(const AssetChanges& changes) = 0;
};

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ASSET_STORE_H_
