#ifndef ISMS_COMMON_CLIENT_GENERIC_UNARY_CALL_H_
#define ISMS_COMMON_CLIENT_GENERIC_UNARY_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <string>

namespace isms {

// Calls unary method `method` ("/package.Service/Method") with an already
// serialized request, without generated stubs; blocks until it completes.
// On OK, `response_bytes` holds the serialized response. For tools and tests
// that send arbitrary bytes or messages known only by descriptor.
grpc::Status GenericUnaryCall(grpc::GenericStub& stub, grpc::ClientContext& context,
                              const std::string& method, const std::string& request_bytes,
                              std::string* response_bytes);

}  // namespace isms

#endif  // ISMS_COMMON_CLIENT_GENERIC_UNARY_CALL_H_
