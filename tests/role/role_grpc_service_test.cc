#include "services/role/role_grpc_service.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"

namespace isms::role {
namespace {

// Every RPC that changes state is rate-limited as a write: each method named
// as a change (Create..., Update..., ...) is in WriteMethods, and nothing
// else is.
TEST(RoleGrpcServiceTest, WriteMethodsAreExactlyTheRpcsThatChangeState) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::RoleService::service_full_name());
  ASSERT_NE(service, nullptr);
  const auto writes = RoleGrpcService::WriteMethods();
  size_t changing = 0;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string& name = service->method(i)->name();
    bool changes = false;
    for (const char* verb :
         {"Create", "BatchCreate", "Update", "Delete", "Revoke", "Mark", "Correct", "Decide"}) {
      changes = changes || absl::StartsWith(name, verb);
    }
    changing += changes ? 1 : 0;
    EXPECT_EQ(writes.contains("/isms.role.v1.RoleService/" + name), changes) << name;
  }
  EXPECT_EQ(writes.size(), changing);
}

}  // namespace
}  // namespace isms::role
