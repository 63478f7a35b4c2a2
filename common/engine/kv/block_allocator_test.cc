#include "common/engine/kv/block_allocator.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

using ::testing::HasSubstr;

TEST(BlockAllocator, AllocatesAllOrNothing) {
  BlockAllocator pool(4);
  std::vector<BlockId> blocks;
  ASSERT_TRUE(pool.Allocate(3, &blocks).ok());
  EXPECT_EQ(blocks, (std::vector<BlockId>{BlockId(0), BlockId(1), BlockId(2)}));
  const absl::Status s = pool.Allocate(2, &blocks);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("2 blocks wanted, 1 of 4 free"));
  EXPECT_EQ(blocks.size(), 3u);
  EXPECT_EQ(pool.num_free(), 1);
  EXPECT_TRUE(pool.CheckConsistency().ok());
}

TEST(BlockAllocator, ReferenceCountsFreeOnLastRelease) {
  BlockAllocator pool(2);
  auto block = pool.Allocate();
  ASSERT_TRUE(block.ok());
  ASSERT_TRUE(pool.AddRef(*block).ok());
  EXPECT_EQ(pool.RefCount(*block), 2);
  ASSERT_TRUE(pool.Release(*block).ok());
  EXPECT_EQ(pool.num_free(), 1);
  ASSERT_TRUE(pool.Release(*block).ok());
  EXPECT_EQ(pool.num_free(), 2);
  EXPECT_EQ(pool.Release(*block).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.AddRef(*block).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.AddRef(BlockId(7)).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(pool.Release(BlockId(-1)).code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(pool.CheckConsistency().ok());
}

TEST(BlockAllocator, EmptyPool) {
  BlockAllocator pool(0);
  EXPECT_EQ(pool.Allocate().status().code(), absl::StatusCode::kResourceExhausted);
  std::vector<BlockId> none;
  EXPECT_TRUE(pool.Allocate(0, &none).ok());
  EXPECT_EQ(pool.Allocate(-1, &none).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft::engine
