#include "services/role/catalogue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "common/testing/status_matchers.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class ShippedCatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto roles = LoadCatalogueFile(ISMS_SOURCE_DIR "/services/role/catalogue/roles.textproto");
    ASSERT_TRUE(roles.ok()) << roles.status();
    for (auto& role : *roles) roles_[role.code()] = role;
  }
  std::map<std::string, v1::Role> roles_;
};

TEST_F(ShippedCatalogueTest, HasEveryRoleOfTheBriefWithResponsibilities) {
  std::vector<std::string> codes;
  for (const auto& [code, role] : roles_) {
    codes.push_back(code);
    EXPECT_FALSE(role.responsibilities().empty()) << code;
    EXPECT_FALSE(role.title().empty()) << code;
  }
  EXPECT_THAT(codes, UnorderedElementsAre("SIRO", "DSIRO", "AO", "MS", "ISSG", "ISM", "HOI", "IAO",
                                          "ITSO", "COL", "PO", "TS"));
}

TEST_F(ShippedCatalogueTest, SiroIsTheSingleBoardLevelMandatoryRiskOwner) {
  const v1::Role& siro = roles_.at("SIRO");
  EXPECT_EQ(siro.name(), "roles/siro");
  EXPECT_TRUE(siro.mandatory());
  EXPECT_TRUE(siro.board_level_required());
  EXPECT_EQ(siro.max_holders(), 1);
  EXPECT_EQ(siro.mandatory_requirement(), "MR 35a");
  EXPECT_THAT(siro.accountable_to(), ::testing::ElementsAre("roles/ao"));
}

TEST_F(ShippedCatalogueTest, RelationsFromTheSeeds) {
  EXPECT_EQ(roles_.at("DSIRO").deputy_for(), "roles/siro");
  EXPECT_EQ(roles_.at("IAO").scope_kind(), v1::SCOPE_KIND_ASSET);
  EXPECT_EQ(roles_.at("IAO").mandatory_requirement(), "MR 35e");
  EXPECT_EQ(roles_.at("ITSO").mandatory_requirement(), "MR 35c");
  EXPECT_EQ(roles_.at("ISSG").holder_kind(), v1::HOLDER_KIND_GROUP);
  EXPECT_THAT(roles_.at("IAO").permissions(), ::testing::Contains("isms.assets.transfers.approve"));
  EXPECT_THAT(roles_.at("ISM").permissions(), ::testing::Contains("isms.assignments.manage"));
}

TEST(CatalogueParseTest, UnknownReferenceIsRefusedNamingIt) {
  EXPECT_THAT(ParseCatalogue(R"pb(roles {
                                    name: "roles/a"
                                    title: "A"
                                    scope_kind: SCOPE_KIND_ORGANISATION
                                    holder_kind: HOLDER_KIND_PERSON
                                    deputy_for: "roles/missing"
                                  })pb"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("roles/missing")));
}

TEST(CatalogueParseTest, DuplicateRoleIsRefused) {
  const std::string role = R"pb(roles {
                                  name: "roles/a"
                                  title: "A"
                                  scope_kind: SCOPE_KIND_ORGANISATION
                                  holder_kind: HOLDER_KIND_PERSON
                                })pb";
  EXPECT_THAT(ParseCatalogue(role + role),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

TEST(CatalogueParseTest, SyntaxErrorNamesTheLine) {
  EXPECT_THAT(ParseCatalogue("roles {\n name: \n}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line")));
}

TEST(CatalogueParseTest, InvalidRoleNamesTheField) {
  EXPECT_THAT(
      ParseCatalogue(R"pb(roles { name: "roles/a" title: "A" holder_kind: HOLDER_KIND_PERSON })pb"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("catalogue.roles[0].scope_kind")));
}

}  // namespace
}  // namespace isms::role
