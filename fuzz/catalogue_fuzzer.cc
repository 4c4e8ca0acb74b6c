// Fuzzes the role catalogue parser (services/role/catalogue.h
// ParseCatalogue) with arbitrary text: accepted or INVALID_ARGUMENT, never a
// crash; an accepted catalogue's roles all pass ValidateRole.

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "services/role/catalogue.h"
#include "services/role/role_validation.h"

// Protobuf logs every rejected input (e.g. invalid UTF-8); silence it so
// the run measures parsing, not logging.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto roles = isms::role::ParseCatalogue(text);
  if (!roles.ok()) {
    if (roles.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  for (const auto& role : *roles) {
    if (!isms::role::ValidateRole(role, "role").ok()) std::abort();
  }
  return 0;
}
