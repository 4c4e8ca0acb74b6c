#ifndef ISMS_SERVICES_ASSET_SQLITE_RISK_ROWS_H_
#define ISMS_SERVICES_ASSET_SQLITE_RISK_ROWS_H_

#include "absl/status/status.h"
#include "common/storage/sqlite_database.h"
#include "services/asset/asset_store.h"

namespace isms::asset {

// The schema of the risks, risk_assets and incidents tables: one migration
// of SqliteAssetStore's list.
extern const char kRiskTablesMigration[];

// Writes the risks and incidents of `changes` inside the caller's
// transaction on `db`.
absl::Status CommitRiskChanges(SqliteDatabase& db, const AssetChanges& changes);

}  // namespace isms::asset

#endif  // ISMS_SERVICES_ASSET_SQLITE_RISK_ROWS_H_
