#ifndef ISMS_SERVICES_ASSET_ASSET_REGISTRY_H_
#define ISMS_SERVICES_ASSET_ASSET_REGISTRY_H_

#include <google/protobuf/empty.pb.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/authz/permission_client.h"
#include "common/server/unary_call.h"
#include "common/time/clock.h"
#include "isms/asset/v1/asset_service.pb.h"
#include "isms/asset/v1/risk_service.pb.h"
#include "isms/audit/v1/audit_service.pb.h"
#include "services/asset/asset_store.h"
#include "services/asset/owner_directory.h"
#include "services/asset/role_holders.h"

namespace isms {
class OutboxRelay;
}  // namespace isms

namespace isms::asset {

// Most bytes of assets one ListAssets page carries (at least one asset).
inline constexpr size_t kMaxListReplyBytes = 1 << 20;

// The permissions the asset service asks the role service about (see the
// proto's service comment for who holds them).
inline constexpr char kReadAssets[] = "isms.assets.read";
inline constexpr char kManageAssets[] = "isms.assets.manage";
inline constexpr char kUpdateAssets[] = "isms.assets.update";
inline constexpr char kReadAudit[] = "isms.audit.read";
inline constexpr char kManageAccess[] = "isms.assets.access.manage";
inline constexpr char kSubmitAttestations[] = "isms.assets.attestations.submit";

// The asset register's logic: validates each request, asks the role service
// (PermissionClient) whether the caller's principal may make it, and commits
// the change with its audit event in one transaction. Refusals
// (PERMISSION_DENIED, FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS), denied
// reads included, are committed to the outbox too. When the role service
// cannot answer, the call fails UNAVAILABLE and nothing is written.
//
// Invalid requests are refused INVALID_ARGUMENT before the role service is
// asked. Then permission comes before existence: a caller who may not act on
// assets/x learns nothing about whether it exists.
//
// A service identity acting for itself reads with the read-register
// capability and changes nothing: changes are made by people (a service acts
// on behalf of one).
//
// Asynchronous: each method returns at once and calls `done` exactly once,
// on this thread or on the thread the role service's answer arrives on.
// REQUIRES: `call` and `request` stay valid until `done` runs.
// Thread-safe: writes are serialized; reads run concurrently.
class AssetRegistry : public RefusalRecorder {
 public:
  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;

  // Borrows all four; they must outlive the registry. `owners` says who owns
  // each asset (the role service): the registry keeps no copy of it.
  AssetRegistry(AssetStore& store, PermissionClient& permissions, OwnerDirectory& owners,
                const Clock& clock)
      : AssetRegistry(store, permissions, owners, UnconfiguredHolders(), clock) {}
  // `holders` says who holds which role now (risk owners, the SIRO a breach
  // goes to); borrowed, it must outlive the registry. Without it (the
  // constructor above) every risk and incident write that asks is
  // Unavailable.
  AssetRegistry(AssetStore& store, PermissionClient& permissions, OwnerDirectory& owners,
                RoleHolders& holders, const Clock& clock)
      : store_(store),
        permissions_(permissions),
        owners_(owners),
        holders_(holders),
        clock_(clock) {}
  AssetRegistry(const AssetRegistry&) = delete;
  AssetRegistry& operator=(const AssetRegistry&) = delete;

  // The relay delivering the store's outbox, or nullptr for none. The
  // registry wakes it after each commit and answers GetAuditDelivery from it.
  // `relay` must outlive the registry or be replaced first.
  void SetAuditRelay(OutboxRelay* relay);

  // RefusalRecorder: commits a refusal event for a call refused before it
  // reached a handler.
  void RecordRefusal(const CallInfo& call, const absl::Status& refusal) override;

