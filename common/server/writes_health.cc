#include "common/server/writes_health.h"

#include <utility>

namespace isms {

void ReportWritesHealth(ServerOptions& options, StorageHealth& health, Logger& logger,
                        std::string name) {
  options.on_health_ready = [&health, &logger,
                             name = std::move(name)](grpc::HealthCheckServiceInterface* service) {
    health.SetListener([service, &logger, name](bool writable) {
      service->SetServingStatus(name, writable);
      logger.Log(writable ? LogLevel::kInfo : LogLevel::kError, "storage write health",
                 {{"service", name}, {"status", writable ? "SERVING" : "NOT_SERVING"}});
    });
  };
}

}  // namespace isms
