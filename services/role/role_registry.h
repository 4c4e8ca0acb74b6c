#ifndef ISMS_SERVICES_ROLE_ROLE_REGISTRY_H_
#define ISMS_SERVICES_ROLE_ROLE_REGISTRY_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/server/unary_call.h"
#include "common/time/clock.h"
#include "isms/audit/v1/audit_service.pb.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/permission_checker.h"
#include "services/role/role_model.h"
#include "services/role/role_store.h"

namespace isms {
class OutboxRelay;
}  // namespace isms

namespace isms::role {

// The role service's logic: validates each request, decides whether the
// caller may make it, applies the catalogue's rules, and commits the change
// with its audit event in one transaction. Refusals (PERMISSION_DENIED,
// FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS), denied reads included, are
// committed to the outbox too.
//
// Every call first passes the caller gate: a principal who has left, or who
// is not in the register, is refused on every call; a service identity acts
// only for itself (with the capabilities its token file line lists) or, with
// the on-behalf-of capability, for an active principal other than the
// bootstrap admin. Reads follow need to know: anyone reads the catalogue and
// their own records and permissions; other people's need
// "isms.principals.read" (or, for a service acting for itself, the
// read-register / check-permissions capabilities).
//
// Reads are served from an in-memory model loaded at start, so a write that
// returned is visible to the next read. Writes are decided one after another
// against the model, each seeing the writes decided before it, and committed
// in groups: every write waiting for storage goes into one transaction (one
// fsync), and each is acknowledged only once its group is durable. A read
// never answers from a change that is not durable yet: if it saw one, it
// waits for that change's group (and, should the group fail, reads again).
// Thread-safe: reads run concurrently with each other and with commits.
class RoleRegistry : public RefusalRecorder {
 public:
  struct Options {
    // May hold the role service's manage permissions until the first
    // appointment to a role that grants one ends bootstrap for good.
    std::string bootstrap_principal;
    // Operator's break-glass: at start, reopen bootstrap (audited) until the
    // next management appointment.
    bool break_glass_bootstrap = false;
    // An appointment starting further in the past than this needs a
    // late_justification and is marked recorded_late; delegations and
    // absences may not start further back.
    absl::Duration backdate_tolerance = absl::Minutes(5);
    // The longest a delegation may last.
    absl::Duration max_delegation = absl::Hours(24 * 365);
  };

  // Loads every resource and its history from `store`. `store` and `clock`
  // must outlive the registry.
  static absl::StatusOr<std::unique_ptr<RoleRegistry>> Open(RoleStore& store, const Clock& clock,
                                                            Options options);
  RoleRegistry(const RoleRegistry&) = delete;
  RoleRegistry& operator=(const RoleRegistry&) = delete;

  // Stores `roles` (a parsed catalogue) if no role is stored yet, with one
  // audit event; returns how many were stored (0 if the catalogue was already
  // there).
  absl::StatusOr<int> SeedCatalogue(const std::vector<v1::Role>& roles);

  // The relay delivering the store's outbox to the audit service, or nullptr
  // for none (the default). The registry wakes it after each commit and
  // answers GetAuditDelivery from it. `relay` must outlive the registry or
  // be replaced first; returns once no call uses the previous one.
  void SetAuditRelay(OutboxRelay* relay);

  // How many decided change sets wait for storage now (for metrics and
  // tests).
  size_t QueuedCommits() const ABSL_LOCKS_EXCLUDED(commit_mu_);

  // RefusalRecorder: commits a refusal event for a call refused before it
  // reached a handler.
  void RecordRefusal(const CallInfo& call, const absl::Status& refusal) override;

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
  absl::StatusOr<v1::BatchCreatePrincipalsResponse> BatchCreatePrincipals(
      const CallInfo& call, const v1::BatchCreatePrincipalsRequest& request);
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
  absl::StatusOr<v1::BatchCreateAssignmentsResponse> BatchCreateAssignments(
      const CallInfo& call, const v1::BatchCreateAssignmentsRequest& request);
  absl::StatusOr<v1::Assignment> RevokeAssignment(const CallInfo& call,
                                                  const v1::RevokeAssignmentRequest& request);
  absl::StatusOr<v1::Assignment> CorrectAssignment(const CallInfo& call,
                                                   const v1::CorrectAssignmentRequest& request);
  absl::StatusOr<v1::Assignment> DecideWaiver(const CallInfo& call,
                                              const v1::DecideWaiverRequest& request);

