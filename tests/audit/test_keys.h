#ifndef ISMS_TESTS_AUDIT_TEST_KEYS_H_
#define ISMS_TESTS_AUDIT_TEST_KEYS_H_

#include <openssl/evp.h>

#include <string>

namespace isms::audit {

// A fresh private key of `type` (EVP_PKEY_ED25519, EVP_PKEY_RSA...) as PEM.
std::string NewKeyPem(int type = EVP_PKEY_ED25519);

}  // namespace isms::audit

#endif  // ISMS_TESTS_AUDIT_TEST_KEYS_H_
