// The audit log on a real SQLite file: idempotent appends, bad input named by
// field, queries and pagination, and tampering behind the service's back
// found by verification, by reads and at start.

#include "services/audit/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/api/page_token.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "services/audit/audit_store.h"
#include "services/audit/merkle_tree.h"
#include "tests/audit/test_keys.h"

namespace isms::audit {
namespace {

using ::isms::testing::IsOk;
using ::isms::testing::StatusIs;
using ::isms::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Events = google::protobuf::RepeatedPtrField<v1::AuditEvent>;

v1::AuditEvent Event(const std::string& id, const std::string& actor = "principals/alice",
                     const std::string& resource = "roles/siro") {
  v1::AuditEvent event;
  event.set_event_id(id);
  event.set_actor(actor);
  event.set_principal(actor);
  event.set_resource(resource);
  event.set_method("/isms.role.v1.RoleService/UpdateRole");
  event.set_outcome(v1::OUTCOME_SUCCEEDED);
  event.set_description(absl::StrCat("change ", id));
  return event;
}

Events Batch(std::initializer_list<v1::AuditEvent> events) {
  Events batch;
  for (const v1::AuditEvent& event : events) *batch.Add() = event;
  return batch;
}

// Runs SQL on the log's file through its own connection: an edit made
// behind the service's back.
void EditBehindTheServicesBack(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(dir_.path(), "/audit.db");
    signer_ = *TreeHeadSigner::FromPrivateKeyPem(NewKeyPem());
    Reopen();
  }

  void Reopen() { ASSERT_THAT(Open(), IsOk()); }

  // Closes the log and opens it again from its files.
  absl::Status Open() {
    Close();
    store_ = *SqliteAuditStore::Open(path_, SqliteInit::kCreateIfEmpty);
    index_ = *QueryIndex::Open(absl::StrCat(dir_.path(), "/audit-index.db"), path_);
    auto log = AuditLog::Open(*store_, *index_, *signer_, clock_);
    if (log.ok()) log_ = *std::move(log);
    return log.status();
  }

  void Close() {
    log_.reset();
    index_.reset();
    store_.reset();
  }

  std::vector<uint64_t> Append(const Events& events,
                               const std::string& submitter = "services/role") {
    auto appended = log_->Append(submitter, events);
    EXPECT_THAT(appended.status(), IsOk());
    if (!appended.ok()) return {};
    return {appended->indexes().begin(), appended->indexes().end()};
  }

  void AppendMany(int count) {
    for (int i = 0; i < count; ++i) Append(Batch({Event(absl::StrCat("bulk-", i))}));
  }

  TempDir dir_;
  std::string path_;
  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  std::unique_ptr<TreeHeadSigner> signer_;
  std::unique_ptr<SqliteAuditStore> store_;
  std::unique_ptr<QueryIndex> index_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, AppendAssignsIndexesAndSignsTheHead) {
  EXPECT_THAT(Append(Batch({Event("a"), Event("b")})), ElementsAre(0, 1));
  EXPECT_THAT(Append(Batch({Event("c")})), ElementsAre(2));
  const v1::SignedTreeHead head = log_->LatestHead();
  EXPECT_EQ(head.tree_size(), 3u);
  TreeHead plain{head.tree_size(), head.root_hash(),
                 absl::FromUnixSeconds(head.timestamp().seconds()) +
                     absl::Nanoseconds(head.timestamp().nanos())};
  EXPECT_THAT(VerifyTreeHead(signer_->public_key_pem(), plain, head.signature()), IsOk());
}

TEST_F(AuditLogTest, TheLeafIsTheCanonicalEncodingOfTheLoggedEvent) {
  Append(Batch({Event("a")}));
  auto entries = log_->ReadRange(0, 1);
  ASSERT_THAT(entries.status(), IsOk());
  ASSERT_EQ(entries->size(), 1u);
  const v1::LogEntry& entry = (*entries)[0];
  EXPECT_EQ(entry.leaf(), EncodeLeaf(entry.logged()));
  EXPECT_EQ(entry.logged().index(), 0u);
  EXPECT_EQ(entry.logged().submitter(), "services/role");
  EXPECT_EQ(entry.logged().event().event_id(), "a");
  auto proof = log_->InclusionProof([] {
    v1::GetInclusionProofRequest request;
    request.set_index(0);
    return request;
  }());
  ASSERT_THAT(proof.status(), IsOk());
  EXPECT_EQ(proof->leaf_hash(), LeafHash(entry.leaf()));
}

TEST_F(AuditLogTest, AResentBatchAddsNothingAndAnswersTheSameIndexes) {
  Append(Batch({Event("x")}));
  EXPECT_THAT(Append(Batch({Event("a"), Event("b")})), ElementsAre(1, 2));
  EXPECT_THAT(Append(Batch({Event("a"), Event("b"), Event("c")})), ElementsAre(1, 2, 3));
  // The same id twice in one batch is one event.
  EXPECT_THAT(Append(Batch({Event("d"), Event("d")})), ElementsAre(4, 4));
  EXPECT_EQ(log_->size(), 5u);
  // After a restart too.
  Reopen();
  EXPECT_THAT(Append(Batch({Event("a"), Event("d")})), ElementsAre(1, 4));
  EXPECT_EQ(log_->size(), 5u);
}

TEST_F(AuditLogTest, AResentIdWithOtherContentIsRefusedAndAddsNothing) {
  Append(Batch({Event("a")}));
  v1::AuditEvent forged = Event("a");
  forged.set_description("something else happened");
  EXPECT_THAT(log_->Append("services/role", Batch({Event("b"), forged})).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("events[1].event_id")));
  EXPECT_EQ(log_->size(), 1u);
}

