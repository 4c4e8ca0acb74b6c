// The asset service as a real process beside the real role and audit
// services: its changes and refusals reach the audit trail, it asks the role
// service about every call and writes nothing when that cannot answer, and
// it names the field at fault in bad input.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/integration/audit_suite.h"

namespace isms::testing {
namespace {

using asset::v1::Asset;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kAssetService[] = "isms.asset.v1.AssetService";

class AssetServiceTest : public AuditSuite {
 protected:
  void SetUp() override {
    AuditSuite::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAudit());
    ASSERT_NO_FATAL_FAILURE(StartRole());
    // principals/iao holds the IAO role for assets/hr-db; principals/keeper
    // is the ISM (isms.assets.manage, isms.assets.read, isms.audit.read),
    // appointed last because it ends the bootstrap admin's powers.
    for (const char* id : {"keeper", "iao", "nobody", "alice"}) {
      ASSERT_NO_FATAL_FAILURE(AddPerson(id));
    }
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/iao", "principals/iao", "assets/hr-db", &iao_));
    ASSERT_NO_FATAL_FAILURE(Appoint("roles/ism", "principals/keeper", ""));
    ASSERT_NO_FATAL_FAILURE(StartAsset());
  }

  void AddPerson(const std::string& id) {
    grpc::ClientContext context;
    Prepare(context, kRootToken);
    role::v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name(id);
    request.mutable_principal()->set_kind(role::v1::PRINCIPAL_KIND_PERSON);
    role::v1::Principal principal;
    grpc::Status status = role_->CreatePrincipal(&context, request, &principal);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Appoint(const std::string& role, const std::string& principal, const std::string& scope,
               std::string* name = nullptr) {
    grpc::ClientContext context;
    Prepare(context, kRootToken);
    role::v1::CreateAssignmentRequest request;
    request.mutable_assignment()->set_role(role);
    request.mutable_assignment()->set_principal(principal);
    request.mutable_assignment()->set_scope(scope);
    role::v1::Assignment assignment;
    grpc::Status status = role_->CreateAssignment(&context, request, &assignment);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (name != nullptr) *name = assignment.name();
  }

  // As principals/keeper, the ISM: the bootstrap admin's powers ended when
  // the ISM was appointed.
  void Revoke(const std::string& assignment) {
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    role::v1::RevokeAssignmentRequest request;
    request.set_name(assignment);
    request.set_reason("moved to another team");
    role::v1::Assignment revoked;
    grpc::Status status = role_->RevokeAssignment(&context, request, &revoked);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status List(const std::string& token, asset::v1::ListAssetsRequest request,
                    std::vector<std::string>* names) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::ListAssetsResponse response;
    grpc::Status status = asset_->ListAssets(&context, request, &response);
    names->clear();
    for (const Asset& asset : response.assets()) names->push_back(asset.name());
    return status;
  }

  grpc::Status Grant(const std::string& token, const std::string& principal,
                     absl::Duration for_how_long, asset::v1::AccessRecord* record,
                     const std::string& justification = "payroll reconciliation") {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::CreateAccessRecordRequest request;
    request.set_parent("assets/hr-db");
    request.mutable_access_record()->set_principal(principal);
    request.mutable_access_record()->set_level(asset::v1::ACCESS_LEVEL_READ);
    request.mutable_access_record()->set_justification(justification);
    *request.mutable_access_record()->mutable_end_time() = ToProto(absl::Now() + for_how_long);
    return asset_->CreateAccessRecord(&context, request, record);
  }

  grpc::Status RevokeAccess(const std::string& token, const std::string& name,
                            asset::v1::AccessRecord* record) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::RevokeAccessRecordRequest request;
    request.set_name(name);
    request.set_reason("no longer needed");
    return asset_->RevokeAccessRecord(&context, request, record);
  }

  grpc::Status ListAccess(const std::string& token, asset::v1::ListAccessRecordsResponse* listed) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::ListAccessRecordsRequest request;
    request.set_parent("assets/hr-db");
    return asset_->ListAccessRecords(&context, request, listed);
  }

  grpc::Status Coverage(const std::string& token, asset::v1::AssetCoverage* coverage) {
    grpc::ClientContext context;
    Prepare(context, token);
    return asset_->GetAssetCoverage(&context, asset::v1::GetAssetCoverageRequest(), coverage);
  }

