#include "common/engine/kv/prefix_cache.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

BlockHash HashOf(int32_t token) {
  const std::vector<int32_t> tokens = {token};
  return ChainBlockHash(RootBlockHash("m", ""), tokens);
}

TEST(PrefixCache, InsertLookupAndDuplicates) {
  PrefixCache cache(8);
  EXPECT_FALSE(cache.Lookup(HashOf(1)).has_value());
  EXPECT_TRUE(cache.Insert(HashOf(1), BlockId(3)));
  EXPECT_EQ(cache.Lookup(HashOf(1)), BlockId(3));
  EXPECT_TRUE(cache.IsCached(BlockId(3)));
  EXPECT_FALSE(cache.IsCached(BlockId(4)));
  EXPECT_FALSE(cache.Insert(HashOf(1), BlockId(4)));  // same content, other block
  EXPECT_FALSE(cache.Insert(HashOf(2), BlockId(3)));  // block already cached
  EXPECT_EQ(cache.num_cached(), 1);
  EXPECT_EQ(cache.stats().inserted_blocks, 1);
}

TEST(PrefixCache, EvictsOnlyEvictableLeastRecentlyUsedFirst) {
  PrefixCache cache(8);
  for (int32_t i = 0; i < 4; ++i) ASSERT_TRUE(cache.Insert(HashOf(i), BlockId(i)));
  EXPECT_FALSE(cache.EvictOne().has_value());  // all in use
  cache.MarkEvictable(BlockId(2));
  cache.MarkEvictable(BlockId(0));
  cache.MarkEvictable(BlockId(1));
  cache.MarkEvictable(BlockId(7));  // not cached: ignored
  EXPECT_EQ(cache.num_evictable(), 3);
  ASSERT_TRUE(cache.Lookup(HashOf(2)).has_value());  // 2 is now the most recent
  cache.MarkInUse(BlockId(0));                       // taken again
  EXPECT_EQ(cache.EvictOne(), BlockId(1));
  EXPECT_EQ(cache.EvictOne(), BlockId(2));
  EXPECT_FALSE(cache.EvictOne().has_value());
  EXPECT_FALSE(cache.Contains(HashOf(1)));
  EXPECT_FALSE(cache.IsCached(BlockId(2)));
  EXPECT_TRUE(cache.Contains(HashOf(0)));
  EXPECT_EQ(cache.stats().evicted_blocks, 2);
  // An evicted block can be cached again under new content.
  EXPECT_TRUE(cache.Insert(HashOf(9), BlockId(2)));
}

TEST(PrefixCache, CountsLookups) {
  PrefixCache cache(4);
  cache.RecordLookup(5, 2);
  cache.RecordLookup(3, 0);
  EXPECT_EQ(cache.stats().queried_blocks, 8);
  EXPECT_EQ(cache.stats().hit_blocks, 2);
}

}  // namespace
}  // namespace weft::engine
