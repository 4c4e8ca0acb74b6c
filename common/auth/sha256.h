#ifndef ISMS_COMMON_AUTH_SHA256_H_
#define ISMS_COMMON_AUTH_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace isms {

// Lower-case hex SHA-256 digest of `data` (64 characters).
std::string Sha256Hex(absl::string_view data);

}  // namespace isms

#endif  // ISMS_COMMON_AUTH_SHA256_H_
