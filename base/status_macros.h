// Early returns on a non-OK absl::Status (our Abseil has none; the shape is
// tensorstore's util/status.h).
#ifndef MISSIONLOG_BASE_STATUS_MACROS_H_
#define MISSIONLOG_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MISSIONLOG_STATUS_CONCAT_INNER_(x, y) x##y
#define MISSIONLOG_STATUS_CONCAT_(x, y) MISSIONLOG_STATUS_CONCAT_INNER_(x, y)

// Returns from the current function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    ::absl::Status _missionlog_status = (expr); \
    if (!_missionlog_status.ok()) {             \
      return _missionlog_status;                \
    }                                           \
  } while (0)

// `lhs = value of expr`, or returns expr's status if it is not OK.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(           \
      MISSIONLOG_STATUS_CONCAT_(_missionlog_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) {                             \
    return std::move(statusor).status();            \
  }                                                 \
  lhs = std::move(statusor).value()

#endif  // MISSIONLOG_BASE_STATUS_MACROS_H_
