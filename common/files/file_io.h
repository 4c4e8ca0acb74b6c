#ifndef ISMS_COMMON_FILES_FILE_IO_H_
#define ISMS_COMMON_FILES_FILE_IO_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace isms {

// The whole contents of `path`. NotFound if it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Replaces `path` with `contents`, durably and at once: a reader sees the old
// file or the new one, never half of one. The temporary file beside it is
// new and exclusive (mkstemp), so a link planted at a guessable name cannot
// redirect the write. The new file gets `mode` (e.g. 0644 for a public key).
// Unavailable if it cannot be written.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode = 0600);

}  // namespace isms

#endif  // ISMS_COMMON_FILES_FILE_IO_H_
