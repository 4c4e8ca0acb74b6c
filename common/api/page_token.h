#ifndef ISMS_COMMON_API_PAGE_TOKEN_H_
#define ISMS_COMMON_API_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace isms {

// List pagination (AIP-158). Lists are ordered by resource name; a page token
// carries the last name returned plus a check value over that name and the
// request's filters, so a token altered by hand, or replayed with other
// filters, is refused instead of silently returning the wrong page.

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// 0 → kDefaultPageSize; above kMaxPageSize → kMaxPageSize; negative →
// InvalidArgument naming "page_size".
absl::StatusOr<int> EffectivePageSize(int requested);

// `filter_fingerprint` is any string that changes when the filters change.
std::string EncodePageToken(absl::string_view last_name, absl::string_view filter_fingerprint);

// Returns the last name carried by `token` ("" for an empty token, i.e. the
// first page), or InvalidArgument naming "page_token" if the token is
// malformed, altered, or was issued for other filters.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view filter_fingerprint);

}  // namespace isms

#endif  // ISMS_COMMON_API_PAGE_TOKEN_H_