TEST_F(AuditLogTest, EventIdsArePerSubmitterSoNoServiceCanTakeAnothersFirst) {
  // A service that appends an id another service will use blocks nothing.
  EXPECT_THAT(Append(Batch({Event("shared")}), "services/rogue"), ElementsAre(0));
  EXPECT_THAT(Append(Batch({Event("shared")}), "services/role"), ElementsAre(1));
}

TEST_F(AuditLogTest, BadBatchesAreRefusedNamingTheField) {
  EXPECT_THAT(log_->Append("services/role", Events()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events")));
  Events too_many;
  for (int i = 0; i <= kMaxEventsPerAppend; ++i) *too_many.Add() = Event(absl::StrCat("e", i));
  EXPECT_THAT(log_->Append("services/role", too_many).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 1000")));
  EXPECT_THAT(log_->Append("services/role", Batch({Event("ok"), Event("")})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[1].event_id")));
  EXPECT_THAT(log_->Append("services/role", Batch({Event("bad id/with slash")})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].event_id")));
  EXPECT_THAT(log_->Append("services/role", Batch({Event(std::string(129, 'a'))})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
  v1::AuditEvent huge = Event("huge");
  huge.set_description(std::string(kMaxEventBytes, 'x'));
  EXPECT_THAT(log_->Append("services/role", Batch({huge})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0]")));
  v1::AuditEvent bad_time = Event("time");
  bad_time.mutable_occur_time()->set_nanos(-1);
  EXPECT_THAT(log_->Append("services/role", Batch({bad_time})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("occur_time")));
  v1::AuditEvent bad_outcome = Event("outcome");
  bad_outcome.set_outcome(static_cast<v1::Outcome>(99));
  EXPECT_THAT(log_->Append("services/role", Batch({bad_outcome})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outcome")));
  v1::AuditEvent unknown_field = Event("unknown");
  unknown_field.GetReflection()
      ->MutableUnknownFields(&unknown_field)
      ->AddLengthDelimited(99, "hidden payload");
  EXPECT_THAT(log_->Append("services/role", Batch({unknown_field})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not know")));
  // Also when hidden in a message inside the event.
  v1::AuditEvent nested_unknown = Event("nested-unknown");
  v1::FieldChange* change = nested_unknown.add_changes();
  change->set_field("role");
  change->GetReflection()->MutableUnknownFields(change)->AddVarint(77, 1);
  EXPECT_THAT(log_->Append("services/role", Batch({nested_unknown})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not know")));
  v1::AuditEvent in_timestamp = Event("timestamp-unknown");
  in_timestamp.mutable_occur_time()
      ->GetReflection()
      ->MutableUnknownFields(in_timestamp.mutable_occur_time())
      ->AddFixed32(9, 1);
  EXPECT_THAT(log_->Append("services/role", Batch({in_timestamp})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not know")));
  EXPECT_EQ(log_->size(), 0u);
}

TEST_F(AuditLogTest, BigEventsComeBackInRepliesOfBoundedSize) {
  // 40 events of ~60 KB: one reply would be 2.4 MB of leaves.
  for (int i = 0; i < 40; ++i) {
    v1::AuditEvent big = Event(absl::StrCat("big-", i));
    big.set_description(std::string(60000, 'x'));
    Append(Batch({big}));
  }
  auto first = log_->ReadRange(0, 40);
  ASSERT_THAT(first.status(), IsOk());
  EXPECT_GT(first->size(), 0u);
  EXPECT_LT(first->size(), 40u);
  v1::QueryEventsRequest request;
  request.set_page_size(1000);
  std::set<uint64_t> seen;
  for (int page = 0; page < 10; ++page) {
    auto result = log_->Query(request);
    ASSERT_THAT(result.status(), IsOk());
    EXPECT_LE(result->ByteSizeLong(), 3u << 20);
    for (const auto& entry : result->entries()) seen.insert(entry.logged().index());
    if (result->next_page_token().empty()) break;
    request.set_page_token(result->next_page_token());
  }
  EXPECT_EQ(seen.size(), 40u);
}

TEST_F(AuditLogTest, ProofsAndRangesOutsideTheLogAreOutOfRangeNamingTheField) {
  AppendMany(5);
  v1::GetInclusionProofRequest inclusion;
  inclusion.set_index(5);
  EXPECT_THAT(log_->InclusionProof(inclusion).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("index")));
  inclusion.set_index(1);
  inclusion.set_tree_size(6);
  EXPECT_THAT(log_->InclusionProof(inclusion).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("tree_size")));
  inclusion.set_tree_size(1);
  EXPECT_THAT(log_->InclusionProof(inclusion).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("index")));
  EXPECT_THAT(log_->InclusionProof(v1::GetInclusionProofRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leaf")));
  v1::GetInclusionProofRequest by_hash;
  by_hash.set_leaf_hash("short");
  EXPECT_THAT(log_->InclusionProof(by_hash).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leaf_hash")));
  by_hash.set_leaf_hash(std::string(32, 'x'));
  EXPECT_THAT(log_->InclusionProof(by_hash).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("leaf_hash")));

  v1::GetConsistencyProofRequest consistency;
  EXPECT_THAT(log_->ConsistencyProof(consistency).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("first_size")));
  consistency.set_first_size(4);
  consistency.set_second_size(3);
  EXPECT_THAT(log_->ConsistencyProof(consistency).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("first_size")));
  consistency.set_second_size(9);
  EXPECT_THAT(log_->ConsistencyProof(consistency).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("second_size")));

  EXPECT_THAT(log_->Range(0, 6).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("end_index")));
  EXPECT_THAT(log_->Range(4, 2).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("start_index")));
  EXPECT_THAT(log_->Range(9, 0).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("start_index")));
  auto whole = log_->Range(0, 0);
  ASSERT_THAT(whole.status(), IsOk());
  EXPECT_EQ(whole->second, 5u);
}

TEST_F(AuditLogTest, ProofsCheckAgainstTheSignedHeads) {
  AppendMany(7);
  const v1::SignedTreeHead old_head = log_->LatestHead();
  AppendMany(10);
  const v1::SignedTreeHead new_head = log_->LatestHead();
  v1::GetConsistencyProofRequest request;
  request.set_first_size(old_head.tree_size());
  request.set_second_size(new_head.tree_size());
  auto proof = log_->ConsistencyProof(request);
  ASSERT_THAT(proof.status(), IsOk());
  std::vector<std::string> hashes(proof->hashes().begin(), proof->hashes().end());
  EXPECT_TRUE(VerifyConsistency(old_head.tree_size(), new_head.tree_size(), old_head.root_hash(),
                                new_head.root_hash(), hashes));
  for (uint64_t index = 0; index < new_head.tree_size(); ++index) {
    v1::GetInclusionProofRequest inclusion;
    inclusion.set_index(index);
    auto path = log_->InclusionProof(inclusion);
    ASSERT_THAT(path.status(), IsOk());
    std::vector<std::string> audit_path(path->hashes().begin(), path->hashes().end());
    EXPECT_TRUE(VerifyInclusion(path->leaf_hash(), index, new_head.tree_size(), audit_path,
                                new_head.root_hash()));
  }
}

TEST_F(AuditLogTest, TheLogSurvivesARestartWithTheSameRoot) {
  AppendMany(20);
  const v1::SignedTreeHead before = log_->LatestHead();
  Reopen();
  const v1::SignedTreeHead after = log_->LatestHead();
  EXPECT_EQ(after.tree_size(), before.tree_size());
  EXPECT_EQ(after.root_hash(), before.root_hash());
  EXPECT_THAT(Append(Batch({Event("next")})), ElementsAre(20));
}

TEST_F(AuditLogTest, AnEventChangedBehindTheServicesBackIsFoundByVerifyReadsAndProofs) {
  AppendMany(30);
  const v1::SignedTreeHead head = log_->LatestHead();
  // Rewrite event 17's leaf to say something else (leaf hash column kept).
  v1::LoggedEvent forged;
  ASSERT_TRUE(forged.ParseFromString((*log_->ReadRange(17, 18))[0].leaf()));
  forged.mutable_event()->set_actor("principals/someone-else");
  const std::string forged_leaf = EncodeLeaf(forged);
  EditBehindTheServicesBack(
      path_, absl::StrCat("UPDATE events SET leaf = x'", absl::BytesToHexString(forged_leaf),
                          "' WHERE idx = 17"));
  auto verified = log_->Verify(0, 30);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_FALSE(verified->intact());
  EXPECT_EQ(verified->first_mismatch_index(), 17u);
  // Ranges before it still verify.
  EXPECT_TRUE(log_->Verify(0, 17)->intact());
  EXPECT_THAT(log_->ReadRange(10, 20).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("event 17")));
  // The forged leaf has no valid inclusion proof under the signed head.
  v1::GetInclusionProofRequest request;
  request.set_index(17);
  auto proof = log_->InclusionProof(request);
  ASSERT_THAT(proof.status(), IsOk());
  std::vector<std::string> hashes(proof->hashes().begin(), proof->hashes().end());
  EXPECT_FALSE(
      VerifyInclusion(LeafHash(forged_leaf), 17, head.tree_size(), hashes, head.root_hash()));
  // After a restart verification still names it.
  Reopen();
  EXPECT_EQ(log_->Verify(0, 0 + 30)->first_mismatch_index(), 17u);
}

TEST_F(AuditLogTest, AVerifiedRangeWithADeletedEventNamesIt) {
  AppendMany(10);
  EditBehindTheServicesBack(path_, "DELETE FROM events WHERE idx = 4");
  auto verified = log_->Verify(0, 10);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_FALSE(verified->intact());
  EXPECT_EQ(verified->first_mismatch_index(), 4u);
  // A restart refuses a log with a hole.
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("index 4")));
}

TEST_F(AuditLogTest, ChangedLeafHashesOrRemovedEventsAreRefusedAtStart) {
  AppendMany(10);
  log_.reset();
  Close();
  EditBehindTheServicesBack(path_, "UPDATE events SET leaf_hash = zeroblob(32) WHERE idx = 3");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("signed tree head")));
  EditBehindTheServicesBack(path_, "DELETE FROM events WHERE idx >= 3");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("removed")));
}

TEST_F(AuditLogTest, EventsAddedBehindTheServicesBackAreRefusedAtStartNotSigned) {
  AppendMany(5);
  log_.reset();
  Close();
  // A copy of event 4 as a sixth row: a valid-looking event no head covers.
  EditBehindTheServicesBack(
      path_,
      "INSERT INTO events SELECT 5, 'services/role forged', leaf, leaf_hash FROM events "
      "WHERE idx = 4");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("added")));
}

TEST_F(AuditLogTest, ALogEmptiedBehindTheServicesBackDoesNotStartAfresh) {
  AppendMany(5);
  log_.reset();
  Close();
  EditBehindTheServicesBack(path_, "DELETE FROM tree_heads; DELETE FROM events");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no signed tree head")));
}

TEST_F(AuditLogTest, ANewLogStoresItsSignedEmptyHead) {
  // SetUp created the log; reopening finds its empty head, signed.
  ASSERT_THAT(Open(), IsOk());
  EXPECT_EQ(log_->LatestHead().tree_size(), 0u);
  EXPECT_EQ(log_->LatestHead().root_hash(), EmptyRoot());
}

TEST_F(AuditLogTest, AStoredHeadNotSignedByTheKeyIsRefusedAtStart) {
  AppendMany(5);
  log_.reset();
  Close();
  EditBehindTheServicesBack(path_, "UPDATE tree_heads SET signature = zeroblob(64)");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not signed")));
}

TEST_F(AuditLogTest, AnotherSigningKeyIsRefusedAtStart) {
  AppendMany(3);
  signer_ = *TreeHeadSigner::FromPrivateKeyPem(NewKeyPem());
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("another key")));
}

