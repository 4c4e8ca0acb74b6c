#ifndef ISMS_TESTS_ASSET_REGISTRY_CALL_H_
#define ISMS_TESTS_ASSET_REGISTRY_CALL_H_

// What the asset and risk registry tests share: a call made as a principal,
// and running an asynchronous registry method to its answer.

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "services/asset/asset_registry.h"

namespace isms::asset {

// A call by `principal` (acting for itself) to `method`, which must outlive
// the call (CallInfo keeps a view of it; pass a literal).
inline CallInfo CallAs(const std::string& principal, absl::string_view method) {
  CallInfo call;
  call.caller = Caller{principal, principal, false, {}};
  call.request_id = "req-1";
  call.method = method;
  return call;
}

// Runs an asynchronous registry method and returns what it was done with;
// fails the test unless `done` is called exactly once.
template <typename Request, typename Response>
absl::StatusOr<Response> RunRegistry(AssetRegistry& registry,
                                     void (AssetRegistry::*method)(const CallInfo&, const Request&,
                                                                   AssetRegistry::Done<Response>),
                                     const CallInfo& call, const Request& request) {
  absl::StatusOr<Response> result = absl::InternalError("done was never called");
  int calls = 0;
  (registry.*method)(call, request, [&](absl::StatusOr<Response> answer) {
    ++calls;
    result = std::move(answer);
  });
  EXPECT_EQ(calls, 1);
  return result;
}

}  // namespace isms::asset

#endif  // ISMS_TESTS_ASSET_REGISTRY_CALL_H_
