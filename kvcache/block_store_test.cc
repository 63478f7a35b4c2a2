#include "kvcache/block_store.h"

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kvcache/kvcache_metrics.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace weft::kvcache {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kBlock = 1024;

weft::v1::KvBlockLayout Layout(uint64_t bytes = kBlock, uint32_t layers = 2) {
  weft::v1::KvBlockLayout layout;
  layout.set_num_layers(layers);
  layout.set_block_size_tokens(16);
  layout.set_num_kv_heads(2);
  layout.set_head_dim(8);
  layout.set_value_head_dim(8);
  layout.set_dtype(weft::v1::KV_DTYPE_BF16);
  layout.set_bytes_per_block(bytes);
  return layout;
}

BlockHash Hash(int n) {
  BlockHash hash{};
  for (size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<uint8_t>(n * 31 + i);
  return hash;
}

// Block contents derived from the key, so readers can check what they got.
std::string Data(int n, uint64_t bytes = kBlock) {
  return std::string(bytes, static_cast<char>('a' + n % 26));
}

absl::StatusOr<bool> Put(BlockStore& store, int n, const std::string& model = "m") {
  return store.Put(model, Layout(), Hash(n), Data(n));
}

TEST(BlockStore, PutThenLookupThePrefix) {
  BlockStore store(10 * kBlock);
  ASSERT_TRUE(*Put(store, 0));
  ASSERT_TRUE(*Put(store, 1));
  ASSERT_TRUE(*Put(store, 3));
  EXPECT_EQ(store.LookupPrefix("m", {Hash(0), Hash(1), Hash(2), Hash(3)}), 2u);
  EXPECT_EQ(store.LookupPrefix("m", {Hash(1)}), 1u);
  EXPECT_EQ(store.LookupPrefix("m", {Hash(2), Hash(3)}), 0u);
  EXPECT_EQ(store.LookupPrefix("m", {}), 0u);
  EXPECT_EQ(store.LookupPrefix("unknown", {Hash(0)}), 0u);
  const BlockStore::Stats stats = store.GetStats();
  EXPECT_EQ(stats.prefix_query_blocks_total, 8u);
  EXPECT_EQ(stats.prefix_hit_blocks_total, 3u);
  EXPECT_EQ(stats.blocks, 3u);
  EXPECT_EQ(stats.used_bytes, 3 * kBlock);
  EXPECT_EQ(stats.models, 1u);
  EXPECT_EQ(stats.put_blocks_total, 3u);
  EXPECT_EQ(stats.put_bytes_total, 3 * kBlock);
}

TEST(BlockStore, ModelsAreSeparateKeySpaces) {
  BlockStore store(10 * kBlock);
  ASSERT_TRUE(*Put(store, 0, "a"));
  EXPECT_TRUE(store.Contains("a", Hash(0)));
  EXPECT_FALSE(store.Contains("b", Hash(0)));
  EXPECT_EQ(store.LookupPrefix("b", {Hash(0)}), 0u);
  EXPECT_TRUE(store.PinPrefix("b", {Hash(0)}).empty());
  // Another model may use another layout.
  EXPECT_TRUE(store.Put("b", Layout(2 * kBlock), Hash(0), Data(0, 2 * kBlock)).ok());
  EXPECT_EQ(store.GetStats().models, 2u);
}

TEST(BlockStore, PutOfAStoredBlockOnlyRefreshes) {
  BlockStore store(10 * kBlock);
  ASSERT_TRUE(*Put(store, 0));
  auto again = store.Put("m", Layout(), Hash(0), std::string(kBlock, 'z'));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  EXPECT_EQ(store.GetStats().used_bytes, kBlock);
  EXPECT_EQ(store.GetStats().blocks, 1u);
  // The first bytes stay.
  BlockStore::PinnedBlocks pinned = store.PinPrefix("m", {Hash(0)});
  ASSERT_EQ(pinned.size(), 1u);
  EXPECT_EQ(pinned.data(0), Data(0));
}

TEST(BlockStore, BadPutsChangeNothing) {
  BlockStore store(4 * kBlock);
  ASSERT_TRUE(*Put(store, 0));
  auto wrong_size = store.Put("m", Layout(), Hash(1), std::string(kBlock - 1, 'x'));
  EXPECT_EQ(wrong_size.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_size.status().message(), HasSubstr("1023 bytes; its layout says 1024"));
  EXPECT_EQ(store.Put("", Layout(), Hash(1), Data(1)).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto other_layout = store.Put("m", Layout(kBlock, 3), Hash(1), Data(1));
  EXPECT_EQ(other_layout.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other_layout.status().message(), HasSubstr("num_layers: 2"));
  EXPECT_THAT(other_layout.status().message(), HasSubstr("num_layers: 3"));
  EXPECT_EQ(store.CheckLayout("m", Layout(kBlock, 3)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store.CheckLayout("m", Layout()).ok());
  EXPECT_TRUE(store.CheckLayout("new", Layout(kBlock, 3)).ok());

  auto too_big = store.Put("m", Layout(5 * kBlock), Hash(1), Data(1, 5 * kBlock));
  // The layout check comes first for a known model; a new model gets the size check.
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kFailedPrecondition);
  too_big = store.Put("n", Layout(5 * kBlock), Hash(1), Data(1, 5 * kBlock));
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(too_big.status().message(), HasSubstr("exceeds the cache's capacity of 4096"));

  const BlockStore::Stats stats = store.GetStats();
  EXPECT_EQ(stats.blocks, 1u);
  EXPECT_EQ(stats.used_bytes, kBlock);
  EXPECT_EQ(stats.evictions_total, 0u);
  EXPECT_TRUE(store.Contains("m", Hash(0)));
}

TEST(BlockStore, EvictsTheLeastRecentlyUsed) {
  BlockStore store(3 * kBlock);
  ASSERT_TRUE(*Put(store, 0));
  ASSERT_TRUE(*Put(store, 1));
  ASSERT_TRUE(*Put(store, 2));
  EXPECT_EQ(store.LookupPrefix("m", {Hash(0)}), 1u);  // 0 is now the most recent
  ASSERT_TRUE(*Put(store, 3));                        // evicts 1
  EXPECT_FALSE(store.Contains("m", Hash(1)));
  EXPECT_FALSE(*Put(store, 2));  // a refresh: 2 is the most recent now
  ASSERT_TRUE(*Put(store, 4));   // evicts 0
  EXPECT_FALSE(store.Contains("m", Hash(0)));
  EXPECT_TRUE(store.Contains("m", Hash(2)));
  EXPECT_TRUE(store.Contains("m", Hash(3)));
  EXPECT_TRUE(store.Contains("m", Hash(4)));
  const BlockStore::Stats stats = store.GetStats();
  EXPECT_EQ(stats.evictions_total, 2u);
  EXPECT_EQ(stats.used_bytes, 3 * kBlock);
  EXPECT_EQ(stats.blocks, 3u);
}

TEST(BlockStore, AChainIsEvictedFromItsTail) {
  BlockStore store(3 * kBlock);
  ASSERT_TRUE(*Put(store, 0));  // chain 0 -> 1
  ASSERT_TRUE(*Put(store, 1));
  ASSERT_TRUE(*Put(store, 9));
  EXPECT_EQ(store.LookupPrefix("m", {Hash(0), Hash(1)}), 2u);
  ASSERT_TRUE(*Put(store, 10));  // evicts 9, the least recent
  ASSERT_TRUE(*Put(store, 11));  // evicts 1, the chain's tail, before its head
  EXPECT_TRUE(store.Contains("m", Hash(0)));
  EXPECT_FALSE(store.Contains("m", Hash(1)));
  EXPECT_EQ(store.LookupPrefix("m", {Hash(0), Hash(1)}), 1u);
}

TEST(BlockStore, AModelsLayoutIsFreedWithItsLastBlock) {
  BlockStore store(kBlock);
  ASSERT_TRUE(*Put(store, 0, "m"));
  EXPECT_FALSE(store.CheckLayout("m", Layout(kBlock, 3)).ok());
  ASSERT_TRUE(*Put(store, 1, "other"));  // evicts m's only block
  EXPECT_EQ(store.GetStats().models, 1u);
  EXPECT_TRUE(store.CheckLayout("m", Layout(kBlock, 3)).ok());
  EXPECT_TRUE(*store.Put("m", Layout(kBlock, 3), Hash(0), Data(0)));
}

TEST(BlockStore, PinnedBlocksAreNeverEvicted) {
  BlockStore store(2 * kBlock);
  ASSERT_TRUE(*Put(store, 0));
  ASSERT_TRUE(*Put(store, 1));
  {
    BlockStore::PinnedBlocks pinned = store.PinPrefix("m", {Hash(0), Hash(5), Hash(1)});
    ASSERT_EQ(pinned.size(), 1u);  // stops at the first miss
    EXPECT_EQ(pinned.hash(0), Hash(0));
    EXPECT_EQ(pinned.data(0), Data(0));
    EXPECT_EQ(pinned.layout().bytes_per_block(), kBlock);
    EXPECT_EQ(store.GetStats().pinned_blocks, 1u);
    EXPECT_EQ(store.GetStats().pinned_bytes, kBlock);
    ASSERT_TRUE(*Put(store, 2));  // evicts 1, not the older but pinned 0
    EXPECT_TRUE(store.Contains("m", Hash(0)));
    EXPECT_FALSE(store.Contains("m", Hash(1)));

    BlockStore::PinnedBlocks both = store.PinPrefix("m", {Hash(0), Hash(2), Hash(0)});
    ASSERT_EQ(both.size(), 3u);  // a repeated key is pinned twice
    EXPECT_EQ(store.GetStats().pinned_blocks, 2u);
    // Everything is pinned: a put fails and loses nothing.
    auto full = Put(store, 3);
    EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(full.status().message(), HasSubstr("2048 of the cache's 2048 bytes are pinned"));
    EXPECT_TRUE(store.Contains("m", Hash(0)));
    EXPECT_TRUE(store.Contains("m", Hash(2)));
    EXPECT_EQ(store.GetStats().evictions_total, 1u);

    both.Release();
    both.Release();  // idempotent
    EXPECT_EQ(store.GetStats().pinned_blocks, 1u);
    ASSERT_TRUE(*Put(store, 3));  // evicts 2; 0 is still pinned
    EXPECT_TRUE(store.Contains("m", Hash(0)));
    EXPECT_FALSE(store.Contains("m", Hash(2)));
    // Pinned data stays readable whatever happens around it.
    EXPECT_EQ(pinned.data(0), Data(0));
  }
  EXPECT_EQ(store.GetStats().pinned_blocks, 0u);
  EXPECT_EQ(store.GetStats().pinned_bytes, 0u);
  // Unpinned, 0 is the most recent (it was just read), so 3 goes first.
  ASSERT_TRUE(*Put(store, 4));
  EXPECT_TRUE(store.Contains("m", Hash(0)));
  EXPECT_FALSE(store.Contains("m", Hash(3)));
}

TEST(BlockStore, PinnedBlocksMove) {
  BlockStore store(2 * kBlock);
  ASSERT_TRUE(*Put(store, 0));
  BlockStore::PinnedBlocks a = store.PinPrefix("m", {Hash(0)});
  BlockStore::PinnedBlocks b = std::move(a);
  EXPECT_EQ(store.GetStats().pinned_blocks, 1u);
  BlockStore::PinnedBlocks c;
  c = std::move(b);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(store.GetStats().pinned_blocks, 1u);
  c = BlockStore::PinnedBlocks();
  EXPECT_EQ(store.GetStats().pinned_blocks, 0u);
}

TEST(BlockStore, MirrorsItsStateIntoMetrics) {
  prometheus::Registry registry;
  KvCacheMetrics metrics(registry);
  BlockStore store(2 * kBlock, &metrics);
  ASSERT_TRUE(*Put(store, 0));
  ASSERT_TRUE(*Put(store, 1));
  ASSERT_TRUE(*Put(store, 2));
  store.LookupPrefix("m", {Hash(2), Hash(0)});
  BlockStore::PinnedBlocks pinned = store.PinPrefix("m", {Hash(2)});
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(text, HasSubstr("weft_kvcache_capacity_bytes 2048"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_used_bytes 2048"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_blocks 2"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_pinned_blocks 1"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_evictions_total 1"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_prefix_query_blocks_total 2"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_prefix_hit_blocks_total 1"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_put_blocks_total 3"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_put_bytes_total 3072"));
}

// Writers, readers and evictions race on a small store; run under TSan. Every
// pinned block must keep its bytes until released, and the accounting must
// balance at the end.
TEST(BlockStore, ConcurrentPutsLookupsPinsAndEvictions) {
  constexpr int kKeys = 48;
  constexpr int kThreads = 4;
  constexpr int kOps = 3000;
  constexpr uint64_t kSmall = 256;
  // A block's bytes are its hash's first byte, repeated.
  auto content = [](const BlockHash& hash) {
    return std::string(kSmall, static_cast<char>(hash[0]));
  };
  BlockStore store(12 * kSmall);
  std::atomic<uint64_t> added{0};
  std::atomic<uint64_t> checked{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<BlockStore::PinnedBlocks> held;
      for (int i = 0; i < kOps; ++i) {
        const int op = rng() % 4;
        const int start = rng() % kKeys;
        std::vector<BlockHash> chain;
        for (int k = start; k < std::min(kKeys, start + 4); ++k) chain.push_back(Hash(k));
        if (op == 0) {
          auto s = store.Put("m", Layout(kSmall), Hash(start), content(Hash(start)));
          if (s.ok()) {
            if (*s) ++added;
          } else if (s.status().code() != absl::StatusCode::kResourceExhausted) {
            // Only "everything is pinned by the others for a moment" may fail.
            ++errors;
          }
        } else if (op == 1) {
          store.LookupPrefix("m", chain);
        } else if (op == 2) {
          held.push_back(store.PinPrefix("m", chain));
          if (held.size() > 2) held.erase(held.begin());
        } else {
          for (const BlockStore::PinnedBlocks& p : held) {
            for (size_t b = 0; b < p.size(); ++b) {
              if (p.data(b) != content(p.hash(b))) ++errors;
              ++checked;
            }
          }
          if (!held.empty()) held.pop_back();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(checked.load(), 0u);
  const BlockStore::Stats stats = store.GetStats();
  EXPECT_EQ(stats.pinned_blocks, 0u);
  EXPECT_EQ(stats.pinned_bytes, 0u);
  EXPECT_LE(stats.used_bytes, 12 * kSmall);
  EXPECT_EQ(stats.used_bytes, stats.blocks * kSmall);
  EXPECT_GT(stats.evictions_total, 0u);
  EXPECT_EQ(added.load(), stats.blocks + stats.evictions_total);
  for (int k = 0; k < kKeys; ++k) {
    BlockStore::PinnedBlocks p = store.PinPrefix("m", {Hash(k)});
    if (!p.empty()) {
      EXPECT_EQ(p.data(0), content(Hash(k)));
    }
  }
}

}  // namespace
}  // namespace weft::kvcache
