#ifndef ISMS_COMMON_STORAGE_RECORD_CHECKSUM_H_
#define ISMS_COMMON_STORAGE_RECORD_CHECKSUM_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace isms {

// Integrity checksums of stored records. Each row a service stores carries
// the checksum of (table, key, stored bytes); a row whose bytes, key or table
// were changed outside the service, or damaged on disk, no longer matches,
// and the service refuses to load it.
//
// This detects accidents and edits that do not recompute the checksum; it is
// not a signature: whoever can write the database file can also recompute
// checksums. Rows deleted whole are not detected either.

// The checksum (SHA-256 over the three fields, each length-prefixed so no
// two different records share an input): 32 raw bytes.
std::string RecordChecksum(absl::string_view table, absl::string_view key, absl::string_view bytes);

// OK if `stored` is RecordChecksum(table, key, bytes); otherwise DataLoss
// naming the table and key.
absl::Status VerifyRecordChecksum(absl::string_view table, absl::string_view key,
                                  absl::string_view bytes, absl::string_view stored);

// Name of the SQL function every SqliteDatabase registers:
// isms_record_checksum(table, key, bytes) returns RecordChecksum as a BLOB
// (an integer key is taken as its decimal text). Migrations use it to add
// checksums to rows stored before checksums existed.
inline constexpr char kRecordChecksumSqlFunction[] = "isms_record_checksum";

}  // namespace isms

#endif  // ISMS_COMMON_STORAGE_RECORD_CHECKSUM_H_
