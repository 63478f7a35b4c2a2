#include "common/kv_transfer/block_assembler.h"

#include <string>
#include <vector>

#include "common/checksum/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::kv_transfer {
namespace {

using ::testing::HasSubstr;
using weft::v1::KvBlockChunk;

constexpr uint64_t kBlock = 100;

weft::v1::KvBlockLayout Layout(uint64_t bytes = kBlock) {
  weft::v1::KvBlockLayout layout;
  layout.set_num_layers(1);
  layout.set_block_size_tokens(4);
  layout.set_num_kv_heads(1);
  layout.set_head_dim(4);
  layout.set_dtype(weft::v1::KV_DTYPE_FP16);
  layout.set_bytes_per_block(bytes);
  return layout;
}

std::string HashBytes(int n) { return std::string(16, static_cast<char>(n)); }

KvBlockChunk Chunk(int block, uint64_t offset, const std::string& payload, bool last) {
  KvBlockChunk chunk;
  chunk.set_block_index(block);
  chunk.mutable_key()->set_hash(HashBytes(block));
  chunk.set_offset(offset);
  chunk.set_payload(payload);
  chunk.set_crc32c(Crc32c(payload));
  chunk.set_last_chunk_of_block(last);
  return chunk;
}

KvBlockChunk First(int block, uint64_t offset, const std::string& payload, bool last) {
  KvBlockChunk chunk = Chunk(block, offset, payload, last);
  *chunk.mutable_layout() = Layout();
  return chunk;
}

class BlockAssemblerTest : public ::testing::Test {
 protected:
  BufferBudget budget_{1000};
  BlockAssembler assembler_{&budget_, 500};
};

TEST_F(BlockAssemblerTest, AssemblesBlocksFromChunks) {
  const std::string a(kBlock, 'a');
  auto r = assembler_.Add(First(0, 0, a.substr(0, 30), false));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->has_value());
  EXPECT_TRUE(assembler_.in_block());
  EXPECT_EQ(budget_.used_bytes(), kBlock);
  EXPECT_EQ(assembler_.DescribeBlockInProgress(),
            "block 0 (key 00000000000000000000000000000000) at 30 of 100 bytes");
  ASSERT_TRUE(assembler_.Add(Chunk(0, 30, a.substr(30, 70), false)).ok());
  // An empty last chunk may close a block.
  r = assembler_.Add(Chunk(0, 100, "", true));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->data, a);
  EXPECT_EQ((*r)->block_index, 0u);
  EXPECT_EQ((*r)->hash, BlockHash{});
  EXPECT_FALSE(assembler_.in_block());
  EXPECT_EQ(budget_.used_bytes(), 0u);

  // The next block, one chunk; repeating the same layout is fine.
  const std::string b(kBlock, 'b');
  r = assembler_.Add(First(1, 0, b, true));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->data, b);
  EXPECT_EQ((*r)->block_index, 1u);
  EXPECT_EQ(assembler_.layout()->bytes_per_block(), kBlock);
}

TEST_F(BlockAssemblerTest, TheFirstChunkMustCarryAValidLayout) {
  auto r = assembler_.Add(Chunk(0, 0, std::string(kBlock, 'a'), true));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("chunk 0 (block 0"));
  EXPECT_THAT(r.status().message(), HasSubstr("must carry the layout"));

  KvBlockChunk chunk = First(0, 0, "x", false);
  chunk.mutable_layout()->set_bytes_per_block(501);
  chunk.mutable_layout()->set_dtype(weft::v1::KV_DTYPE_UNSPECIFIED);
  r = assembler_.Add(chunk);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("chunk.layout.dtype is required"));
  EXPECT_THAT(r.status().message(),
              HasSubstr("chunk.layout.bytes_per_block: 501 exceeds this cache's largest block"));
  EXPECT_EQ(budget_.used_bytes(), 0u);
}

TEST_F(BlockAssemblerTest, RejectsMalformedChunks) {
  KvBlockChunk bad_hash = First(0, 0, "x", false);
  bad_hash.mutable_key()->set_hash("short");
  auto r = assembler_.Add(bad_hash);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("chunk.key.hash is 5 bytes; a block hash is 16"));

  ASSERT_TRUE(assembler_.Add(First(0, 0, std::string(40, 'a'), false)).ok());
  r = assembler_.Add(Chunk(0, 50, std::string(10, 'a'), false));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("offset 50, expected 40"));
  // An error drops the block in progress and its reservation.
  EXPECT_FALSE(assembler_.in_block());
  EXPECT_EQ(budget_.used_bytes(), 0u);
}

TEST_F(BlockAssemblerTest, RejectsBlocksOfTheWrongSize) {
  ASSERT_TRUE(assembler_.Add(First(0, 0, std::string(60, 'a'), false)).ok());
  auto r = assembler_.Add(Chunk(0, 60, std::string(41, 'a'), true));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("41 payload bytes run past the block's end at 100"));

  ASSERT_TRUE(assembler_.Add(Chunk(1, 0, std::string(60, 'a'), false)).ok());
  r = assembler_.Add(Chunk(1, 60, std::string(39, 'a'), true));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("the block ended at 99 bytes; its layout says 100"));
}

TEST_F(BlockAssemblerTest, ABlockMustEndBeforeTheNextBegins) {
  ASSERT_TRUE(assembler_.Add(First(0, 0, std::string(60, 'a'), false)).ok());
  auto r = assembler_.Add(Chunk(1, 0, std::string(60, 'a'), false));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("a new block began before the last one ended: block 0 (key "));
  EXPECT_THAT(r.status().message(), HasSubstr("at 60 of 100 bytes"));
}

TEST_F(BlockAssemblerTest, TheLayoutCannotChange) {
  ASSERT_TRUE(assembler_.Add(First(0, 0, std::string(kBlock, 'a'), true)).ok());
  KvBlockChunk chunk = Chunk(1, 0, std::string(kBlock, 'a'), true);
  *chunk.mutable_layout() = Layout();
  chunk.mutable_layout()->set_num_layers(7);
  auto r = assembler_.Add(chunk);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("differs from the stream's layout"));
}

TEST_F(BlockAssemblerTest, AChecksumMismatchIsDataLossNamingBlockAndOffset) {
  ASSERT_TRUE(assembler_.Add(First(3, 0, std::string(50, 'a'), false)).ok());
  KvBlockChunk corrupt = Chunk(3, 50, std::string(50, 'a'), true);
  corrupt.mutable_payload()->at(7) ^= 1;
  auto r = assembler_.Add(corrupt);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("chunk 1 (block 3, key 0303"));
  EXPECT_THAT(r.status().message(), HasSubstr("offset 50): crc32c mismatch"));
  EXPECT_FALSE(assembler_.in_block());
  EXPECT_EQ(budget_.used_bytes(), 0u);
}

TEST_F(BlockAssemblerTest, AFullBufferBudgetRefusesANewBlock) {
  BufferBudget small(150);
  BlockAssembler first(&small, 500);
  BlockAssembler second(&small, 500);
  ASSERT_TRUE(first.Add(First(0, 0, "a", false)).ok());
  auto r = second.Add(First(0, 0, "a", false));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("the put buffers are full"));
  first.Abandon();
  EXPECT_TRUE(second.Add(First(0, 0, "a", false)).ok());
}

}  // namespace
}  // namespace weft::kv_transfer
