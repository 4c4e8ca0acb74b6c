// Every RPC validates its request: bad input gets INVALID_ARGUMENT naming
// the field and changes nothing.

#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

class RoleValidationTest : public RegistryTestBase {
 protected:
  void ExpectInvalid(const absl::Status& status, const std::string& field) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field)));
  }
};

TEST_F(RoleValidationTest, GetsNeedWellFormedNames) {
  ExpectInvalid(registry_->GetRole(Admin(), Parse<v1::GetRoleRequest>("")).status(), "name");
  ExpectInvalid(registry_->GetRole(Admin(), Parse<v1::GetRoleRequest>(R"(name: "siro")")).status(),
                "name");
  ExpectInvalid(
      registry_->GetPrincipal(Admin(), Parse<v1::GetPrincipalRequest>(R"(name: "roles/x")"))
          .status(),
      "name");
  EXPECT_THAT(registry_->GetRole(Admin(), Parse<v1::GetRoleRequest>(R"(name: "roles/zzz")")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("roles/zzz")));
}

TEST_F(RoleValidationTest, CreatePrincipalChecksEachField) {
  const size_t events_before = OutboxEvents().size();
  struct Case {
    const char* request;
    const char* field;
  } cases[] = {
      {R"(principal { display_name: "x" kind: PRINCIPAL_KIND_PERSON })", "principal_id"},
      {R"(principal_id: "Bad Id" principal { display_name: "x" kind: PRINCIPAL_KIND_PERSON })",
       "principal_id"},
      {R"(principal_id: "x" principal { kind: PRINCIPAL_KIND_PERSON })", "principal.display_name"},
      {R"(principal_id: "x" principal { display_name: "x" })", "principal.kind"},
      {R"(principal_id: "x" principal { display_name: "x" kind: PRINCIPAL_KIND_PERSON email: "nope" })",
       "principal.email"},
      {R"(principal_id: "x" principal { display_name: "x" kind: PRINCIPAL_KIND_PERSON members: "principals/y" })",
       "principal.members"},
      {R"(principal_id: "x" principal { display_name: "x" kind: PRINCIPAL_KIND_GROUP members: "bob" })",
       "principal.members[0]"},
  };
  for (const Case& c : cases) {
    ExpectInvalid(
        registry_->CreatePrincipal(Admin(), Parse<v1::CreatePrincipalRequest>(c.request)).status(),
        c.field);
  }
  v1::CreatePrincipalRequest huge = Parse<v1::CreatePrincipalRequest>(
      R"(principal_id: "x" principal { kind: PRINCIPAL_KIND_PERSON })");
  huge.mutable_principal()->set_display_name(std::string(100000, 'a'));
  ExpectInvalid(registry_->CreatePrincipal(Admin(), huge).status(), "principal.display_name");
  EXPECT_EQ(OutboxEvents().size(), events_before);  // Nothing changed, nothing recorded.
}

TEST_F(RoleValidationTest, GroupsMayBeLargeButNotUnbounded) {
  v1::CreatePrincipalRequest request = Parse<v1::CreatePrincipalRequest>(
      R"(principal_id: "all-staff" principal { display_name: "All staff" kind: PRINCIPAL_KIND_GROUP })");
  for (int i = 0; i < 5001; ++i) {
    request.mutable_principal()->add_members(absl::StrCat("principals/p", i));
  }
  ExpectInvalid(registry_->CreatePrincipal(Admin(), request).status(),
                "principal.members: at most 5000");
  request.mutable_principal()->mutable_members()->RemoveLast();
  // Within the limit the request is well-formed; the members do not exist.
  EXPECT_THAT(registry_->CreatePrincipal(Admin(), request),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("membership rule")));
}

TEST_F(RoleValidationTest, CreateAssignmentChecksEachField) {
  struct Case {
    const char* request;
    const char* field;
  } cases[] = {
      {R"(assignment { principal: "principals/a" })", "assignment.role"},
      {R"(assignment { role: "roles/po" })", "assignment.principal"},
      {R"(assignment { role: "roles/po" principal: "principals/a" scope: "assets" })",
       "assignment.scope"},
      {R"(assignment { role: "roles/po" principal: "principals/a"
           effective_from { seconds: 100 } effective_until { seconds: 50 } })",
       "assignment.effective_until"},
      {R"(assignment { role: "roles/po" principal: "principals/a" effective_from { nanos: -1 } })",
       "assignment.effective_from"},
  };
  for (const Case& c : cases) {
    ExpectInvalid(
        registry_->CreateAssignment(Admin(), Parse<v1::CreateAssignmentRequest>(c.request))
            .status(),
        c.field);
  }
  EXPECT_THAT(registry_->CreateAssignment(
                  Admin(), Parse<v1::CreateAssignmentRequest>(
                               R"(assignment { role: "roles/po" principal: "principals/ghost" })")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("principals/ghost")));
}

