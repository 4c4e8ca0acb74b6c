#include "common/validation/validate.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace isms {
namespace {

bool IsIdChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.';
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  if (!absl::ascii_islower(id[0]) && !absl::ascii_isdigit(id[0])) return false;
  for (char c : id) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

}  // namespace

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return Invalid(field, "required");
  if (!IsValidId(id)) {
    return Invalid(field, "want 1-63 characters of [a-z0-9-_.] starting with a letter or digit");
  }
  return absl::OkStatus();
}

absl::Status ValidateResourceName(absl::string_view field, absl::string_view name,
                                  absl::string_view collection) {
  if (name.empty()) return Invalid(field, "required");
  const size_t slash = name.find('/');
  if (slash == absl::string_view::npos || name.substr(0, slash) != collection ||
      !IsValidId(name.substr(slash + 1))) {
    return Invalid(field, absl::StrCat("want ", collection,
                                       "/<id> with an id of 1-63 characters of [a-z0-9-_.]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptionalResourceName(absl::string_view field, absl::string_view name,
                                          absl::string_view collection) {
  return name.empty() ? absl::OkStatus() : ValidateResourceName(field, name, collection);
}

absl::Status ValidateAnyResourceName(absl::string_view field, absl::string_view name) {
  if (name.empty()) return Invalid(field, "required");
  if (name.size() > kMaxShortTextLength) return Invalid(field, "too long");
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() % 2 != 0) return Invalid(field, "want <collection>/<id>[/<collection>/<id>...]");
  for (absl::string_view part : parts) {
    if (!IsValidId(part)) return Invalid(field, "want <collection>/<id>[/<collection>/<id>...]");
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view text, size_t max_length,
                          bool required) {
  if (text.empty()) return required ? Invalid(field, "required") : absl::OkStatus();
  if (text.size() > max_length) {
    return Invalid(field, absl::StrCat("longer than ", max_length, " bytes"));
  }
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      return Invalid(field, "contains control characters");
    }
  }
  // Unicode's bidirectional controls (U+202A-U+202E, U+2066-U+2069: UTF-8
  // E2 80 AA-AE, E2 81 A6-A9) make text display in another order than it is
  // stored: a title or justification could read differently to its approver
  // than to the audit trail.
  for (size_t i = 0; i + 2 < text.size(); ++i) {
    const unsigned char a = text[i], b = text[i + 1], c = text[i + 2];
    if (a == 0xe2 &&
        ((b == 0x80 && c >= 0xaa && c <= 0xae) || (b == 0x81 && c >= 0xa6 && c <= 0xa9))) {
      return Invalid(field, "contains bidirectional control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePermission(absl::string_view field, absl::string_view permission) {
  if (permission.empty()) return Invalid(field, "required");
  if (permission.size() > kMaxShortTextLength) return Invalid(field, "too long");
  for (absl::string_view word : absl::StrSplit(permission, '.')) {
    bool ok = !word.empty();
    for (char c : word) ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_');
    if (!ok) return Invalid(field, "want dotted lower-case words, e.g. isms.assets.read");
  }
  return absl::OkStatus();
}

absl::Status ValidateCount(absl::string_view field, int count, size_t max) {
  if (count > static_cast<int>(max)) {
    return Invalid(field, absl::StrCat("at most ", max, " entries"));
  }
  return absl::OkStatus();
}

}  // namespace isms
