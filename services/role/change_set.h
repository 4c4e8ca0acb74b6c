#ifndef ISMS_SERVICES_ROLE_CHANGE_SET_H_
#define ISMS_SERVICES_ROLE_CHANGE_SET_H_

#include <set>
#include <string>
#include <vector>

#include "isms/audit/v1/audit_event.pb.h"
#include "isms/role/v1/role.pb.h"

namespace isms::role {

// Everything one request changes: resources written whole (insert or
// replace), roles deleted, and the audit events that describe it. A store
// commits a change set atomically; the in-memory model applies the same set.
// A resource named in `created` is new: the store inserts it and fails the
// whole commit (AlreadyExists) if one of that name is already stored, rather
// than replacing it; any other resource is an update and replaces.
struct ChangeSet {
  std::vector<isms::role::v1::Role> roles;
  std::vector<std::string> deleted_roles;
  std::vector<isms::role::v1::Principal> principals;
  std::vector<isms::role::v1::Assignment> assignments;
  std::vector<isms::role::v1::Delegation> delegations;
  std::vector<isms::audit::v1::AuditEvent> events;
  std::set<std::string> created;
};

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_CHANGE_SET_H_
