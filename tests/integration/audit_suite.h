#ifndef ISMS_TESTS_INTEGRATION_AUDIT_SUITE_H_
#define ISMS_TESTS_INTEGRATION_AUDIT_SUITE_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/testing/server_process.h"
#include "isms/asset/v1/asset_service.grpc.pb.h"
#include "isms/asset/v1/risk_service.grpc.pb.h"
#include "isms/audit/v1/audit_service.grpc.pb.h"
#include "isms/role/v1/role.grpc.pb.h"

namespace isms::testing {

// Tokens the suite's token files know.
inline constexpr char kRootToken[] = "root-token";             // principals/root (bootstrap)
inline constexpr char kAuditorToken[] = "auditor-token";       // principals/auditor
inline constexpr char kNobodyToken[] = "nobody-token";         // principals/nobody
inline constexpr char kRoleServiceToken[] = "role-svc-token";  // services/role, append-audit
inline constexpr char kSiemToken[] = "siem-token";             // services/siem, read-audit
inline constexpr char kPlainServiceToken[] = "plain-token";    // services/plain, no capability
// services/gateway: append-audit, read-audit and on-behalf-of; its
// capabilities are its own, never lent to the people it acts for.
inline constexpr char kGatewayToken[] = "gateway-token";
inline constexpr char kAuditServiceToken[] = "audit-token";  // services/audit, check-permissions
// services/asset: check-permissions at the role service, append-audit at the
// audit service.
inline constexpr char kAssetServiceToken[] = "asset-svc-token";
// People the asset service knows (its own token file); principals/keeper and
// principals/iao are known to the role service too.
inline constexpr char kKeeperToken[] = "keeper-token";  // principals/keeper
inline constexpr char kIaoToken[] = "iao-token";        // principals/iao
// People of the risk and incident tests (the asset service's token file).
inline constexpr char kSiroToken[] = "siro-token";    // principals/siro
inline constexpr char kSiro2Token[] = "siro2-token";  // principals/siro2
inline constexpr char kDsiroToken[] = "dsiro-token";  // principals/dsiro
inline constexpr char kStaffToken[] = "staff-token";  // principals/staff
inline constexpr char kPoToken[] = "po-token";        // principals/po

// The audit service, and optionally the role service delivering to it and
// the asset service (asking the role service, delivering to the audit
// service), as real processes on loopback with their data in one temporary
// folder. Each keeps its port across restarts, so a restarted service is
// found where the others look for it.
class AuditSuite : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  void StartAudit(std::vector<std::string> extra = {});
  void StopAudit();  // SIGTERM, waits.
  void KillAudit();  // SIGKILL, waits.
  void StartRole(std::vector<std::string> extra = {});
  void StopRole();
  void KillRole();
  void StartAsset(std::vector<std::string> extra = {});
  void StopAsset();  // SIGTERM, waits.
  void KillAsset();  // SIGKILL, waits.

  static void Prepare(grpc::ClientContext& context, const std::string& token,
                      absl::Duration timeout = absl::Seconds(30));
  const std::string& path() const { return dir_.path(); }
  std::string AuditDatabase() const { return dir_.path() + "/audit-data/audit.db"; }
  std::string PublicKeyFile() const { return dir_.path() + "/audit-public.pem"; }
  std::string TokenFileOf(const std::string& token) const;

  // Every entry of the log, by ExportEvents as services/siem.
  std::vector<audit::v1::LogEntry> ExportAll();
  // Appends as services/role; the status of the call.
  grpc::Status Append(const std::vector<audit::v1::AuditEvent>& events,
                      audit::v1::AppendEventsResponse* response = nullptr,
                      const std::string& token = kRoleServiceToken);

  // Makes principals/auditor the SIRO (which holds isms.audit.read).
  void AppointAuditor();

  std::unique_ptr<audit::v1::AuditService::Stub> audit_;
  std::unique_ptr<role::v1::RoleService::Stub> role_;
  std::unique_ptr<ServerProcess> audit_server_;
  std::unique_ptr<ServerProcess> role_server_;
  std::unique_ptr<asset::v1::AssetService::Stub> asset_;
  // The same process's isms.asset.v1.RiskService.
  std::unique_ptr<asset::v1::RiskService::Stub> risks_;
  std::unique_ptr<ServerProcess> asset_server_;

 private:
  TempDir dir_;
  int audit_port_ = 0;
  int role_port_ = 0;
  int asset_port_ = 0;
};

// An event as a service would send it.
audit::v1::AuditEvent TestEvent(const std::string& id, const std::string& actor = "principals/x");

}  // namespace isms::testing

#endif  // ISMS_TESTS_INTEGRATION_AUDIT_SUITE_H_