TEST_F(AuditLogTest, OnlyTheLastHeadIsKeptSoTheFileCannotBeRolledBackToAnEarlierOne) {
  AppendMany(4);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*), MAX(tree_size) FROM tree_heads", -1, &count, nullptr);
  ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(count, 0), 1);
  EXPECT_EQ(sqlite3_column_int(count, 1), 4);
  sqlite3_finalize(count);
  sqlite3_close(db);
}

TEST_F(AuditLogTest, ALogWrittenByTheFirstSchemaIsMigratedAndStillProves) {
  // A log as version 1 stored it: every query column in the events table,
  // with an index each. Written here by hand, as that binary wrote it.
  Close();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove(absl::StrCat(path_, suffix).c_str());
  std::string sql =
      "CREATE TABLE schema_version (version INTEGER NOT NULL);"
      "INSERT INTO schema_version VALUES (1);"
      "CREATE TABLE events (idx INTEGER PRIMARY KEY, submitter TEXT NOT NULL, event_id TEXT NOT "
      "NULL, content_digest BLOB NOT NULL, leaf BLOB NOT NULL, leaf_hash BLOB NOT NULL, "
      "integrated_us INTEGER NOT NULL, actor TEXT NOT NULL, principal TEXT NOT NULL, resource "
      "TEXT NOT NULL, method TEXT NOT NULL, outcome INTEGER NOT NULL, UNIQUE (submitter, "
      "event_id));"
      "CREATE INDEX events_by_leaf_hash ON events (leaf_hash);"
      "CREATE INDEX events_by_actor ON events (actor, idx);"
      "CREATE TABLE tree_heads (tree_size INTEGER PRIMARY KEY, root_hash BLOB NOT NULL, "
      "timestamp_ms INTEGER NOT NULL, signature BLOB NOT NULL);";
  MerkleTree tree;
  for (int i = 0; i < 3; ++i) {
    v1::LoggedEvent logged;
    logged.set_index(i);
    *logged.mutable_integrated_time() = ToProto(clock_.Now());
    logged.set_submitter("services/role");
    *logged.mutable_event() = Event(absl::StrCat("old-", i));
    const std::string leaf = EncodeLeaf(logged);
    tree.AppendLeafHash(LeafHash(leaf));
    absl::StrAppend(&sql, "INSERT INTO events VALUES (", i, ", 'services/role', 'old-", i,
                    "', x'00', x'", absl::BytesToHexString(leaf), "', x'",
                    absl::BytesToHexString(LeafHash(leaf)), "', ", absl::ToUnixMicros(clock_.Now()),
                    ", 'principals/alice', 'principals/alice', 'roles/siro', 'm', 1);");
  }
  const TreeHead head{3, *tree.RootAt(3), absl::FromUnixMillis(absl::ToUnixMillis(clock_.Now()))};
  absl::StrAppend(&sql, "INSERT INTO tree_heads VALUES (3, x'",
                  absl::BytesToHexString(head.root_hash), "', ", absl::ToUnixMillis(head.timestamp),
                  ", x'", absl::BytesToHexString(*signer_->Sign(head)), "')");
  EditBehindTheServicesBack(path_, sql);

  ASSERT_THAT(Open(), IsOk());
  EXPECT_EQ(log_->size(), 3u);
  EXPECT_TRUE(log_->Verify(0, 3)->intact());
  // Resends are still matched, leaf hashes still found, queries still answer.
  EXPECT_THAT(Append(Batch({Event("old-1"), Event("new")})), ElementsAre(1, 3));
  v1::GetInclusionProofRequest by_hash;
  by_hash.set_leaf_hash(std::string(tree.leaf_hash(2)));
  EXPECT_EQ(log_->InclusionProof(by_hash)->index(), 2u);
  v1::QueryEventsRequest query;
  query.set_actor("principals/alice");
  EXPECT_EQ(log_->Query(query)->entries_size(), 4);
}

