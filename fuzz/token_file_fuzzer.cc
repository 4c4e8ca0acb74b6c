// Fuzzes the token-file parser (common/auth Authenticator::FromText): any
// text is either accepted or refused with INVALID_ARGUMENT, never a crash.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/auth/authenticator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto authenticator = isms::Authenticator::FromText(text);
  if (!authenticator.ok() && authenticator.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  if (authenticator.ok()) {
    // A reload with the same text keeps the same answer.
    if (!(*authenticator)->ReloadFromText(text).ok()) std::abort();
  }
  return 0;
}