  absl::StatusOr<v1::Delegation> GetDelegation(const CallInfo& call,
                                               const v1::GetDelegationRequest& request) const;
  absl::StatusOr<v1::ListDelegationsResponse> ListDelegations(
      const CallInfo& call, const v1::ListDelegationsRequest& request) const;
  absl::StatusOr<v1::Delegation> CreateDelegation(const CallInfo& call,
                                                  const v1::CreateDelegationRequest& request);
  absl::StatusOr<v1::Delegation> RevokeDelegation(const CallInfo& call,
                                                  const v1::RevokeDelegationRequest& request);

  absl::StatusOr<v1::Absence> CreateAbsence(const CallInfo& call,
                                            const v1::CreateAbsenceRequest& request);
  absl::StatusOr<v1::ListAbsencesResponse> ListAbsences(
      const CallInfo& call, const v1::ListAbsencesRequest& request) const;
  absl::StatusOr<v1::Absence> RevokeAbsence(const CallInfo& call,
                                            const v1::RevokeAbsenceRequest& request);

  absl::StatusOr<v1::CheckPermissionResponse> CheckPermission(
      const CallInfo& call, const v1::CheckPermissionRequest& request) const;
  absl::StatusOr<v1::BatchCheckPermissionsResponse> BatchCheckPermissions(
      const CallInfo& call, const v1::BatchCheckPermissionsRequest& request) const;
  absl::StatusOr<v1::CoverageReport> GetCoverageReport(
      const CallInfo& call, const v1::GetCoverageReportRequest& request) const;

  // How delivery of the outbox stands: the relay's status, or without one
  // (SetAuditRelay) enabled=false with what waits. Needs isms.audit.read, or
  // for a service acting for itself the read-register capability.
  absl::StatusOr<isms::audit::v1::DeliveryStatus> GetAuditDelivery(
      const CallInfo& call, const v1::GetAuditDeliveryRequest& request) const;

 private:
  // What a mutation body produces besides its result.
  struct Mutation {
    ChangeSet changes;
    // The resource the audit event names; starts as the request's target.
    std::string resource;
    std::string description;
    std::map<std::string, std::string> attributes;
    // Field values before and after; for a refusal, what was asked for.
    std::vector<isms::audit::v1::FieldChange> field_changes;
  };
  // Decides and describes one change against the current model; writes its
  // result through captured references. It may run more than once (a group
  // before it failed): it builds its results afresh each time.
  using MutationBody = std::function<absl::Status(const RoleModel&, Mutation&)>;

  RoleRegistry(RoleStore& store, const Clock& clock, Options options)
      : store_(store),
        clock_(clock),
        options_(options),
        checker_(std::move(options.bootstrap_principal)) {}

  // Runs the caller gate, then `body` against the model (serialized with
  // other writes), applies its changes to the model and commits them with a
  // success event in the next group; returns once that group is durable. If
  // the gate or body refuses, commits a refusal event instead. If a group
  // before it failed after the body ran, runs the body again.
  absl::Status Mutate(const CallInfo& call, const std::string& resource, const MutationBody& body);

  // A write planned for Mutate: the resource its events name and its body.
  struct PlannedWrite {
    std::string resource;
    MutationBody body;
  };
  // Validate `request` and plan its write, whose body puts what it creates in
  // `*created`. `call`, `request` and `created` must outlive the plan.
  absl::StatusOr<PlannedWrite> PlanCreatePrincipal(const CallInfo& call,
                                                   const v1::CreatePrincipalRequest& request,
                                                   v1::Principal* created);
  absl::StatusOr<PlannedWrite> PlanCreateAssignment(const CallInfo& call,
                                                    const v1::CreateAssignmentRequest& request,
                                                    v1::Assignment* created);
  // Plans each of `requests` as plan(call, request, &created[i]) (a
  // PlanCreate* method) and runs the plans with MutateAll; fills `statuses`
  // and `created`, one per request.
  template <typename Request, typename Created>
  void RunBatch(const CallInfo& call, const google::protobuf::RepeatedPtrField<Request>& requests,
                absl::StatusOr<PlannedWrite> (RoleRegistry::*plan)(const CallInfo&, const Request&,
                                                                   Created*),
                std::vector<absl::Status>& statuses, std::vector<Created>& created) {
    const int n = requests.size();
    statuses.assign(n, absl::OkStatus());
    created.assign(n, Created());
    std::vector<PlannedWrite> plans(n);
    std::vector<const PlannedWrite*> writes(n, nullptr);
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<PlannedWrite> planned = (this->*plan)(call, requests.Get(i), &created[i]);
      if (!planned.ok()) {
        statuses[i] = planned.status();
        continue;
      }
      plans[i] = *std::move(planned);
      writes[i] = &plans[i];
    }
    MutateAll(call, writes, statuses);
  }