TEST_F(AuditLogTest, AnEditedResendKeyIsNamedByVerifyAndCannotDoubleAResend) {
  AppendMany(10);
  // An event id renamed in its column, so that a resend would not be found.
  EditBehindTheServicesBack(
      path_, "UPDATE events SET submitter_event = 'services/role renamed' WHERE idx = 2");
  EXPECT_EQ(log_->Verify(0, 6)->first_mismatch_index(), 2u);
  EXPECT_THAT(log_->ReadRange(0, 6).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("event 2")));
  // After a restart resends are still matched by what the leaf says.
  Reopen();
  EXPECT_THAT(Append(Batch({Event("bulk-2")})), ElementsAre(2));
  EXPECT_EQ(log_->size(), 10u);
}

TEST_F(AuditLogTest, AResendIsComparedWithTheLeafTheTreeHoldsNotAnEditedOne) {
  Append(Batch({Event("original")}));
  v1::LoggedEvent forged;
  ASSERT_TRUE(forged.ParseFromString((*log_->ReadRange(0, 1))[0].leaf()));
  forged.mutable_event()->set_description("forged");
  EditBehindTheServicesBack(
      path_, absl::StrCat("UPDATE events SET leaf = x'", absl::BytesToHexString(EncodeLeaf(forged)),
                          "' WHERE idx = 0"));
  // Neither the genuine resend nor the forged content is answered from it.
  EXPECT_THAT(log_->Append("services/role", Batch({Event("original")})).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("event 0")));
  EXPECT_THAT(log_->Append("services/role", Batch({forged.event()})).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("event 0")));
  EXPECT_EQ(log_->size(), 1u);
}

