#include "common/storage/record_checksum.h"

#include <openssl/evp.h>

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace isms {
namespace {

void AddField(EVP_MD_CTX* context, absl::string_view field) {
  uint8_t length[8];
  uint64_t size = field.size();
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(size >> (8 * i));
  EVP_DigestUpdate(context, length, sizeof(length));
  EVP_DigestUpdate(context, field.data(), field.size());
}

}  // namespace

std::string RecordChecksum(absl::string_view table, absl::string_view key,
                           absl::string_view bytes) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  AddField(context, table);
  AddField(context, key);
  AddField(context, bytes);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest, &length);
  EVP_MD_CTX_free(context);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

absl::Status VerifyRecordChecksum(absl::string_view table, absl::string_view key,
                                  absl::string_view bytes, absl::string_view stored) {
  if (stored == RecordChecksum(table, key, bytes)) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "integrity check failed: ", table, " record ", key,
      stored.empty() ? " has no checksum" : " does not match its checksum",
      " (changed or damaged outside the service); restore the database from a backup"));
}

}  // namespace isms