  // The assignment that makes principals/iao the IAO of assets/hr-db.
  std::string iao_;

  static Asset NewAsset() {
    Asset asset;
    asset.set_title("HR database");
    asset.set_classification(asset::v1::CLASSIFICATION_CONFIDENTIAL);
    asset.add_information_kinds(asset::v1::INFORMATION_KIND_PERSONAL_DATA);
    asset.set_location("hr-db-01");
    *asset.mutable_review_time() = ToProto(absl::Now() + absl::Hours(24 * 90));
    return asset;
  }

  grpc::Status Create(const std::string& token, const std::string& id, Asset* created,
                      Asset asset = NewAsset()) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::CreateAssetRequest request;
    request.set_asset_id(id);
    *request.mutable_asset() = std::move(asset);
    return asset_->CreateAsset(&context, request, created);
  }

  grpc::Status Update(const std::string& token, asset::v1::UpdateAssetRequest request,
                      Asset* updated) {
    grpc::ClientContext context;
    Prepare(context, token);
    return asset_->UpdateAsset(&context, request, updated);
  }

  grpc::Status UpdateTitle(const std::string& token, const std::string& title,
                           const std::string& etag, Asset* updated) {
    asset::v1::UpdateAssetRequest request;
    request.mutable_asset()->set_name("assets/hr-db");
    request.mutable_asset()->set_title(title);
    request.mutable_asset()->set_etag(etag);
    request.mutable_update_mask()->add_paths("title");
    return Update(token, request, updated);
  }

  grpc::Status Delete(const std::string& token, const std::string& etag) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::DeleteAssetRequest request;
    request.set_name("assets/hr-db");
    request.set_etag(etag);
    google::protobuf::Empty empty;
    return asset_->DeleteAsset(&context, request, &empty);
  }

  grpc::Status Get(const std::string& token, const std::string& name, Asset* asset) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::GetAssetRequest request;
    request.set_name(name);
    return asset_->GetAsset(&context, request, asset);
  }

  // The asset service's events in the trail, once `done` holds of them (or
  // after 30 s, whatever they are).
  std::vector<audit::v1::AuditEvent> AssetEventsWhen(
      const std::function<bool(const std::vector<audit::v1::AuditEvent>&)>& done) {
    std::vector<audit::v1::AuditEvent> events;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      events.clear();
      for (const auto& entry : ExportAll()) {
        if (entry.logged().event().service() == kAssetService) {
          events.push_back(entry.logged().event());
        }
      }
      if (done(events)) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return events;
  }

  // Waits until the asset service's outbox is empty (all delivered).
  void WaitForDelivery() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      Prepare(context, kKeeperToken);
      audit::v1::DeliveryStatus status;
      grpc::Status called =
          asset_->GetAuditDelivery(&context, asset::v1::GetAuditDeliveryRequest(), &status);
      if (called.ok() && status.waiting_events() == 0) return;
      absl::SleepFor(absl::Milliseconds(200));
    }
    ADD_FAILURE() << "the asset service's outbox was not delivered within 30 s";
  }
};

TEST_F(AssetServiceTest, CreateUpdateAndDeleteReachTheAuditTrailWithTheRoleServicesReasoning) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  Asset updated;
  ASSERT_THAT(UpdateTitle(kIaoToken, "People database", created.etag(), &updated),
              GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(updated.title(), "People database");
  ASSERT_THAT(Delete(kKeeperToken, updated.etag()), GrpcCodeIs(grpc::StatusCode::OK));

  const auto events = AssetEventsWhen([](const auto& events) { return events.size() >= 3; });
  ASSERT_EQ(events.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"CreateAsset", "principals/keeper"},
      {"UpdateAsset", "principals/iao"},
      {"DeleteAsset", "principals/keeper"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].first);
    EXPECT_EQ(events[i].method(), absl::StrCat("/isms.asset.v1.AssetService/", expected[i].first));
    EXPECT_EQ(events[i].principal(), expected[i].second);
    EXPECT_EQ(events[i].resource(), "assets/hr-db");
    EXPECT_EQ(events[i].outcome(), audit::v1::OUTCOME_SUCCEEDED);
    // How the role service says the caller holds the permission.
    EXPECT_THAT(events[i].attributes().at("permission_explanation"),
                HasSubstr(i == 1 ? "roles/iao" : "roles/ism"));
  }
}

