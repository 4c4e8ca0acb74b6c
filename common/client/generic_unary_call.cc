#include "common/client/generic_unary_call.h"

#include <condition_variable>
#include <mutex>
#include <vector>

namespace isms {

grpc::Status GenericUnaryCall(grpc::GenericStub& stub, grpc::ClientContext& context,
                              const std::string& method, const std::string& request_bytes,
                              std::string* response_bytes) {
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer send(&slice, 1);
  grpc::ByteBuffer receive;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &send, &receive, [&](grpc::Status result) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(result);
    done = true;
    done_cv.notify_one();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    done_cv.wait(lock, [&] { return done; });
  }
  if (status.ok() && response_bytes != nullptr) {
    std::vector<grpc::Slice> slices;
    receive.Dump(&slices).IgnoreError();
    response_bytes->clear();
    for (const grpc::Slice& s : slices) {
      response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

}  // namespace isms
