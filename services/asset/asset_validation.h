#ifndef ISMS_SERVICES_ASSET_ASSET_VALIDATION_H_
#define ISMS_SERVICES_ASSET_ASSET_VALIDATION_H_

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

// page_size as ListAssets'.
absl::Status ValidateGetAssetCoverageRequest(
    const isms::asset::v1::GetAssetCoverageRequest& request);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ASSET_VALIDATION_H_
