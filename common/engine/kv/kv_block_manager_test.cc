#include "common/engine/kv/kv_block_manager.h"

#include <map>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

TEST(KvBlockManager, AppendAllocatesBlocksAsTokensArrive) {
  KvBlockManager kv(/*num_blocks=*/8, /*block_size=*/4);
  const SequenceId a(1);
  ASSERT_TRUE(kv.AddSequence(a).ok());
  std::vector<BlockCopy> copies;
  EXPECT_EQ(*kv.BlocksNeeded(a, 9), 3);
  ASSERT_TRUE(kv.Append(a, 9, &copies).ok());
  EXPECT_EQ((*kv.BlockTable(a)).size(), 3u);
  EXPECT_EQ(*kv.BlocksNeeded(a, 3), 0);  // fits in the last block
  ASSERT_TRUE(kv.Append(a, 3, &copies).ok());
  EXPECT_EQ(*kv.NumTokens(a), 12);
  EXPECT_EQ(kv.num_free_blocks(), 5);
  EXPECT_TRUE(copies.empty());
  EXPECT_TRUE(kv.CheckInvariants().ok());
}

TEST(KvBlockManager, ShortPoolChangesNothing) {
  KvBlockManager kv(2, 4);
  const SequenceId a(1);
  ASSERT_TRUE(kv.AddSequence(a).ok());
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.Append(a, 5, &copies).ok());
  const absl::Status s = kv.Append(a, 4, &copies);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*kv.NumTokens(a), 5);
  EXPECT_EQ(kv.num_free_blocks(), 0);
  EXPECT_TRUE(kv.CheckInvariants().ok());
}

TEST(KvBlockManager, ForkSharesAndCopiesOnWrite) {
  KvBlockManager kv(8, 4);
  const SequenceId parent(1), child(2);
  ASSERT_TRUE(kv.AddSequence(parent).ok());
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.Append(parent, 6, &copies).ok());  // blocks: full, half
  ASSERT_TRUE(kv.Fork(parent, child).ok());
  EXPECT_EQ(kv.num_free_blocks(), 6);        // shared, nothing taken
  EXPECT_EQ(*kv.BlocksNeeded(child, 1), 1);  // the shared half block is copied
  ASSERT_TRUE(kv.Append(child, 1, &copies).ok());
  const auto parent_table = *kv.BlockTable(parent);
  const auto child_table = *kv.BlockTable(child);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].src, parent_table[1]);
  EXPECT_EQ(copies[0].dst, child_table[1]);
  EXPECT_EQ(parent_table[0], child_table[0]);  // the full block stays shared
  EXPECT_NE(parent_table[1], child_table[1]);
  // The parent now owns its half block alone: no copy.
  copies.clear();
  ASSERT_TRUE(kv.Append(parent, 1, &copies).ok());
  EXPECT_TRUE(copies.empty());
  EXPECT_TRUE(kv.CheckInvariants().ok());
  ASSERT_TRUE(kv.Free(parent).ok());
  ASSERT_TRUE(kv.Free(child).ok());
  EXPECT_EQ(kv.num_free_blocks(), 8);
  EXPECT_TRUE(kv.CheckInvariants().ok());
}