TEST_F(AssetServiceTest, ACallerWithoutPermissionIsRefusedAndTheRefusalAudited) {
  Asset created;
  EXPECT_THAT(Create(kNobodyToken, "hr-db", &created),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  Asset updated;
  // The ISM keeps the register but is not the asset's owner.
  EXPECT_THAT(UpdateTitle(kKeeperToken, "Mine", created.etag(), &updated),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  // The IAO owns the asset but does not keep the register.
  EXPECT_THAT(Delete(kIaoToken, created.etag()), GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));

  const auto events = AssetEventsWhen([](const auto& events) { return events.size() >= 4; });
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].outcome(), audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(events[0].principal(), "principals/nobody");
  EXPECT_EQ(events[0].resource(), "assets/hr-db");
  EXPECT_FALSE(events[0].changes().empty()) << "what was attempted is recorded";
  EXPECT_EQ(events[2].outcome(), audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(events[2].principal(), "principals/keeper");
  EXPECT_EQ(events[3].outcome(), audit::v1::OUTCOME_DENIED);
  EXPECT_EQ(events[3].principal(), "principals/iao");
}

TEST_F(AssetServiceTest, WithTheRoleServiceStoppedEveryMutationIsUnavailableAndNothingIsWritten) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  WaitForDelivery();
  StopRole();

  Asset ignored;
  EXPECT_THAT(Create(kKeeperToken, "other", &ignored), GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_THAT(UpdateTitle(kIaoToken, "Changed", created.etag(), &ignored),
              GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_THAT(Delete(kKeeperToken, created.etag()), GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_THAT(Get(kKeeperToken, "assets/hr-db", &ignored),
              GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));

  ASSERT_NO_FATAL_FAILURE(StartRole());
  // The asset service's channel reconnects after its backoff.
  Asset stored;
  grpc::Status got;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;) {
    got = Get(kKeeperToken, "assets/hr-db", &stored);
    if (got.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_THAT(got, GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(stored.title(), "HR database");
  EXPECT_EQ(stored.etag(), created.etag());
  Asset other;
  EXPECT_THAT(Get(kKeeperToken, "assets/other", &other), GrpcCodeIs(grpc::StatusCode::NOT_FOUND));
  WaitForDelivery();
  const auto events = AssetEventsWhen([](const auto&) { return true; });
  ASSERT_EQ(events.size(), 1u) << "only the create before the stop was recorded";
  EXPECT_EQ(events[0].method(), "/isms.asset.v1.AssetService/CreateAsset");
}

TEST_F(AssetServiceTest, BadInputIsInvalidArgumentNamingTheField) {
  struct Case {
    std::string field;
    std::function<void(asset::v1::CreateAssetRequest&)> change;
  };
  const std::vector<Case> creates = {
      {"asset_id", [](auto& r) { r.set_asset_id("Bad Id"); }},
      {"asset.title", [](auto& r) { r.mutable_asset()->clear_title(); }},
      {"asset.description",
       [](auto& r) { r.mutable_asset()->set_description(std::string(5000, 'x')); }},
      {"asset.classification", [](auto& r) { r.mutable_asset()->clear_classification(); }},
      {"asset.information_kinds", [](auto& r) { r.mutable_asset()->clear_information_kinds(); }},
      {"asset.location", [](auto& r) { r.mutable_asset()->clear_location(); }},
      {"asset.retention.period_days",
       [](auto& r) { r.mutable_asset()->mutable_retention()->set_period_days(-5); }},
      {"asset.retention.basis",
       [](auto& r) { r.mutable_asset()->mutable_retention()->set_basis(std::string(300, 'x')); }},
      {"asset.review_time", [](auto& r) { r.mutable_asset()->clear_review_time(); }},
  };
  for (const Case& c : creates) {
    SCOPED_TRACE(c.field);
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    asset::v1::CreateAssetRequest request;
    request.set_asset_id("hr-db");
    *request.mutable_asset() = NewAsset();
    c.change(request);
    Asset ignored;
    grpc::Status status = asset_->CreateAsset(&context, request, &ignored);
    EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_THAT(status.error_message(), StartsWith(c.field + ":"));
  }

  asset::v1::UpdateAssetRequest update;
  update.mutable_asset()->set_name("assets/hr-db");
  Asset ignored;
  grpc::Status status = Update(kIaoToken, update, &ignored);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), StartsWith("update_mask:"));
  update.mutable_update_mask()->add_paths("location");
  status = Update(kIaoToken, update, &ignored);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), StartsWith("asset.location:"));

  status = Get(kKeeperToken, "roles/siro", &ignored);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), StartsWith("name:"));

  grpc::ClientContext context;
  Prepare(context, kKeeperToken);
  asset::v1::ListAssetsRequest list;
  list.set_page_token("not-a-token");
  asset::v1::ListAssetsResponse listed;
  status = asset_->ListAssets(&context, list, &listed);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), StartsWith("page_token"));

  // Nothing was written: no event reached the trail.
  WaitForDelivery();
  EXPECT_TRUE(AssetEventsWhen([](const auto&) { return true; }).empty());
}