  // Mutate for each of `writes` (nullptr: skipped, its status left as is),
  // deciding them in order, 64 at a time, and waiting for storage once per
  // 64 (they share a group commit). Returns each one's outcome in
  // `statuses` (one per write). A write decided on a group that then failed
  // is decided again after the others.
  void MutateAll(const CallInfo& call, const std::vector<const PlannedWrite*>& writes,
                 std::vector<absl::Status>& statuses);

  // A change set waiting in the commit queue, owned by the caller waiting
  // for it.
  struct PendingCommit {
    ChangeSet changes;
    // The model version the changes made (applied before they were durable);
    // 0 for a change set that leaves the model alone (a refusal event).
    uint64_t model_version = 0;
    bool done = false;
    absl::Status status;
    // Decided against changes that then failed to commit: decide again.
    bool redo = false;
  };
  // How Decide went: the body's refusal or success, whether something was
  // queued, and the model version (and epoch) it was decided against.
  struct Decision {
    absl::Status decided;
    bool queued = false;
    uint64_t version = 0;
    uint64_t epoch = 0;
  };
  // Runs the caller gate and `body` (serialized with other writes), applies
  // its changes to the model and queues them, or its refusal event, in
  // `pending`. An error only if the model, lost after a failed commit,
  // cannot be reloaded.
  absl::StatusOr<Decision> Decide(const CallInfo& call, const std::string& resource,
                                  const MutationBody& body, PendingCommit& pending);
  // The write's outcome once what it queued is done (AwaitCommit) or, if it
  // queued nothing, once what it was decided against is durable; nullopt
  // when it must be decided again.
  std::optional<absl::Status> Outcome(const Decision& decision, const PendingCommit& pending) const;

