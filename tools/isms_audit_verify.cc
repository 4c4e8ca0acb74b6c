// isms-audit-verify: checks the audit log without trusting the audit service.
//
//   isms-audit-verify --address=127.0.0.1:7002 --token_file=auditor.token \
//     --public_key_file=audit-public.pem --state_file=~/.isms-audit-head [--event_index=42]
//
// 1. Fetches the latest signed tree head and checks its Ed25519 signature
//    with the public key you hold (never one the server hands out now).
// 2. If --state_file holds a head from an earlier run, asks for a
//    consistency proof from that head to the new one and checks it (RFC 9162
//    2.1.4.2): the log only grew, nothing it held was rewritten or removed.
// 3. For each --event_index, fetches the event's leaf bytes, hashes them
//    itself, asks for an inclusion proof against the new head and checks it
//    (RFC 9162 2.1.3.2).
// 4. Only when every check passed, keeps the new head in --state_file.
// Exit status: 0 all checks passed; 2 a check failed (the log or the head
// cannot be trusted); 1 the checks could not be made (flags, network).

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/client/channel_credentials.h"
#include "common/client/peer_channel.h"
#include "common/files/file_io.h"
#include "isms/audit/v1/audit_service.grpc.pb.h"
#include "services/audit/merkle_tree.h"
#include "services/audit/tree_head.h"

ABSL_FLAG(std::string, address, "127.0.0.1:7002", "host:port of the audit service");
ABSL_FLAG(std::string, token_file, "", "file whose first line is your bearer token");
ABSL_FLAG(std::string, public_key_file, "",
          "the audit service's Ed25519 public key (PEM) as you obtained it out of band");
ABSL_FLAG(std::string, state_file, "",
          "where the last verified head is kept between runs; empty: do not keep one");
ABSL_FLAG(std::vector<std::string>, event_index, {},
          "log indexes of events whose inclusion to prove (comma-separated)");
ABSL_FLAG(int, timeout_ms, 30000, "deadline of each call");
ABSL_FLAG(std::string, tls_ca_file, "", "PEM CA of the server's certificate; set: use TLS");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM client certificate (mutual TLS)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM key of --tls_cert_file");

namespace {

namespace v1 = isms::audit::v1;
using isms::audit::TreeHead;

constexpr int kCannotCheck = 1;
constexpr int kCheckFailed = 2;

int Fail(int code, absl::string_view message) {
  std::cerr << (code == kCheckFailed ? "VERIFICATION FAILED: " : "error: ") << message << "\n";
  return code;
}

struct KeptHead {
  TreeHead head;
  std::string signature;
};

TreeHead FromProto(const v1::SignedTreeHead& proto) {
  TreeHead head;
  head.tree_size = proto.tree_size();
  head.root_hash = proto.root_hash();
  head.timestamp = absl::FromUnixSeconds(proto.timestamp().seconds()) +
                   absl::Nanoseconds(proto.timestamp().nanos());
  return head;
}

// State file: one line "<tree_size> <root hex> <unix ms> <signature hex>".
std::string FormatKept(const KeptHead& kept) {
  return absl::StrCat(kept.head.tree_size, " ", absl::BytesToHexString(kept.head.root_hash), " ",
                      absl::ToUnixMillis(kept.head.timestamp), " ",
                      absl::BytesToHexString(kept.signature), "\n");
}

absl::StatusOr<KeptHead> ParseKept(absl::string_view text) {
  std::vector<std::string> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  KeptHead kept;
  int64_t millis = 0;
  if (fields.size() != 4 || !absl::SimpleAtoi(fields[0], &kept.head.tree_size) ||
      !absl::SimpleAtoi(fields[2], &millis) || fields[1].size() != 64 || fields[3].size() != 128) {
    return absl::InvalidArgumentError("state file: want '<size> <root hex> <ms> <signature hex>'");
  }
  kept.head.root_hash = absl::HexStringToBytes(fields[1]);
  kept.head.timestamp = absl::FromUnixMillis(millis);
  kept.signature = absl::HexStringToBytes(fields[3]);
  return kept;
}

class Verifier {
 public:
  Verifier(std::shared_ptr<grpc::Channel> channel, std::string token, absl::Duration timeout)
      : stub_(v1::AuditService::NewStub(channel)), token_(std::move(token)), timeout_(timeout) {}

