#include "common/engine/kv/block_hash.h"

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

TEST(BlockHash, ChainsOverFullBlocksOnly) {
  const BlockHash root = RootBlockHash("qwen3-30b-a3b", "tenant-a");
  const std::vector<int32_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const auto hashes = HashFullBlocks(root, tokens, 4);
  ASSERT_EQ(hashes.size(), 2u);  // the two tokens of the third block are not hashed
  EXPECT_EQ(hashes[0], ChainBlockHash(root, {1, 2, 3, 4}));
  EXPECT_EQ(hashes[1], ChainBlockHash(hashes[0], {5, 6, 7, 8}));
}

TEST(BlockHash, SamePrefixSameHashesDifferentContextDifferentHashes) {
  const BlockHash root = RootBlockHash("m", "t");
  const std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<int32_t> b = {1, 2, 3, 4, 5, 6, 7, 9};
  const auto ha = HashFullBlocks(root, a, 4);
  const auto hb = HashFullBlocks(root, b, 4);
  EXPECT_EQ(ha[0], hb[0]);
  EXPECT_NE(ha[1], hb[1]);
  // Another tenant or model never shares blocks.
  EXPECT_NE(HashFullBlocks(RootBlockHash("m", "u"), a, 4)[0], ha[0]);
  EXPECT_NE(HashFullBlocks(RootBlockHash("n", "t"), a, 4)[0], ha[0]);
  // The same tokens after a different prefix hash differently.
  EXPECT_NE(ChainBlockHash(ha[0], {5, 6, 7, 8}), ChainBlockHash(hb[1], {5, 6, 7, 8}));
  // Length-prefixed fields: ("ab", "c") differs from ("a", "bc").
  EXPECT_NE(RootBlockHash("ab", "c"), RootBlockHash("a", "bc"));
}

TEST(BlockHash, StableAcrossReleases) {
  // Pinned values, computed independently (Python hashlib over the encoding
  // described in block_hash.cc). The format is part of the kvcache protocol:
  // a change invalidates every pooled block and must bump the domain version.
  const BlockHash root = RootBlockHash("m", "");
  EXPECT_EQ(root.ToHex(), "5988287beb953af1f76e32cb8bda0193");
  EXPECT_EQ(ChainBlockHash(root, {0}).ToHex(), "0ca6c4c1eeaca9ee9ffbeefbd01d5bab");
}

TEST(BlockHash, NoCollisionsAcrossManyBlocks) {
  absl::flat_hash_set<BlockHash> seen;
  BlockHash parent = RootBlockHash("m", "t");
  for (int32_t i = 0; i < 20000; ++i) {
    const BlockHash h = ChainBlockHash(parent, {i, i + 1});
    EXPECT_TRUE(seen.insert(h).second);
    if (i % 7 == 0) parent = h;
  }
}

}  // namespace
}  // namespace weft::engine