TEST_F(AuditLogTest, ARowAddedAheadOfTheLogFailsAppendsAsDataLoss) {
  AppendMany(3);
  EditBehindTheServicesBack(path_,
                            "INSERT INTO events VALUES (3, 'services/role ghost', x'00', "
                            "x'00')");
  EXPECT_THAT(log_->Append("services/role", Batch({Event("next")})).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("behind the service's back")));
  EXPECT_EQ(log_->size(), 3u);
}

TEST_F(AuditLogTest, ConflictingCopiesSentAtOnceLeaveOneWinnerAndTruthfulRefusals) {
  // Two threads send the same ids with different content at the same time:
  // each id is in the log once, and every refusal names the index holding
  // the winner's copy.
  constexpr int kIds = 40;
  std::vector<absl::Status> refusals[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIds; ++i) {
        auto appended =
            log_->Append("services/role",
                         Batch({Event(absl::StrCat("race-", i), absl::StrCat("principals/t", t))}));
        if (!appended.ok()) refusals[t].push_back(appended.status());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(log_->size(), static_cast<uint64_t>(kIds));
  EXPECT_EQ(refusals[0].size() + refusals[1].size(), static_cast<size_t>(kIds));
  for (const auto& statuses : refusals) {
    for (const absl::Status& refusal : statuses) {
      ASSERT_EQ(refusal.code(), absl::StatusCode::kAlreadyExists) << refusal;
      EXPECT_THAT(refusal.message(), HasSubstr("is in the log (index"));
    }
  }
}

TEST_F(AuditLogTest, APageTokenPastTheEndAnswersNothingRatherThanWrapping) {
  AppendMany(5);
  v1::QueryEventsRequest request;
  request.set_page_size(3);
  v1::QueryEventsRequest fingerprint = request;
  fingerprint.clear_page_size();
  std::string canonical;
  fingerprint.SerializeToString(&canonical);
  for (const char* after : {"9223372036854775808", "18446744073709551615", "5"}) {
    request.set_page_token(EncodePageToken(after, canonical));
    auto page = log_->Query(request);
    ASSERT_THAT(page.status(), IsOk()) << after;
    EXPECT_EQ(page->entries_size(), 0) << after;
    EXPECT_TRUE(page->next_page_token().empty()) << after;
  }
}

TEST_F(AuditLogTest, ADamagedQueryIndexIsRebuiltAndQueriesStayRight) {
  Events batch;
  for (int i = 0; i < 3000; ++i) {
    *batch.Add() =
        Event(absl::StrCat("many-", i), i % 3 == 0 ? "principals/third" : "principals/x");
    if (batch.size() == 1000) {
      ASSERT_THAT(log_->Append("services/role", batch).status(), IsOk());
      batch.Clear();
    }
  }
  ASSERT_TRUE(index_->WaitIndexed(3000, absl::Seconds(20)));
  Close();
  // Garbage over the middle of the index file.
  const std::string index_path = absl::StrCat(dir_.path(), "/audit-index.db");
  {
    FILE* file = std::fopen(index_path.c_str(), "r+b");
    ASSERT_NE(file, nullptr);
    std::fseek(file, 0, SEEK_END);
    const long size = std::ftell(file);
    ASSERT_GT(size, 3 * 4096);
    std::fseek(file, 2 * 4096, SEEK_SET);
    const std::string garbage(size - 3 * 4096, '\x5a');
    std::fwrite(garbage.data(), 1, garbage.size(), file);
    std::fclose(file);
  }
  Reopen();
  v1::QueryEventsRequest request;
  request.set_actor("principals/third");
  request.set_page_size(1000);
  size_t found = 0;
  for (int calls = 0; calls < 20; ++calls) {
    auto page = log_->Query(request);
    ASSERT_THAT(page.status(), IsOk());
    found += page->entries_size();
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(found, 1000u);
  // And the index comes back.
  EXPECT_TRUE(index_->WaitIndexed(3000, absl::Seconds(20)));
  EXPECT_THAT(index_->unusable(), IsOk());
}

TEST_F(AuditLogTest, AQueryIndexThatCannotBeOpenedDoesNotStopTheLog) {
  AppendMany(5);
  Close();
  const std::string index_path = absl::StrCat(dir_.path(), "/audit-index.db");
  for (const char* suffix : {"", "-wal", "-shm"})
    std::remove(absl::StrCat(index_path, suffix).c_str());
  ASSERT_EQ(mkdir(index_path.c_str(), 0700), 0);
  ASSERT_THAT(Open(), IsOk());
  EXPECT_FALSE(index_->unusable().ok());
  v1::QueryEventsRequest request;
  EXPECT_EQ(log_->Query(request)->entries_size(), 5);
  Close();
  rmdir(index_path.c_str());
}

TEST_F(AuditLogTest, ALinkPlantedAtTheQueryIndexIsNotFollowed) {
  Close();
  const std::string index_path = absl::StrCat(dir_.path(), "/audit-index.db");
  for (const char* suffix : {"", "-wal", "-shm"})
    std::remove(absl::StrCat(index_path, suffix).c_str());
  const std::string target = absl::StrCat(dir_.path(), "/elsewhere.db");
  ASSERT_EQ(symlink(target.c_str(), index_path.c_str()), 0);
  ASSERT_THAT(Open(), IsOk());
  struct stat info;
  EXPECT_NE(lstat(target.c_str(), &info), 0) << "the link's target was created";
  ASSERT_EQ(lstat(index_path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
}

TEST_F(AuditLogTest, TheQueryIndexIsNotTrustedOverTheLeaves) {
  AppendMany(10);
  ASSERT_TRUE(index_->WaitIndexed(10, absl::Seconds(10)));
  // Move event 6 into another actor's queries in the index: the leaf still
  // names its own actor, so the other actor's query does not show it.
  EditBehindTheServicesBack(absl::StrCat(dir_.path(), "/audit-index.db"),
                            "UPDATE terms SET actor = 'principals/nobody' WHERE idx = 6");
  v1::QueryEventsRequest request;
  request.set_actor("principals/nobody");
  auto found = log_->Query(request);
  ASSERT_THAT(found.status(), IsOk());
  EXPECT_EQ(found->entries_size(), 0);
  // The log itself is intact.
  EXPECT_TRUE(log_->Verify(0, 10)->intact());
}

TEST_F(AuditLogTest, ALostQueryIndexIsRebuiltFromTheLog) {
  AppendMany(30);
  ASSERT_TRUE(index_->WaitIndexed(30, absl::Seconds(10)));
  Close();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove(absl::StrCat(dir_.path(), "/audit-index.db", suffix).c_str());
  }
  Reopen();
  ASSERT_TRUE(index_->WaitIndexed(30, absl::Seconds(10)));
  v1::QueryEventsRequest request;
  request.set_page_size(100);
  EXPECT_EQ(log_->Query(request)->entries_size(), 30);
}

TEST_F(AuditLogTest, AnIndexOfAnotherLogIsRebuilt) {
  AppendMany(5);
  ASSERT_TRUE(index_->WaitIndexed(5, absl::Seconds(10)));
  Close();
  // A new log in place of the old one, with the old index left beside it.
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove(absl::StrCat(path_, suffix).c_str());
  Reopen();
  Append(Batch({Event("only", "principals/zed")}));
  ASSERT_TRUE(index_->WaitIndexed(1, absl::Seconds(10)));
  v1::QueryEventsRequest request;
  request.set_page_size(100);
  auto found = log_->Query(request);
  ASSERT_THAT(found.status(), IsOk());
  ASSERT_EQ(found->entries_size(), 1);
  EXPECT_EQ(found->entries(0).logged().event().event_id(), "only");
}

TEST_F(AuditLogTest, QueriesAnswerTheSameWhateverTheIndexHasReached) {
  // Events indexed and not: a query pages through both in either direction.
  for (int i = 0; i < 40; ++i) {
    Append(Batch({Event(absl::StrCat("e", i), i % 2 == 0 ? "principals/even" : "principals/odd")}));
    if (i == 19) ASSERT_TRUE(index_->WaitIndexed(20, absl::Seconds(10)));
  }
  for (bool newest_first : {false, true}) {
    std::vector<uint64_t> seen;
    v1::QueryEventsRequest request;
    request.set_actor("principals/even");
    request.set_page_size(3);
    request.set_newest_first(newest_first);
    for (int pages = 0; pages < 20; ++pages) {
      auto page = log_->Query(request);
      ASSERT_THAT(page.status(), IsOk());
      for (const auto& entry : page->entries()) seen.push_back(entry.logged().index());
      if (page->next_page_token().empty()) break;
      request.set_page_token(page->next_page_token());
    }
    std::vector<uint64_t> expected;
    for (uint64_t i = 0; i < 40; i += 2) expected.push_back(i);
    if (newest_first) std::reverse(expected.begin(), expected.end());
    EXPECT_EQ(seen, expected) << "newest_first " << newest_first;
  }
}

TEST_F(AuditLogTest, ConcurrentAppendsCommitTogetherAndEachIsAnsweredOnce) {
  // Eight threads append batches, resend some, and one sends a conflicting
  // copy: every new event gets one index, the log has no gap, resends answer
  // their first index, and the conflict fails alone.
  constexpr int kThreads = 8;
  constexpr int kBatches = 20;
  std::vector<std::vector<uint64_t>> indexes(kThreads);
  std::vector<absl::Status> conflicts(kThreads);
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int b = 0; b < kBatches; ++b) {
          Events batch = Batch({Event(absl::StrCat("t", t, "-b", b, "-0")),
                                Event(absl::StrCat("t", t, "-b", b, "-1"))});
          auto appended = log_->Append("services/role", batch);
          if (!appended.ok()) continue;
          indexes[t].insert(indexes[t].end(), appended->indexes().begin(),
                            appended->indexes().end());
          // The same batch again answers the same indexes.
          auto again = log_->Append("services/role", batch);
          EXPECT_THAT(again.status(), IsOk());
          if (again.ok()) {
            EXPECT_TRUE(std::equal(again->indexes().begin(), again->indexes().end(),
                                   appended->indexes().begin()));
          }
        }
        // Another content under an id this thread already used.
        conflicts[t] =
            log_->Append("services/role", Batch({Event(absl::StrCat("t", t, "-b0-0"), "x")}))
                .status();
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  std::set<uint64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(indexes[t].size(), 2u * kBatches);
    all.insert(indexes[t].begin(), indexes[t].end());
    EXPECT_THAT(conflicts[t], StatusIs(absl::StatusCode::kAlreadyExists));
  }
  EXPECT_EQ(all.size(), 2u * kBatches * kThreads);
  EXPECT_EQ(log_->size(), all.size());
  EXPECT_EQ(*all.rbegin(), all.size() - 1);
  EXPECT_TRUE(log_->Verify(0, 0 + log_->size())->intact());
  // And after a restart the same.
  Reopen();
  EXPECT_EQ(log_->size(), all.size());
}

TEST_F(AuditLogTest, QueriesFilterAndPageInEitherDirection) {
  Append(Batch(
      {Event("1", "principals/alice", "assets/a"), Event("2", "principals/bob", "assets/a/risks/r"),
       Event("3", "principals/alice", "assets/ab"), Event("4", "principals/alice", "assets/a")}));
  v1::QueryEventsRequest request;
  request.set_actor("principals/alice");
  request.set_resource("assets/a");
  auto exact = log_->Query(request);
  ASSERT_THAT(exact.status(), IsOk());
  ASSERT_EQ(exact->entries_size(), 2);
  EXPECT_EQ(exact->entries(0).logged().index(), 0u);
  EXPECT_EQ(exact->entries(1).logged().index(), 3u);

  request.clear_actor();
  request.set_include_sub_resources(true);
  request.set_newest_first(true);
  request.set_page_size(1);
  std::vector<uint64_t> seen;
  for (int page = 0; page < 5; ++page) {
    auto result = log_->Query(request);
    ASSERT_THAT(result.status(), IsOk());
    for (const auto& entry : result->entries()) seen.push_back(entry.logged().index());
    if (result->next_page_token().empty()) break;
    request.set_page_token(result->next_page_token());
  }
  // "assets/ab" is not under "assets/a".
  EXPECT_THAT(seen, ElementsAre(3, 1, 0));

  // A token replayed with other filters is refused.
  v1::QueryEventsRequest first;
  first.set_page_size(1);
  auto page = log_->Query(first);
  ASSERT_THAT(page.status(), IsOk());
  v1::QueryEventsRequest other;
  other.set_actor("principals/bob");
  other.set_page_token(page->next_page_token());
  EXPECT_THAT(log_->Query(other).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  v1::QueryEventsRequest bad;
  bad.set_page_size(-1);
  EXPECT_THAT(log_->Query(bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
  bad.set_page_size(0);
  bad.mutable_start_time()->set_seconds(100);
  bad.mutable_end_time()->set_seconds(50);
  EXPECT_THAT(log_->Query(bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("end_time")));
}

TEST_F(AuditLogTest, IntegratedTimeNeverGoesBackwards) {
  Append(Batch({Event("a")}));
  clock_.Advance(-absl::Hours(1));  // The wall clock steps back.
  Append(Batch({Event("b")}));
  auto entries = *log_->ReadRange(0, 2);
  EXPECT_GE(FromProto(entries[1].logged().integrated_time()),
            FromProto(entries[0].logged().integrated_time()));
}

TEST_F(AuditLogTest, AFailedCommitLeavesTheTreeAsItWas) {
  AppendMany(3);
  const v1::SignedTreeHead before = log_->LatestHead();
  // Another connection holds the write lock: the append cannot commit.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &blocker), SQLITE_OK);
  sqlite3_busy_timeout(blocker, 0);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_FALSE(log_->Append("services/role", Batch({Event("lost")})).ok());
  sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(blocker);
  EXPECT_EQ(log_->LatestHead().root_hash(), before.root_hash());
  EXPECT_THAT(Append(Batch({Event("lost")})), ElementsAre(3));
  EXPECT_TRUE(log_->Verify(0, 4)->intact());
}

}  // namespace
}  // namespace isms::audit