  void Prepare(grpc::ClientContext& context) const {
    if (!token_.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  }

  // The leaf bytes of event `index`, as stored in the log.
  absl::StatusOr<std::string> Leaf(uint64_t index) {
    grpc::ClientContext context;
    Prepare(context);
    v1::ExportEventsRequest request;
    request.set_start_index(index);
    request.set_end_index(index + 1);
    auto reader = stub_->ExportEvents(&context, request);
    v1::ExportEventsResponse response;
    std::string leaf;
    while (reader->Read(&response)) {
      for (const v1::LogEntry& entry : response.entries()) leaf = entry.leaf();
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    return leaf;
  }

  std::unique_ptr<v1::AuditService::Stub> stub_;

 private:
  const std::string token_;
  const absl::Duration timeout_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string key_file = absl::GetFlag(FLAGS_public_key_file);
  if (key_file.empty()) return Fail(kCannotCheck, "--public_key_file is required");
  absl::StatusOr<std::string> public_key = isms::ReadWholeFile(key_file);
  if (!public_key.ok()) return Fail(kCannotCheck, public_key.status().message());
  std::string token;
  if (!absl::GetFlag(FLAGS_token_file).empty()) {
    absl::StatusOr<std::string> read = isms::ReadTokenFile(absl::GetFlag(FLAGS_token_file));
    if (!read.ok()) return Fail(kCannotCheck, read.status().message());
    token = *read;
  }
  auto credentials = isms::ClientChannelCredentials(absl::GetFlag(FLAGS_tls_ca_file),
                                                    absl::GetFlag(FLAGS_tls_cert_file),
                                                    absl::GetFlag(FLAGS_tls_key_file));
  if (!credentials.ok()) return Fail(kCannotCheck, credentials.status().message());
  Verifier verifier(grpc::CreateChannel(absl::GetFlag(FLAGS_address), *credentials), token,
                    absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));

  // 1. The head, signed by the key we hold.
  v1::SignedTreeHead signed_head;
  {
    grpc::ClientContext context;
    verifier.Prepare(context);
    grpc::Status status = verifier.stub_->GetTreeHead(&context, {}, &signed_head);
    if (!status.ok())
      return Fail(kCannotCheck, absl::StrCat("GetTreeHead: ", status.error_message()));
  }
  const KeptHead latest{FromProto(signed_head), signed_head.signature()};
  absl::Status signature = isms::audit::VerifyTreeHead(*public_key, latest.head, latest.signature);
  if (signature.code() == absl::StatusCode::kInvalidArgument) {
    return Fail(kCannotCheck, signature.message());
  }
  if (!signature.ok()) {
    return Fail(kCheckFailed, absl::StrCat("the tree head of size ", latest.head.tree_size,
                                           " is not signed by the key in ", key_file));
  }
  std::cout << "head: size " << latest.head.tree_size << ", root "
            << absl::BytesToHexString(latest.head.root_hash) << ", signed "
            << absl::FormatTime(latest.head.timestamp) << ": signature OK\n";

  // 2. The log only grew since the head we kept.
  const std::string state_file = absl::GetFlag(FLAGS_state_file);
  if (!state_file.empty() && std::filesystem::exists(state_file)) {
    absl::StatusOr<std::string> text = isms::ReadWholeFile(state_file);
    if (!text.ok()) return Fail(kCannotCheck, text.status().message());
    absl::StatusOr<KeptHead> kept = ParseKept(*text);
    if (!kept.ok()) return Fail(kCannotCheck, kept.status().message());
    if (!isms::audit::VerifyTreeHead(*public_key, kept->head, kept->signature).ok()) {
      // The key was replaced, or the kept head was: either way the log's
      // history cannot be vouched for.
      return Fail(kCheckFailed, absl::StrCat("the head kept in ", state_file,
                                             " is not signed by the key in ", key_file));
    }
    if (kept->head.tree_size > latest.head.tree_size) {
      return Fail(kCheckFailed, absl::StrCat("the log shrank: kept head has ", kept->head.tree_size,
                                             " events, the new one ", latest.head.tree_size));
    }
    if (kept->head.tree_size == latest.head.tree_size) {
      if (kept->head.root_hash != latest.head.root_hash) {
        return Fail(kCheckFailed, "same size, different root: the log was rewritten");
      }
    } else if (kept->head.tree_size > 0) {
      v1::GetConsistencyProofRequest request;
      request.set_first_size(kept->head.tree_size);
      request.set_second_size(latest.head.tree_size);
      v1::ConsistencyProof proof;
      grpc::ClientContext context;
      verifier.Prepare(context);
      grpc::Status status = verifier.stub_->GetConsistencyProof(&context, request, &proof);
      if (!status.ok()) {
        return Fail(kCannotCheck, absl::StrCat("GetConsistencyProof: ", status.error_message()));
      }
      std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
      if (!isms::audit::VerifyConsistency(kept->head.tree_size, latest.head.tree_size,
                                          kept->head.root_hash, latest.head.root_hash, hashes)) {
        return Fail(kCheckFailed,
                    absl::StrCat("no valid consistency proof from the kept head of size ",
                                 kept->head.tree_size, " to size ", latest.head.tree_size,
                                 ": the log was rewritten"));
      }
    }
    std::cout << "consistency: the log at size " << latest.head.tree_size
              << " extends the kept head of size " << kept->head.tree_size << ": OK\n";
  }

  // 3. Inclusion of the events asked about.
  for (const std::string& text : absl::GetFlag(FLAGS_event_index)) {
    uint64_t index = 0;
    if (!absl::SimpleAtoi(text, &index)) return Fail(kCannotCheck, "--event_index: not a number");
    if (index >= latest.head.tree_size) {
      return Fail(kCannotCheck, absl::StrCat("event ", index, " is not in the head of size ",
                                             latest.head.tree_size));
    }
    absl::StatusOr<std::string> leaf = verifier.Leaf(index);
    if (!leaf.ok())
      return Fail(kCannotCheck, absl::StrCat("ExportEvents: ", leaf.status().message()));
    const std::string leaf_hash = isms::audit::LeafHash(*leaf);
    v1::GetInclusionProofRequest request;
    request.set_index(index);
    request.set_tree_size(latest.head.tree_size);
    v1::InclusionProof proof;
    grpc::ClientContext context;
    verifier.Prepare(context);
    grpc::Status status = verifier.stub_->GetInclusionProof(&context, request, &proof);
    if (!status.ok()) {
      return Fail(kCannotCheck, absl::StrCat("GetInclusionProof: ", status.error_message()));
    }
    std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
    if (!isms::audit::VerifyInclusion(leaf_hash, index, latest.head.tree_size, hashes,
                                      latest.head.root_hash)) {
      return Fail(kCheckFailed, absl::StrCat("event ", index,
                                             " as stored is not the leaf the signed head holds"));
    }
    std::cout << "inclusion: event " << index << " (leaf " << absl::BytesToHexString(leaf_hash)
              << ") is in the signed head: OK\n";
  }

  // 4. Keep the head for the next run.
  if (!state_file.empty()) {
    absl::Status kept = isms::WriteFileAtomically(state_file, FormatKept(latest));
    if (!kept.ok()) return Fail(kCannotCheck, kept.message());
  }
  std::cout << "all checks passed\n";
  return 0;
}
