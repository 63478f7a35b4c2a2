// Early-return helpers for absl::Status / absl::StatusOr.
#ifndef WEFT_COMMON_STATUS_STATUS_MACROS_H_
#define WEFT_COMMON_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns `expr` from the enclosing function if it is not OK.
#define WEFT_RETURN_IF_ERROR(expr)               \
  do {                                           \
    const ::absl::Status weft_status_ = (expr);  \
    if (!weft_status_.ok()) return weft_status_; \
  } while (0)

#define WEFT_STATUS_CONCAT_INNER_(a, b) a##b
#define WEFT_STATUS_CONCAT_(a, b) WEFT_STATUS_CONCAT_INNER_(a, b)

// WEFT_ASSIGN_OR_RETURN(auto x, MakeX()); assigns the value or returns the
// error from the enclosing function.
#define WEFT_ASSIGN_OR_RETURN(lhs, rexpr) \
  WEFT_ASSIGN_OR_RETURN_IMPL_(WEFT_STATUS_CONCAT_(weft_statusor_, __LINE__), lhs, rexpr)

#define WEFT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return statusor.status();           \
  lhs = *std::move(statusor)

#endif  // WEFT_COMMON_STATUS_STATUS_MACROS_H_
