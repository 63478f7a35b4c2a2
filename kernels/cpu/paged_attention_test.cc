// Paged attention against a float64 reference over contiguous K/V, with
// scattered blocks, GQA, chunked prefill (queries in the middle of the
// context), decode, empty contexts and the MLA latent layout.
#include "kernels/cpu/paged_attention.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/test_util.h"

namespace weft::kernels::cpu {
namespace {

using test_util::RandomVector;
using test_util::RelativeError;

struct Case {
  int32_t num_heads, num_kv_heads, head_dim, v_head_dim, block_size;
  std::vector<int32_t> seq_lens;  // tokens cached per sequence
};

void RunCase(const Case& c, uint32_t seed) {
  const int32_t num_seqs = static_cast<int32_t>(c.seq_lens.size());
  const int32_t max_len = *std::max_element(c.seq_lens.begin(), c.seq_lens.end());
  const int32_t max_blocks = (max_len + c.block_size - 1) / c.block_size;
  const int32_t num_blocks = num_seqs * max_blocks + 3;
  // Scatter: every sequence's blocks at shuffled pool positions.
  std::vector<int32_t> pool(num_blocks);
  std::iota(pool.begin(), pool.end(), 0);
  std::shuffle(pool.begin(), pool.end(), std::mt19937(seed));
  std::vector<int32_t> tables(num_seqs * max_blocks, -1);
  for (int32_t s = 0, next = 0; s < num_seqs; ++s) {
    for (int32_t b = 0; b < (c.seq_lens[s] + c.block_size - 1) / c.block_size; ++b) {
      tables[s * max_blocks + b] = pool[next++];
    }
  }
  const int64_t slots = static_cast<int64_t>(num_blocks) * c.block_size;
  std::vector<float> k_cache(slots * c.num_kv_heads * c.head_dim, NAN);
  std::vector<float> v_cache(slots * c.num_kv_heads * c.v_head_dim, NAN);
  PagedKvCache cache{.k = k_cache.data(),
                     .v = v_cache.data(),
                     .k_slot_stride = c.num_kv_heads * c.head_dim,
                     .k_head_stride = c.head_dim,
                     .v_slot_stride = c.num_kv_heads * c.v_head_dim,
                     .v_head_stride = c.v_head_dim,
                     .block_size = c.block_size,
                     .num_kv_heads = c.num_kv_heads,
                     .head_dim = c.head_dim,
                     .v_head_dim = c.v_head_dim};
  // Contiguous reference K/V per sequence, written into the cache by WriteKv.
  std::vector<std::vector<float>> ks(num_seqs), vs(num_seqs);
  for (int32_t s = 0; s < num_seqs; ++s) {
    const int32_t n = c.seq_lens[s];
    ks[s] = RandomVector(static_cast<size_t>(n) * c.num_kv_heads * c.head_dim, seed + 10 + s);
    vs[s] = RandomVector(static_cast<size_t>(n) * c.num_kv_heads * c.v_head_dim, seed + 50 + s);
    std::vector<int64_t> slot(n);
    for (int32_t j = 0; j < n; ++j) {
      slot[j] = static_cast<int64_t>(tables[s * max_blocks + j / c.block_size]) * c.block_size +
                j % c.block_size;
    }
    WriteKv(cache, ks[s].data(), vs[s].data(), slot.data(), n);
  }
  // Queries: per sequence, its last 3 positions (chunked prefill / decode)
  // plus one query seeing nothing.
  std::vector<int32_t> seq_of, ctx;
  for (int32_t s = 0; s < num_seqs; ++s) {
    for (int32_t j = std::max(0, c.seq_lens[s] - 3); j < c.seq_lens[s]; ++j) {
      seq_of.push_back(s);
      ctx.push_back(j + 1);
    }
  }
  seq_of.push_back(0);
  ctx.push_back(0);
  const int64_t tokens = static_cast<int64_t>(seq_of.size());
  auto q = RandomVector(tokens * c.num_heads * c.head_dim, seed + 99);
  std::vector<float> out(tokens * c.num_heads * c.v_head_dim, NAN);
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  PagedAttention(cache, {.q = q.data(),
                         .out = out.data(),
                         .tokens = tokens,
                         .num_heads = c.num_heads,
                         .scale = scale,
                         .sequence_of_token = seq_of.data(),
                         .context_len = ctx.data(),
                         .block_tables = tables.data(),
                         .max_blocks_per_sequence = max_blocks});
  std::vector<double> ref(out.size(), 0.0);
  const int32_t group = c.num_heads / c.num_kv_heads;
  for (int64_t t = 0; t < tokens; ++t) {
    const int32_t s = seq_of[t];
    for (int32_t h = 0; h < c.num_heads; ++h) {
      const int32_t kvh = h / group;
      std::vector<double> w(ctx[t]);
      double max = -INFINITY, sum = 0;
      for (int32_t j = 0; j < ctx[t]; ++j) {
        double dot = 0;
        for (int32_t d = 0; d < c.head_dim; ++d) {
          dot += double{q[(t * c.num_heads + h) * c.head_dim + d]} *
                 ks[s][(j * c.num_kv_heads + kvh) * c.head_dim + d];
        }
        w[j] = dot * scale;
        max = std::max(max, w[j]);
      }
      for (double& x : w) sum += (x = std::exp(x - max));
      for (int32_t j = 0; j < ctx[t]; ++j) {
        for (int32_t d = 0; d < c.v_head_dim; ++d) {
          ref[(t * c.num_heads + h) * c.v_head_dim + d] +=
              w[j] / sum * vs[s][(j * c.num_kv_heads + kvh) * c.v_head_dim + d];
        }
      }
    }
  }
  EXPECT_LT(RelativeError(out, ref), 1e-5);
  for (int32_t i = 0; i < c.num_heads * c.v_head_dim; ++i) {
    EXPECT_EQ(out[(tokens - 1) * c.num_heads * c.v_head_dim + i], 0.0f);  // empty context
  }
}

TEST(PagedAttention, MultiHead) { RunCase({4, 4, 16, 16, 4, {1, 9, 16}}, 1); }
TEST(PagedAttention, GroupedQuery) { RunCase({8, 2, 32, 32, 16, {5, 37, 64, 100}}, 2); }
TEST(PagedAttention, MultiQueryOddBlocks) { RunCase({6, 1, 24, 8, 3, {2, 11}}, 3); }
TEST(PagedAttention, LongContext) { RunCase({2, 1, 8, 8, 16, {3000}}, 4); }

// MLA, weight-absorbed: one latent "head" per slot, [latent (kv_lora) | rope],
// K = the whole row, V = its latent prefix, both read from the same memory.
TEST(PagedAttention, MlaLatentCacheSharesKAndV) {
  const int32_t kv_lora = 12, rope = 4, block = 4, n = 10, heads = 3;
  const int32_t row = kv_lora + rope;
  std::vector<float> latent_cache(4 * block * row);
  auto rows = RandomVector(static_cast<size_t>(n) * row, 7);
  const std::vector<int32_t> table = {2, 0, 3};
  PagedKvCache cache{.k = latent_cache.data(),
                     .v = latent_cache.data(),
                     .k_slot_stride = row,
                     .k_head_stride = 0,
                     .v_slot_stride = row,
                     .v_head_stride = 0,
                     .block_size = block,
                     .num_kv_heads = 1,
                     .head_dim = row,
                     .v_head_dim = kv_lora};
  std::vector<int64_t> slots(n);
  for (int32_t j = 0; j < n; ++j) slots[j] = int64_t{table[j / block]} * block + j % block;
  WriteKv(cache, rows.data(), nullptr, slots.data(), n);
  auto q = RandomVector(heads * row, 8);
  std::vector<float> out(heads * kv_lora);
  const int32_t seq = 0, ctx = n;
  PagedAttention(cache, {.q = q.data(),
                         .out = out.data(),
                         .tokens = 1,
                         .num_heads = heads,
                         .scale = 0.3f,
                         .sequence_of_token = &seq,
                         .context_len = &ctx,
                         .block_tables = table.data(),
                         .max_blocks_per_sequence = 3});
  std::vector<double> ref(heads * kv_lora, 0.0);
  for (int32_t h = 0; h < heads; ++h) {
    std::vector<double> w(n);
    double sum = 0;
    for (int32_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int32_t d = 0; d < row; ++d) dot += double{q[h * row + d]} * rows[j * row + d];
      sum += (w[j] = std::exp(dot * 0.3));
    }
    for (int32_t j = 0; j < n; ++j) {
      for (int32_t d = 0; d < kv_lora; ++d) ref[h * kv_lora + d] += w[j] / sum * rows[j * row + d];
    }
  }
  EXPECT_LT(RelativeError(out, ref), 1e-5);
}

}  // namespace
}  // namespace weft::kernels::cpu
