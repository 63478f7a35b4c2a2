#include "common/status/grpc_status.h"

#include "absl/status/statusor.h"
#include "common/status/status_macros.h"
#include "gtest/gtest.h"

namespace weft {
namespace {

TEST(GrpcStatus, EveryCanonicalCodeMapsOneToOneAndBack) {
  for (int raw = 0; raw <= 16; ++raw) {
    const auto code = static_cast<absl::StatusCode>(raw);
    const grpc::StatusCode grpc_code = ToGrpcCode(code);
    EXPECT_EQ(static_cast<int>(grpc_code), raw) << absl::StatusCodeToString(code);
    EXPECT_EQ(FromGrpcCode(grpc_code), code);
  }
}

TEST(GrpcStatus, MessagePassesThrough) {
  const grpc::Status g = ToGrpcStatus(absl::ResourceExhaustedError("KV pool full: 0 of 512 free"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(g.error_message(), "KV pool full: 0 of 512 free");
  const absl::Status a = FromGrpcStatus(g);
  EXPECT_EQ(a.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(a.message(), "KV pool full: 0 of 512 free");
}

TEST(GrpcStatus, OkIsOkBothWays) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(GrpcStatus, UnknownCodesBecomeUnknown) {
  EXPECT_EQ(ToGrpcCode(static_cast<absl::StatusCode>(42)), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(FromGrpcCode(static_cast<grpc::StatusCode>(42)), absl::StatusCode::kUnknown);
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status Quarter(int x, int* out) {
  WEFT_ASSIGN_OR_RETURN(int half, Half(x));
  WEFT_ASSIGN_OR_RETURN(*out, Half(half));
  WEFT_RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  EXPECT_EQ(Quarter(6, &out).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft
