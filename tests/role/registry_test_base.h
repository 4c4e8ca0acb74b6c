#ifndef ISMS_TESTS_ROLE_REGISTRY_TEST_BASE_H_
#define ISMS_TESTS_ROLE_REGISTRY_TEST_BASE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "services/role/role_registry.h"
#include "services/role/sqlite_role_store.h"

namespace isms::role {

// A registry on a real in-memory SQLite store, seeded with the shipped
// catalogue, with a fake clock at 2026-01-10 09:00 UTC. "principals/admin"
// holds the ISM role (and so may manage roles, principals and assignments).
class RegistryTestBase : public ::testing::Test {
 protected:
  static absl::Time Day(int year, int month, int day) {
    return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
  }

  void SetUp() override;
  // The store the registry opens on; a test may wrap store_ (e.g. to fail or
  // hold commits). Called once, in SetUp.
  virtual RoleStore& RegistryStore() { return *store_; }

  static CallInfo As(const std::string& principal);
  CallInfo Admin() const { return As("principals/admin"); }

  // Creates a person (as admin); fails the test on error.
  v1::Principal AddPerson(const std::string& id, bool board_level = false);
  v1::Principal AddGroup(const std::string& id, const std::vector<std::string>& members);
  // Appoints (as admin); returns the status so rule tests can inspect it.
  absl::StatusOr<v1::Assignment> Appoint(const std::string& role, const std::string& principal,
                                         const std::string& scope = "",
                                         const std::string& waiver = "");
  // Appoints as `as`.
  absl::StatusOr<v1::Assignment> AppointAs(const std::string& as, const std::string& role,
                                           const std::string& principal,
                                           const std::string& scope = "",
                                           const std::string& waiver = "");
  // Creates (as admin) "roles/registrar": organisation-wide, any number of
  // holders, granting isms.assignments.manage; appoints `principal` to it.
  void AddRegistrar(const std::string& principal);
  // Appoint that must succeed.
  v1::Assignment MustAppoint(const std::string& role, const std::string& principal,
                             const std::string& scope = "");

  // CheckPermission now, as admin; fails the test on error.
  v1::CheckPermissionResponse Check(const std::string& principal, const std::string& permission,
                                    const std::string& resource = "");
  bool Allowed(const std::string& principal, const std::string& permission,
               const std::string& resource = "") {
    return Check(principal, permission, resource).allowed();
  }

  // The coverage report for `request` (at now, the register as it stands,
  // built from the model's maintained indexes) equals the one built by
  // walking every record (asked as recorded an hour from now, which takes
  // the walk and sees the same records).
  void ExpectCoverageFromIndexesMatchesAWalk(v1::GetCoverageReportRequest request);
  // Outbox events written so far.
  std::vector<isms::audit::v1::AuditEvent> OutboxEvents();

  FakeClock clock_{Day(2026, 1, 10) + absl::Hours(9)};
  std::unique_ptr<SqliteRoleStore> store_;
  std::unique_ptr<RoleRegistry> registry_;
};

}  // namespace isms::role

#endif  // ISMS_TESTS_ROLE_REGISTRY_TEST_BASE_H_
