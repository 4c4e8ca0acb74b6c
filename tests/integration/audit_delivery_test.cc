// The role service delivering its outbox to the audit service, both real
// processes: an appointment appears in the trail with who, for whom, the
// request id and what changed; with the audit service down the role service
// goes on and every event arrives once, in order, when it is back; kill -9 of
// either side in the middle of delivery loses and doubles nothing; reads of
// the trail are decided by the role service's permissions.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/audit_suite.h"

namespace isms::testing {
namespace {

namespace v1 = ::isms::audit::v1;
using ::testing::HasSubstr;

constexpr char kCreatePrincipal[] = "/isms.role.v1.RoleService/CreatePrincipal";

class AuditDeliveryTest : public AuditSuite {
 protected:
  grpc::Status CreatePerson(const std::string& id, const std::string& request_id = "") {
    grpc::ClientContext context;
    Prepare(context, kRootToken);
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    role::v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name(id);
    request.mutable_principal()->set_kind(role::v1::PRINCIPAL_KIND_PERSON);
    role::v1::Principal principal;
    return role_->CreatePrincipal(&context, request, &principal);
  }

  // The role service's events in the log, in log order.
  std::vector<v1::LogEntry> RoleEvents() {
    std::vector<v1::LogEntry> events;
    for (const v1::LogEntry& entry : ExportAll()) {
      if (entry.logged().submitter() == "services/role") events.push_back(entry);
    }
    return events;
  }

