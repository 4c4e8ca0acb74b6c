#ifndef ISMS_SERVICES_ROLE_CHANGE_SET_H_
#define ISMS_SERVICES_ROLE_CHANGE_SET_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "isms/audit/v1/audit_event.pb.h"
#include "isms/role/v1/role.pb.h"

namespace isms::role {

// Everything one request changes: resources written whole (insert or
// replace), roles deleted, registry settings, and the audit events that
// describe it. A store commits a change set atomically, together with one
// history row per written or deleted resource stamped with `record_time`;
// the in-memory model applies the same set. A resource named in `created` is
// new: the store inserts it and fails the whole commit (AlreadyExists) if one
// of that name is already stored, rather than replacing it; any other
// resource is an update and replaces.
struct ChangeSet {
  std::vector<isms::role::v1::Role> roles;
  std::vector<std::string> deleted_roles;
  std::vector<isms::role::v1::Principal> principals;
  std::vector<isms::role::v1::Assignment> assignments;
  std::vector<isms::role::v1::Delegation> delegations;
  std::vector<isms::role::v1::Absence> absences;
  // Registry-wide settings, e.g. when bootstrap ended (see RoleModel).
  std::map<std::string, std::string> settings;
  std::vector<isms::audit::v1::AuditEvent> events;
  std::set<std::string> created;
  // When the change is recorded (transaction time).
  absl::Time record_time = absl::UnixEpoch();

  bool ChangesResources() const {
    return !roles.empty() || !deleted_roles.empty() || !principals.empty() ||
           !assignments.empty() || !delegations.empty() || !absences.empty() ||
           !settings.empty();
  }
};

// One past version of a resource, as the history table keeps it: what was
// written (or that a role was deleted: `deleted`) and when.
struct HistoryRow {
  std::string collection;  // "roles", "principals", "assignments", ...
  std::string name;
  absl::Time record_time;
  bool deleted = false;
  std::string resource;  // Serialized message; empty when deleted.
};

// What a store loads at start: the current resources and their history.
struct StoredState {
  ChangeSet current;
  std::vector<HistoryRow> history;  // In the order recorded.
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_CHANGE_SET_H_
