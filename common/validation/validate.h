#ifndef ISMS_COMMON_VALIDATION_VALIDATE_H_
#define ISMS_COMMON_VALIDATION_VALIDATE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace isms {

// Request validation shared by every service. Each function returns OK or
// InvalidArgument with a message that starts with the field name.

// Limits every service applies.
inline constexpr size_t kMaxIdLength = 63;
inline constexpr size_t kMaxShortTextLength = 256;
inline constexpr size_t kMaxLongTextLength = 4096;
inline constexpr size_t kMaxRepeatedEntries = 100;

// An id: 1..63 characters of [a-z0-9-_.], starting with a letter or digit.
absl::Status ValidateId(absl::string_view field, absl::string_view id);

// A resource name "<collection>/<id>", e.g. "principals/alice".
absl::Status ValidateResourceName(absl::string_view field, absl::string_view name,
                                  absl::string_view collection);

// Like ValidateResourceName, but empty is fine (an unset filter).
absl::Status ValidateOptionalResourceName(absl::string_view field, absl::string_view name,
                                          absl::string_view collection);

// A resource name of any of our collections: one or more
// "<collection>/<id>" pairs, e.g. "assets/42" or "assets/42/transfers/7".
// Empty is refused.
absl::Status ValidateAnyResourceName(absl::string_view field, absl::string_view name);

// Free text: at most `max_length` bytes, no control characters other than
// newline and tab (nor DEL, nor Unicode's bidirectional controls). `required`
// refuses empty text.
absl::Status ValidateText(absl::string_view field, absl::string_view text, size_t max_length,
                          bool required);

// A permission: dotted lower-case words, e.g. "isms.assets.transfers.approve".
absl::Status ValidatePermission(absl::string_view field, absl::string_view permission);

// A repeated field with at most `max` entries.
absl::Status ValidateCount(absl::string_view field, int count, size_t max = kMaxRepeatedEntries);

}  // namespace isms

#endif  // ISMS_COMMON_VALIDATION_VALIDATE_H_
