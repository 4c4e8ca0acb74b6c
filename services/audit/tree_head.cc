#include "services/audit/tree_head.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace isms::audit {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

std::unique_ptr<BIO, BioDeleter> ReadBio(absl::string_view pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

struct TreeHeadSigner::Key {
  Pkey pkey;
};

std::string CanonicalTreeHead(const TreeHead& head) {
  return absl::StrCat("isms-audit-tree-head-v1\n", head.tree_size, "\n",
                      absl::BytesToHexString(head.root_hash), "\n",
                      absl::ToUnixMillis(head.timestamp));
}

TreeHeadSigner::TreeHeadSigner(std::unique_ptr<Key> key, std::string public_key_pem)
    : key_(std::move(key)), public_key_pem_(std::move(public_key_pem)) {}

TreeHeadSigner::~TreeHeadSigner() = default;

absl::StatusOr<std::unique_ptr<TreeHeadSigner>> TreeHeadSigner::FromPrivateKeyPem(
    absl::string_view pem) {
  auto bio = ReadBio(pem);
  Pkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr) return absl::InvalidArgumentError("signing key: not a PEM private key");
  if (EVP_PKEY_id(pkey.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("signing key: want an Ed25519 key");
  }
  std::unique_ptr<BIO, BioDeleter> out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(out.get(), pkey.get()) != 1) {
    return absl::InternalError("signing key: cannot write its public half");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  std::string public_pem(data, static_cast<size_t>(length));
  auto key = std::make_unique<Key>();
  key->pkey = std::move(pkey);
  return std::unique_ptr<TreeHeadSigner>(new TreeHeadSigner(std::move(key), std::move(public_pem)));
}

absl::StatusOr<std::string> TreeHeadSigner::Sign(const TreeHead& head) const {
  const std::string message = CanonicalTreeHead(head);
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::string signature(64, '\0');
  size_t length = signature.size();
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return absl::InternalError("tree head: signing failed");
  }
  signature.resize(length);
  return signature;
}

absl::Status VerifyTreeHead(absl::string_view public_key_pem, const TreeHead& head,
                            absl::string_view signature) {
  auto bio = ReadBio(public_key_pem);
  Pkey pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr || EVP_PKEY_id(pkey.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("public key: want a PEM Ed25519 public key");
  }
  const std::string message = CanonicalTreeHead(head);
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
    return absl::FailedPreconditionError("tree head: signature does not verify");
  }
  return absl::OkStatus();
}

}  // namespace isms::audit
