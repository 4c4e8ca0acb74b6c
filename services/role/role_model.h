#ifndef ISMS_SERVICES_ROLE_ROLE_MODEL_H_
#define ISMS_SERVICES_ROLE_ROLE_MODEL_H_

#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "isms/role/v1/role.pb.h"
#include "services/role/change_set.h"

namespace isms::role {

using isms::role::v1::Absence;
using isms::role::v1::Assignment;
using isms::role::v1::Delegation;
using isms::role::v1::Principal;
using isms::role::v1::Role;

// A question about the register has two times (it is bitemporal):
//   at             the moment asked about ("who held X at T?");
//   as_recorded_at the moment whose knowledge is used: records written
//                  later, corrections included, are not seen. Infinite
//                  future means "as the register stands now".
struct TimePoint {
  absl::Time at;
  absl::Time as_recorded_at = absl::InfiniteFuture();

  bool current_record() const { return as_recorded_at == absl::InfiniteFuture(); }
  // Principals and roles change only as they are recorded, so their state at
  // `at` is their record at the earlier of the two times.
  absl::Time record_cutoff() const { return std::min(at, as_recorded_at); }
};

// When an assignment, delegation or absence stops being in force: the
// earlier of its effective_until and its revoke_time; InfiniteFuture if
// neither is set.
absl::Time EndOf(const Assignment& assignment);
absl::Time EndOf(const Delegation& delegation);
absl::Time EndOf(const Absence& absence);

// When an assignment comes into force: effective_from, or for an approved
// waiver the later of that and the approval. InfiniteFuture for a voided
// assignment or a waiver that is pending or rejected (never in force).
absl::Time StartOf(const Assignment& assignment);

// In force at `t`: start <= t < end.
bool IsActiveAt(const Assignment& assignment, absl::Time t);
bool IsActiveAt(const Delegation& delegation, absl::Time t);
bool IsActiveAt(const Absence& absence, absl::Time t);

// An existing principal that had not left at `t`.
bool IsPrincipalActiveAt(const Principal* principal, absl::Time t);

// A copy of `assignment` revoked at `at` by `by` (etag recomputed).
Assignment Revoked(const Assignment& assignment, absl::Time at, const std::string& by,
                   const std::string& reason);
// A copy of `delegation` revoked at `at` by `by` (etag recomputed).
Delegation Revoked(const Delegation& delegation, absl::Time at, const std::string& by);

// True when `scope` ("" = organisation-wide, or e.g. "assets/42") covers
// `resource`: the scope itself or anything under it.
bool ScopeCovers(absl::string_view scope, absl::string_view resource);

// True when `role` lists `permission`.
bool RoleGrants(const Role& role, absl::string_view permission);

// The responsibility `id` of `role`; nullptr if it has none of that id.
const v1::Responsibility* FindResponsibility(const Role& role, absl::string_view id);

// Orders pointers to resources by the resource's name; transparent, so an
// index can be searched by name (string_view) without a resource.
template <typename T>
struct NameOrder {
  using is_transparent = void;
  bool operator()(const T* a, const T* b) const { return a->name() < b->name(); }
  bool operator()(const T* a, absl::string_view b) const { return a->name() < b; }
  bool operator()(absl::string_view a, const T* b) const { return a < b->name(); }
};
// An index entry list: resources in name order (list order), so a page
// seeks to its token's position instead of sorting the entries.
template <typename T>
using NameIndex = absl::btree_set<const T*, NameOrder<T>>;

// Bootstrap windows: the periods in which the bootstrap admin may manage.
// There is one from the beginning of time until the first management
// appointment; each operator break-glass start opens another, until the next
// management appointment closes it.
struct BootstrapWindow {
  absl::Time start;
  absl::Time end;  // InfiniteFuture while open.
};
// The settings key that stores them, and their encoding.
inline constexpr char kBootstrapWindowsSetting[] = "bootstrap_windows";
std::string EncodeBootstrapWindows(const std::vector<BootstrapWindow>& windows);

// Everything the role service knows, in memory, with the indexes its queries
// need, and every earlier version of every record, so that questions about
// the past (TimePoint) are answered from what was in force and what was
// recorded then. Assignments, delegations and absences are never removed
// (they are revoked), so pointers into them stay valid. Not thread-safe: the
// owner locks.
class RoleModel {
 public:
  // Ordered by resource name (list order); transparent so lookups by
  // string_view allocate nothing.
  template <typename T>
  using ByName = std::map<std::string, T, std::less<>>;

