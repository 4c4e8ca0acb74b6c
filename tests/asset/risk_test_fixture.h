#ifndef ISMS_TESTS_ASSET_RISK_TEST_FIXTURE_H_
#define ISMS_TESTS_ASSET_RISK_TEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "services/asset/asset_registry.h"
#include "services/asset/permissions.h"
#include "services/asset/sqlite_asset_store.h"
#include "tests/asset/asset_test_util.h"
#include "tests/asset/registry_call.h"
#include "tests/asset/fake_role_holders.h"

namespace isms::asset {

// A registry on a real in-memory SQLite store with a fake role service, for
// the risk register and incidents. As the seeds: principals/siro (roles/siro:
// risks manage and accept, breaches receive), principals/dsiro (roles/dsiro),
// principals/ism (incidents manage and escalate, assets read), principals/po
// (roles/po: risks update), principals/iao (roles/iao for assets/hr-db),
// principals/staff (incidents report), principals/nobody. assets/hr-db and
// assets/payroll are in the register.
class RiskTestFixture : public ::testing::Test {
 protected:
  static inline const absl::Time kStart = absl::FromUnixSeconds(1767000000);

  void SetUp() override {
    auto store = SqliteAssetStore::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    registry_ = std::make_unique<AssetRegistry>(*store_, permissions_, owners_, holders_, clock_);
    permissions_.Grant("principals/keeper", kManageAssets);
    for (const char* p : {kManageRisks, kAcceptRisks, kReceiveBreaches, kReadAssets}) {
      permissions_.Grant("principals/siro", p);
    }
    for (const char* p : {kManageIncidents, kEscalateIncidents, kReadAssets, kReportIncidents}) {
      permissions_.Grant("principals/ism", p);
    }
    permissions_.Grant("principals/po", kUpdateRisks);
    permissions_.Grant("principals/staff", kReportIncidents);
    permissions_.Grant("principals/siro", kReportIncidents);
    holders_.Hold("principals/siro", kSiroRole);
    holders_.Hold("principals/dsiro", kDsiroRole);
    holders_.Hold("principals/po", kPoRole);
    holders_.Hold("principals/iao", kIaoRole, "assets/hr-db");
    for (const char* id : {"hr-db", "payroll"}) {
      v1::CreateAssetRequest request;
      request.set_asset_id(id);
      *request.mutable_asset() = TestAsset(kStart + absl::Hours(24 * 90));
      ASSERT_TRUE(Run(&AssetRegistry::CreateAsset, As("principals/keeper"), request).ok());
    }
  }

  static CallInfo As(const std::string& principal) {
    return CallAs(principal, "/isms.asset.v1.RiskService/Test");
  }

  template <typename Request, typename Response>
  absl::StatusOr<Response> Run(void (AssetRegistry::*method)(const CallInfo&, const Request&,
                                                             AssetRegistry::Done<Response>),
                               const CallInfo& call, const Request& request) {
    return RunRegistry(*registry_, method, call, request);
  }

  // A valid risk scored `likelihood` x `impact`, owned by `owner`.
  v1::Risk TestRisk(int likelihood, int impact, const std::string& owner = "principals/po",
                    std::vector<std::string> assets = {}) {
    v1::Risk risk;
    risk.set_title("Ransomware on the HR database");
    for (const std::string& asset : assets) risk.add_assets(asset);
    risk.set_threat("ransomware");
    risk.set_vulnerability("unpatched hosts");
    risk.set_likelihood(likelihood);
    risk.set_impact(impact);
    risk.set_treatment(v1::RISK_TREATMENT_MITIGATE);
    risk.set_treatment_plan("patch monthly");
    risk.set_owner(owner);
    *risk.mutable_next_review_time() = ToProto(clock_.Now() + absl::Hours(24 * 180));
    return risk;
  }

  absl::StatusOr<v1::Risk> CreateRisk(const std::string& id, const v1::Risk& risk,
                                      const std::string& as = "principals/po") {
    v1::CreateRiskRequest request;
    request.set_risk_id(id);
    *request.mutable_risk() = risk;
    return Run(&AssetRegistry::CreateRisk, As(as), request);
  }

  absl::StatusOr<v1::Risk> Accept(const std::string& name, const std::string& as,
                                  absl::Duration for_how_long = absl::Hours(24 * 90)) {
    v1::AcceptRiskRequest request;
    request.set_name(name);
    request.set_justification("cost of control exceeds the harm");
    *request.mutable_expire_time() = ToProto(clock_.Now() + for_how_long);
    return Run(&AssetRegistry::AcceptRisk, As(as), request);
  }

  absl::StatusOr<v1::ListRisksResponse> ListRisks(v1::ListRisksRequest request = {},
                                                  const std::string& as = "principals/siro") {
    return Run(&AssetRegistry::ListRisks, As(as), request);
  }

  absl::StatusOr<v1::Incident> Report(const std::string& id, bool breach,
                                      const std::string& as = "principals/staff",
                                      absl::Duration discovered_ago = absl::Hours(1)) {
    v1::ReportIncidentRequest request;
    request.set_incident_id(id);
    request.mutable_incident()->set_title("Laptop left on a train");
    request.mutable_incident()->add_assets("assets/hr-db");
    *request.mutable_incident()->mutable_discover_time() = ToProto(clock_.Now() - discovered_ago);
    request.mutable_incident()->set_personal_data_breach(breach);
    return Run(&AssetRegistry::ReportIncident, As(as), request);
  }

  absl::StatusOr<v1::Incident> Move(const std::string& name, v1::IncidentState to,
                                    const std::string& as, bool mark_breach = false) {
    v1::TransitionIncidentRequest request;
    request.set_name(name);
    request.set_to_state(to);
    request.set_reason("as the procedure says");
    request.set_mark_personal_data_breach(mark_breach);
    return Run(&AssetRegistry::TransitionIncident, As(as), request);
  }

  absl::StatusOr<v1::ListIncidentsResponse> ListIncidents(
      v1::ListIncidentsRequest request = {}, const std::string& as = "principals/ism") {
    return Run(&AssetRegistry::ListIncidents, As(as), request);
  }

  std::vector<isms::audit::v1::AuditEvent> Events() {
    auto outbox = store_->ReadOutbox(0, 10000);
    EXPECT_TRUE(outbox.ok()) << outbox.status();
    std::vector<isms::audit::v1::AuditEvent> events;
    if (outbox.ok()) {
      for (auto& entry : *outbox) events.push_back(entry.event);
    }
    return events;
  }

  FakeClock clock_{kStart};
  FakePermissionClient permissions_;
  FakeOwnerDirectory owners_;
  FakeRoleHolders holders_;
  std::unique_ptr<SqliteAssetStore> store_;
  std::unique_ptr<AssetRegistry> registry_;
};

}  // namespace isms::asset

#endif  // ISMS_TESTS_ASSET_RISK_TEST_FIXTURE_H_