TEST(KvBlockManager, ErrorsForUnknownAndDuplicateSequences) {
  KvBlockManager kv(4, 4);
  std::vector<BlockCopy> copies;
  EXPECT_EQ(kv.Append(SequenceId(9), 1, &copies).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(kv.Free(SequenceId(9)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(kv.Fork(SequenceId(9), SequenceId(10)).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(kv.AddSequence(SequenceId(1)).ok());
  EXPECT_EQ(kv.AddSequence(SequenceId(1)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(kv.Fork(SequenceId(1), SequenceId(1)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(kv.Append(SequenceId(1), -1, &copies).code(), absl::StatusCode::kInvalidArgument);
}

// Random add/append/fork/free/abort sequences against a model of the KV
// memory: every block stores the token values written into it, the executor
// applies the reported copies, and each sequence must read back exactly its
// own tokens through its block table. After everything is freed, no block
// may be left over.
TEST(KvBlockManager, RandomOperationsNeverLeakOrCorrupt) {
  constexpr int32_t kBlocks = 64, kBlockSize = 4;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    KvBlockManager kv(kBlocks, kBlockSize);
    std::vector<std::vector<int>> memory(kBlocks, std::vector<int>(kBlockSize, -1));
    std::map<int64_t, std::vector<int>> expected;  // sequence -> its tokens
    int64_t next_id = 0;
    int next_token = 0;
    for (int step = 0; step < 2000; ++step) {
      const int op = std::uniform_int_distribution<int>(0, 9)(rng);
      auto pick = [&]() -> int64_t {
        auto it = expected.begin();
        std::advance(it, std::uniform_int_distribution<size_t>(0, expected.size() - 1)(rng));
        return it->first;
      };
      if (op <= 1 || expected.empty()) {
        const SequenceId id(next_id++);
        ASSERT_TRUE(kv.AddSequence(id).ok());
        expected[id.value()];
      } else if (op <= 5) {
        const int64_t id = pick();
        const int32_t n = std::uniform_int_distribution<int32_t>(1, 9)(rng);
        const int32_t free_before = kv.num_free_blocks();
        const int32_t needed = *kv.BlocksNeeded(SequenceId(id), n);
        std::vector<BlockCopy> copies;
        const absl::Status s = kv.Append(SequenceId(id), n, &copies);
        if (needed > free_before) {
          ASSERT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
          ASSERT_EQ(kv.num_free_blocks(), free_before);
          continue;
        }
        ASSERT_TRUE(s.ok()) << s;
        ASSERT_EQ(kv.num_free_blocks(), free_before - needed);
        for (const BlockCopy& c : copies) memory[c.dst.value()] = memory[c.src.value()];
        const auto table = *kv.BlockTable(SequenceId(id));
        std::vector<int>& tokens = expected[id];
        for (int32_t i = 0; i < n; ++i) {
          const size_t pos = tokens.size();
          memory[table[pos / kBlockSize].value()][pos % kBlockSize] = next_token;
          tokens.push_back(next_token++);
        }
      } else if (op <= 7) {
        const int64_t parent = pick();
        const SequenceId child(next_id++);
        ASSERT_TRUE(kv.Fork(SequenceId(parent), child).ok());
        expected[child.value()] = expected[parent];
      } else {
        const int64_t id = pick();  // finished or aborted: same for blocks
        ASSERT_TRUE(kv.Free(SequenceId(id)).ok());
        expected.erase(id);
      }
      ASSERT_TRUE(kv.CheckInvariants().ok()) << kv.CheckInvariants() << " seed " << seed;
      for (const auto& [id, tokens] : expected) {
        const auto table = *kv.BlockTable(SequenceId(id));
        for (size_t pos = 0; pos < tokens.size(); ++pos) {
          ASSERT_EQ(memory[table[pos / kBlockSize].value()][pos % kBlockSize], tokens[pos])
              << "seed " << seed << " step " << step << " sequence " << id << " pos " << pos;
        }
      }
    }
    for (const auto& [id, tokens] : expected) ASSERT_TRUE(kv.Free(SequenceId(id)).ok());
    EXPECT_EQ(kv.num_free_blocks(), kBlocks);
    EXPECT_EQ(kv.num_sequences(), 0);
    EXPECT_TRUE(kv.CheckInvariants().ok());
  }
}

TEST(KvBlockManager, PrefixCacheSharesComputedBlocksAndEvictsWhenShort) {
  KvBlockManager kv(/*num_blocks=*/6, /*block_size=*/4);
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<BlockHash> hashes = HashFullBlocks(RootBlockHash("m", ""), prompt, 4);
  ASSERT_EQ(hashes.size(), 2u);
  const SequenceId a(1), b(2), c(3);
  EXPECT_EQ(*kv.AddSequenceWithPrefix(a, hashes), 0);  // cold cache
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.Append(a, 10, &copies).ok());
  EXPECT_EQ(*kv.CacheBlock(a, 0, hashes[0]), true);
  EXPECT_EQ(*kv.CacheBlock(a, 1, hashes[1]), true);
  EXPECT_EQ(*kv.CacheBlock(a, 1, hashes[1]), false);  // already cached
  EXPECT_EQ(kv.CacheBlock(a, 2, hashes[1]).status().code(),
            absl::StatusCode::kInvalidArgument);  // the half-full block
  EXPECT_EQ(kv.num_cached_blocks(), 2);
  EXPECT_TRUE(kv.CheckInvariants().ok()) << kv.CheckInvariants();

  // A second sequence with the same prompt attaches both blocks.
  EXPECT_EQ(*kv.AddSequenceWithPrefix(b, hashes), 2);
  EXPECT_EQ(*kv.NumTokens(b), 8);
  EXPECT_EQ((*kv.BlockTable(b))[0], (*kv.BlockTable(a))[0]);
  EXPECT_EQ((*kv.BlockTable(b))[1], (*kv.BlockTable(a))[1]);
  ASSERT_TRUE(kv.Append(b, 2, &copies).ok());
  EXPECT_TRUE(copies.empty());  // appends start a fresh block
  EXPECT_EQ(kv.num_free_blocks(), 2);
  ASSERT_TRUE(kv.Free(a).ok());
  ASSERT_TRUE(kv.Free(b).ok());
  // The cached blocks outlive their sequences and count as available.
  EXPECT_EQ(kv.num_cached_blocks(), 2);
  EXPECT_EQ(kv.num_free_blocks(), 6);
  EXPECT_TRUE(kv.CheckInvariants().ok()) << kv.CheckInvariants();

  // A sequence needing the whole pool evicts them.
  ASSERT_TRUE(kv.AddSequence(c).ok());
  ASSERT_TRUE(kv.Append(c, 24, &copies).ok());
  EXPECT_EQ(kv.num_cached_blocks(), 0);
  EXPECT_EQ(kv.prefix_cache_stats().evicted_blocks, 2);
  EXPECT_EQ(kv.prefix_cache_stats().queried_blocks, 4);
  EXPECT_EQ(kv.prefix_cache_stats().hit_blocks, 2);
  EXPECT_TRUE(kv.CheckInvariants().ok()) << kv.CheckInvariants();
  ASSERT_TRUE(kv.Free(c).ok());
  EXPECT_EQ(*kv.AddSequenceWithPrefix(a, hashes), 0);  // evicted: recomputed
}

TEST(KvBlockManager, EvictionTakesThePrefixTailFirst) {
  KvBlockManager kv(4, 2);
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6};
  const std::vector<BlockHash> hashes = HashFullBlocks(RootBlockHash("m", ""), prompt, 2);
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.AddSequenceWithPrefix(SequenceId(1), hashes).ok());
  ASSERT_TRUE(kv.Append(SequenceId(1), 6, &copies).ok());
  for (int32_t i = 0; i < 3; ++i) ASSERT_TRUE(kv.CacheBlock(SequenceId(1), i, hashes[i]).ok());
  ASSERT_TRUE(kv.Free(SequenceId(1)).ok());
  // Two blocks are needed: one free block and one evicted, the last one.
  ASSERT_TRUE(kv.AddSequence(SequenceId(2)).ok());
  ASSERT_TRUE(kv.Append(SequenceId(2), 4, &copies).ok());
  EXPECT_EQ(*kv.AddSequenceWithPrefix(SequenceId(3), hashes), 2);
  EXPECT_TRUE(kv.CheckInvariants().ok()) << kv.CheckInvariants();
}

// Random sequences drawn from a few shared documents, so prefixes repeat:
// each sequence attaches what the cache holds, computes the rest (written
// into a model of the KV memory), registers its full blocks, and must read
// back exactly its own tokens, however blocks were shared, cached, evicted
// and reused. No block leaks once everything is freed.
TEST(KvBlockManager, RandomPrefixCachingNeverLeaksOrServesWrongTokens) {
  constexpr int32_t kBlocks = 24, kBlockSize = 4;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::vector<std::vector<int32_t>> documents(3);
    for (auto& doc : documents) {
      for (int i = 0; i < 40; ++i) doc.push_back(std::uniform_int_distribution<int32_t>(0, 5)(rng));
    }
    KvBlockManager kv(kBlocks, kBlockSize);
    const BlockHash root = RootBlockHash("m", "");
    std::vector<std::vector<int32_t>> memory(kBlocks, std::vector<int32_t>(kBlockSize, -1));
    std::map<int64_t, std::vector<int32_t>> expected;
    int64_t next_id = 0;
    int64_t hits = 0;
    for (int step = 0; step < 500; ++step) {
      if (expected.empty() || std::uniform_int_distribution<int>(0, 2)(rng) > 0) {
        const auto& doc = documents[std::uniform_int_distribution<size_t>(0, 2)(rng)];
        std::vector<int32_t> prompt(
            doc.begin(), doc.begin() + std::uniform_int_distribution<int32_t>(1, 40)(rng));
        const std::vector<BlockHash> hashes = HashFullBlocks(root, prompt, kBlockSize);
        const SequenceId id(next_id++);
        const absl::StatusOr<int32_t> attached = kv.AddSequenceWithPrefix(id, hashes);
        ASSERT_TRUE(attached.ok());
        hits += *attached;
        const int32_t cached = *attached * kBlockSize;
        const int32_t rest = static_cast<int32_t>(prompt.size()) - cached;
        std::vector<BlockCopy> copies;
        const absl::Status s = kv.Append(id, rest, &copies);
        if (!s.ok()) {  // pool short: the sequence gives up
          ASSERT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
          ASSERT_TRUE(kv.Free(id).ok());
        } else {
          ASSERT_TRUE(copies.empty());
          const auto table = *kv.BlockTable(id);
          for (int32_t pos = cached; pos < static_cast<int32_t>(prompt.size()); ++pos) {
            memory[table[pos / kBlockSize].value()][pos % kBlockSize] = prompt[pos];
          }
          for (size_t i = *attached; i < hashes.size(); ++i) {
            ASSERT_TRUE(kv.CacheBlock(id, static_cast<int32_t>(i), hashes[i]).ok());
          }
          expected[id.value()] = prompt;
        }
      } else {
        auto it = expected.begin();
        std::advance(it, std::uniform_int_distribution<size_t>(0, expected.size() - 1)(rng));
        ASSERT_TRUE(kv.Free(SequenceId(it->first)).ok());
        expected.erase(it);
      }
      ASSERT_TRUE(kv.CheckInvariants().ok()) << kv.CheckInvariants() << " seed " << seed;
      for (const auto& [id, tokens] : expected) {
        const auto table = *kv.BlockTable(SequenceId(id));
        for (size_t pos = 0; pos < tokens.size(); ++pos) {
          ASSERT_EQ(memory[table[pos / kBlockSize].value()][pos % kBlockSize], tokens[pos])
              << "seed " << seed << " step " << step << " sequence " << id << " pos " << pos;
        }
      }
    }
    EXPECT_GT(hits, 0) << "seed " << seed;
    for (const auto& [id, tokens] : expected) ASSERT_TRUE(kv.Free(SequenceId(id)).ok());
    EXPECT_EQ(kv.num_free_blocks(), kBlocks);
    EXPECT_TRUE(kv.CheckInvariants().ok());
  }
}

}  // namespace
}  // namespace weft::engine
