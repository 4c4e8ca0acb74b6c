// The real audit service binary: who may append and read, bad input over
// the wire, the export stream, tampering behind its back, proofs that check
// with the verifier people run, and kill -9 in the middle of appends.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/audit/merkle_tree.h"
#include "tests/audit/test_keys.h"
#include "tests/integration/audit_suite.h"
#include "tests/integration/raw_http2_client.h"

namespace isms::testing {
namespace {

namespace v1 = ::isms::audit::v1;
using ::testing::HasSubstr;

// Runs a command, returning its exit status and what it printed.
int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[512];
  output->clear();
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output->append(buffer);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class AuditServiceTest : public AuditSuite {
 protected:
  void SetUp() override {
    AuditSuite::SetUp();
    StartAudit();
  }

  std::string Verifier(const std::string& extra) {
    return absl::StrCat(ISMS_AUDIT_VERIFY_BINARY, " --address=", audit_server_->address(),
                        " --token_file=", TokenFileOf(kSiemToken),
                        " --public_key_file=", PublicKeyFile(), " --state_file=", path(),
                        "/verifier-state ", extra);
  }

  void AppendMany(int count, const std::string& prefix, int batch = 500) {
    for (int start = 0; start < count; start += batch) {
      std::vector<v1::AuditEvent> events;
      for (int i = start; i < std::min(count, start + batch); ++i) {
        events.push_back(TestEvent(absl::StrCat(prefix, "-", i)));
      }
      grpc::Status status = Append(events);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  v1::SignedTreeHead Head() {
    grpc::ClientContext context;
    Prepare(context, kNobodyToken);
    v1::SignedTreeHead head;
    grpc::Status status = audit_->GetTreeHead(&context, {}, &head);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return head;
  }
};

TEST_F(AuditServiceTest, OnlyServicesWithTheAppendCapabilityAppendAndRefusalsAreLogged) {
  for (const char* token : {kRootToken, kPlainServiceToken, kSiemToken}) {
    grpc::Status status = Append({TestEvent(absl::StrCat("from-", token))}, nullptr, token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << token;
  }
  EXPECT_EQ(Append({TestEvent("no-token")}, nullptr, "wrong-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Nothing appended but the refusals, which the service wrote itself.
  std::vector<v1::LogEntry> entries = ExportAll();
  ASSERT_GE(entries.size(), 3u);
  std::set<std::string> refused_actors;
  for (const auto& entry : entries) {
    EXPECT_EQ(entry.logged().submitter(), "services/audit");
    if (entry.logged().event().outcome() == v1::OUTCOME_DENIED) {
      refused_actors.insert(entry.logged().event().actor());
    }
  }
  EXPECT_EQ(refused_actors,
            (std::set<std::string>{"principals/root", "services/plain", "services/siem"}));
}

TEST_F(AuditServiceTest, AServiceActingForSomeoneLendsThemNeitherAppendNorRead) {
  // services/gateway may append and read for itself; acting for a person it
  // may do neither on their behalf: appends are refused, and the read is the
  // person's to be allowed, which no role service is here to do.
  {
    grpc::ClientContext context;
    Prepare(context, kGatewayToken);
    context.AddMetadata("x-isms-on-behalf-of", "principals/nobody");
    v1::AppendEventsRequest request;
    *request.add_events() = TestEvent("for-nobody");
    v1::AppendEventsResponse response;
    EXPECT_EQ(audit_->AppendEvents(&context, request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext context;
    Prepare(context, kGatewayToken);
    context.AddMetadata("x-isms-on-behalf-of", "principals/nobody");
    v1::QueryEventsResponse response;
    EXPECT_EQ(audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
  // For itself, both are allowed.
  EXPECT_TRUE(Append({TestEvent("for-itself")}, nullptr, kGatewayToken).ok());
  grpc::ClientContext context;
  Prepare(context, kGatewayToken);
  v1::QueryEventsResponse response;
  EXPECT_TRUE(audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response).ok());
}

TEST_F(AuditServiceTest, BadInputIsRefusedNamingTheFieldOverTheWire) {
  std::vector<v1::AuditEvent> too_many;
  for (int i = 0; i < 1001; ++i) too_many.push_back(TestEvent(absl::StrCat("e", i)));
  grpc::Status status = Append(too_many);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("events"));
  ASSERT_TRUE(Append({TestEvent("a"), TestEvent("b")}).ok());

  {
    grpc::ClientContext context;
    Prepare(context, kSiemToken);
    v1::GetInclusionProofRequest request;
    request.set_index(99);
    v1::InclusionProof proof;
    status = audit_->GetInclusionProof(&context, request, &proof);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
    EXPECT_THAT(status.error_message(), HasSubstr("index"));
  }
  {
    grpc::ClientContext context;
    Prepare(context, kSiemToken);
    v1::GetConsistencyProofRequest request;
    request.set_first_size(1);
    request.set_second_size(1000);
    v1::ConsistencyProof proof;
    status = audit_->GetConsistencyProof(&context, request, &proof);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
    EXPECT_THAT(status.error_message(), HasSubstr("second_size"));
  }
  {
    grpc::ClientContext context;
    Prepare(context, kSiemToken);
    v1::ExportEventsRequest request;
    request.set_start_index(2);
    request.set_end_index(1);
    auto reader = audit_->ExportEvents(&context, request);
    v1::ExportEventsResponse response;
    EXPECT_FALSE(reader->Read(&response));
    status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
    EXPECT_THAT(status.error_message(), HasSubstr("start_index"));
  }
  {
    grpc::ClientContext context;
    Prepare(context, kSiemToken);
    v1::VerifyLogRequest request;
    request.set_end_index(1u << 30);
    v1::VerifyLogResponse response;
    status = audit_->VerifyLog(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
    EXPECT_THAT(status.error_message(), HasSubstr("end_index"));
  }
  {
    grpc::ClientContext context;
    Prepare(context, kSiemToken);
    v1::QueryEventsRequest request;
    request.set_page_token("forged");
    v1::QueryEventsResponse response;
    status = audit_->QueryEvents(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
  }
}

TEST_F(AuditServiceTest, PeopleCannotReadWhileTheRoleServiceCannotBeAsked) {
  // No role service runs: a person's read is UNAVAILABLE, never allowed.
  grpc::ClientContext context;
  Prepare(context, kRootToken);
  v1::QueryEventsResponse response;
  grpc::Status status = audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // Heads are for anyone authenticated.
  EXPECT_EQ(Head().tree_size(), 0u);
}

TEST_F(AuditServiceTest, ExportStreamsTheRangeInOrderAndReadsAreThemselvesLogged) {
  AppendMany(1200, "x");
  std::vector<v1::LogEntry> entries = ExportAll();
  ASSERT_GE(entries.size(), 1200u);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].logged().index(), i);
    EXPECT_EQ(audit::LeafHash(entries[i].leaf()).size(), 32u);
  }
  EXPECT_EQ(entries[1199].logged().event().event_id(), "x-1199");
  // The export is in the log, with who asked and what.
  grpc::ClientContext context;
  Prepare(context, kSiemToken);
  v1::QueryEventsRequest request;
  request.set_method("/isms.audit.v1.AuditService/ExportEvents");
  request.set_actor("services/siem");
  v1::QueryEventsResponse response;
  ASSERT_TRUE(audit_->QueryEvents(&context, request, &response).ok());
  ASSERT_EQ(response.entries_size(), 1);
  EXPECT_EQ(response.entries(0).logged().event().attributes().at("end_index"), "1200");
}

TEST_F(AuditServiceTest, AnEventChangedBehindTheServicesBackIsReportedAndItsProofFails) {
  AppendMany(50, "t");
  const v1::SignedTreeHead head = Head();
  std::string output;
  ASSERT_EQ(RunCommand(Verifier("--event_index=20"), &output), 0) << output;

  // Rewrite event 20 in the database while the service runs.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(AuditDatabase().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(db, "SELECT leaf FROM events WHERE idx = 20", -1, &select, nullptr);
  ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
  v1::LoggedEvent logged;
  ASSERT_TRUE(
      logged.ParseFromArray(sqlite3_column_blob(select, 0), sqlite3_column_bytes(select, 0)));
  sqlite3_finalize(select);
  logged.mutable_event()->set_description("nothing happened here");
  const std::string forged = logged.SerializeAsString();
  sqlite3_stmt* update = nullptr;
  sqlite3_prepare_v2(db, "UPDATE events SET leaf = ? WHERE idx = 20", -1, &update, nullptr);
  sqlite3_bind_blob(update, 1, forged.data(), static_cast<int>(forged.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(update), SQLITE_DONE);
  sqlite3_finalize(update);
  sqlite3_close(db);

  grpc::ClientContext context;
  Prepare(context, kSiemToken);
  v1::VerifyLogResponse verified;
  ASSERT_TRUE(audit_->VerifyLog(&context, v1::VerifyLogRequest(), &verified).ok());
  EXPECT_FALSE(verified.intact());
  EXPECT_EQ(verified.first_mismatch_index(), 20u);

  // The forged leaf does not check against the signed head.
  grpc::ClientContext proof_context;
  Prepare(proof_context, kSiemToken);
  v1::GetInclusionProofRequest request;
  request.set_index(20);
  request.set_tree_size(head.tree_size());
  v1::InclusionProof proof;
  ASSERT_TRUE(audit_->GetInclusionProof(&proof_context, request, &proof).ok());
  std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
  EXPECT_FALSE(audit::VerifyInclusion(audit::LeafHash(forged), 20, head.tree_size(), hashes,
                                      head.root_hash()));
  EXPECT_TRUE(
      audit::VerifyInclusion(proof.leaf_hash(), 20, head.tree_size(), hashes, head.root_hash()));
  // The verifier people run cannot prove it either.
  EXPECT_NE(RunCommand(Verifier("--event_index=20"), &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("event 20"));
}

TEST_F(AuditServiceTest, AHeadKeptBefore10000MoreEventsGetsAConsistencyProofThatChecks) {
  AppendMany(100, "before");
  std::string output;
  ASSERT_EQ(RunCommand(Verifier(""), &output), 0) << output;
  const v1::SignedTreeHead kept = Head();
  AppendMany(10000, "after");
  EXPECT_EQ(RunCommand(Verifier("--event_index=0,50,5000"), &output), 0) << output;
  EXPECT_THAT(output, HasSubstr(absl::StrCat("extends the kept head of size ", kept.tree_size())));

  const v1::SignedTreeHead now = Head();
  grpc::ClientContext context;
  Prepare(context, kSiemToken);
  v1::GetConsistencyProofRequest request;
  request.set_first_size(kept.tree_size());
  request.set_second_size(now.tree_size());
  v1::ConsistencyProof proof;
  ASSERT_TRUE(audit_->GetConsistencyProof(&context, request, &proof).ok());
  std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
  EXPECT_TRUE(audit::VerifyConsistency(kept.tree_size(), now.tree_size(), kept.root_hash(),
                                       now.root_hash(), hashes));
  // A verifier holding another key refuses the head.
  std::string other_key_output;
  EXPECT_EQ(
      RunCommand(absl::StrCat(ISMS_AUDIT_VERIFY_BINARY, " --address=", audit_server_->address(),
                              " --token_file=", TokenFileOf(kSiemToken), " --public_key_file=",
                              ISMS_SOURCE_DIR, "/tests/audit/testdata/other-public.pem"),
                 &other_key_output),
      2)
      << other_key_output;
}

TEST_F(AuditServiceTest, AClientThatStopsReadingAnExportDoesNotHoldUpShutdown) {
  StopAudit();
  StartAudit({"--shutdown_timeout=1s"});
  AppendMany(3000, "s");  // About 1.3 MB: far more than a stream's window.
  // Clients that ask for the whole log and then never open their windows
  // again: the service's writes to them stall for good.
  std::vector<std::unique_ptr<RawHttp2Connection>> stalled;
  const int port =
      std::stoi(audit_server_->address().substr(audit_server_->address().rfind(':') + 1));
  for (int i = 0; i < 3; ++i) {
    auto connection = RawHttp2Connection::Connect(port);
    ASSERT_TRUE(connection.ok()) << connection.status();
    RawHttp2Connection::Headers headers =
        RawHttp2Connection::GrpcRequestHeaders("/isms.audit.v1.AuditService/ExportEvents");
    headers.emplace_back("authorization", absl::StrCat("Bearer ", kSiemToken));
    ASSERT_TRUE((*connection)->SendHeaders(1, headers, false));
    ASSERT_TRUE((*connection)->SendData(1, std::string(5, '\0'), true, absl::Seconds(5)));
    stalled.push_back(*std::move(connection));
  }
  absl::SleepFor(absl::Seconds(1));
  audit_server_->Signal(SIGTERM);
  auto exited = audit_server_->Wait(absl::Seconds(30));
  ASSERT_TRUE(exited.ok()) << "still running 30 s after SIGTERM with --shutdown_timeout=1s";
  EXPECT_TRUE(WIFEXITED(*exited));
  audit_server_.reset();
}

TEST_F(AuditServiceTest, AStartRefusedForAnotherKeyLeavesThePublishedKeyAlone) {
  AppendMany(3, "k");
  StopAudit();
  std::ifstream before_file(PublicKeyFile());
  const std::string before((std::istreambuf_iterator<char>(before_file)),
                           std::istreambuf_iterator<char>());
  const std::string other_key = path() + "/other-key.pem";
  std::ofstream(other_key) << audit::NewKeyPem();
  auto refused = ServerProcess::Start(ISMS_AUDIT_SERVICE_BINARY,
                                      {absl::StrCat("--data_dir=", path(), "/audit-data"),
                                       absl::StrCat("--token_file=", path(), "/audit-tokens"),
                                       absl::StrCat("--signing_key_file=", other_key),
                                       absl::StrCat("--public_key_file=", PublicKeyFile())},
                                      path() + "/refused.log", absl::Seconds(10));
  EXPECT_FALSE(refused.ok());
  std::ifstream after_file(PublicKeyFile());
  const std::string after((std::istreambuf_iterator<char>(after_file)),
                          std::istreambuf_iterator<char>());
  EXPECT_EQ(after, before);
}

TEST_F(AuditServiceTest, KillDashNineInTheMiddleOfBatchesLosesAndDoublesNothing) {
  // A sender appends numbered batches until the service dies; every batch
  // acknowledged must be in the log once, and resending every batch after the
  // restart (as a relay does) must add each missing event exactly once.
  constexpr int kBatch = 50;
  std::atomic<int> acknowledged_batches{0};
  std::atomic<bool> gone{false};
  std::thread sender([&] {
    for (int batch = 0; batch < 400 && !gone; ++batch) {
      std::vector<v1::AuditEvent> events;
      for (int i = 0; i < kBatch; ++i)
        events.push_back(TestEvent(absl::StrCat("k-", batch, "-", i)));
      grpc::Status status = Append(events);
      if (status.ok()) {
        acknowledged_batches = batch + 1;
      } else {
        gone = true;
      }
    }
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (acknowledged_batches < 40 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
  KillAudit();
  sender.join();
  const int acknowledged = acknowledged_batches;
  ASSERT_GE(acknowledged, 40);
  StartAudit();
  // Every acknowledged event survived.
  std::map<std::string, uint64_t> index_of;
  for (const auto& entry : ExportAll()) {
    ASSERT_TRUE(index_of.emplace(entry.logged().event().event_id(), entry.logged().index()).second)
        << "doubled: " << entry.logged().event().event_id();
  }
  for (int batch = 0; batch < acknowledged; ++batch) {
    for (int i = 0; i < kBatch; ++i) {
      ASSERT_TRUE(index_of.count(absl::StrCat("k-", batch, "-", i)))
          << "batch " << batch << " was acknowledged but is gone after kill -9";
    }
  }
  // Resending everything up to two batches past the last acknowledged adds
  // what was missing once and answers the old indexes for the rest.
  for (int batch = 0; batch < acknowledged + 2; ++batch) {
    std::vector<v1::AuditEvent> events;
    for (int i = 0; i < kBatch; ++i) events.push_back(TestEvent(absl::StrCat("k-", batch, "-", i)));
    v1::AppendEventsResponse response;
    ASSERT_TRUE(Append(events, &response).ok());
    for (int i = 0; i < kBatch; ++i) {
      auto known = index_of.find(absl::StrCat("k-", batch, "-", i));
      if (known != index_of.end()) EXPECT_EQ(response.indexes(i), known->second);
    }
  }
  std::set<std::string> ids;
  for (const auto& entry : ExportAll()) {
    ASSERT_TRUE(ids.insert(entry.logged().event().event_id()).second)
        << "doubled after resend: " << entry.logged().event().event_id();
  }
  grpc::ClientContext context;
  Prepare(context, kSiemToken);
  v1::VerifyLogResponse verified;
  ASSERT_TRUE(audit_->VerifyLog(&context, v1::VerifyLogRequest(), &verified).ok());
  EXPECT_TRUE(verified.intact());
}

}  // namespace
}  // namespace isms::testing