TEST_F(AssetServiceTest, RpcsNotBuiltYetSaySoAndNameTheirStep) {
  grpc::ClientContext context;
  Prepare(context, kIaoToken);
  asset::v1::CreateTransferRequest request;
  asset::v1::Transfer transfer;
  grpc::Status status = asset_->CreateTransfer(&context, request, &transfer);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::UNIMPLEMENTED));
  EXPECT_THAT(status.error_message(), HasSubstr("issue 10"));

  grpc::ClientContext import_context;
  Prepare(import_context, kKeeperToken);
  asset::v1::ImportAssetsResponse imported;
  auto writer = asset_->ImportAssets(&import_context, &imported);
  writer->WritesDone();
  status = writer->Finish();
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::UNIMPLEMENTED));
  EXPECT_THAT(status.error_message(), HasSubstr("issue 10"));
}

TEST_F(AssetServiceTest, AWriteThatReturnedSurvivesKill9) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  Asset updated;
  ASSERT_THAT(UpdateTitle(kIaoToken, "People database", created.etag(), &updated),
              GrpcCodeIs(grpc::StatusCode::OK));
  KillAsset();
  ASSERT_NO_FATAL_FAILURE(StartAsset());
  Asset stored;
  ASSERT_THAT(Get(kIaoToken, "assets/hr-db", &stored), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(stored.title(), "People database");
  EXPECT_EQ(stored.etag(), updated.etag());
  // Both events reach the trail, once each, whether or not they were
  // delivered before the kill.
  const auto events = AssetEventsWhen([](const auto& events) { return events.size() >= 2; });
  WaitForDelivery();
  EXPECT_EQ(AssetEventsWhen([](const auto&) { return true; }).size(), 2u);
  ASSERT_GE(events.size(), 2u);
}

