#ifndef ISMS_COMMON_STATUS_STATUS_MACROS_H_
#define ISMS_COMMON_STATUS_STATUS_MACROS_H_

// Early-return helpers for absl::Status / absl::StatusOr. Debian's Abseil
// (20220623) ships no status_macros.h, so we keep these two here.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define ISMS_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status isms_status_ = (expr);        \
    if (!isms_status_.ok()) return isms_status_; \
  } while (0)

#define ISMS_STATUS_CONCAT_INNER_(a, b) a##b
#define ISMS_STATUS_CONCAT_(a, b) ISMS_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status if not OK,
// otherwise moves the value into `lhs` (a declaration or an lvalue).
#define ISMS_ASSIGN_OR_RETURN(lhs, rexpr) \
  ISMS_ASSIGN_OR_RETURN_IMPL_(ISMS_STATUS_CONCAT_(isms_statusor_, __LINE__), lhs, rexpr)

#define ISMS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return statusor.status();           \
  lhs = std::move(statusor).value()

#endif  // ISMS_COMMON_STATUS_STATUS_MACROS_H_
