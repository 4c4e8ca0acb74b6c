#ifndef ISMS_SERVICES_AUDIT_MERKLE_TREE_H_
#define ISMS_SERVICES_AUDIT_MERKLE_TREE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace isms::audit {

// The Merkle tree of RFC 9162 section 2.1 (Certificate Transparency v2):
//   MTH({})        = SHA-256()
//   MTH({d(0)})    = SHA-256(0x00 || d(0))                       (leaf hash)
//   MTH(D[n])      = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) (node hash)
// where k is the largest power of two smaller than n. Hashes are 32 raw
// bytes. Any RFC 9162 verifier accepts the proofs built here.

// SHA-256(data), 32 raw bytes.
std::string Sha256Digest(absl::string_view data);
// SHA-256(0x00 || leaf).
std::string LeafHash(absl::string_view leaf);
// SHA-256(0x01 || left || right).
std::string NodeHash(absl::string_view left, absl::string_view right);
// SHA-256 of the empty string: the root of the empty tree.
std::string EmptyRoot();

// An append-only tree of leaf hashes that answers roots and proofs for any
// size it has reached, in O(log n) hashes each: it keeps the hash of every
// complete, aligned subtree. Not thread-safe: the owner locks.
class MerkleTree {
 public:
  // Appends a leaf by its hash (LeafHash of the leaf's bytes: 32 bytes; a
  // stored hash of another length is cut or zero-padded to 32, and then no
  // longer gives the signed root).
  void AppendLeafHash(absl::string_view leaf_hash);
  // Forgets every leaf from `tree_size` on (an append whose commit failed).
  // REQUIRES: tree_size <= size().
  void Truncate(uint64_t tree_size);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  absl::string_view leaf_hash(uint64_t index) const { return View(levels_[0][index]); }

  // MTH of the first `tree_size` leaves. OutOfRange when tree_size > size().
  absl::StatusOr<std::string> RootAt(uint64_t tree_size) const;
  // The audit path of leaf `index` in the tree of the first `tree_size`
  // leaves (RFC 9162 2.1.3.1). OutOfRange unless index < tree_size <= size().
  absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  // The consistency proof between the trees of the first `old_size` and
  // `new_size` leaves (RFC 9162 2.1.4.1). OutOfRange unless
  // 0 < old_size <= new_size <= size().
  absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t old_size,
                                                            uint64_t new_size) const;

 private:
  // MTH of leaves [start, start + count). REQUIRES: count > 0, in range,
  // start a multiple of the largest power of two <= count (always so for
  // the subtrees RFC 9162's recursion visits).
  std::string SubtreeHash(uint64_t start, uint64_t count) const;
  void Path(uint64_t index, uint64_t start, uint64_t count, std::vector<std::string>& proof) const;
  void SubProof(uint64_t m, uint64_t start, uint64_t count, bool whole,
                std::vector<std::string>& proof) const;

  // 32 bytes, held inline: a std::string each took about 80 bytes of heap
  // per node, so the tree took 160 MB per million events instead of 64.
  using Hash = std::array<char, 32>;
  static absl::string_view View(const Hash& hash) { return {hash.data(), hash.size()}; }
  static Hash FromBytes(absl::string_view bytes);

  // levels_[h][i]: hash of the complete subtree of 2^h leaves from i * 2^h.
  std::vector<std::vector<Hash>> levels_;
};

// Verifies an inclusion proof (RFC 9162 2.1.3.2): true when `proof` shows
// that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves whose
// root is `root`.
bool VerifyInclusion(absl::string_view leaf_hash, uint64_t index, uint64_t tree_size,
                     const std::vector<std::string>& proof, absl::string_view root);

// Verifies a consistency proof (RFC 9162 2.1.4.2): true when `proof` shows
// that the tree of `old_size` leaves with root `old_root` is a prefix of the
// tree of `new_size` leaves with root `new_root`.
bool VerifyConsistency(uint64_t old_size, uint64_t new_size, absl::string_view old_root,
                       absl::string_view new_root, const std::vector<std::string>& proof);

}  // namespace isms::audit

#endif  // ISMS_SERVICES_AUDIT_MERKLE_TREE_H_
