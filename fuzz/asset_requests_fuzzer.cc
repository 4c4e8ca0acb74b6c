// Fuzzes the asset service's request validators (services/asset/
// asset_validation.h and the common checks the registry applies first) the
// way the registry calls them, before it asks the role service anything. The
// first input byte picks the request type (below 0xE0: an asset request,
// byte % 10; from 0xE0: a risk or incident request, (byte - 0xE0) % 10, so
// the seeds made before risks keep their meaning); the rest is parsed as that
// request in protobuf binary form. Invariants: no crash, no sanitizer report, and
// every refusal is INVALID_ARGUMENT (validators check shape only).

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "common/api/field_mask.h"
#include "common/api/page_token.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "fuzz/request_fuzzing.h"
#include "isms/asset/v1/asset_service.pb.h"
#include "isms/asset/v1/risk_service.pb.h"
#include "services/asset/asset_validation.h"
#include "services/asset/risk_validation.h"

namespace {

namespace v1 = ::isms::asset::v1;
using ::isms::fuzzing::ExpectValidationCode;
using ::isms::fuzzing::Parse;

// A fixed "now", so a run is reproducible.
const absl::Time kNow = absl::FromUnixSeconds(1767000000);

void UpdateAsset(const v1::UpdateAssetRequest& request) {
  absl::Status status = isms::asset::ValidateUpdateAssetRequest(request);
  ExpectValidationCode(status);
  if (!status.ok()) return;
  // As the registry: the masked fields onto a valid asset, then the whole.
  v1::Asset stored;
  stored.set_name(request.asset().name());
  stored.set_title("stored");
  stored.set_classification(v1::CLASSIFICATION_INTERNAL);
  stored.add_information_kinds(v1::INFORMATION_KIND_OPERATIONAL);
  stored.set_location("stored");
  *stored.mutable_review_time() = isms::ToProto(kNow);
  isms::ApplyUpdateMask(request.asset(), request.update_mask(), &stored);
  ExpectValidationCode(isms::asset::ValidateAsset(stored, "asset", kNow));
}

void ListAssets(const v1::ListAssetsRequest& request) {
  absl::Status status = isms::asset::ValidateListAssetsRequest(request);
  ExpectValidationCode(status);
  if (!status.ok()) return;
  ExpectValidationCode(isms::DecodePageToken(request.page_token(), "assets").status());
}

void UpdateRisk(const v1::UpdateRiskRequest& request) {
  absl::Status status = isms::asset::ValidateUpdateRiskRequest(request, kNow);
  ExpectValidationCode(status);
  if (!status.ok()) return;
  // As the registry: the masked fields onto a stored risk, then the whole.
  v1::Risk stored;
  stored.set_name(request.risk().name());
  stored.set_title("stored");
  stored.set_threat("stored");
  stored.set_vulnerability("stored");
  stored.set_likelihood(3);
  stored.set_impact(3);
  stored.set_owner("principals/po");
  *stored.mutable_next_review_time() = isms::ToProto(kNow + absl::Hours(24));
  isms::ApplyUpdateMask(request.risk(), request.update_mask(), &stored);
  ExpectValidationCode(isms::asset::ValidateRisk(stored, "risk", kNow));
}

// The risk and incident requests (risk_validation.h).
void RiskRequest(int which, const uint8_t* data, size_t size) {
  switch (which) {
    case 0: {
      v1::CreateRiskRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateCreateRiskRequest(request, kNow));
      }
      break;
    }
    case 1: {
      v1::UpdateRiskRequest request;
      if (Parse(data, size, &request)) UpdateRisk(request);
      break;
    }
    case 2: {
      v1::AcceptRiskRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateAcceptRiskRequest(request, kNow));
      }
      break;
    }
    case 3: {
      v1::ListRisksRequest request;
      if (Parse(data, size, &request)) {
        absl::Status status = isms::asset::ValidateListRisksRequest(request);
        ExpectValidationCode(status);
        if (status.ok()) {
          ExpectValidationCode(isms::DecodePageToken(request.page_token(), "risks").status());
        }
      }
      break;
    }
    case 4: {
      v1::GetRiskRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::ValidateResourceName("name", request.name(), "risks"));
      }
      break;
    }
    case 5: {
      v1::ReportIncidentRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateReportIncidentRequest(request, kNow));
      }
      break;
    }
    case 6: {
      v1::ListIncidentsRequest request;
      if (Parse(data, size, &request)) {
        absl::Status status = isms::asset::ValidateListIncidentsRequest(request);
        ExpectValidationCode(status);
        if (status.ok()) {
          ExpectValidationCode(isms::DecodePageToken(request.page_token(), "incidents").status());
        }
      }
      break;
    }
    case 7: {
      v1::TransitionIncidentRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateTransitionIncidentRequest(request));
      }
      break;
    }
    case 8: {
      v1::RecordBreachNotificationRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateRecordBreachNotificationRequest(request, kNow));
      }
      break;
    }
    case 9: {
      v1::GetIncidentRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::ValidateResourceName("name", request.name(), "incidents"));
      }
      break;
    }
  }
}

}  // namespace

// Protobuf logs every rejected input (e.g. invalid UTF-8); silence it so
// the run measures parsing, not logging.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t kind = data[0];
  ++data;
  --size;
  if (kind >= 0xE0) {
    RiskRequest((kind - 0xE0) % 10, data, size);
    return 0;
  }
  switch (kind % 10) {
    case 0: {
      v1::CreateAssetRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateCreateAssetRequest(request, kNow));
      }
      break;
    }
    case 1: {
      v1::UpdateAssetRequest request;
      if (Parse(data, size, &request)) UpdateAsset(request);
      break;
    }
    case 2: {
      v1::ListAssetsRequest request;
      if (Parse(data, size, &request)) ListAssets(request);
      break;
    }
    case 3: {
      v1::GetAssetRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::ValidateResourceName("name", request.name(), "assets"));
      }
      break;
    }
    case 4: {
      v1::GetAssetCoverageRequest request;
      if (Parse(data, size, &request)) {
        absl::Status status = isms::asset::ValidateGetAssetCoverageRequest(request);
        ExpectValidationCode(status);
        if (status.ok()) {
          ExpectValidationCode(isms::DecodePageToken(request.page_token(), "coverage").status());
        }
      }
      break;
    }
    case 5: {
      v1::CreateAccessRecordRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateCreateAccessRecordRequest(request, kNow));
      }
      break;
    }
    case 6: {
      v1::RevokeAccessRecordRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateRevokeAccessRecordRequest(request));
        std::string asset;
        ExpectValidationCode(isms::asset::ValidateAccessRecordName("name", request.name(), &asset));
      }
      break;
    }
    case 7: {
      v1::ListAccessRecordsRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateListAccessRecordsRequest(request));
      }
      break;
    }
    case 8: {
      v1::CreateAttestationRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateCreateAttestationRequest(request));
      }
      break;
    }
    case 9: {
      v1::ListAttestationsRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::asset::ValidateListAttestationsRequest(request));
      }
      break;
    }
  }
  return 0;
}
