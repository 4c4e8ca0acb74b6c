#ifndef ISMS_COMMON_SERVER_WRITES_HEALTH_H_
#define ISMS_COMMON_SERVER_WRITES_HEALTH_H_

#include <string>

#include "common/server/logger.h"
#include "common/server/server_runner.h"
#include "common/storage/storage_health.h"

namespace isms {

// Reports `health` (whether storage takes writes) as the health check name
// `name` (e.g. "isms.role.v1.RoleService/writes") once the server serves,
// logging every change; the other health names keep serving meanwhile.
// `health` and `logger` must outlive the server; call
// health.SetListener(nullptr) after RunServer returns.
void ReportWritesHealth(ServerOptions& options, StorageHealth& health, Logger& logger,
                        std::string name);

}  // namespace isms

#endif  // ISMS_COMMON_SERVER_WRITES_HEALTH_H_
