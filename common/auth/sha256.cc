#include "common/auth/sha256.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace isms {
namespace {

// OpenSSL 3 looks the digest up in its provider on every EVP_sha256() use
// (an "implicit fetch" that costs more than hashing a token); fetch it once.
const EVP_MD* Sha256Digest() {
  static const EVP_MD* const digest = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return digest;
}

// A digest context owned by one thread and freed when the thread ends.
struct ThreadContext {
  EVP_MD_CTX* const context = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(context); }
};

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  // One context a thread, reused: every call authenticates a token.
  thread_local ThreadContext thread_context;
  EVP_MD_CTX* const context = thread_context.context;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestInit_ex(context, Sha256Digest(), nullptr);
  EVP_DigestUpdate(context, data.data(), data.size());
  EVP_DigestFinal_ex(context, digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace isms