  // Waits until the log holds `count` events from the role service that
  // created principals named "<prefix>-..."; returns them in log order.
  std::vector<v1::LogEntry> AwaitCreated(const std::string& prefix, size_t count,
                                         absl::Duration timeout = absl::Seconds(90)) {
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<v1::LogEntry> created;
    while (absl::Now() < deadline) {
      created.clear();
      for (const v1::LogEntry& entry : RoleEvents()) {
        const v1::AuditEvent& event = entry.logged().event();
        if (event.method() == kCreatePrincipal &&
            absl::StartsWith(event.resource(), absl::StrCat("principals/", prefix, "-"))) {
          created.push_back(entry);
        }
      }
      if (created.size() >= count) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return created;
  }

  // Starts both services with `role_flags`, then makes `count` changes
  // (principals "<prefix>-<i>") while the audit service is down, and starts
  // it again: a backlog for the relay to deliver.
  void DeliverBacklog(const std::string& prefix, int count,
                      std::vector<std::string> role_flags = {}) {
    StartAudit();
    StartRole(std::move(role_flags));
    StopAudit();
    for (int i = 0; i < count; ++i) {
      grpc::Status status = CreatePerson(absl::StrCat(prefix, "-", i));
      ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
    }
    StartAudit();
  }

  // Every event once (by event id) and the creations in the order made.
  void ExpectOnceInOrder(const std::vector<v1::LogEntry>& created, const std::string& prefix,
                         int count) {
    ASSERT_EQ(created.size(), static_cast<size_t>(count));
    std::set<std::string> ids;
    for (const v1::LogEntry& entry : RoleEvents()) {
      EXPECT_TRUE(ids.insert(entry.logged().event().event_id()).second)
          << "doubled: " << entry.logged().event().event_id();
    }
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(created[i].logged().event().resource(), absl::StrCat("principals/", prefix, "-", i))
          << "out of order at " << i;
    }
  }
};

TEST_F(AuditDeliveryTest, AnAppointmentAppearsInTheTrailWithWhoForWhomRequestAndChange) {
  StartAudit();
  StartRole();
  ASSERT_TRUE(CreatePerson("carol", "req-carol-1").ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  const v1::AuditEvent* found = nullptr;
  std::vector<v1::LogEntry> events;
  while (found == nullptr && absl::Now() < deadline) {
    events = RoleEvents();
    for (const v1::LogEntry& entry : events) {
      if (entry.logged().event().resource() == "principals/carol") found = &entry.logged().event();
    }
    if (found == nullptr) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_NE(found, nullptr) << "the creation never reached the audit log";
  EXPECT_EQ(found->actor(), "principals/root");
  EXPECT_EQ(found->principal(), "principals/root");
  EXPECT_EQ(found->request_id(), "req-carol-1");
  EXPECT_EQ(found->outcome(), v1::OUTCOME_SUCCEEDED);
  bool display_name_changed = false;
  for (const v1::FieldChange& change : found->changes()) {
    if (change.field() == "display_name") {
      display_name_changed = true;
      EXPECT_EQ(change.before(), "");
      EXPECT_THAT(change.after(), HasSubstr("carol"));
    }
  }
  EXPECT_TRUE(display_name_changed);

  // An appointment, too, with the role and the appointee.
  AppointAuditor();
  const absl::Time appointment_deadline = absl::Now() + absl::Seconds(30);
  bool appointment_found = false;
  while (!appointment_found && absl::Now() < appointment_deadline) {
    for (const v1::LogEntry& entry : RoleEvents()) {
      const v1::AuditEvent& event = entry.logged().event();
      if (event.method() == "/isms.role.v1.RoleService/CreateAssignment" &&
          event.outcome() == v1::OUTCOME_SUCCEEDED) {
        appointment_found = true;
        bool role_recorded = false;
        for (const v1::FieldChange& change : event.changes()) {
          if (change.field() == "role")
            role_recorded = absl::StrContains(change.after(), "roles/siro");
        }
        EXPECT_TRUE(role_recorded);
      }
    }
    if (!appointment_found) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(appointment_found);
}

TEST_F(AuditDeliveryTest, ReadsAreDecidedByTheRoleServiceAndRefusedWhenItIsDown) {
  StartAudit();
  StartRole();
  AppointAuditor();
  {
    grpc::ClientContext context;
    Prepare(context, kAuditorToken);
    v1::QueryEventsResponse response;
    grpc::Status status = audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  {
    // principals/root holds no role: denied, and the denial is logged.
    grpc::ClientContext context;
    Prepare(context, kRootToken);
    v1::QueryEventsResponse response;
    EXPECT_EQ(audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  StopRole();
  {
    grpc::ClientContext context;
    Prepare(context, kAuditorToken);
    v1::QueryEventsResponse response;
    EXPECT_EQ(audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
  bool denial_logged = false;
  for (const v1::LogEntry& entry : ExportAll()) {
    const v1::AuditEvent& event = entry.logged().event();
    if (event.actor() == "principals/root" && event.outcome() == v1::OUTCOME_DENIED) {
      denial_logged = true;
    }
  }
  EXPECT_TRUE(denial_logged);
}

TEST_F(AuditDeliveryTest, ReadsWaitingOnAHungRoleServiceHoldUpNoOtherCall) {
  StartAudit();
  StartRole();
  AppointAuditor();
  {
    // A first read opens the audit service's channel to the role service.
    grpc::ClientContext context;
    Prepare(context, kAuditorToken);
    v1::QueryEventsResponse response;
    ASSERT_TRUE(audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response).ok());
  }
  role_server_->Signal(SIGSTOP);  // Hung: connections open, no answers.
  // 100 reads, each waiting up to the permission check's 2 s timeout. Were
  // they to hold server threads, everything else would queue behind them.
  std::vector<std::thread> readers;
  std::atomic<int> unavailable{0};
  for (int i = 0; i < 100; ++i) {
    readers.emplace_back([&] {
      grpc::ClientContext context;
      Prepare(context, kAuditorToken);
      v1::QueryEventsResponse response;
      if (audit_->QueryEvents(&context, v1::QueryEventsRequest(), &response).error_code() ==
          grpc::StatusCode::UNAVAILABLE) {
        ++unavailable;
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));
  // Appends and heads are answered meanwhile, well within 5 s.
  grpc::ClientContext context;
  Prepare(context, kRoleServiceToken, absl::Seconds(5));
  v1::AppendEventsRequest request;
  *request.add_events() = TestEvent("while-hung");
  v1::AppendEventsResponse response;
  grpc::Status appended = audit_->AppendEvents(&context, request, &response);
  EXPECT_TRUE(appended.ok()) << appended.error_message();
  for (std::thread& reader : readers) reader.join();
  role_server_->Signal(SIGCONT);
  // Never allowed while the role service could not answer.
  EXPECT_EQ(unavailable, 100);
}

TEST_F(AuditDeliveryTest, WithTheAuditServiceDown1000ChangesWaitThenArriveOnceInOrder) {
  DeliverBacklog("down", 1000);
  ExpectOnceInOrder(AwaitCreated("down", 1000), "down", 1000);
}

TEST_F(AuditDeliveryTest, KillDashNineOfTheAuditServiceMidDeliveryLosesAndDoublesNothing) {
  DeliverBacklog("ka", 1000, {"--audit_batch_size=20"});
  // Let delivery start, then kill the audit service in the middle of it.
  AwaitCreated("ka", 100);
  KillAudit();
  StartAudit();
  ExpectOnceInOrder(AwaitCreated("ka", 1000), "ka", 1000);
}

TEST_F(AuditDeliveryTest, KillDashNineOfTheRoleServiceMidDeliveryLosesAndDoublesNothing) {
  DeliverBacklog("kr", 1000, {"--audit_batch_size=20"});
  AwaitCreated("kr", 100);
  KillRole();
  StartRole();
  ExpectOnceInOrder(AwaitCreated("kr", 1000), "kr", 1000);
}

}  // namespace
}  // namespace isms::testing
