#ifndef ISMS_SERVICES_AUDIT_TREE_HEAD_H_
#define ISMS_SERVICES_AUDIT_TREE_HEAD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace isms::audit {

// A tree head: the size of the log, the RFC 9162 root hash of its first
// `tree_size` events (32 raw bytes), and when the log stated it.
struct TreeHead {
  uint64_t tree_size = 0;
  std::string root_hash;
  absl::Time timestamp;
};

// The bytes a tree head's signature covers, documented so that anyone can
// verify without our code:
//   "isms-audit-tree-head-v1\n" <tree_size, decimal> "\n"
//   <root_hash, lower-case hex> "\n" <timestamp, Unix milliseconds, decimal>
std::string CanonicalTreeHead(const TreeHead& head);

// Signs tree heads with an Ed25519 private key. Thread-safe.
class TreeHeadSigner {
 public:
  // From a PEM private key (PKCS#8, as `openssl genpkey -algorithm ed25519`
  // writes). InvalidArgument if it is not a readable Ed25519 key.
  static absl::StatusOr<std::unique_ptr<TreeHeadSigner>> FromPrivateKeyPem(absl::string_view pem);
  ~TreeHeadSigner();
  TreeHeadSigner(const TreeHeadSigner&) = delete;
  TreeHeadSigner& operator=(const TreeHeadSigner&) = delete;

  // The 64-byte Ed25519 signature of CanonicalTreeHead(head).
  absl::StatusOr<std::string> Sign(const TreeHead& head) const;
  // The public half, PEM (SubjectPublicKeyInfo), for verifiers.
  const std::string& public_key_pem() const { return public_key_pem_; }

 private:
  struct Key;
  TreeHeadSigner(std::unique_ptr<Key> key, std::string public_key_pem);
  std::unique_ptr<Key> key_;
  std::string public_key_pem_;
};

// OK when `signature` is a valid Ed25519 signature of CanonicalTreeHead(head)
// by the key in `public_key_pem`; InvalidArgument for an unreadable key;
// FailedPrecondition ("signature does not verify") otherwise.
absl::Status VerifyTreeHead(absl::string_view public_key_pem, const TreeHead& head,
                            absl::string_view signature);

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_TREE_HEAD_H_