TEST_F(AssetServiceTest, CallsWithoutAValidTokenAreUnauthenticated) {
  grpc::ClientContext context;
  Prepare(context, "not-a-token");
  asset::v1::GetAssetRequest request;
  request.set_name("assets/hr-db");
  Asset asset;
  EXPECT_THAT(asset_->GetAsset(&context, request, &asset),
              GrpcCodeIs(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(AssetServiceTest, HealthServesItsNamesAndReflectionListsTheService) {
  auto channel = grpc::CreateChannel(asset_server_->address(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const char* name : {"", "isms.asset.v1.AssetService", "isms.asset.v1.AssetService/writes"}) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(name);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_THAT(health->Check(&context, request, &response), GrpcCodeIs(grpc::StatusCode::OK))
        << name;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << name;
  }

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  std::vector<std::string> services;
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  while (stream->Read(&response)) {
    for (const auto& service : response.list_services_response().service()) {
      services.push_back(service.name());
    }
  }
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_THAT(services, Contains("isms.asset.v1.AssetService"));
}

TEST_F(AssetServiceTest, SigtermStopsTheServiceCleanly) {
  asset_server_->Signal(SIGTERM);
  absl::StatusOr<int> exited = asset_server_->Wait(absl::Seconds(20));
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0) << "wait status " << *exited;
  asset_server_.reset();
}

TEST_F(AssetServiceTest, ListPagesWithTheRealRoleServiceDeciding) {
  for (const char* id : {"c", "a", "b"}) {
    Asset created;
    ASSERT_THAT(Create(kKeeperToken, id, &created), GrpcCodeIs(grpc::StatusCode::OK));
  }
  asset::v1::ListAssetsRequest request;
  request.set_page_size(2);
  std::vector<std::string> names;
  for (int page = 0; page < 3; ++page) {
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    asset::v1::ListAssetsResponse response;
    ASSERT_THAT(asset_->ListAssets(&context, request, &response), GrpcCodeIs(grpc::StatusCode::OK));
    for (const Asset& asset : response.assets()) names.push_back(asset.name());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"assets/a", "assets/b", "assets/c"}));

  // The IAO reads their own asset only; listing the register is for readers
  // of the whole of it.
  grpc::ClientContext context;
  Prepare(context, kIaoToken);
  asset::v1::ListAssetsResponse response;
  EXPECT_THAT(asset_->ListAssets(&context, asset::v1::ListAssetsRequest(), &response),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
}

TEST_F(AssetServiceTest, ReadingAnAssetShowsTheOwnerTheRoleServiceNamesAndHowTheyHoldIt) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_FALSE(created.has_owner()) << "a create returns what was stored; no owner is stored";
  for (const char* token : {kKeeperToken, kIaoToken}) {
    Asset asset;
    ASSERT_THAT(Get(token, "assets/hr-db", &asset), GrpcCodeIs(grpc::StatusCode::OK));
    EXPECT_EQ(asset.owner().principal(), "principals/iao");
    EXPECT_EQ(asset.owner().via(), asset::v1::OWNER_VIA_APPOINTMENT);
    EXPECT_EQ(asset.owner().source(), iao_);
    EXPECT_THAT(asset.owner().explanation(), HasSubstr("roles/iao for assets/hr-db"));
  }
  asset::v1::ListAssetsRequest request;
  request.set_owner("principals/iao");
  std::vector<std::string> names;
  ASSERT_THAT(List(kKeeperToken, request, &names), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(names, std::vector<std::string>{"assets/hr-db"});
}

TEST_F(AssetServiceTest, AnAssetWithoutAnIaoIsListedByNoOwnerAndInTheCoverageView) {
  for (const char* id : {"hr-db", "orphan"}) {
    Asset created;
    ASSERT_THAT(Create(kKeeperToken, id, &created), GrpcCodeIs(grpc::StatusCode::OK));
  }
  Asset orphan;
  ASSERT_THAT(Get(kKeeperToken, "assets/orphan", &orphan), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_FALSE(orphan.has_owner());
  asset::v1::ListAssetsRequest request;
  request.set_no_owner(true);
  std::vector<std::string> names;
  ASSERT_THAT(List(kKeeperToken, request, &names), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(names, std::vector<std::string>{"assets/orphan"});
  asset::v1::AssetCoverage coverage;
  ASSERT_THAT(Coverage(kKeeperToken, &coverage), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(coverage.asset_count(), 2);
  EXPECT_EQ(coverage.without_owner_count(), 1);
  EXPECT_THAT(coverage.assets_without_owner(), ::testing::ElementsAre("assets/orphan"));

  // The coverage view is for readers of the whole register: the IAO of one
  // asset is refused, and the refusal is audited.
  EXPECT_THAT(Coverage(kIaoToken, &coverage), GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  WaitForDelivery();
  const auto events = AssetEventsWhen([](const auto& events) {
    for (const auto& event : events) {
      if (event.method() == "/isms.asset.v1.AssetService/GetAssetCoverage") return true;
    }
    return false;
  });
  EXPECT_THAT(events,
              Contains(::testing::Property(&audit::v1::AuditEvent::method,
                                           "/isms.asset.v1.AssetService/GetAssetCoverage")));
}

TEST_F(AssetServiceTest, OnceTheIaoIsRevokedInTheRoleServiceTheAssetHasNoOwner) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  ASSERT_NO_FATAL_FAILURE(Revoke(iao_));
  Asset asset;
  ASSERT_THAT(Get(kKeeperToken, "assets/hr-db", &asset), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_FALSE(asset.has_owner()) << "no stale copy of the owner";
  asset::v1::ListAssetsRequest request;
  request.set_no_owner(true);
  std::vector<std::string> names;
  ASSERT_THAT(List(kKeeperToken, request, &names), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(names, std::vector<std::string>{"assets/hr-db"});
  // And the revoked IAO's next change is refused.
  Asset ignored;
  EXPECT_THAT(UpdateTitle(kIaoToken, "Changed", created.etag(), &ignored),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
}

TEST_F(AssetServiceTest, WithTheRoleServiceStoppedOwnerReadsAreUnavailableNeverAGuess) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  StopRole();
  asset::v1::ListAssetsRequest request;
  request.set_no_owner(true);
  std::vector<std::string> names;
  EXPECT_THAT(List(kKeeperToken, request, &names), GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  asset::v1::AssetCoverage coverage;
  EXPECT_THAT(Coverage(kKeeperToken, &coverage), GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
}

TEST_F(AssetServiceTest, OnlyTheIaoRecordsAccessAndOthersAreRefusedAndAudited) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  asset::v1::AccessRecord record;
  ASSERT_THAT(Grant(kIaoToken, "principals/alice", absl::Hours(24), &record),
              GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(record.granted_by(), "principals/iao");
  EXPECT_THAT(record.grant_explanation(), HasSubstr(iao_));
  EXPECT_TRUE(record.active());

  asset::v1::AccessRecord refused;
  // The ISM keeps the register but is not the asset's owner.
  EXPECT_THAT(Grant(kKeeperToken, "principals/alice", absl::Hours(24), &refused),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(Grant(kNobodyToken, "principals/nobody", absl::Hours(24), &refused),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(Grant(kIaoToken, "principals/iao", absl::Hours(24), &refused),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED))
      << "not even the IAO records access for themselves";
  EXPECT_THAT(RevokeAccess(kNobodyToken, record.name(), &refused),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));

  WaitForDelivery();
  const auto events = AssetEventsWhen([](const auto& events) {
    int denied = 0;
    for (const auto& event : events) denied += event.outcome() == audit::v1::OUTCOME_DENIED;
    return denied >= 4;
  });
  std::vector<std::string> denied;
  for (const auto& event : events) {
    if (event.outcome() == audit::v1::OUTCOME_DENIED) denied.push_back(event.principal());
    if (event.resource() == record.name() && event.outcome() == audit::v1::OUTCOME_SUCCEEDED) {
      EXPECT_EQ(event.attributes().at("permission"), "isms.assets.access.manage");
      EXPECT_THAT(event.attributes().at("permission_explanation"), HasSubstr(iao_));
    }
  }
  EXPECT_EQ(denied, (std::vector<std::string>{"principals/keeper", "principals/nobody",
                                              "principals/iao", "principals/nobody"}));

  asset::v1::ListAccessRecordsResponse listed;
  ASSERT_THAT(ListAccess(kKeeperToken, &listed), GrpcCodeIs(grpc::StatusCode::OK));
  ASSERT_EQ(listed.access_records_size(), 1);
  EXPECT_EQ(listed.access_records(0).principal(), "principals/alice");
}

TEST_F(AssetServiceTest, TheIaosDelegateRecordsAccessAndTheRecordSaysSo) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  {
    grpc::ClientContext context;
    Prepare(context, kIaoToken);
    role::v1::CreateDelegationRequest request;
    request.mutable_delegation()->set_assignment(iao_);
    request.mutable_delegation()->set_delegate("principals/nobody");
    request.mutable_delegation()->set_permission("isms.assets.access.manage");
    *request.mutable_delegation()->mutable_effective_until() =
        ToProto(absl::Now() + absl::Hours(24));
    role::v1::Delegation delegation;
    grpc::Status status = role_->CreateDelegation(&context, request, &delegation);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  asset::v1::AccessRecord record;
  ASSERT_THAT(Grant(kNobodyToken, "principals/alice", absl::Hours(24), &record),
              GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(record.granted_by(), "principals/nobody");
  EXPECT_THAT(record.grant_explanation(), HasSubstr("delegations/"));
  EXPECT_THAT(record.grant_explanation(), HasSubstr("principals/iao"));
}

TEST_F(AssetServiceTest, ExpiredAccessStopsCounting) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  asset::v1::AccessRecord record;
  ASSERT_THAT(Grant(kIaoToken, "principals/alice", absl::Seconds(2), &record),
              GrpcCodeIs(grpc::StatusCode::OK));
  absl::SleepFor(FromProto(record.end_time()) - absl::Now() + absl::Milliseconds(100));
  asset::v1::ListAccessRecordsResponse listed;
  ASSERT_THAT(ListAccess(kKeeperToken, &listed), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(listed.access_records_size(), 0);
  grpc::ClientContext context;
  Prepare(context, kKeeperToken);
  asset::v1::GetAccessRecordRequest get;
  get.set_name(record.name());
  asset::v1::AccessRecord read;
  ASSERT_THAT(asset_->GetAccessRecord(&context, get, &read), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_FALSE(read.active());
  // Nothing in force: the asset may go.
  EXPECT_THAT(Delete(kKeeperToken, ""), GrpcCodeIs(grpc::StatusCode::OK));
}

TEST_F(AssetServiceTest, AfterTheIaoIsRevokedTheirNextGrantIsRefused) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  asset::v1::AccessRecord record;
  ASSERT_THAT(Grant(kIaoToken, "principals/alice", absl::Hours(24), &record),
              GrpcCodeIs(grpc::StatusCode::OK));
  ASSERT_NO_FATAL_FAILURE(Revoke(iao_));
  asset::v1::AccessRecord refused;
  EXPECT_THAT(Grant(kIaoToken, "principals/nobody", absl::Hours(24), &refused),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(RevokeAccess(kIaoToken, record.name(), &refused),
              GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
}

TEST_F(AssetServiceTest, ALeaversAccessIsListedAsToBeRemovedAndBlocksDeletion) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  asset::v1::AccessRecord record;
  ASSERT_THAT(Grant(kIaoToken, "principals/alice", absl::Hours(24), &record),
              GrpcCodeIs(grpc::StatusCode::OK));
  {
    grpc::ClientContext context;
    Prepare(context, kKeeperToken);
    role::v1::MarkPrincipalLeftRequest request;
    request.set_name("principals/alice");
    role::v1::MarkPrincipalLeftResponse response;
    grpc::Status status = role_->MarkPrincipalLeft(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  asset::v1::ListAccessRecordsResponse listed;
  ASSERT_THAT(ListAccess(kKeeperToken, &listed), GrpcCodeIs(grpc::StatusCode::OK));
  ASSERT_EQ(listed.access_records_size(), 1);
  EXPECT_TRUE(listed.access_records(0).to_be_removed());
  // No new access for a leaver.
  asset::v1::AccessRecord refused;
  EXPECT_THAT(Grant(kIaoToken, "principals/alice", absl::Hours(24), &refused),
              GrpcCodeIs(grpc::StatusCode::FAILED_PRECONDITION));
  // The asset keeps its record until the access is revoked.
  grpc::Status deleted = Delete(kKeeperToken, "");
  EXPECT_THAT(deleted, GrpcCodeIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(deleted.error_message(), HasSubstr(record.name()));
  ASSERT_THAT(RevokeAccess(kIaoToken, record.name(), &refused), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_THAT(Delete(kKeeperToken, ""), GrpcCodeIs(grpc::StatusCode::OK));
}

TEST_F(AssetServiceTest, WithTheRoleServiceStoppedAccessChangesAreUnavailableAndNothingIsWritten) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  asset::v1::AccessRecord record;
  ASSERT_THAT(Grant(kIaoToken, "principals/alice", absl::Hours(24), &record),
              GrpcCodeIs(grpc::StatusCode::OK));
  WaitForDelivery();
  StopRole();
  asset::v1::AccessRecord ignored;
  EXPECT_THAT(Grant(kIaoToken, "principals/nobody", absl::Hours(24), &ignored),
              GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_THAT(RevokeAccess(kIaoToken, record.name(), &ignored),
              GrpcCodeIs(grpc::StatusCode::UNAVAILABLE));
  ASSERT_NO_FATAL_FAILURE(StartRole());
  asset::v1::ListAccessRecordsResponse listed;
  grpc::Status status;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;) {
    status = ListAccess(kKeeperToken, &listed);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_THAT(status, GrpcCodeIs(grpc::StatusCode::OK));
  ASSERT_EQ(listed.access_records_size(), 1);
  EXPECT_TRUE(listed.access_records(0).active()) << "the refused revoke changed nothing";
  WaitForDelivery();
  EXPECT_EQ(AssetEventsWhen([](const auto&) { return true; }).size(), 2u)
      << "only the create and the grant before the stop were recorded";
}

TEST_F(AssetServiceTest, BadAccessRequestsAreInvalidArgumentNamingTheField) {
  asset::v1::AccessRecord ignored;
  grpc::Status status =
      Grant(kIaoToken, "principals/alice", absl::Hours(24), &ignored, /*justification=*/"");
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), StartsWith("access_record.justification"));
  status = Grant(kIaoToken, "principals/alice", absl::Hours(24 * 365 * 6), &ignored);
  EXPECT_THAT(status.error_message(), StartsWith("access_record.end_time"));
  status = RevokeAccess(kIaoToken, "assets/hr-db/transfers/1", &ignored);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), StartsWith("name"));
  grpc::ClientContext context;
  Prepare(context, kKeeperToken);
  asset::v1::ListAccessRecordsRequest list;
  list.set_parent("assets/-");
  asset::v1::ListAccessRecordsResponse listed;
  status = asset_->ListAccessRecords(&context, list, &listed);
  EXPECT_THAT(status, GrpcCodeIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), StartsWith("principal"));
}

TEST_F(AssetServiceTest, OnlyTheIaoAttestsNotTheIsmNorADelegate) {
  Asset created;
  ASSERT_THAT(Create(kKeeperToken, "hr-db", &created), GrpcCodeIs(grpc::StatusCode::OK));
  {
    // The IAO hands the attest permission itself to principals/nobody.
    grpc::ClientContext context;
    Prepare(context, kIaoToken);
    role::v1::CreateDelegationRequest request;
    request.mutable_delegation()->set_assignment(iao_);
    request.mutable_delegation()->set_delegate("principals/nobody");
    request.mutable_delegation()->set_permission("isms.assets.attestations.submit");
    *request.mutable_delegation()->mutable_effective_until() =
        ToProto(absl::Now() + absl::Hours(24));
    role::v1::Delegation delegation;
    grpc::Status status = role_->CreateDelegation(&context, request, &delegation);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  auto attest = [&](const std::string& token, asset::v1::Attestation* attestation) {
    grpc::ClientContext context;
    Prepare(context, token);
    asset::v1::CreateAttestationRequest request;
    request.set_parent("assets/hr-db");
    request.mutable_attestation()->set_security_judgement("patched, access reviewed");
    request.mutable_attestation()->set_use_judgement("payroll only");
    request.mutable_attestation()->set_still_required(true);
    return asset_->CreateAttestation(&context, request, attestation);
  };
  asset::v1::Attestation attestation;
  EXPECT_THAT(attest(kKeeperToken, &attestation), GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(attest(kNobodyToken, &attestation), GrpcCodeIs(grpc::StatusCode::PERMISSION_DENIED))
      << "a delegate holding the permission is not the IAO";
  ASSERT_THAT(attest(kIaoToken, &attestation), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_EQ(attestation.attester(), "principals/iao");
  EXPECT_THAT(attestation.explanation(), HasSubstr(iao_));
  asset::v1::ListAssetsRequest overdue;
  overdue.set_attestation_overdue(true);
  std::vector<std::string> names;
  ASSERT_THAT(List(kKeeperToken, overdue, &names), GrpcCodeIs(grpc::StatusCode::OK));
  EXPECT_TRUE(names.empty()) << "attested today";
  WaitForDelivery();
  const auto events = AssetEventsWhen([](const auto& events) {
    int denied = 0;
    for (const auto& event : events) denied += event.outcome() == audit::v1::OUTCOME_DENIED;
    return denied >= 2;
  });
  std::vector<std::string> denied;
  for (const auto& event : events) {
    if (event.outcome() == audit::v1::OUTCOME_DENIED) denied.push_back(event.principal());
  }
  EXPECT_EQ(denied, (std::vector<std::string>{"principals/keeper", "principals/nobody"}));
}

}  // namespace
}  // namespace isms::testing