TEST_F(RoleValidationTest, CreateDelegationChecksEachField) {
  struct Case {
    const char* request;
    const char* field;
  } cases[] = {
      {R"(delegation { delegate: "principals/b" permission: "a.b" effective_until { seconds: 9999999999 } })",
       "delegation.assignment"},
      {R"(delegation { assignment: "assignments/x" delegate: "principals/b" effective_until { seconds: 9999999999 } })",
       "delegation.permission"},
      {R"(delegation { assignment: "assignments/x" delegate: "principals/b" permission: "a.b" })",
       "delegation.effective_until"},
      {R"(delegation { assignment: "assignments/x" delegate: "principals/b" permission: "a.b" responsibility: "c" effective_until { seconds: 9999999999 } })",
       "delegation.permission"},
  };
  for (const Case& c : cases) {
    ExpectInvalid(
        registry_->CreateDelegation(Admin(), Parse<v1::CreateDelegationRequest>(c.request))
            .status(),
        c.field);
  }
}

TEST_F(RoleValidationTest, CreateRoleChecksEachField) {
  struct Case {
    const char* request;
    const char* field;
  } cases[] = {
      {R"(role { title: "x" })", "role_id"},
      {R"(role_id: "x" role { scope_kind: SCOPE_KIND_ORGANISATION holder_kind: HOLDER_KIND_PERSON })",
       "role.title"},
      {R"(role_id: "x" role { title: "x" holder_kind: HOLDER_KIND_PERSON })", "role.scope_kind"},
      {R"(role_id: "x" role { title: "x" scope_kind: SCOPE_KIND_ORGANISATION holder_kind: HOLDER_KIND_PERSON permissions: "NOT OK" })",
       "role.permissions[0]"},
      {R"(role_id: "x" role { title: "x" scope_kind: SCOPE_KIND_ORGANISATION holder_kind: HOLDER_KIND_PERSON max_holders: -3 })",
       "role.max_holders"},
      {R"(role_id: "x" role { title: "x" scope_kind: SCOPE_KIND_ORGANISATION holder_kind: HOLDER_KIND_PERSON deputy_for: "roles/x" })",
       "role.deputy_for"},
      {R"(role_id: "x" role { title: "x" scope_kind: SCOPE_KIND_ORGANISATION holder_kind: HOLDER_KIND_PERSON responsibilities { id: "a" text: "t" } responsibilities { id: "a" text: "u" } })",
       "role.responsibilities[1].id"},
      {R"(role_id: "x" role { title: "x" scope_kind: 99 holder_kind: HOLDER_KIND_PERSON })",
       "role.scope_kind"},
  };
  for (const Case& c : cases) {
    ExpectInvalid(registry_->CreateRole(Admin(), Parse<v1::CreateRoleRequest>(c.request)).status(),
                  c.field);
  }
}

TEST_F(RoleValidationTest, ListsCheckPageSizeAndFilters) {
  ExpectInvalid(
      registry_->ListRoles(Admin(), Parse<v1::ListRolesRequest>("page_size: -1")).status(),
      "page_size");
  ExpectInvalid(
      registry_->ListAssignments(Admin(), Parse<v1::ListAssignmentsRequest>(R"(role: "siro")"))
          .status(),
      "role");
  ExpectInvalid(
      registry_->ListDelegations(Admin(), Parse<v1::ListDelegationsRequest>(R"(delegate: "x")"))
          .status(),
      "delegate");
  ExpectInvalid(
      registry_->ListRoles(Admin(), Parse<v1::ListRolesRequest>(R"(page_token: "@@")")).status(),
      "page_token");
}

TEST_F(RoleValidationTest, CheckPermissionNamesTheField) {
  ExpectInvalid(
      registry_->CheckPermission(Admin(), Parse<v1::CheckPermissionRequest>(R"(permission: "a.b")"))
          .status(),
      "principal");
  ExpectInvalid(registry_
                    ->CheckPermission(
                        Admin(), Parse<v1::CheckPermissionRequest>(R"(principal: "principals/a")"))
                    .status(),
                "permission");
  ExpectInvalid(
      registry_
          ->CheckPermission(Admin(),
                            Parse<v1::CheckPermissionRequest>(
                                R"(principal: "principals/a" permission: "a.b" resource: "x")"))
          .status(),
      "resource");
}

}  // namespace
}  // namespace isms::role
