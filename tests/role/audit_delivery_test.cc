// GetAuditDelivery: who may see how the outbox's delivery stands, and what
// it reports with and without a relay.

#include <gmock/gmock.h>

#include <cstdio>
#include <fstream>

#include "common/client/peer_channel.h"
#include "common/outbox/outbox_relay.h"
#include "common/server/logger.h"
#include "common/testing/server_process.h"
#include "common/testing/status_matchers.h"
#include "tests/role/registry_test_base.h"

namespace isms::role {
namespace {

using ::isms::testing::StatusIs;
using ::testing::HasSubstr;

class AuditDeliveryTest : public RegistryTestBase {
 protected:
  static CallInfo Service(const std::string& name, std::vector<std::string> capabilities) {
    return CallInfo{Caller{name, name, true, std::move(capabilities)}, "r", "/test/Method"};
  }
  absl::StatusOr<isms::audit::v1::DeliveryStatus> Delivery(const CallInfo& call) {
    return registry_->GetAuditDelivery(call, v1::GetAuditDeliveryRequest());
  }
};

TEST_F(AuditDeliveryTest, AnAuditReaderSeesTheWaitingEventsWithoutARelay) {
  const int64_t waiting = static_cast<int64_t>(OutboxEvents().size());
  ASSERT_GT(waiting, 0);  // Set-up wrote the catalogue and the admin's appointment.
  auto status = Delivery(Admin());  // The ISM holds isms.audit.read.
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->enabled());
  EXPECT_EQ(status->waiting_events(), waiting);
  EXPECT_EQ(FromProto(status->oldest_waiting_time()), FromProto(OutboxEvents()[0].occur_time()));
  EXPECT_EQ(status->delivered_since_start(), 0);
}

TEST_F(AuditDeliveryTest, APersonWithoutAuditReadIsDeniedAndTheRefusalIsAudited) {
  AddPerson("bob");
  EXPECT_THAT(Delivery(As("principals/bob")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("isms.audit.read")));
  const auto events = OutboxEvents();
  EXPECT_EQ(events.back().principal(), "principals/bob");
  EXPECT_EQ(events.back().resource(), "audit-delivery");
  EXPECT_EQ(events.back().outcome(), isms::audit::v1::OUTCOME_DENIED);
}

TEST_F(AuditDeliveryTest, AServiceNeedsTheReadRegisterCapability) {
  EXPECT_THAT(Delivery(Service("services/batch", {})),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("read-register")));
  EXPECT_TRUE(Delivery(Service("services/dashboard", {"read-register"})).ok());
}

TEST_F(AuditDeliveryTest, AServiceActingForAPersonHasThatPersonsPermission) {
  AddPerson("bob");
  const CallInfo for_admin{
      Caller{"services/gateway", "principals/admin", true, {"on-behalf-of"}}, "r", "/t"};
  EXPECT_TRUE(Delivery(for_admin).ok());
  const CallInfo for_bob{
      Caller{"services/gateway", "principals/bob", true, {"on-behalf-of", "read-register"}}, "r",
      "/t"};
  EXPECT_THAT(Delivery(for_bob), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuditDeliveryTest, WithARelayTheStatusIsTheRelays) {
  isms::testing::TempDir dir;
  const std::string token_file = dir.path() + "/token";
  std::ofstream(token_file) << "t\n";
  PeerConfig config;
  config.address = "127.0.0.1:1";  // Nothing listens: every delivery fails.
  config.token_file = token_file;
  auto peer = PeerChannel::Connect(config);
  ASSERT_TRUE(peer.ok()) << peer.status();
  std::FILE* sink = std::fopen("/dev/null", "w");
  ASSERT_NE(sink, nullptr);
  {
    Logger logger(sink, LogLevel::kError);
    OutboxRelay::Options options;
    options.initial_backoff = absl::Minutes(10);
    options.max_backoff = absl::Minutes(10);
    auto relay = OutboxRelay::Start(*store_, **peer, logger, clock_, options);
    ASSERT_TRUE(relay.ok()) << relay.status();
    registry_->SetAuditRelay(relay->get());
    auto status = Delivery(Admin());
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(status->enabled());
    EXPECT_EQ(status->waiting_events(), static_cast<int64_t>(OutboxEvents().size()));
    registry_->SetAuditRelay(nullptr);
  }
  std::fclose(sink);
}

}  // namespace
}  // namespace isms::role
