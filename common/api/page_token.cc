#include "common/api/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/sha256.h"

namespace isms {
namespace {

constexpr size_t kCheckLength = 16;

std::string CheckValue(absl::string_view last_name, absl::string_view fingerprint) {
  return Sha256Hex(absl::StrCat("isms-page-token-v1", absl::string_view("\0", 1), fingerprint,
                                absl::string_view("\0", 1), last_name))
      .substr(0, kCheckLength);
}

absl::Status BadToken() {
  return absl::InvalidArgumentError("page_token: not a token this list issued for these filters");
}

}  // namespace

absl::StatusOr<int> EffectivePageSize(int requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

std::string EncodePageToken(absl::string_view last_name, absl::string_view filter_fingerprint) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(CheckValue(last_name, filter_fingerprint), last_name));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view filter_fingerprint) {
  if (token.empty()) return std::string();
  std::string raw;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() <= kCheckLength) {
    return BadToken();
  }
  std::string last_name = raw.substr(kCheckLength);
  if (raw.substr(0, kCheckLength) != CheckValue(last_name, filter_fingerprint)) {
    return BadToken();
  }
  return last_name;
}

}  // namespace isms
