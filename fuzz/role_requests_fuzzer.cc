// Fuzzes the role service's request validators (services/role/
// role_validation.h and the common/validation checks the registry applies
// first) the way the registry calls them. The first input byte picks the
// request type (of 14); the rest is parsed as that request in protobuf binary form.
// Invariants: no crash, no sanitizer report, and every refusal is
// INVALID_ARGUMENT (validators check shape only).

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api/field_mask.h"
#include "common/validation/validate.h"
#include "fuzz/request_fuzzing.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/role_validation.h"

namespace {

namespace v1 = ::isms::role::v1;
using ::isms::fuzzing::ExpectValidationCode;
using ::isms::fuzzing::Parse;
using isms::role::ValidateCheckRequest;

void CreateRole(const v1::CreateRoleRequest& request) {
  absl::Status status = isms::ValidateId("role_id", request.role_id());
  ExpectValidationCode(status);
  if (!status.ok()) return;
  v1::Role role = request.role();
  role.set_name(absl::StrCat("roles/", request.role_id()));
  ExpectValidationCode(isms::role::ValidateRole(role, "role"));
}

void UpdateRole(const v1::UpdateRoleRequest& request) {
  absl::Status status = isms::ValidateResourceName("role.name", request.role().name(), "roles");
  if (status.ok()) status = isms::role::ValidateRoleUpdateMask(request.update_mask());
  ExpectValidationCode(status);
  if (!status.ok()) return;
  v1::Role updated;  // The stored role the registry would patch.
  updated.set_name(request.role().name());
  isms::ApplyUpdateMask(request.role(), request.update_mask(), &updated);
  ExpectValidationCode(isms::role::ValidateRole(updated, "role"));
}

void CreatePrincipal(const v1::CreatePrincipalRequest& request) {
  absl::Status status = isms::ValidateId("principal_id", request.principal_id());
  ExpectValidationCode(status);
  if (!status.ok()) return;
  v1::Principal principal = request.principal();
  principal.set_name(absl::StrCat("principals/", request.principal_id()));
  ExpectValidationCode(isms::role::ValidatePrincipal(principal, "principal"));
}

void UpdatePrincipal(const v1::UpdatePrincipalRequest& request) {
  absl::Status status =
      isms::ValidateResourceName("principal.name", request.principal().name(), "principals");
  if (status.ok()) status = isms::role::ValidatePrincipalUpdateMask(request.update_mask());
  ExpectValidationCode(status);
  if (!status.ok()) return;
  v1::Principal updated;
  updated.set_name(request.principal().name());
  isms::ApplyUpdateMask(request.principal(), request.update_mask(), &updated);
  ExpectValidationCode(isms::role::ValidatePrincipal(updated, "principal"));
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
  switch (kind % 14) {
    case 0: {
      v1::CreateRoleRequest request;
      if (Parse(data, size, &request)) CreateRole(request);
      break;
    }
    case 1: {
      v1::UpdateRoleRequest request;
      if (Parse(data, size, &request)) UpdateRole(request);
      break;
    }
    case 2: {
      v1::CreatePrincipalRequest request;
      if (Parse(data, size, &request)) CreatePrincipal(request);
      break;
    }
    case 3: {
      v1::UpdatePrincipalRequest request;
      if (Parse(data, size, &request)) UpdatePrincipal(request);
      break;
    }
    case 10: {
      v1::CreateAbsenceRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::role::ValidateNewAbsence(request.absence()));
      }
      break;
    }
    case 4: {
      v1::CreateAssignmentRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::role::ValidateNewAssignment(request.assignment()));
      }
      break;
    }
    case 5: {
      v1::CreateDelegationRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::role::ValidateNewDelegation(request.delegation()));
      }
      break;
    }
    case 6: {
      v1::ListAssignmentsRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::role::ValidateListAssignmentsRequest(request));
      }
      break;
    }
    case 7: {
      v1::ListDelegationsRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::role::ValidateListDelegationsRequest(request));
      }
      break;
    }
    case 8: {
      v1::CheckPermissionRequest request;
      if (Parse(data, size, &request)) ExpectValidationCode(ValidateCheckRequest(request, ""));
      break;
    }
    case 9: {
      v1::BatchCheckPermissionsRequest request;
      if (Parse(data, size, &request)) {
        for (int i = 0; i < request.checks_size(); ++i) {
          ExpectValidationCode(
              ValidateCheckRequest(request.checks(i), absl::StrCat("checks[", i, "]")));
        }
      }
      break;
    }
    case 11: {  // As BatchCreatePrincipals: the size, then each item.
      v1::BatchCreatePrincipalsRequest request;
      if (!Parse(data, size, &request)) break;
      ExpectValidationCode(isms::role::ValidateBatchSize("requests", request.requests_size()));
      for (const v1::CreatePrincipalRequest& item : request.requests()) CreatePrincipal(item);
      break;
    }
    case 12: {  // As BatchCreateAssignments.
      v1::BatchCreateAssignmentsRequest request;
      if (!Parse(data, size, &request)) break;
      ExpectValidationCode(isms::role::ValidateBatchSize("requests", request.requests_size()));
      for (const v1::CreateAssignmentRequest& item : request.requests()) {
        ExpectValidationCode(isms::role::ValidateNewAssignment(item.assignment()));
      }
      break;
    }
    case 13: {  // The views of GetPrincipal and ListPrincipals.
      v1::ListPrincipalsRequest request;
      if (Parse(data, size, &request)) {
        ExpectValidationCode(isms::role::ValidatePrincipalView(request.view()));
      }
      break;
    }
  }
  return 0;
}
