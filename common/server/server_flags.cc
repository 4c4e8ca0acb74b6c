#include "common/server/server_flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "host:port to listen on; port 0 picks a free port (see --ready_file)");
ABSL_FLAG(std::string, data_dir, "./data", "folder for the service's database");
ABSL_FLAG(std::string, token_file, "",
          "bearer token file: '<sha256 hex> principal|service <name>' a line");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(int, max_message_bytes, 4 * 1024 * 1024, "largest request message accepted, in bytes");
ABSL_FLAG(absl::Duration, drain_grace, absl::ZeroDuration(),
          "time to keep serving after reporting NOT_SERVING on SIGTERM, so load "
          "balancers stop routing here (Kubernetes: a few seconds)");
ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(10),
          "how long in-flight calls may take to finish after draining");
ABSL_FLAG(std::string, ready_file, "", "once serving, write the bound host:port to this file");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate; with --tls_key_file, serve TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for --tls_cert_file");

namespace isms {

std::vector<char*> ParseFlagsWithEnvironment(int argc, char** argv) {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string env_name = absl::StrCat("ISMS_", absl::AsciiStrToUpper(name));
    const char* value = std::getenv(env_name.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "%s: %s\n", env_name.c_str(), error.c_str());
      std::exit(2);
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace isms
