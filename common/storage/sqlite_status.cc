#include "common/storage/sqlite_status.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"

namespace isms {

absl::Status SqliteStatus(int code, absl::string_view what, absl::string_view detail) {
  const std::string context = absl::StrCat(what, ": ", detail);
  switch (code & 0xff) {  // The primary code is the low byte of an extended one.
    case SQLITE_FULL:
      return absl::UnavailableError(absl::StrCat("storage full: ", context));
    case SQLITE_READONLY:
      return absl::UnavailableError(absl::StrCat("storage read-only: ", context));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(absl::StrCat("storage I/O error: ", context));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat("storage busy: ", context));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(absl::StrCat("storage corrupt: ", context));
    case SQLITE_CONSTRAINT:
      if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE) {
        return absl::AlreadyExistsError(absl::StrCat("already stored: ", context));
      }
      break;
  }
  return absl::InternalError(absl::StrCat("sqlite ", context));
}

bool IsStorageUnavailable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable;
}

}  // namespace isms
