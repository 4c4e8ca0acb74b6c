#include "services/audit/merkle_tree.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace isms::audit {
namespace {

// A digest context owned by one thread and freed when the thread ends.
struct ThreadContext {
  EVP_MD_CTX* const context = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(context); }
};

std::string Sha256(absl::string_view a, absl::string_view b = {}, absl::string_view c = {}) {
  // One context a thread, reused: creating one per hash costs more than the hash.
  thread_local ThreadContext thread_context;
  EVP_MD_CTX* const context = thread_context.context;
  // Fetched once: OpenSSL 3 looks EVP_sha256() up in its provider on every use.
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_DigestInit_ex(context, sha256, nullptr);
  EVP_DigestUpdate(context, a.data(), a.size());
  EVP_DigestUpdate(context, b.data(), b.size());
  EVP_DigestUpdate(context, c.data(), c.size());
  std::string digest(32, '\0');
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, reinterpret_cast<unsigned char*>(digest.data()), &length);
  return digest;
}

// The largest power of two strictly smaller than n (n >= 2).
uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

int Log2(uint64_t n) {
  int h = 0;
  while ((uint64_t{1} << h) < n) ++h;
  return h;
}

absl::Status OutOfRange(absl::string_view what) { return absl::OutOfRangeError(what); }

}  // namespace

std::string LeafHash(absl::string_view leaf) { return Sha256(absl::string_view("\x00", 1), leaf); }

std::string NodeHash(absl::string_view left, absl::string_view right) {
  return Sha256(absl::string_view("\x01", 1), left, right);
}

std::string EmptyRoot() { return Sha256(""); }

std::string Sha256Digest(absl::string_view data) { return Sha256(data); }

MerkleTree::Hash MerkleTree::FromBytes(absl::string_view bytes) {
  Hash hash{};
  std::memcpy(hash.data(), bytes.data(), std::min(bytes.size(), hash.size()));
  return hash;
}

void MerkleTree::AppendLeafHash(absl::string_view leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(FromBytes(leaf_hash));
  // Complete every subtree the new leaf closes.
  for (size_t h = 0; levels_[h].size() % 2 == 0; ++h) {
    if (levels_.size() == h + 1) levels_.emplace_back();
    const std::vector<Hash>& level = levels_[h];
    levels_[h + 1].push_back(
        FromBytes(NodeHash(View(level[level.size() - 2]), View(level[level.size() - 1]))));
  }
}

void MerkleTree::Truncate(uint64_t tree_size) {
  // Level h keeps the complete subtrees of 2^h leaves that lie within the
  // first tree_size leaves.
  for (size_t h = 0; h < levels_.size(); ++h) levels_[h].resize(tree_size >> h);
}

std::string MerkleTree::SubtreeHash(uint64_t start, uint64_t count) const {
  if (IsPowerOfTwo(count)) return std::string(View(levels_[Log2(count)][start >> Log2(count)]));
  const uint64_t k = SplitPoint(count);
  return NodeHash(SubtreeHash(start, k), SubtreeHash(start + k, count - k));
}

absl::StatusOr<std::string> MerkleTree::RootAt(uint64_t tree_size) const {
  if (tree_size > size()) {
    return OutOfRange(absl::StrCat("tree_size: ", tree_size, " is beyond the log's ", size()));
  }
  if (tree_size == 0) return EmptyRoot();
  return SubtreeHash(0, tree_size);
}

// PATH(m, D[start:start+count]) of RFC 9162 2.1.3.1, appended to `proof`.
void MerkleTree::Path(uint64_t index, uint64_t start, uint64_t count,
                      std::vector<std::string>& proof) const {
  if (count <= 1) return;
  const uint64_t k = SplitPoint(count);
  if (index < k) {
    Path(index, start, k, proof);
    proof.push_back(SubtreeHash(start + k, count - k));
  } else {
    Path(index - k, start + k, count - k, proof);
    proof.push_back(SubtreeHash(start, k));
  }
}

absl::StatusOr<std::vector<std::string>> MerkleTree::InclusionProof(uint64_t index,
                                                                    uint64_t tree_size) const {
  if (tree_size > size()) {
    return OutOfRange(absl::StrCat("tree_size: ", tree_size, " is beyond the log's ", size()));
  }
  if (index >= tree_size) {
    return OutOfRange(absl::StrCat("index: ", index, " is not below tree_size ", tree_size));
  }
  std::vector<std::string> proof;
  Path(index, 0, tree_size, proof);
  return proof;
}

// SUBPROOF(m, D[start:start+count], whole) of RFC 9162 2.1.4.1.
void MerkleTree::SubProof(uint64_t m, uint64_t start, uint64_t count, bool whole,
                          std::vector<std::string>& proof) const {
  if (m == count) {
    if (!whole) proof.push_back(SubtreeHash(start, count));
    return;
  }
  const uint64_t k = SplitPoint(count);
  if (m <= k) {
    SubProof(m, start, k, whole, proof);
    proof.push_back(SubtreeHash(start + k, count - k));
  } else {
    SubProof(m - k, start + k, count - k, false, proof);
    proof.push_back(SubtreeHash(start, k));
  }
}

absl::StatusOr<std::vector<std::string>> MerkleTree::ConsistencyProof(uint64_t old_size,
                                                                      uint64_t new_size) const {
  if (new_size > size()) {
    return OutOfRange(absl::StrCat("new_size: ", new_size, " is beyond the log's ", size()));
  }
  if (old_size == 0 || old_size > new_size) {
    return OutOfRange(
        absl::StrCat("old_size: want 1 to new_size (", new_size, "), got ", old_size));
  }
  std::vector<std::string> proof;
  if (old_size < new_size) SubProof(old_size, 0, new_size, true, proof);
  return proof;
}

bool VerifyInclusion(absl::string_view leaf_hash, uint64_t index, uint64_t tree_size,
                     const std::vector<std::string>& proof, absl::string_view root) {
  if (index >= tree_size) return false;
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size, absl::string_view old_root,
                       absl::string_view new_root, const std::vector<std::string>& proof) {
  if (old_size == 0 || old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (proof.empty()) return false;
  std::vector<std::string> path = proof;
  // If old_size is a power of two, the old root is the first node.
  if (IsPowerOfTwo(old_size)) path.insert(path.begin(), std::string(old_root));
  if (path.empty()) return false;
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0];
  std::string sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == old_root && sr == new_root;
}

}  // namespace isms::audit
