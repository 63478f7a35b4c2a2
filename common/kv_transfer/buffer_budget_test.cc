#include "common/kv_transfer/buffer_budget.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::kv_transfer {
namespace {

using ::testing::HasSubstr;

TEST(BufferBudget, ReservesUpToTheLimitAndReleases) {
  BufferBudget budget(100);
  auto a = budget.Reserve(60);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(budget.used_bytes(), 60u);
  auto b = budget.Reserve(41);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(b.status().message(), HasSubstr("60 of 100 bytes are held"));
  EXPECT_EQ(budget.used_bytes(), 60u);
  auto c = budget.Reserve(40);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(budget.used_bytes(), 100u);
  a->Release();
  a->Release();  // idempotent
  EXPECT_EQ(budget.used_bytes(), 40u);
  {
    BufferBudget::Reservation moved = std::move(*c);
    EXPECT_EQ(moved.bytes(), 40u);
    EXPECT_EQ(budget.used_bytes(), 40u);
  }
  EXPECT_EQ(budget.used_bytes(), 0u);
}

}  // namespace
}  // namespace weft::kv_transfer