  RoleModel() = default;
  RoleModel(const RoleModel&) = delete;
  RoleModel& operator=(const RoleModel&) = delete;
  // Moving keeps the indexes valid: they point into map nodes, which move
  // with the maps.
  RoleModel(RoleModel&&) = default;
  RoleModel& operator=(RoleModel&&) = default;

  // Applies upserts, deletions and settings, and records each as a version
  // at changes.record_time; ignores events.
  void Apply(const ChangeSet& changes);
  // Loads the history written by earlier runs. Call after applying the
  // current state. Rows that do not parse are skipped (the store verifies).
  void LoadHistory(const std::vector<HistoryRow>& rows);

  const ByName<Role>& roles() const { return roles_; }
  const ByName<Principal>& principals() const { return principals_; }
  const ByName<Assignment>& assignments() const { return assignments_; }
  const ByName<Delegation>& delegations() const { return delegations_; }
  const ByName<Absence>& absences() const { return absences_; }

  // Current lookups; nullptr when absent.
  const Role* FindRole(absl::string_view name) const;
  const Principal* FindPrincipal(absl::string_view name) const;
  const Assignment* FindAssignment(absl::string_view name) const;
  const Delegation* FindDelegation(absl::string_view name) const;
  const Absence* FindAbsence(absl::string_view name) const;

  // Lookups at a time point. Roles and principals: their record at
  // when.record_cutoff() (a principal recorded only later than `at` is taken
  // as first recorded). Assignments, delegations, absences: the version
  // recorded by when.as_recorded_at (their own dates say when they were in
  // force). nullptr when not recorded yet (or, for roles, deleted).
  const Role* RoleAt(absl::string_view name, const TimePoint& when) const;
  const Principal* PrincipalAt(absl::string_view name, const TimePoint& when) const;
  const Assignment* AssignmentAt(const Assignment& current, const TimePoint& when) const;
  const Delegation* DelegationAt(const Delegation& current, const TimePoint& when) const;
  const Absence* AbsenceAt(const Absence& current, const TimePoint& when) const;

  // Every assignment (any time) held by `principal` / of `role` / of `role`
  // for exactly `scope` / for exactly `scope`, in name order.
  const NameIndex<Assignment>& AssignmentsOfPrincipal(absl::string_view principal) const;
  const NameIndex<Assignment>& AssignmentsOfRole(absl::string_view role) const;
  const NameIndex<Assignment>& AssignmentsOfRoleInScope(absl::string_view role,
                                                        absl::string_view scope) const;
  const NameIndex<Assignment>& AssignmentsInScope(absl::string_view scope) const;
  // Every delegation (any time) to `delegate` / of `assignment`.
  const NameIndex<Delegation>& DelegationsTo(absl::string_view delegate) const;
  const NameIndex<Delegation>& DelegationsOf(absl::string_view assignment) const;
  // Every absence (any time) of `principal`.
  const NameIndex<Absence>& AbsencesOf(absl::string_view principal) const;
  // Groups that list `member` among their members now.
  const absl::btree_set<std::string>& GroupsOf(absl::string_view member) const;
  // Groups that listed `member` in any version, for questions about the past.
  const absl::btree_set<std::string>& GroupsEverOf(absl::string_view member) const;

  // Maintained for the coverage report, so it need not walk the register.
  // Assignments / delegations with a finite end (EndOf), ordered by it.
  using ByEnd = absl::btree_set<std::pair<absl::Time, std::string>>;
  const ByEnd& assignments_by_end() const { return assignments_by_end_; }
  const ByEnd& delegations_by_end() const { return delegations_by_end_; }
  // Assignments whose waiver is pending (and not voided), in name order.
  const NameIndex<Assignment>& pending_waivers() const { return pending_waivers_; }
  // Principals marked as having left / groups, in name order.
  const absl::btree_set<std::string>& leavers() const { return leavers_; }
  const absl::btree_set<std::string>& groups() const { return groups_; }

  // True when no principal record changed after when.record_cutoff(): the
  // current records (and GroupsOf) answer for that moment.
  bool PrincipalsCurrentAt(const TimePoint& when) const;

  // Distinct principals holding `role` for `scope` through an assignment in
  // force at when.at (as recorded at when.as_recorded_at).
  std::vector<std::string> HoldersAt(absl::string_view role, absl::string_view scope,
                                     const TimePoint& when) const;
  std::vector<std::string> HoldersAt(absl::string_view role, absl::string_view scope,
                                     absl::Time t) const {
    return HoldersAt(role, scope, TimePoint{t});
  }
  // True when HoldersAt would not be empty; stops at the first holder.
  bool HasHolderAt(absl::string_view role, absl::string_view scope, const TimePoint& when) const;

  // The bootstrap windows (see BootstrapWindow); never empty.
  const std::vector<BootstrapWindow>& bootstrap_windows() const { return bootstrap_windows_; }
  bool BootstrapOpenAt(absl::Time t) const;
  // The end of the last closed window; nullopt if none closed yet.
  std::optional<absl::Time> LastBootstrapEnd() const;

 private:
  // One recorded version. The newest version of a live record is the
  // current record itself (value unset), so the register is not held twice;
  // its value is copied in when a newer version replaces it.
  template <typename T>
  struct Version {
    absl::Time recorded;
    bool deleted = false;
    std::optional<T> value;
  };
  template <typename T>
  using History = absl::flat_hash_map<std::string, std::vector<Version<T>>>;

  // Appends a version recorded `at` to `name`'s history; `replaced` is the
  // current record the change replaces or deletes (nullptr if none).
  template <typename T>
  static void RecordVersion(History<T>& history, const std::string& name, absl::Time at,
                            const std::common_type_t<T>* replaced, bool deleted);
  // After LoadHistory: drops the copy of each record's newest version.
  template <typename T>
  static void ShareNewestWithCurrent(History<T>& history);

  void IndexGroup(const Principal& group, bool add);
  void ApplySetting(const std::string& key, const std::string& value);

  ByName<Role> roles_;
  ByName<Principal> principals_;
  // The latest time a role / principal version was recorded: questions
  // about any later moment take the current records without a history walk.
  absl::Time latest_role_record_ = absl::InfinitePast();
  absl::Time latest_principal_record_ = absl::InfinitePast();
  ByName<Assignment> assignments_;
  ByName<Delegation> delegations_;
  ByName<Absence> absences_;
  std::vector<BootstrapWindow> bootstrap_windows_ = {
      {absl::InfinitePast(), absl::InfiniteFuture()}};

  History<Role> role_history_;
  History<Principal> principal_history_;
  History<Assignment> assignment_history_;
  History<Delegation> delegation_history_;
  History<Absence> absence_history_;

  template <typename T>
  using IndexBy = absl::flat_hash_map<std::string, NameIndex<T>>;
  IndexBy<Assignment> by_principal_;
  IndexBy<Assignment> by_role_;
  IndexBy<Assignment> by_role_scope_;  // Key: RoleScopeKey(role, scope).
  IndexBy<Assignment> by_scope_;
  IndexBy<Delegation> by_delegate_;
  IndexBy<Delegation> by_assignment_;
  IndexBy<Absence> absences_by_principal_;
  ByEnd assignments_by_end_;
  ByEnd delegations_by_end_;
  NameIndex<Assignment> pending_waivers_;
  absl::btree_set<std::string> leavers_;
  absl::btree_set<std::string> groups_;
  // Sets, not lists: a member of thousands of groups is indexed (and
  // loaded) without a walk of their groups per group.
  absl::flat_hash_map<std::string, absl::btree_set<std::string>> groups_by_member_;
  absl::flat_hash_map<std::string, absl::btree_set<std::string>> groups_ever_by_member_;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_ROLE_MODEL_H_