  // Needs isms.assets.read on the asset. The owner is asked of the role
  // service; Unavailable when it cannot answer (never an asset shown without
  // an owner it has).
  void GetAsset(const CallInfo& call, const v1::GetAssetRequest& request, Done<v1::Asset> done);
  // Needs isms.assets.read organisation-wide. Each call reads every IAO
  // assignment in force from the role service once (paged) and fills each
  // listed asset's owner from it; owner and no_owner filter on it.
  // Unavailable when the role service cannot answer.
  void ListAssets(const CallInfo& call, const v1::ListAssetsRequest& request,
                  Done<v1::ListAssetsResponse> done);
  // Needs isms.assets.manage (checked on the new asset's name).
  void CreateAsset(const CallInfo& call, const v1::CreateAssetRequest& request,
                   Done<v1::Asset> done);
  // Needs isms.assets.update on the asset.
  void UpdateAsset(const CallInfo& call, const v1::UpdateAssetRequest& request,
                   Done<v1::Asset> done);
  // Needs isms.assets.manage (checked on the asset's name).
  void DeleteAsset(const CallInfo& call, const v1::DeleteAssetRequest& request,
                   Done<google::protobuf::Empty> done);
  // Needs isms.assets.access.manage on the asset (its IAO or their delegate,
  // as the role service says), whose explanation is kept in the record and
  // its audit event. Nobody records access for themselves; the principal
  // must be in the role register and not have left (FAILED_PRECONDITION).
  void CreateAccessRecord(const CallInfo& call, const v1::CreateAccessRecordRequest& request,
                          Done<v1::AccessRecord> done);
  // Needs isms.assets.read on the asset.
  void GetAccessRecord(const CallInfo& call, const v1::GetAccessRecordRequest& request,
                       Done<v1::AccessRecord> done);
  // By asset: isms.assets.read on it. By principal (parent "assets/-"):
  // isms.assets.read organisation-wide. Reads who has left from the role
  // service once per call (to_be_removed).
  void ListAccessRecords(const CallInfo& call, const v1::ListAccessRecordsRequest& request,
                         Done<v1::ListAccessRecordsResponse> done);
  // Needs isms.assets.access.manage on the asset. A record already revoked
  // or ended is FAILED_PRECONDITION.
  void RevokeAccessRecord(const CallInfo& call, const v1::RevokeAccessRecordRequest& request,
                          Done<v1::AccessRecord> done);
  // Only the asset's IAO: needs isms.assets.attestations.submit on the asset
  // and to be the owner the role service names now (a delegate holding the
  // permission is refused: the judgement is the IAO's own). Sets the asset's
  // last_attestation_time in the same transaction.
  void CreateAttestation(const CallInfo& call, const v1::CreateAttestationRequest& request,
                         Done<v1::Attestation> done);
  // Needs isms.assets.read on the asset. Oldest first.
  void ListAttestations(const CallInfo& call, const v1::ListAttestationsRequest& request,
                        Done<v1::ListAttestationsResponse> done);
  // Needs isms.assets.read organisation-wide. Counts, and a page of the
  // assets with no IAO in force: one paged read of the IAO assignments and
  // one walk of the register's names per call.
  void GetAssetCoverage(const CallInfo& call, const v1::GetAssetCoverageRequest& request,
                        Done<v1::AssetCoverage> done);
  // The risk register and incidents (asset_registry_risks.cc,
  // asset_registry_incidents.cc); who may call each is in risk_service.proto.
  void GetRisk(const CallInfo& call, const v1::GetRiskRequest& request, Done<v1::Risk> done);
  void ListRisks(const CallInfo& call, const v1::ListRisksRequest& request,
                 Done<v1::ListRisksResponse> done);
  void CreateRisk(const CallInfo& call, const v1::CreateRiskRequest& request, Done<v1::Risk> done);
  void UpdateRisk(const CallInfo& call, const v1::UpdateRiskRequest& request, Done<v1::Risk> done);
  void AcceptRisk(const CallInfo& call, const v1::AcceptRiskRequest& request, Done<v1::Risk> done);
  void ReportIncident(const CallInfo& call, const v1::ReportIncidentRequest& request,
                      Done<v1::Incident> done);
  void GetIncident(const CallInfo& call, const v1::GetIncidentRequest& request,
                   Done<v1::Incident> done);
  void ListIncidents(const CallInfo& call, const v1::ListIncidentsRequest& request,
                     Done<v1::ListIncidentsResponse> done);
  void TransitionIncident(const CallInfo& call, const v1::TransitionIncidentRequest& request,
                          Done<v1::Incident> done);
  void RecordBreachNotification(const CallInfo& call,
                                const v1::RecordBreachNotificationRequest& request,
                                Done<v1::Incident> done);

