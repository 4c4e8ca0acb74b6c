#ifndef ISMS_SERVICES_ASSET_ASSET_STORE_H_
#define ISMS_SERVICES_ASSET_ASSET_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/outbox/outbox_source.h"
#include "isms/asset/v1/asset_service.pb.h"
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

  // Writes all of `changes` in one durable transaction: when this returns OK
  // they survive a crash; otherwise none of them was made.
  virtual absl::Status Commit(const AssetChanges& changes) = 0;
};

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ASSET_STORE_H_
