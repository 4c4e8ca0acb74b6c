#include "services/asset/asset_validation.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"

namespace isms::asset {
namespace {

using isms::asset::v1::Asset;

std::string Field(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// The fields UpdateAsset may change, as update_mask paths.
const std::set<std::string>& UpdatablePaths() {
  static const auto* paths = new std::set<std::string>{
      "title",     "description",           "classification",  "information_kinds", "location",
      "retention", "retention.period_days", "retention.basis", "review_time"};
  return *paths;
}

absl::Status ValidateClassification(absl::string_view field, v1::Classification value,
                                    bool required) {
  if (value == v1::CLASSIFICATION_UNSPECIFIED) {
    return required ? Invalid(field, "required") : absl::OkStatus();
  }
  if (!v1::Classification_IsValid(value)) {
    return Invalid(field, absl::StrCat("unknown classification ", static_cast<int>(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateKind(absl::string_view field, v1::InformationKind value, bool required) {
  if (value == v1::INFORMATION_KIND_UNSPECIFIED) {
    return required ? Invalid(field, "required") : absl::OkStatus();
  }
  if (!v1::InformationKind_IsValid(value)) {
    return Invalid(field, absl::StrCat("unknown kind of information ", static_cast<int>(value)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAsset(const Asset& asset, absl::string_view prefix, absl::Time now) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName(Field(prefix, "name"), asset.name(), "assets"));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "title"), asset.title(), kMaxShortTextLength, true));
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "description"), asset.description(), kMaxLongTextLength, false));
  ISMS_RETURN_IF_ERROR(
      ValidateClassification(Field(prefix, "classification"), asset.classification(), true));
  const std::string kinds = Field(prefix, "information_kinds");
  if (asset.information_kinds_size() == 0) return Invalid(kinds, "required: at least one kind");
  std::set<int> seen;
  for (int i = 0; i < asset.information_kinds_size(); ++i) {
    const std::string at = absl::StrCat(kinds, "[", i, "]");
    ISMS_RETURN_IF_ERROR(ValidateKind(at, asset.information_kinds(i), true));
    if (!seen.insert(asset.information_kinds(i)).second) {
      return Invalid(
          at, absl::StrCat("duplicate ", v1::InformationKind_Name(asset.information_kinds(i))));
    }
  }
  ISMS_RETURN_IF_ERROR(
      ValidateText(Field(prefix, "location"), asset.location(), kMaxShortTextLength, true));
  const int days = asset.retention().period_days();
  if (days < 0 || days > kMaxRetentionDays) {
    return Invalid(Field(prefix, "retention.period_days"),
                   absl::StrCat("want 0 (not set) to ", kMaxRetentionDays));
  }
  ISMS_RETURN_IF_ERROR(ValidateText(Field(prefix, "retention.basis"), asset.retention().basis(),
                                    kMaxShortTextLength, false));
  const std::string review = Field(prefix, "review_time");
  if (!asset.has_review_time()) return Invalid(review, "required");
  if (!IsValidTimestamp(asset.review_time())) return Invalid(review, "not a valid timestamp");
  if (FromProto(asset.review_time()) > now + kMaxReviewAhead) {
    return Invalid(review, "more than ten years ahead");
  }
  return absl::OkStatus();
}

absl::Status ValidateCreateAssetRequest(const v1::CreateAssetRequest& request, absl::Time now) {
  if (!request.asset_id().empty()) ISMS_RETURN_IF_ERROR(ValidateId("asset_id", request.asset_id()));
  Asset asset = request.asset();
  // The name comes from asset_id (or the service); any placeholder passes.
  asset.set_name("assets/new");
  return ValidateAsset(asset, "asset", now);
}

absl::Status ValidateUpdateAssetRequest(const v1::UpdateAssetRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("asset.name", request.asset().name(), "assets"));
  if (request.update_mask().paths_size() == 0) {
    return Invalid("update_mask", "required; name the fields to change");
  }
  for (const std::string& path : request.update_mask().paths()) {
    if (UpdatablePaths().count(path) == 0) {
      return Invalid("update_mask",
                     absl::StrCat("field '", path.substr(0, 64), "' cannot be updated"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateListAssetsRequest(const v1::ListAssetsRequest& request) {
  ISMS_RETURN_IF_ERROR(EffectivePageSize(request.page_size()).status());
  ISMS_RETURN_IF_ERROR(ValidateClassification("classification", request.classification(), false));
  ISMS_RETURN_IF_ERROR(ValidateKind("information_kind", request.information_kind(), false));
  ISMS_RETURN_IF_ERROR(ValidateOptionalResourceName("owner", request.owner(), "principals"));
  if (!request.owner().empty() && request.no_owner()) {
    return Invalid("no_owner", "cannot be combined with owner");
  }
  return absl::OkStatus();
}

absl::Status ValidateGetAssetCoverageRequest(const v1::GetAssetCoverageRequest& request) {
  return EffectivePageSize(request.page_size()).status();
}

}  // namespace isms::asset
