#ifndef ISMS_SERVICES_ROLE_ROLE_REGISTRY_H_
#define ISMS_SERVICES_ROLE_ROLE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/server/unary_call.h"
#include "common/time/clock.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/permission_checker.h"
#include "services/role/role_model.h"
#include "services/role/role_store.h"

namespace isms::role {

// The role service's logic: validates each request, decides whether the
// caller may make it, applies the catalogue's rules, and commits the change
// with its audit event in one transaction. Refusals (PERMISSION_DENIED,
// FAILED_PRECONDITION, ABORTED) are committed to the outbox too.
//
// Reads are served from an in-memory model loaded at start and updated after
// every commit, so a write that returned is visible to the next read.
// Thread-safe: writes are serialized; reads run concurrently with each other
// and with a write's storage commit.
class RoleRegistry {
 public:
  struct Options {
    // May hold the role service's manage permissions while nobody else does.
    std::string bootstrap_principal;
  };

  // Loads every resource from `store`. `store` and `clock` must outlive the
  // registry.
  static absl::StatusOr<std::unique_ptr<RoleRegistry>> Open(RoleStore& store, const Clock& clock,
                                                            Options options);
  RoleRegistry(const RoleRegistry&) = delete;
  RoleRegistry& operator=(const RoleRegistry&) = delete;

  // Stores `roles` (a parsed catalogue) if no role is stored yet, with one
  // audit event; returns how many were stored (0 if the catalogue was already
  // there).
  absl::StatusOr<int> SeedCatalogue(const std::vector<v1::Role>& roles);

  absl::StatusOr<v1::Role> GetRole(const CallInfo& call, const v1::GetRoleRequest& request) const;
  absl::StatusOr<v1::ListRolesResponse> ListRoles(const CallInfo& call,
                                                  const v1::ListRolesRequest& request) const;
  absl::StatusOr<v1::Role> CreateRole(const CallInfo& call, const v1::CreateRoleRequest& request);
  absl::StatusOr<v1::Role> UpdateRole(const CallInfo& call, const v1::UpdateRoleRequest& request);
  absl::Status DeleteRole(const CallInfo& call, const v1::DeleteRoleRequest& request);

  absl::StatusOr<v1::Principal> GetPrincipal(const CallInfo& call,
                                             const v1::GetPrincipalRequest& request) const;
  absl::StatusOr<v1::ListPrincipalsResponse> ListPrincipals(
      const CallInfo& call, const v1::ListPrincipalsRequest& request) const;
  absl::StatusOr<v1::Principal> CreatePrincipal(const CallInfo& call,
                                                const v1::CreatePrincipalRequest& request);
  absl::StatusOr<v1::Principal> UpdatePrincipal(const CallInfo& call,
                                                const v1::UpdatePrincipalRequest& request);
  absl::StatusOr<v1::MarkPrincipalLeftResponse> MarkPrincipalLeft(
      const CallInfo& call, const v1::MarkPrincipalLeftRequest& request);

  absl::StatusOr<v1::Assignment> GetAssignment(const CallInfo& call,
                                               const v1::GetAssignmentRequest& request) const;
  absl::StatusOr<v1::ListAssignmentsResponse> ListAssignments(
      const CallInfo& call, const v1::ListAssignmentsRequest& request) const;
  absl::StatusOr<v1::Assignment> CreateAssignment(const CallInfo& call,
                                                  const v1::CreateAssignmentRequest& request);
  absl::StatusOr<v1::Assignment> RevokeAssignment(const CallInfo& call,
                                                  const v1::RevokeAssignmentRequest& request);

  absl::StatusOr<v1::Delegation> GetDelegation(const CallInfo& call,
                                               const v1::GetDelegationRequest& request) const;
  absl::StatusOr<v1::ListDelegationsResponse> ListDelegations(
      const CallInfo& call, const v1::ListDelegationsRequest& request) const;
  absl::StatusOr<v1::Delegation> CreateDelegation(const CallInfo& call,
                                                  const v1::CreateDelegationRequest& request);
  absl::StatusOr<v1::Delegation> RevokeDelegation(const CallInfo& call,
                                                  const v1::RevokeDelegationRequest& request);

  absl::StatusOr<v1::CheckPermissionResponse> CheckPermission(
      const CallInfo& call, const v1::CheckPermissionRequest& request) const;
  absl::StatusOr<v1::BatchCheckPermissionsResponse> BatchCheckPermissions(
      const CallInfo& call, const v1::BatchCheckPermissionsRequest& request) const;
  absl::StatusOr<v1::CoverageReport> GetCoverageReport(
      const CallInfo& call, const v1::GetCoverageReportRequest& request) const;

 private:
  // What a mutation body produces besides its result.
  struct Mutation {
    ChangeSet changes;
    // The resource the audit event names; starts as the request's target.
    std::string resource;
    std::string description;
    std::map<std::string, std::string> attributes;
  };
  // Decides and describes one change against the current model; writes its
  // result through captured references.
  using MutationBody = std::function<absl::Status(const RoleModel&, Mutation&)>;

  RoleRegistry(RoleStore& store, const Clock& clock, Options options)
      : store_(store), clock_(clock), checker_(std::move(options.bootstrap_principal)) {}

  // Runs `body` against the model (serialized with other writes), then
  // commits its changes and a success event, and applies them to the model.
  // If `body` fails with a refusal, commits a refusal event instead.
  absl::Status Mutate(const CallInfo& call, std::string resource, const MutationBody& body);

  // PermissionDenied unless the caller's principal holds `permission` on
  // `resource` now.
  absl::Status Require(const RoleModel& model, const CallInfo& call, absl::string_view permission,
                       absl::string_view resource) const;

  isms::audit::v1::AuditEvent MakeEvent(const CallInfo& call, const Mutation& mutation,
                                        const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  std::string NewId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  RoleStore& store_;
  const Clock& clock_;
  const PermissionChecker checker_;

  // Serializes writers: held from a mutation's checks to its model update.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::BitGen id_gen_ ABSL_GUARDED_BY(write_mu_);
  // Guards the model: readers share it; a writer takes it exclusively only to
  // apply a committed change set.
  mutable absl::Mutex mu_;
  RoleModel model_ ABSL_GUARDED_BY(mu_);
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_REGISTRY_H_
