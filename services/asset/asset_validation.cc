#include "services/asset/asset_validation.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

absl::Status ValidateTimestamp(absl::string_view field, const google::protobuf::Timestamp& time) {
  return IsValidTimestamp(time) ? absl::OkStatus() : Invalid(field, "not a valid timestamp");
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

absl::Status ValidateCreateAccessRecordRequest(const v1::CreateAccessRecordRequest& request,
                                               absl::Time now) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("parent", request.parent(), "assets"));
  const v1::AccessRecord& record = request.access_record();
  ISMS_RETURN_IF_ERROR(
      ValidateResourceName("access_record.principal", record.principal(), "principals"));
  if (record.level() == v1::ACCESS_LEVEL_UNSPECIFIED) {
    return Invalid("access_record.level", "required");
  }
  if (!v1::AccessLevel_IsValid(record.level())) {
    return Invalid("access_record.level",
                   absl::StrCat("unknown access level ", static_cast<int>(record.level())));
  }
  ISMS_RETURN_IF_ERROR(ValidateText("access_record.justification", record.justification(),
                                    kMaxLongTextLength, true));
  absl::Time start = now;
  if (record.has_start_time()) {
    ISMS_RETURN_IF_ERROR(ValidateTimestamp("access_record.start_time", record.start_time()));
    start = FromProto(record.start_time());
    if (start < now - kAccessStartTolerance) {
      return Invalid("access_record.start_time",
                     "lies in the past: access is recorded from when it is granted");
    }
  }
  if (!record.has_end_time()) return Invalid("access_record.end_time", "required");
  ISMS_RETURN_IF_ERROR(ValidateTimestamp("access_record.end_time", record.end_time()));
  const absl::Time end = FromProto(record.end_time());
  if (end <= start) return Invalid("access_record.end_time", "must be after the start");
  if (end - start > kMaxAccessDuration) {
    return Invalid("access_record.end_time", "at most five years after the start");
  }
  return absl::OkStatus();
}

absl::Status ValidateAccessRecordName(absl::string_view field, absl::string_view name,
                                      std::string* asset) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "assets" || parts[2] != "accessRecords") {
    return Invalid(field, "must be assets/{asset}/accessRecords/{id}");
  }
  ISMS_RETURN_IF_ERROR(ValidateId(field, parts[1]));
  ISMS_RETURN_IF_ERROR(ValidateId(field, parts[3]));
  *asset = absl::StrCat("assets/", parts[1]);
  return absl::OkStatus();
}

absl::Status ValidateRevokeAccessRecordRequest(const v1::RevokeAccessRecordRequest& request) {
  std::string asset;
  ISMS_RETURN_IF_ERROR(ValidateAccessRecordName("name", request.name(), &asset));
  return ValidateText("reason", request.reason(), kMaxLongTextLength, true);
}

absl::Status ValidateListAccessRecordsRequest(const v1::ListAccessRecordsRequest& request) {
  if (request.parent() != "assets/-") {
    ISMS_RETURN_IF_ERROR(ValidateResourceName("parent", request.parent(), "assets"));
  } else if (request.principal().empty()) {
    return Invalid("principal", "required with parent assets/-");
  }
  ISMS_RETURN_IF_ERROR(
      ValidateOptionalResourceName("principal", request.principal(), "principals"));
  return EffectivePageSize(request.page_size()).status();
}

absl::Status ValidateCreateAttestationRequest(const v1::CreateAttestationRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("parent", request.parent(), "assets"));
  ISMS_RETURN_IF_ERROR(ValidateText("attestation.security_judgement",
                                    request.attestation().security_judgement(), kMaxLongTextLength,
                                    true));
  return ValidateText("attestation.use_judgement", request.attestation().use_judgement(),
                      kMaxLongTextLength, true);
}

absl::Status ValidateListAttestationsRequest(const v1::ListAttestationsRequest& request) {
  ISMS_RETURN_IF_ERROR(ValidateResourceName("parent", request.parent(), "assets"));
  return EffectivePageSize(request.page_size()).status();
}

absl::Status ValidateGetAssetCoverageRequest(const v1::GetAssetCoverageRequest& request) {
  return EffectivePageSize(request.page_size()).status();
}

}  // namespace isms::asset
