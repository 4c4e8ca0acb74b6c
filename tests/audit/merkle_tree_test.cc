// The Merkle tree against RFC 9162 section 2.1, checked by a straightforward
// recursive implementation of the RFC's definitions written here: roots,
// inclusion proofs and consistency proofs for every tree size from 1 to 70,
// every leaf and every pair of sizes; and the verifiers accept exactly the
// proofs that hold.

#include "services/audit/merkle_tree.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace isms::audit {
namespace {

// ---- The RFC's definitions, spelled out with no shared code. ----

std::string RfcSha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), SHA256_DIGEST_LENGTH);
}

size_t RfcK(size_t n) {  // Largest power of two smaller than n.
  size_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

using Leaves = std::vector<std::string>;

Leaves Slice(const Leaves& d, size_t from, size_t to) {
  return Leaves(d.begin() + from, d.begin() + to);
}

std::string Mth(const Leaves& d) {
  if (d.empty()) return RfcSha256("");
  if (d.size() == 1) return RfcSha256(std::string(1, '\0') + d[0]);
  const size_t k = RfcK(d.size());
  return RfcSha256(std::string(1, '\1') + Mth(Slice(d, 0, k)) + Mth(Slice(d, k, d.size())));
}

std::vector<std::string> RfcPath(size_t m, const Leaves& d) {
  if (d.size() == 1) return {};
  const size_t k = RfcK(d.size());
  std::vector<std::string> path;
  if (m < k) {
    path = RfcPath(m, Slice(d, 0, k));
    path.push_back(Mth(Slice(d, k, d.size())));
  } else {
    path = RfcPath(m - k, Slice(d, k, d.size()));
    path.push_back(Mth(Slice(d, 0, k)));
  }
  return path;
}

std::vector<std::string> RfcSubproof(size_t m, const Leaves& d, bool b) {
  if (m == d.size()) return b ? std::vector<std::string>{} : std::vector<std::string>{Mth(d)};
  const size_t k = RfcK(d.size());
  std::vector<std::string> proof;
  if (m <= k) {
    proof = RfcSubproof(m, Slice(d, 0, k), b);
    proof.push_back(Mth(Slice(d, k, d.size())));
  } else {
    proof = RfcSubproof(m - k, Slice(d, k, d.size()), false);
    proof.push_back(Mth(Slice(d, 0, k)));
  }
  return proof;
}

// ---- Tests ----

constexpr size_t kMaxSize = 70;

class MerkleTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (size_t i = 0; i < kMaxSize; ++i) {
      leaves_.push_back(absl::StrCat("event-", i));
      tree_.AppendLeafHash(LeafHash(leaves_.back()));
    }
  }
  Leaves leaves_;
  MerkleTree tree_;
};

TEST_F(MerkleTreeTest, EmptyTreeRootIsTheHashOfNothing) {
  EXPECT_EQ(*tree_.RootAt(0), RfcSha256(""));
  EXPECT_EQ(absl::BytesToHexString(EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(MerkleTreeTest, RootOfEverySizeMatchesTheRfcDefinition) {
  for (size_t n = 1; n <= kMaxSize; ++n) {
    EXPECT_EQ(*tree_.RootAt(n), Mth(Slice(leaves_, 0, n))) << "size " << n;
  }
}

TEST_F(MerkleTreeTest, InclusionProofOfEveryLeafInEverySizeMatchesAndVerifies) {
  for (size_t n = 1; n <= kMaxSize; ++n) {
    const std::string root = Mth(Slice(leaves_, 0, n));
    for (size_t m = 0; m < n; ++m) {
      auto proof = tree_.InclusionProof(m, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_EQ(*proof, RfcPath(m, Slice(leaves_, 0, n))) << "leaf " << m << " size " << n;
      EXPECT_TRUE(VerifyInclusion(LeafHash(leaves_[m]), m, n, *proof, root));
      // Another leaf, another index or another root does not verify.
      EXPECT_FALSE(VerifyInclusion(LeafHash("forged"), m, n, *proof, root));
      if (n > 1) EXPECT_FALSE(VerifyInclusion(LeafHash(leaves_[m]), (m + 1) % n, n, *proof, root));
      EXPECT_FALSE(VerifyInclusion(LeafHash(leaves_[m]), m, n, *proof, RfcSha256("x")));
    }
  }
}

TEST_F(MerkleTreeTest, ConsistencyProofOfEveryPairOfSizesMatchesAndVerifies) {
  for (size_t n = 1; n <= kMaxSize; ++n) {
    const std::string new_root = Mth(Slice(leaves_, 0, n));
    for (size_t m = 1; m <= n; ++m) {
      const std::string old_root = Mth(Slice(leaves_, 0, m));
      auto proof = tree_.ConsistencyProof(m, n);
      ASSERT_TRUE(proof.ok());
      const std::vector<std::string> expected =
          m == n ? std::vector<std::string>{} : RfcSubproof(m, Slice(leaves_, 0, n), true);
      ASSERT_EQ(*proof, expected) << m << " -> " << n;
      EXPECT_TRUE(VerifyConsistency(m, n, old_root, new_root, *proof)) << m << " -> " << n;
      if (m < n) {
        // A rewritten past (another old root) does not verify.
        EXPECT_FALSE(VerifyConsistency(m, n, RfcSha256("rewritten"), new_root, *proof));
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, RfcSha256("other"), *proof));
      }
    }
  }
}

TEST_F(MerkleTreeTest, ATamperedLeafChangesTheRootAndFailsItsProof) {
  Leaves tampered = leaves_;
  tampered[17] = "event-17 altered";
  EXPECT_NE(Mth(tampered), *tree_.RootAt(kMaxSize));
  auto proof = tree_.InclusionProof(17, kMaxSize);
  ASSERT_TRUE(proof.ok());
  EXPECT_FALSE(VerifyInclusion(LeafHash(tampered[17]), 17, kMaxSize, *proof, *tree_.RootAt(kMaxSize)));
}

TEST_F(MerkleTreeTest, SizesAndIndexesBeyondTheTreeAreOutOfRange) {
  EXPECT_EQ(tree_.RootAt(kMaxSize + 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree_.InclusionProof(5, 5).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree_.InclusionProof(0, kMaxSize + 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree_.ConsistencyProof(0, 3).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree_.ConsistencyProof(4, 3).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree_.ConsistencyProof(3, kMaxSize + 1).status().code(),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace isms::audit
