// isms-cli: call any RPC of the suite from a shell, with the request in
// protobuf text format and the response printed as JSON.
//
//   isms-cli --address=127.0.0.1:7001 --token_file=.local/bootstrap.token
//            isms.role.v1.RoleService/ListRoles 'page_size: 3'
//   isms-cli --address=127.0.0.1:7001 health
//   isms-cli --address=127.0.0.1:7001 services
//
// It knows every message linked into it (the suite's protos and gRPC's health
// and reflection protocols), so it needs no server reflection to encode.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/client/channel_credentials.h"
#include "common/client/generic_unary_call.h"
#include "grpc/health/v1/health.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "isms/asset/v1/asset_service.pb.h"
#include "isms/audit/v1/audit_service.pb.h"
#include "isms/role/v1/role.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:7001", "host:port of the service");
ABSL_FLAG(std::string, token, "", "bearer token (or set ISMS_TOKEN)");
ABSL_FLAG(std::string, token_file, "", "file whose first line is the bearer token");
ABSL_FLAG(std::string, on_behalf_of, "",
          "principal a service identity acts for (x-isms-on-behalf-of)");
ABSL_FLAG(std::string, request_id, "", "x-request-id to send");
ABSL_FLAG(int, timeout_ms, 5000, "deadline of the call");
ABSL_FLAG(std::string, tls_ca_file, "", "PEM CA of the server's certificate; set: use TLS");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM client certificate (mutual TLS)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM key of --tls_cert_file");

namespace {

namespace pb = google::protobuf;

// Forces the linker to keep the generated descriptors this tool looks up by name.
void LinkDescriptors() {
  (void)isms::role::v1::Role::descriptor();
  (void)isms::asset::v1::Asset::descriptor();
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
}

std::string Token() {
  std::string token = absl::GetFlag(FLAGS_token);
  if (!token.empty()) return token;
  const std::string file = absl::GetFlag(FLAGS_token_file);
  if (!file.empty()) {
    std::ifstream in(file);
    std::getline(in, token);
    return std::string(absl::StripAsciiWhitespace(token));
  }
  const char* env = std::getenv("ISMS_TOKEN");
  return env != nullptr ? env : "";
}

void PrepareContext(grpc::ClientContext& context) {
  const std::string token = Token();
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  if (!absl::GetFlag(FLAGS_on_behalf_of).empty()) {
    context.AddMetadata("x-isms-on-behalf-of", absl::GetFlag(FLAGS_on_behalf_of));
  }
  if (!absl::GetFlag(FLAGS_request_id).empty()) {
    context.AddMetadata("x-request-id", absl::GetFlag(FLAGS_request_id));
  }
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
}

int ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  PrepareContext(context);
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  stream->Write(request);
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  while (stream->Read(&response)) {
    for (const auto& service : response.list_services_response().service()) {
      std::cout << service.name() << "\n";
    }
  }
  grpc::Status status = stream->Finish();
  if (!status.ok()) std::cerr << "error: " << status.error_message() << "\n";
  return status.ok() ? 0 : 1;
}

int Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& full_method,
         const std::string& request_text) {
  // "pkg.Service/Method" → descriptor "pkg.Service.Method".
  const pb::MethodDescriptor* method = pb::DescriptorPool::generated_pool()->FindMethodByName(
      absl::StrReplaceAll(full_method, {{"/", "."}}));
  if (method == nullptr) {
    std::cerr << "unknown method " << full_method << "\n";
    return 2;
  }
  pb::DynamicMessageFactory factory(pb::DescriptorPool::generated_pool());
  std::unique_ptr<pb::Message> request(factory.GetPrototype(method->input_type())->New());
  std::unique_ptr<pb::Message> response(factory.GetPrototype(method->output_type())->New());
  if (!pb::TextFormat::ParseFromString(request_text, request.get())) {
    std::cerr << "request is not a valid " << method->input_type()->full_name() << "\n";
    return 2;
  }
  grpc::ClientContext context;
  PrepareContext(context);
  grpc::GenericStub stub(channel);
  std::string received;
  grpc::Status status = isms::GenericUnaryCall(stub, context, absl::StrCat("/", full_method),
                                               request->SerializeAsString(), &received);
  if (!status.ok()) {
    std::cerr << "error: code " << status.error_code() << ": " << status.error_message() << "\n";
    return 1;
  }
  response->ParseFromString(received);
  std::string json;
  pb::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)pb::util::MessageToJsonString(*response, &json, options);
  std::cout << json;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "isms-cli [flags] <package.Service/Method> ['<request in text format>'] | health | services");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  LinkDescriptors();
  if (args.size() < 2) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  auto credentials = isms::ClientChannelCredentials(absl::GetFlag(FLAGS_tls_ca_file),
                                                    absl::GetFlag(FLAGS_tls_cert_file),
                                                    absl::GetFlag(FLAGS_tls_key_file));
  if (!credentials.ok()) {
    std::cerr << "error: " << credentials.status() << "\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_address), *credentials);
  const std::string command = args[1];
  if (command == "services") return ListServices(channel);
  if (command == "health") return Call(channel, "grpc.health.v1.Health/Check", "");
  return Call(channel, command, args.size() > 2 ? args[2] : "");
}
