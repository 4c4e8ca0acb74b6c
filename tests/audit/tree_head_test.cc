// Signed tree heads: Ed25519 over a documented canonical encoding; a changed
// head, another key or a non-Ed25519 key does not pass.

#include "services/audit/tree_head.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>

#include "services/audit/merkle_tree.h"
#include "tests/audit/test_keys.h"

namespace isms::audit {
namespace {

TreeHead Head(uint64_t size) {
  MerkleTree tree;
  for (uint64_t i = 0; i < size; ++i) tree.AppendLeafHash(LeafHash(std::to_string(i)));
  return TreeHead{size, *tree.RootAt(size), absl::FromUnixMillis(1764000000123)};
}

TEST(TreeHeadTest, CanonicalEncodingIsTheDocumentedOne) {
  TreeHead head{3, std::string(32, '\xab'), absl::FromUnixMillis(1764000000123)};
  EXPECT_EQ(CanonicalTreeHead(head),
            "isms-audit-tree-head-v1\n3\n"
            "abababababababababababababababababababababababababababababababab\n"
            "1764000000123");
}

TEST(TreeHeadTest, SignedHeadVerifiesWithThePublishedKey) {
  auto signer = TreeHeadSigner::FromPrivateKeyPem(NewKeyPem(EVP_PKEY_ED25519));
  ASSERT_TRUE(signer.ok()) << signer.status();
  const TreeHead head = Head(10);
  auto signature = (*signer)->Sign(head);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 64u);
  EXPECT_TRUE(VerifyTreeHead((*signer)->public_key_pem(), head, *signature).ok());
}

TEST(TreeHeadTest, ChangedHeadOrAnotherKeyDoesNotVerify) {
  auto signer = TreeHeadSigner::FromPrivateKeyPem(NewKeyPem(EVP_PKEY_ED25519));
  auto other = TreeHeadSigner::FromPrivateKeyPem(NewKeyPem(EVP_PKEY_ED25519));
  ASSERT_TRUE(signer.ok() && other.ok());
  const TreeHead head = Head(10);
  const std::string signature = *(*signer)->Sign(head);
  TreeHead bigger = head;
  bigger.tree_size = 11;
  EXPECT_EQ(VerifyTreeHead((*signer)->public_key_pem(), bigger, signature).code(),
            absl::StatusCode::kFailedPrecondition);
  TreeHead rewritten = head;
  rewritten.root_hash = Head(9).root_hash;
  EXPECT_EQ(VerifyTreeHead((*signer)->public_key_pem(), rewritten, signature).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(VerifyTreeHead((*other)->public_key_pem(), head, signature).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(TreeHeadTest, OnlyEd25519KeysAreAccepted) {
  EXPECT_EQ(TreeHeadSigner::FromPrivateKeyPem(NewKeyPem(EVP_PKEY_RSA)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TreeHeadSigner::FromPrivateKeyPem("not a key").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyTreeHead("not a key", Head(1), std::string(64, '\0')).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace isms::audit
