// Fuzzes the page-token parser (common/api DecodePageToken). Input: a
// fingerprint up to the first newline, then the token. Invariants: decoding
// any token is OK or INVALID_ARGUMENT, never a crash; and a token we encode
// decodes back to the name it carries (name: the token bytes themselves)
// whenever it fits the 1024-character limit DecodePageToken enforces.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/api/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  absl::string_view fingerprint =
      newline == absl::string_view::npos ? absl::string_view() : input.substr(0, newline);
  absl::string_view token = newline == absl::string_view::npos ? input : input.substr(newline + 1);

  auto decoded = isms::DecodePageToken(token, fingerprint);
  if (!decoded.ok() && decoded.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }

  const std::string encoded = isms::EncodePageToken(token, fingerprint);
  auto round_trip = isms::DecodePageToken(encoded, fingerprint);
  if (!token.empty() && encoded.size() <= 1024 && (!round_trip.ok() || *round_trip != token)) {
    std::abort();
  }
  return 0;
}
