#include "common/server/unary_call.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace isms {
namespace {

std::optional<absl::string_view> FindMetadata(const grpc::CallbackServerContext& context,
                                              absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return absl::string_view(it->second.data(), it->second.size());
}

bool IsPrintableId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

std::string UnaryCallRunner::RequestId(const grpc::CallbackServerContext& context) {
  std::optional<absl::string_view> given = FindMetadata(context, kRequestIdMetadataKey);
  if (given.has_value() && IsPrintableId(*given)) return std::string(*given);
  thread_local absl::BitGen gen;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16),
                      absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
}

absl::Status UnaryCallRunner::Authenticate(const grpc::CallbackServerContext& context,
                                           Caller* caller) const {
  absl::StatusOr<Caller> result =
      authenticator_.Authenticate(FindMetadata(context, "authorization"),
                                  FindMetadata(context, kOnBehalfOfMetadataKey), caller);
  if (!result.ok()) return result.status();
  *caller = *std::move(result);
  return absl::OkStatus();
}

}  // namespace isms
