#ifndef ISMS_COMMON_FILES_FILE_IO_H_
#define ISMS_COMMON_FILES_FILE_IO_H_

#include <string>

#include "absl/status/statusor.h"

namespace isms {

// The whole contents of `path`. NotFound if it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Replaces `path` with `contents` through a temporary file beside it and a
// rename, so a reader sees the old file or the new one, never half of one.
// Unavailable if it cannot be written.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

}  // namespace isms

#endif  // ISMS_COMMON_FILES_FILE_IO_H_
