#include "router/serving/prefix_index.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router {
namespace {

std::vector<uint32_t> Tokens(int n, uint32_t first = 0) {
  std::vector<uint32_t> t(n);
  for (int i = 0; i < n; ++i) t[i] = first + i;
  return t;
}

TEST(PrefixIndexTest, HashesChainFullBlocksAndAreSaltedByModelAndTenant) {
  const auto a = PrefixIndex::BlockHashes("m", "t", Tokens(50), 16);
  ASSERT_EQ(a.size(), 3u);  // the partial block is not hashed
  std::vector<uint32_t> changed = Tokens(50);
  changed[20] = 999;  // inside block 1: blocks 1 and 2 change, block 0 not
  const auto b = PrefixIndex::BlockHashes("m", "t", changed, 16);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_NE(a[1], b[1]);
  EXPECT_NE(a[2], b[2]);
  EXPECT_NE(a[0], PrefixIndex::BlockHashes("m", "other", Tokens(50), 16)[0]);
  EXPECT_NE(a[0], PrefixIndex::BlockHashes("m2", "t", Tokens(50), 16)[0]);
  EXPECT_TRUE(PrefixIndex::BlockHashes("m", "t", Tokens(15), 16).empty());
}

TEST(PrefixIndexTest, MatchCountsTheLeadingBlocksAnInstanceHolds) {
  PrefixIndex index(100);
  const auto long_prompt = PrefixIndex::BlockHashes("m", "t", Tokens(64), 16);
  const auto short_prompt = PrefixIndex::BlockHashes("m", "t", Tokens(32), 16);
  index.Record("p0", short_prompt);
  EXPECT_EQ(index.Match("p0", long_prompt), 2);
  EXPECT_EQ(index.Match("p1", long_prompt), 0);
  EXPECT_EQ(index.MatchAny(long_prompt), 2);
  index.Record("p1", long_prompt);
  EXPECT_EQ(index.Match("p1", long_prompt), 4);
  EXPECT_EQ(index.Match("p0", long_prompt), 2);
  EXPECT_EQ(index.MatchAny(long_prompt), 4);
  EXPECT_EQ(index.size(), 4u);
}

TEST(PrefixIndexTest, TheLeastRecentlyUsedBlocksAreForgottenFirst) {
  PrefixIndex index(4);
  const auto a = PrefixIndex::BlockHashes("m", "t", Tokens(32, 0), 16);
  const auto b = PrefixIndex::BlockHashes("m", "t", Tokens(32, 1000), 16);
  const auto c = PrefixIndex::BlockHashes("m", "t", Tokens(32, 2000), 16);
  index.Record("p", a);
  index.Record("p", b);
  index.Record("p", a);  // a is now the most recent
  index.Record("p", c);  // evicts b
  EXPECT_EQ(index.size(), 4u);
  EXPECT_EQ(index.MatchAny(a), 2);
  EXPECT_EQ(index.MatchAny(b), 0);
  EXPECT_EQ(index.MatchAny(c), 2);
}

}  // namespace
}  // namespace weft::router
