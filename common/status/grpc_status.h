// absl::Status <-> grpc::Status at the RPC edge. The canonical codes are the
// same set with the same numbers, so the mapping is one-to-one; the message
// passes through unchanged.
#ifndef WEFT_COMMON_STATUS_GRPC_STATUS_H_
#define WEFT_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace weft {

grpc::StatusCode ToGrpcCode(absl::StatusCode code);
absl::StatusCode FromGrpcCode(grpc::StatusCode code);

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace weft

#endif  // WEFT_COMMON_STATUS_GRPC_STATUS_H_
