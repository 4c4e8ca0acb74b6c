#ifndef ISMS_SERVICES_ASSET_ASSET_VALIDATION_H_
#define ISMS_SERVICES_ASSET_ASSET_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "isms/asset/v1/asset_service.pb.h"

namespace isms::asset {

// Field checks of the asset service's requests. Each returns OK or
// InvalidArgument whose message starts with the field at fault (with
// `prefix`, e.g. "asset.title"). They check shape only; whether a named asset
// exists is the registry's job (NOT_FOUND).

// The longest ahead a review may be set, and the longest retention.
inline constexpr absl::Duration kMaxReviewAhead = absl::Hours(24 * 3653);
inline constexpr int kMaxRetentionDays = 36500;

// An asset's writable fields, and its name ("assets/<id>"). `now` bounds
// review_time.
absl::Status ValidateAsset(const isms::asset::v1::Asset& asset, absl::string_view prefix,
                           absl::Time now);

// A CreateAssetRequest: asset_id (empty: the service chooses) and the asset
// as ValidateAsset, the name left out (it comes from asset_id).
absl::Status ValidateCreateAssetRequest(const isms::asset::v1::CreateAssetRequest& request,
                                        absl::Time now);

// An UpdateAssetRequest's name and mask: the mask is required and names only
// updatable fields. The updated asset is checked with ValidateAsset.
absl::Status ValidateUpdateAssetRequest(const isms::asset::v1::UpdateAssetRequest& request);

// A ListAssetsRequest's filters and page size (the token is checked against
// the filters when decoded).
absl::Status ValidateListAssetsRequest(const isms::asset::v1::ListAssetsRequest& request);

// The longest an access record may run: access is always reviewed.
inline constexpr absl::Duration kMaxAccessDuration = absl::Hours(24 * (5 * 365 + 1));
// How far in the past an access record may start: recording access as if it
// had been granted earlier is refused beyond clock skew.
inline constexpr absl::Duration kAccessStartTolerance = absl::Minutes(5);

// A CreateAccessRecordRequest: parent "assets/{id}", the record's principal
// ("principals/{id}"), level, justification (required), start_time (unset
// or not before now - kAccessStartTolerance), end_time (required, after the
// start, at most kMaxAccessDuration after it). Output-only fields are
// ignored.
absl::Status ValidateCreateAccessRecordRequest(
    const isms::asset::v1::CreateAccessRecordRequest& request, absl::Time now);

// A resource name "assets/{asset}/accessRecords/{id}" in `field`; on success
// sets *asset to "assets/{asset}".
absl::Status ValidateAccessRecordName(absl::string_view field, absl::string_view name,
                                      std::string* asset);

// A RevokeAccessRecordRequest: the name, and the reason (required).
absl::Status ValidateRevokeAccessRecordRequest(
    const isms::asset::v1::RevokeAccessRecordRequest& request);

// A ListAccessRecordsRequest: parent "assets/{id}" or "assets/-" (which
// requires principal), principal if set, page size.
absl::Status ValidateListAccessRecordsRequest(
    const isms::asset::v1::ListAccessRecordsRequest& request);

// A CreateAttestationRequest: parent "assets/{id}", security_judgement and
// use_judgement (required). Output-only fields are ignored.
absl::Status ValidateCreateAttestationRequest(
    const isms::asset::v1::CreateAttestationRequest& request);

// A ListAttestationsRequest: parent "assets/{id}", page size.
absl::Status ValidateListAttestationsRequest(
    const isms::asset::v1::ListAttestationsRequest& request);

// page_size as ListAssets'.
absl::Status ValidateGetAssetCoverageRequest(
    const isms::asset::v1::GetAssetCoverageRequest& request);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ASSET_VALIDATION_H_
