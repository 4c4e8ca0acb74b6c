// Fuzzes the audit log's request handling (services/audit AuditLog) on an
// in-memory store. Input: the first byte picks the request (append, query,
// inclusion proof, consistency proof, range), the rest is that request in
// protobuf binary form. Invariants: every refusal is INVALID_ARGUMENT,
// OUT_OF_RANGE, ALREADY_EXISTS or NOT_FOUND (never a crash, never another
// code); every inclusion and consistency proof given checks against the
// log's root; the log stays intact.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/time/clock.h"
#include "services/audit/audit_log.h"
#include "services/audit/audit_store.h"
#include "services/audit/merkle_tree.h"
#include "services/audit/tree_head.h"

namespace {

using namespace isms::audit;  // NOLINT: a fuzz target's few names.

// A fixed key: signing is not what is fuzzed.
constexpr char kKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIOMfgl9ZH/Ov8bWIkAS39eTG9ZPqVGDNlDMUU6orOR8x\n"
    "-----END PRIVATE KEY-----\n";

// A directory for the log's files, on tmpfs when there is one (every append
// is fsync'd); the log needs files, as its reads, checkpoints and query index
// use connections of their own.
// Removed when the fuzzer exits.
std::string FuzzDirectory() {
  static std::string made;
  for (const char* base : {"/dev/shm", "/tmp"}) {
    std::string path = std::string(base) + "/audit-fuzz-XXXXXX";
    if (mkdtemp(path.data()) == nullptr) continue;
    made = path;
    std::atexit([] { std::filesystem::remove_all(made); });
    return path;
  }
  std::abort();
}

struct Fixture {
  isms::SystemClock clock;
  std::string dir = FuzzDirectory();
  std::unique_ptr<TreeHeadSigner> signer = *TreeHeadSigner::FromPrivateKeyPem(kKeyPem);
  std::unique_ptr<SqliteAuditStore> store =
      *SqliteAuditStore::Open(dir + "/audit.db", isms::SqliteInit::kCreateIfEmpty);
  std::unique_ptr<QueryIndex> index = *QueryIndex::Open(dir + "/audit-index.db", dir + "/audit.db");
  std::unique_ptr<AuditLog> log = *AuditLog::Open(*store, *index, *signer, clock);
};

void Check(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kNotFound:
      return;
    default:
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* const fixture = new Fixture();
  AuditLog& log = *fixture->log;
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      isms::audit::v1::AppendEventsRequest request;
      if (!request.ParseFromString(body)) return 0;
      Check(log.Append("services/fuzz", request.events()).status());
      break;
    }
    case 1: {
      isms::audit::v1::QueryEventsRequest request;
      if (!request.ParseFromString(body)) return 0;
      Check(log.Query(request).status());
      break;
    }
    case 2: {
      isms::audit::v1::GetInclusionProofRequest request;
      if (!request.ParseFromString(body)) return 0;
      auto proof = log.InclusionProof(request);
      Check(proof.status());
      if (proof.ok()) {
        std::vector<std::string> hashes(proof->hashes().begin(), proof->hashes().end());
        auto root = log.LatestHead();
        if (proof->tree_size() == root.tree_size() &&
            !VerifyInclusion(proof->leaf_hash(), proof->index(), proof->tree_size(), hashes,
                             root.root_hash())) {
          std::abort();
        }
      }
      break;
    }
    case 3: {
      isms::audit::v1::GetConsistencyProofRequest request;
      if (!request.ParseFromString(body)) return 0;
      Check(log.ConsistencyProof(request).status());
      break;
    }
    case 4: {
      isms::audit::v1::VerifyLogRequest request;
      if (!request.ParseFromString(body)) return 0;
      auto range = log.Range(request.start_index(), request.end_index());
      Check(range.status());
      if (range.ok()) {
        auto verified = log.Verify(range->first, range->second);
        if (!verified.ok() || !verified->intact()) std::abort();
      }
      break;
    }
  }
  return 0;
}
