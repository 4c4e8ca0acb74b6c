#include "tests/audit/test_keys.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace isms::audit {

std::string NewKeyPem(int type) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(type, nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_keygen_init(ctx);
  if (type == EVP_PKEY_RSA) EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024);
  EVP_PKEY_keygen(ctx, &key);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  EVP_PKEY_free(key);
  EVP_PKEY_CTX_free(ctx);
  return pem;
}

}  // namespace isms::audit
