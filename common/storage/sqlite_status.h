#ifndef ISMS_COMMON_STORAGE_SQLITE_STATUS_H_
#define ISMS_COMMON_STORAGE_SQLITE_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace isms {

// The status for an SQLite result code (primary or extended) that is not
// SQLITE_OK/ROW/DONE, so callers can tell a retryable storage condition from
// a bug:
//   SQLITE_FULL                         Unavailable "storage full: ..."
//   SQLITE_READONLY*                    Unavailable "storage read-only: ..."
//   SQLITE_IOERR*, CANTOPEN, NOLFS,
//   PROTOCOL                            Unavailable "storage I/O error: ..."
//   SQLITE_BUSY*, LOCKED*               Unavailable "storage busy: ..."
//   SQLITE_CORRUPT*, NOTADB             DataLoss    "storage corrupt: ..."
//   SQLITE_CONSTRAINT_PRIMARYKEY/UNIQUE AlreadyExists "... already stored"
//   anything else                       Internal
// `what` says what was being done ("insert into roles"); `detail` is
// SQLite's message.
absl::Status SqliteStatus(int code, absl::string_view what, absl::string_view detail);

// True for the Unavailable statuses above: storage cannot take writes now
// (full, read-only, failing), and a later retry may succeed.
bool IsStorageUnavailable(const absl::Status& status);

}  // namespace isms

#endif  // ISMS_COMMON_STORAGE_SQLITE_STATUS_H_