  // Queues `pending` behind everything queued before it (queue order is the
  // order writes were decided).
  void Enqueue(PendingCommit* pending) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_)
      ABSL_LOCKS_EXCLUDED(commit_mu_);
  // Returns once `pending` is done: the first waiter to find no commit
  // running commits everything queued, in order, in one transaction.
  void AwaitCommit(PendingCommit* pending) const ABSL_LOCKS_EXCLUDED(write_mu_, mu_, commit_mu_);
  // After a failed group that the model already held: reloads the model from
  // the store and marks every change set queued behind the group to be
  // decided again. REQUIRES: this thread leads the commit (committing_).
  void DiscardUndurableChanges(const std::vector<PendingCommit*>& failed,
                               const absl::Status& failure) const
      ABSL_LOCKS_EXCLUDED(write_mu_, mu_, commit_mu_);
  // Replaces the model with what the store holds; Unavailable (and the model
  // marked lost) if it cannot be read.
  absl::Status ReloadModel() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True once model version `version` of `epoch` is durable; false if it was
  // discarded (the caller reads again).
  bool AwaitDurable(uint64_t version, uint64_t epoch) const ABSL_LOCKS_EXCLUDED(commit_mu_);

  // Runs the caller gate and `authorize` under the read lock; if they allow,
  // returns body's answer; otherwise commits a refusal event naming
  // `resource` and carrying what was `asked` (the request), and returns the
  // refusal.
  // `authorize` is called as authorize(const RoleModel&) -> absl::Status,
  // `body` as body(const RoleModel&) -> absl::StatusOr<Result> (templates,
  // not std::function: this is every read's path).
  template <typename Result, typename Authorize, typename Body>
  absl::StatusOr<Result> Read(const CallInfo& call, const google::protobuf::Message& asked,
                              absl::string_view resource, const Authorize& authorize,
                              const Body& body) const;

  // PermissionDenied for a caller who may not call at all (see the class
  // comment).
  absl::Status CheckCaller(const RoleModel& model, const CallInfo& call) const;

  // PermissionDenied unless the caller's principal holds `permission` on
  // `resource` now; the message carries the checker's explanation.
  absl::Status Require(const RoleModel& model, const CallInfo& call, absl::string_view permission,
                       absl::string_view resource) const;
  // OK when the caller may read records about `subject` (itself, or with
  // the read permission / read-register capability).
  absl::Status RequireRead(const RoleModel& model, const CallInfo& call,
                           absl::string_view subject) const;
  // OK when the caller may ask about `principal`'s permissions.
  absl::Status RequireCheck(const RoleModel& model, const CallInfo& call,
                            absl::string_view principal) const;

  // The checks before ending a delegation or absence: by its `owner` or a
  // holder of isms.assignments.manage; it exists; the etag matches; it has
  // not ended by `now`. Defined where it is used.
  template <typename Resource>
  absl::Status CheckEndable(const RoleModel& model, const CallInfo& call, const Resource* current,
                            absl::string_view owner, absl::string_view name, absl::string_view etag,
                            absl::Time now) const;

  // The bootstrap windows after an appointment of `role` in force from now:
  // closed if the role grants a manage permission and a window is open.
  // Empty when nothing changes.
  std::string ClosedBootstrapWindows(const RoleModel& model, const Role& role) const;

  // Commits a refusal event outside Mutate (denied reads, runner refusals),
  // with the values asked for when `asked` is given.
  void AuditRefusal(const CallInfo& call, absl::string_view resource, const absl::Status& refusal,
                    const google::protobuf::Message* asked = nullptr) const;

  isms::audit::v1::AuditEvent MakeEvent(const CallInfo& call, const Mutation& mutation,
                                        const absl::Status& status) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  std::string NewId() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void WakeRelay() const ABSL_LOCKS_EXCLUDED(relay_mu_);
  absl::Status ReopenBootstrap();

  RoleStore& store_;
  const Clock& clock_;
  const Options options_;
  const PermissionChecker checker_;

  // Serializes writers (refusal events of reads included): held from a
  // mutation's checks to its model update.
  mutable absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::BitGen id_gen_ ABSL_GUARDED_BY(write_mu_);
  // Guards the model: readers share it; a writer takes it exclusively only to
  // apply a decided change set.
  mutable absl::Mutex mu_ ABSL_ACQUIRED_BEFORE(commit_mu_);
  mutable RoleModel model_ ABSL_GUARDED_BY(mu_);
  // Counts the change sets applied to the model; a read notes the version it
  // answered from.
  mutable uint64_t model_version_ ABSL_GUARDED_BY(mu_) = 0;
  // Set when the model could not be reloaded after a failed commit: every
  // call is Unavailable until a write reloads it.
  mutable bool model_lost_ ABSL_GUARDED_BY(mu_) = false;
  // The commit queue: change sets decided and waiting for storage, in order.
  mutable absl::Mutex commit_mu_;
  mutable std::deque<PendingCommit*> queue_ ABSL_GUARDED_BY(commit_mu_);
  mutable bool committing_ ABSL_GUARDED_BY(commit_mu_) = false;
  // The model version known durable, and which run of versions it counts:
  // the epoch grows when undurable changes are discarded. Written under
  // commit_mu_ (epoch under mu_ too); read without a lock on the fast path.
  mutable std::atomic<uint64_t> durable_version_{0};
  mutable std::atomic<uint64_t> epoch_{0};
  // Held (shared) while the relay is used, so SetAuditRelay can replace it
  // safely.
  mutable absl::Mutex relay_mu_;
  OutboxRelay* relay_ ABSL_GUARDED_BY(relay_mu_) = nullptr;
};

// Unavailable: the model could not be reloaded after a failed commit.
absl::Status ModelLostError();

// The refusals that are written to the audit trail: PERMISSION_DENIED,
// FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS.
bool IsAuditedRefusal(absl::StatusCode code);

template <typename Result, typename Authorize, typename Body>
absl::StatusOr<Result> RoleRegistry::Read(const CallInfo& call,
                                          const google::protobuf::Message& asked,
                                          absl::string_view resource, const Authorize& authorize,
                                          const Body& body) const {
  absl::Status allowed;
  while (true) {
    std::optional<absl::StatusOr<Result>> answer;
    uint64_t version = 0;
    uint64_t epoch = 0;
    {
      absl::ReaderMutexLock read(&mu_);
      if (model_lost_) return ModelLostError();
      version = model_version_;
      epoch = epoch_.load();
      allowed = CheckCaller(model_, call);
      if (allowed.ok()) allowed = authorize(static_cast<const RoleModel&>(model_));
      if (allowed.ok()) answer.emplace(body(static_cast<const RoleModel&>(model_)));
    }
    // Answer only from durable changes; read again if they were discarded.
    if (!AwaitDurable(version, epoch)) continue;
    if (answer.has_value()) return *std::move(answer);
    break;
  }
  if (IsAuditedRefusal(allowed.code()) && call.ShouldAuditRefusal()) {
    AuditRefusal(call, resource, allowed, &asked);
  }
  return allowed;
}

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_REGISTRY_H_
