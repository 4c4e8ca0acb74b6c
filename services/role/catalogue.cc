#include "services/role/catalogue.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/role/role_validation.h"
#include "services/role/statutory_rules.h"

namespace isms::role {
namespace {

using isms::role::v1::Role;

// Collects the parser's first error instead of printing it.
class ErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat("line ", line + 1, ":", column + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

}  // namespace

std::string RoleCode(absl::string_view role_name) {
  const size_t slash = role_name.find('/');
  return absl::AsciiStrToUpper(role_name.substr(slash == absl::string_view::npos ? 0 : slash + 1));
}

absl::StatusOr<std::vector<Role>> ParseCatalogue(absl::string_view text) {
  isms::role::v1::RoleCatalogue catalogue;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &catalogue)) {
    return absl::InvalidArgumentError(absl::StrCat("catalogue: ", errors.first()));
  }
  std::set<std::string> names;
  for (int i = 0; i < catalogue.roles_size(); ++i) {
    Role& role = *catalogue.mutable_roles(i);
    ISMS_RETURN_IF_ERROR(ValidateRole(role, absl::StrCat("catalogue.roles[", i, "]")));
    if (!names.insert(role.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat("catalogue: duplicate role ", role.name()));
    }
    role.set_code(RoleCode(role.name()));
    absl::Status statutory = CheckStatutoryRules(role);
    if (!statutory.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("catalogue: ", statutory.message()));
    }
  }
  for (const Role& role : catalogue.roles()) {
    auto check = [&](absl::string_view field, const std::string& reference) -> absl::Status {
      if (reference.empty() || names.count(reference) > 0) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat("catalogue: ", role.name(), ".", field, " names unknown role ", reference));
    };
    ISMS_RETURN_IF_ERROR(check("deputy_for", role.deputy_for()));
    for (const std::string& name : role.accountable_to()) {
      ISMS_RETURN_IF_ERROR(check("accountable_to", name));
    }
    for (const std::string& name : role.conflicting_roles()) {
      ISMS_RETURN_IF_ERROR(check("conflicting_roles", name));
    }
  }
  return std::vector<Role>(catalogue.roles().begin(), catalogue.roles().end());
}

absl::StatusOr<std::vector<Role>> LoadCatalogueFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("catalogue file ", path, " cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseCatalogue(buffer.str());
}

}  // namespace isms::role
