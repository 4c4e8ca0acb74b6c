#include "common/api/etag.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "common/auth/sha256.h"

namespace isms {

std::string ComputeEtag(const google::protobuf::Message& resource) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    resource.SerializeToCodedStream(&out);
  }
  return absl::StrCat("\"", Sha256Hex(bytes).substr(0, 16), "\"");
}

absl::Status CheckEtag(absl::string_view resource_name, absl::string_view requested,
                       absl::string_view current) {
  if (requested.empty() || requested == current) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("etag: ", resource_name,
                                         " changed since it was read (etag ", current,
                                         "); read it again and retry"));
}

}  // namespace isms