  // Needs isms.audit.read, or a service acting for itself with read-register.
  void GetAuditDelivery(const CallInfo& call, const v1::GetAuditDeliveryRequest& request,
                        Done<isms::audit::v1::DeliveryStatus> done);

 private:
  // What a mutation body produces besides its result.
  struct Mutation {
    AssetChanges changes;
    std::string description;
    // Field values before and after; for a refusal, what was asked for.
    std::vector<isms::audit::v1::FieldChange> field_changes;
    std::map<std::string, std::string> attributes;
  };
  using MutationBody = std::function<absl::Status(Mutation&)>;

  // Asks whether the caller may `permission` on `resource` ("" for the
  // organisation) and calls `then` with the answer. A PermissionDenied is
  // committed to the outbox first, naming `resource` (or, for the
  // organisation, `audited_as`, e.g. "assets" for a listing) with `asked`'s
  // fields; an Unavailable writes nothing.
  void Authorize(const CallInfo& call, absl::string_view permission, const std::string& resource,
                 absl::string_view audited_as, const google::protobuf::Message& asked,
                 bool is_write, PermissionClient::Answer then);

  // Authorize, allowed when the caller holds any one of `permissions` (asked
  // in turn); the grant's explanation names the one held.
  void AuthorizeAny(const CallInfo& call, std::vector<std::string> permissions,
                    const std::string& resource, absl::string_view audited_as,
                    const google::protobuf::Message& asked, bool is_write,
                    PermissionClient::Answer then);
  // Authorize's body, with the role service's question in `check`.
  void AuthorizeWith(const CallInfo& call, std::function<void(PermissionClient::Answer)> check,
                     const std::string& resource, absl::string_view audited_as,
                     const google::protobuf::Message& asked, bool is_write,
                     PermissionClient::Answer then);
  static RoleHolders& UnconfiguredHolders();

  // Serialized with other writes: runs `body`, then commits its changes with
  // a success event carrying `permission` and how the caller holds it
  // (`grant`). If `body` refuses with an audited refusal, commits a refusal
  // event instead (with body's field_changes).
  absl::Status Mutate(const CallInfo& call, const std::string& resource,
                      absl::string_view permission, const PermissionClient::Grant& grant,
                      const MutationBody& body);

  // Commits a refusal event outside Mutate.
  void AuditRefusal(const CallInfo& call, absl::string_view resource, const absl::Status& refusal,
                    std::vector<isms::audit::v1::FieldChange> field_changes);

  isms::audit::v1::AuditEvent MakeEvent(const CallInfo& call, absl::string_view resource,
                                        const Mutation& mutation, const absl::Status& status);
  // 16 random hex digits: asset ids the service chooses (64 bits make a
  // clash with the assets of a register of millions unlikely; a clash is
  // ALREADY_EXISTS, never an overwrite).
  std::string NewId(int words = 1) ABSL_LOCKS_EXCLUDED(id_mu_);
  // Commits `changes` and, when that succeeds, wakes the relay.
  absl::Status Commit(const AssetChanges& changes);

  // Up to `page_size` + 1 assets passing `filter` and the owner filters of
  // `request`, after `after`, with their owners filled from `owners`.
  absl::StatusOr<std::vector<v1::Asset>> ListWithOwners(const v1::ListAssetsRequest& request,
                                                        const AssetFilter& filter,
                                                        const OwnerMap& owners,
                                                        const std::string& after, int page_size);

  AssetStore& store_;
  PermissionClient& permissions_;
  OwnerDirectory& owners_;
  RoleHolders& holders_;
  const Clock& clock_;

  // Serializes writers, refusal events included: held from a mutation's
  // read of the current asset to its commit, so an etag check holds.
  absl::Mutex write_mu_;
  absl::Mutex id_mu_;
  absl::BitGen id_gen_ ABSL_GUARDED_BY(id_mu_);
  // Held (shared) while the relay is used, so SetAuditRelay can replace it.
  absl::Mutex relay_mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  OutboxRelay* relay_ ABSL_GUARDED_BY(relay_mu_) = nullptr;
};

// The refusals that are written to the audit trail: PERMISSION_DENIED,
// FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS.
bool IsAuditedRefusal(absl::StatusCode code);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_ASSET_REGISTRY_H_
