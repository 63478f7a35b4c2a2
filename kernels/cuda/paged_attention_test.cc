// The CUDA paged attention and KV write against the CPU backend
// (kernels/cpu/paged_attention.h) on fresh random bf16 inputs: the CPU runs
// on the same bf16-rounded values as floats, and the GPU's bf16 output must
// be within ||out - ref|| / ||ref|| <= 1e-2 of it. Covers decode with GQA,
// MHA and MQA, head sizes 32..256 and MLA's 576/512 latent layout, block
// sizes 1..64 with shuffled block tables, long contexts that split along the
// sequence, chunked prefill mixed with decode, empty contexts, strided and
// unaligned queries and outputs, and invalid arguments.
#include "kernels/cpu/paged_attention.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"
#include "kernels/cuda/paged_attention.h"

namespace weft::kernels::gpu {
namespace {

using testing::DeviceArray;
using testing::ExpectRejected;
using testing::Random;
using testing::RelativeError;
using testing::RoundBf16;
using testing::ToBf16;
using testing::ToFloat;

constexpr double kTolerance = 1e-2;

struct Case {
  int32_t num_heads = 32;
  int32_t num_kv_heads = 4;
  int32_t head_dim = 128;
  int32_t v_head_dim = 128;
  bool latent = false;  // MLA: V is the first v_head_dim elements of each K row
  int32_t block_size = 16;
  std::vector<int32_t> seq_lens;                     // tokens cached per sequence
  std::vector<std::pair<int32_t, int32_t>> queries;  // per query token: (sequence, context_len)
  int64_t q_extra = 0;     // q_token_stride = num_heads * head_dim + q_extra (fused qkv rows)
  int64_t q_offset = 0;    // elements: q starts this far into its buffer (unaligned when odd)
  int64_t out_offset = 0;  // likewise for out
  uint32_t seed = 1;
  bool expect_split = false;  // the case must split (PagedAttentionWorkspaceBytes > 0)
};

void RunCase(const Case& c) {
  SCOPED_TRACE(::testing::Message()
               << "heads " << c.num_heads << "/" << c.num_kv_heads << " d " << c.head_dim << "/"
               << c.v_head_dim << (c.latent ? " latent" : "") << " block " << c.block_size
               << " tokens " << c.queries.size());
  const int32_t bs = c.block_size;
  int32_t max_blocks = 1;
  for (int32_t len : c.seq_lens) max_blocks = std::max(max_blocks, (len + bs - 1) / bs);
  const int32_t seqs = static_cast<int32_t>(c.seq_lens.size());
  // Blocks scattered over a pool with spare blocks, in shuffled order.
  const int32_t num_blocks = seqs * max_blocks + 5;
  std::vector<int32_t> perm(num_blocks);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(c.seed + 100));
  std::vector<int32_t> tables(static_cast<size_t>(seqs) * max_blocks);
  for (size_t i = 0; i < tables.size(); ++i) tables[i] = perm[i];

  const int64_t slots = int64_t{num_blocks} * bs;
  const int64_t k_slot = int64_t{c.num_kv_heads} * c.head_dim;
  const int64_t v_slot = c.latent ? 0 : int64_t{c.num_kv_heads} * c.v_head_dim;
  const std::vector<float> k_cache = RoundBf16(Random(slots * k_slot, c.seed + 1));
  const std::vector<float> v_cache =
      RoundBf16(Random(std::max<int64_t>(1, slots * v_slot), c.seed + 2));
  const int64_t tokens = static_cast<int64_t>(c.queries.size());
  const int64_t q_stride = int64_t{c.num_heads} * c.head_dim + c.q_extra;
  const std::vector<float> q_rows = RoundBf16(Random(tokens * q_stride + c.q_offset, c.seed + 3));
  // The CPU takes dense [tokens, heads, head_dim] queries.
  std::vector<float> q(tokens * c.num_heads * c.head_dim);
  for (int64_t t = 0; t < tokens; ++t) {
    std::copy_n(q_rows.begin() + c.q_offset + t * q_stride, c.num_heads * c.head_dim,
                q.begin() + t * c.num_heads * c.head_dim);
  }
  std::vector<int32_t> seq_of(tokens), ctx(tokens);
  int32_t max_ctx = 0;
  for (int64_t t = 0; t < tokens; ++t) {
    seq_of[t] = c.queries[t].first;
    ctx[t] = c.queries[t].second;
    ASSERT_LE(ctx[t], c.seq_lens[seq_of[t]]);
    max_ctx = std::max(max_ctx, ctx[t]);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));

  cpu::PagedKvCache cpu_cache;
  cpu_cache.k = const_cast<float*>(k_cache.data());
  cpu_cache.v = const_cast<float*>(c.latent ? k_cache.data() : v_cache.data());
  cpu_cache.k_slot_stride = k_slot;
  cpu_cache.k_head_stride = c.head_dim;
  cpu_cache.v_slot_stride = c.latent ? k_slot : v_slot;
  cpu_cache.v_head_stride = c.latent ? c.head_dim : c.v_head_dim;
  cpu_cache.block_size = bs;
  cpu_cache.num_kv_heads = c.num_kv_heads;
  cpu_cache.head_dim = c.head_dim;
  cpu_cache.v_head_dim = c.v_head_dim;
  const int64_t out_size = tokens * c.num_heads * c.v_head_dim;
  std::vector<float> want(out_size);
  cpu::PagedAttentionParams cp;
  cp.q = q.data();
  cp.out = want.data();
  cp.tokens = tokens;
  cp.num_heads = c.num_heads;
  cp.scale = scale;
  cp.sequence_of_token = seq_of.data();
  cp.context_len = ctx.data();
  cp.block_tables = tables.data();
  cp.max_blocks_per_sequence = max_blocks;
  cpu::PagedAttention(cpu_cache, cp);

  DeviceArray<__nv_bfloat16> d_k(ToBf16(k_cache)), d_v(ToBf16(v_cache)), d_q(ToBf16(q_rows));
  // Poisoned output (a large finite bf16 value): every element must be written.
  DeviceArray<__nv_bfloat16> d_out(
      ToBf16(std::vector<float>(static_cast<size_t>(out_size + c.out_offset), 12345.0f)));
  DeviceArray<int32_t> d_seq(seq_of), d_ctx(ctx), d_tables(tables);
  PagedKvCacheView view;
  view.k = d_k.get();
  view.v = c.latent ? d_k.get() : d_v.get();
  view.k_slot_stride = cpu_cache.k_slot_stride;
  view.k_head_stride = cpu_cache.k_head_stride;
  view.v_slot_stride = cpu_cache.v_slot_stride;
  view.v_head_stride = cpu_cache.v_head_stride;
  view.block_size = bs;
  view.num_kv_heads = c.num_kv_heads;
  view.head_dim = c.head_dim;
  view.v_head_dim = c.v_head_dim;
  PagedAttentionParams p;
  p.q = d_q.get() + c.q_offset;
  p.q_token_stride = q_stride;
  p.out = d_out.get() + c.out_offset;
  p.tokens = tokens;
  p.num_heads = c.num_heads;
  p.scale = scale;
  p.sequence_of_token = d_seq.get();
  p.context_len = d_ctx.get();
  p.block_tables = d_tables.get();
  p.max_blocks_per_sequence = max_blocks;
  p.max_context_len = max_ctx;
  const size_t ws = PagedAttentionWorkspaceBytes(tokens, c.num_heads, c.v_head_dim, max_ctx);
  if (c.expect_split) {
    EXPECT_GT(ws, 0u) << "expected a split along the sequence";
  }
  DeviceArray<char> d_ws(std::max<size_t>(ws, 16));
  if (ws > 0) {
    p.workspace = nullptr;
    p.workspace_bytes = 0;
    EXPECT_EQ(LaunchPagedAttention(view, p, nullptr), cudaErrorInvalidValue);
    p.workspace = d_ws.get();
    p.workspace_bytes = ws - 1;
    EXPECT_EQ(LaunchPagedAttention(view, p, nullptr), cudaErrorInvalidValue);
  }
  p.workspace = ws > 0 ? d_ws.get() : nullptr;
  p.workspace_bytes = ws;
  ASSERT_CUDA_OK(LaunchPagedAttention(view, p, nullptr));
  ASSERT_CUDA_OK(cudaDeviceSynchronize());
  const std::vector<float> all = ToFloat(d_out.Download());
  const std::vector<float> out(all.begin() + c.out_offset, all.end());
  const float poison = ToFloat(ToBf16({12345.0f}))[0];
  for (int64_t i = 0; i < c.out_offset; ++i) ASSERT_EQ(all[i], poison) << "wrote before out";
  for (float x : out) ASSERT_TRUE(std::isfinite(x) && std::fabs(x) < 1000.0f) << x;
  const double err = RelativeError(out, want);
  EXPECT_LE(err, kTolerance);
  // Per token too, so that one small token is not hidden by the others.
  const int64_t row = int64_t{c.num_heads} * c.v_head_dim;
  for (int64_t t = 0; t < tokens; ++t) {
    const std::vector<float> o(out.begin() + t * row, out.begin() + (t + 1) * row);
    const std::vector<float> w(want.begin() + t * row, want.begin() + (t + 1) * row);
    if (ctx[t] == 0) {
      for (int64_t i = 0; i < row; ++i) ASSERT_EQ(o[i], 0.0f) << "token " << t << " at " << i;
    } else {
      EXPECT_LE(RelativeError(o, w), kTolerance) << "token " << t << " context " << ctx[t];
    }
  }
}

// One decode token per sequence.
Case Decode(int32_t heads, int32_t kv_heads, int32_t d, int32_t block_size,
            std::vector<int32_t> lens) {
  Case c;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.head_dim = c.v_head_dim = d;
  c.block_size = block_size;
  c.seq_lens = lens;
  for (size_t s = 0; s < lens.size(); ++s) c.queries.push_back({static_cast<int32_t>(s), lens[s]});
  return c;
}

TEST(PagedAttentionTest, DecodeGqaGroup8) {
  for (int32_t d : {64, 128, 256}) {
    for (int32_t bs : {16, 64}) RunCase(Decode(32, 4, d, bs, {1, 17, 1000, 64, 63}));
  }
}

TEST(PagedAttentionTest, DecodeOtherHeadSizes) {
  for (int32_t d : {32, 96, 160, 192, 224}) RunCase(Decode(32, 4, d, 16, {1, 17, 1000}));
  RunCase(Decode(4, 2, 32, 16, {40, 3}));  // the tiny-llama fixture's shape
}

TEST(PagedAttentionTest, DecodeMhaMqaAndOtherGroups) {
  RunCase(Decode(8, 8, 128, 16, {1, 17, 1000}));   // MHA: group 1
  RunCase(Decode(8, 8, 64, 64, {300, 65}));        // MHA, block 64
  RunCase(Decode(16, 1, 128, 16, {129, 1, 777}));  // MQA: 16 heads in two head chunks
  RunCase(Decode(8, 1, 128, 64, {200}));           // MQA, one chunk
  RunCase(Decode(32, 8, 128, 16, {1, 17, 1000}));  // group 4
  RunCase(Decode(24, 2, 128, 16, {1, 17, 1000}));  // group 12: chunks of 8 and 4
  RunCase(Decode(40, 1, 64, 16, {33, 500}));       // group 40: five chunks
}

TEST(PagedAttentionTest, BlockSizesThatSplitATile) {
  // Tiles of 16 keys span several blocks: slots are looked up per key.
  for (int32_t bs : {1, 5, 8, 24}) RunCase(Decode(32, 4, 128, bs, {1, 17, 1000, 33}));
}

TEST(PagedAttentionTest, LongContextSplitsAlongTheSequence) {
  Case c = Decode(32, 4, 128, 16, {32768, 5000, 1, 0});
  c.expect_split = true;
  RunCase(c);
  c = Decode(32, 4, 128, 64, {2049, 3});
  c.expect_split = true;
  RunCase(c);
  // Split with a tile-splitting block size and a non-multiple-of-8 group.
  c = Decode(24, 2, 64, 24, {4097, 1500});
  c.expect_split = true;
  RunCase(c);
}

TEST(PagedAttentionTest, ChunkedPrefillWithCachedPrefixMixedWithDecode) {
  Case c;
  c.seq_lens = {70, 33, 40, 1030};
  // Sequence 0: a chunk at positions 50..69 over a cached prefix of 50.
  for (int32_t pos = 50; pos < 70; ++pos) c.queries.push_back({0, pos + 1});
  c.queries.push_back({1, 33});  // a decode token
  c.queries.push_back({1, 0});   // nothing to attend to: zeros
  // Sequence 2: a whole prompt, causal.
  for (int32_t pos = 0; pos < 40; ++pos) c.queries.push_back({2, pos + 1});
  // Sequence 3: a chunk deep into a long prefix.
  for (int32_t pos = 1000; pos < 1030; ++pos) c.queries.push_back({3, pos + 1});
  RunCase(c);
  c.block_size = 64;
  c.seed = 7;
  RunCase(c);
}

// Causal prompts: every position of each sequence is a query token, after
// `cached` tokens already in the cache.
Case Prefill(int32_t heads, int32_t kv_heads, int32_t d, int32_t block_size,
             std::vector<int32_t> lens, int32_t cached = 0) {
  Case c;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.head_dim = c.v_head_dim = d;
  c.block_size = block_size;
  for (size_t s = 0; s < lens.size(); ++s) {
    c.seq_lens.push_back(cached + lens[s]);
    for (int32_t pos = cached; pos < cached + lens[s]; ++pos) {
      c.queries.push_back({static_cast<int32_t>(s), pos + 1});
    }
  }
  return c;
}

TEST(PagedAttentionTest, CausalPrefill) {
  // Runs of 64 / group tokens of one sequence take the joint path; runs that
  // straddle two sequences or the end of the batch take the per-token path.
  RunCase(Prefill(32, 4, 128, 16, {100, 37}));  // group 8: runs of 8 tokens
  RunCase(Prefill(32, 4, 64, 64, {77}));
  RunCase(Prefill(32, 8, 128, 16, {50, 50}));  // group 4: runs of 16
  RunCase(Prefill(8, 8, 64, 16, {130}));       // group 1: runs of 64
  RunCase(Prefill(12, 4, 32, 16, {70}));       // group 3: runs of 21 (63 rows)
  RunCase(Prefill(32, 4, 128, 5, {60}));       // blocks of 5: slots looked up per key
  RunCase(Prefill(32, 4, 256, 16, {20}));      // head_dim 256: per-token path only
}

TEST(PagedAttentionTest, PrefillChunkOverALongPrefixSplits) {
  Case c = Prefill(32, 4, 128, 16, {64}, 4000);
  c.expect_split = true;
  RunCase(c);
}

TEST(PagedAttentionTest, StridedAndUnalignedQueriesAndOutputs) {
  Case c = Decode(32, 4, 128, 16, {1, 17, 1000});
  c.q_extra = 2 * 4 * 128;  // q rows of a fused qkv projection
  RunCase(c);
  c.q_offset = 1;  // 2-byte aligned q: element loads
  c.out_offset = 3;
  c.q_extra = 3;  // odd token stride
  RunCase(c);
}

TEST(PagedAttentionTest, MlaLatentCache) {
  Case c = Decode(16, 1, 576, 16, {1, 200, 1500});
  c.v_head_dim = 512;
  c.latent = true;
  RunCase(c);
  c = Decode(128, 1, 576, 64, {1, 33});
  c.v_head_dim = 512;
  c.latent = true;
  RunCase(c);
  c = Decode(16, 1, 576, 16, {9000});
  c.v_head_dim = 512;
  c.latent = true;
  c.expect_split = true;
  RunCase(c);
}

// Latent rows of other sizes (the tiny DeepSeek fixture's 32 + 16) run the
// plain kernel: decode, a causal prompt, and a long context.
TEST(PagedAttentionTest, SmallLatentRowsTakeThePlainKernel) {
  Case c = Decode(4, 1, 48, 16, {1, 7, 300});
  c.v_head_dim = 32;
  c.latent = true;
  RunCase(c);
  c = Prefill(4, 1, 48, 4, {19, 5});
  c.v_head_dim = 32;
  c.latent = true;
  RunCase(c);
  c = Decode(16, 1, 96, 16, {0, 3000});
  c.seq_lens[0] = 1;
  c.v_head_dim = 64;
  c.latent = true;
  RunCase(c);
}

TEST(PagedAttentionTest, AllContextsEmpty) {
  Case c = Decode(32, 4, 128, 16, {0, 0});
  c.seq_lens = {1, 1};
  RunCase(c);
}

TEST(PagedAttentionTest, RejectsBadArguments) {
  DeviceArray<__nv_bfloat16> buf(1 << 16);
  DeviceArray<int32_t> ints(16);
  PagedKvCacheView view;
  view.k = view.v = buf.get();
  view.num_kv_heads = 4;
  view.head_dim = view.v_head_dim = 128;
  view.k_slot_stride = view.v_slot_stride = 4 * 128;
  view.k_head_stride = view.v_head_stride = 128;
  view.block_size = 16;
  PagedAttentionParams p;
  p.q = buf.get();
  p.out = buf.get() + 8192;
  p.tokens = 1;
  p.num_heads = 8;
  p.q_token_stride = 8 * 128;
  p.sequence_of_token = p.context_len = p.block_tables = ints.get();
  p.max_blocks_per_sequence = 1;
  p.max_context_len = 0;
  p.scale = 1.0f;
  ASSERT_CUDA_OK(LaunchPagedAttention(view, p, nullptr));  // the base case is fine
  ASSERT_CUDA_OK(cudaDeviceSynchronize());
  auto expect_invalid = [&](PagedKvCacheView v, PagedAttentionParams q, const char* what) {
    EXPECT_EQ(LaunchPagedAttention(v, q, nullptr), cudaErrorInvalidValue) << what;
  };
  ExpectRejected(view,
                 [&](const PagedKvCacheView& v) { return LaunchPagedAttention(v, p, nullptr); },
                 {
                     [](PagedKvCacheView& v) { v.head_dim = v.v_head_dim = 100; },
                     [](PagedKvCacheView& v) { v.head_dim = v.v_head_dim = 288; },
                     [](PagedKvCacheView& v) {  // v_head_dim != head_dim
                       v.head_dim = 128;
                       v.v_head_dim = 64;
                     },
                     [&](PagedKvCacheView& v) { v.k = buf.get() + 1; },  // unaligned K
                     [](PagedKvCacheView& v) { v.block_size = 0; },
                     [](PagedKvCacheView& v) { v.v = nullptr; },
                 });
  {
    PagedKvCacheView v = view;
    v.head_dim = 576;
    v.v_head_dim = 512;
    v.k_slot_stride = v.v_slot_stride = 576;
    v.k_head_stride = v.v_head_stride = 576;
    v.num_kv_heads = 1;
    v.v = buf.get() + 1024;  // MLA needs V inside the K rows
    PagedAttentionParams q = p;
    q.q_token_stride = 8 * 576;
    expect_invalid(v, q, "MLA with a separate V");
    v.v = v.k;
    v.head_dim = 1032;  // the plain kernel's limit is 1024
    v.k_slot_stride = v.v_slot_stride = v.k_head_stride = v.v_head_stride = 1032;
    q.q_token_stride = 8 * 1032;
    expect_invalid(v, q, "latent rows above 1024");
    v.head_dim = 48;
    v.v_head_dim = 44;  // not a multiple of 8
    v.k_slot_stride = v.v_slot_stride = v.k_head_stride = v.v_head_stride = 48;
    q.q_token_stride = 8 * 48;
    expect_invalid(v, q, "latent V of 44");
  }
  ExpectRejected(
      p, [&](const PagedAttentionParams& q) { return LaunchPagedAttention(view, q, nullptr); },
      {
          [](PagedAttentionParams& q) { q.num_heads = 6; },  // not a multiple of the KV heads
          [](PagedAttentionParams& q) { q.q = nullptr; },
          [](PagedAttentionParams& q) { q.out = nullptr; },
          [](PagedAttentionParams& q) { q.block_tables = nullptr; },
          [](PagedAttentionParams& q) { q.tokens = -1; },
          [](PagedAttentionParams& q) { q.q_token_stride = 8 * 128 - 1; },  // q rows overlap
          [](PagedAttentionParams& q) { q.max_context_len = -1; },
      });
  {
    // A split needs a workspace.
    PagedAttentionParams q = p;
    q.max_context_len = 1 << 15;
    ASSERT_GT(PagedAttentionWorkspaceBytes(1, 8, 128, q.max_context_len), 0u);
    expect_invalid(view, q, "no workspace for a split");
  }
  PagedAttentionParams none = p;
  none.tokens = 0;
  none.q = nullptr;
  none.out = nullptr;
  EXPECT_EQ(LaunchPagedAttention(view, none, nullptr), cudaSuccess) << "no tokens: no-op";
}

TEST(PagedAttentionTest, WorkspaceIsDeterministic) {
  EXPECT_EQ(PagedAttentionWorkspaceBytes(256, 32, 128, 2048), 0u);  // enough blocks
  EXPECT_EQ(PagedAttentionWorkspaceBytes(8, 32, 128, 1000), 0u);    // short context
  const size_t a = PagedAttentionWorkspaceBytes(64, 32, 128, 4096);
  EXPECT_GT(a, 0u);
  EXPECT_EQ(a, PagedAttentionWorkspaceBytes(64, 32, 128, 4096));
  EXPECT_EQ(a % (64 * 32 * 130 * sizeof(float)), 0u);
  EXPECT_GT(PagedAttentionWorkspaceBytes(8, 32, 128, 32768), 0u);
}

// WriteKv against the CPU's on a cache of random contents.
void RunWriteKv(int32_t heads, int32_t d, int32_t dv, bool latent, int64_t token_stride_extra,
                int64_t offset) {
  SCOPED_TRACE(::testing::Message()
               << "heads " << heads << " d " << d << "/" << dv << (latent ? " latent" : "")
               << " extra " << token_stride_extra << " offset " << offset);
  const int32_t bs = 16, blocks = 8;
  const int64_t tokens = 6;
  const int64_t k_width = int64_t{heads} * d, v_width = latent ? 0 : int64_t{heads} * dv;
  // Rows as in a fused projection output: [k | v | extra] per token.
  const int64_t width = k_width + v_width + token_stride_extra;
  const std::vector<float> rows = RoundBf16(Random(tokens * width + offset, 3));
  const std::vector<int64_t> slots = {0, 17, 35, 127, 64, -1};  // -1: skipped
  const int64_t k_slot = k_width, v_slot = latent ? k_width : v_width;
  std::vector<float> k = RoundBf16(Random(int64_t{blocks} * bs * k_slot, 4));
  std::vector<float> v = RoundBf16(Random(std::max<int64_t>(1, int64_t{blocks} * bs * v_slot), 5));
  DeviceArray<__nv_bfloat16> d_rows(ToBf16(rows)), d_k(ToBf16(k)), d_v(ToBf16(v));
  DeviceArray<int64_t> d_slots(slots);

  cpu::PagedKvCache cc;
  cc.k = k.data();
  cc.v = latent ? k.data() : v.data();
  cc.k_slot_stride = k_slot;
  cc.v_slot_stride = v_slot;
  cc.k_head_stride = d;
  cc.v_head_stride = latent ? d : dv;
  cc.block_size = bs;
  cc.num_kv_heads = heads;
  cc.head_dim = d;
  cc.v_head_dim = dv;
  std::vector<float> k_new(tokens * k_width), v_new(std::max<int64_t>(1, tokens * v_width));
  for (int64_t t = 0; t < tokens; ++t) {
    std::copy_n(rows.begin() + offset + t * width, k_width, k_new.begin() + t * k_width);
    std::copy_n(rows.begin() + offset + t * width + k_width, v_width, v_new.begin() + t * v_width);
  }
  cpu::WriteKv(cc, k_new.data(), latent ? nullptr : v_new.data(), slots.data(), tokens - 1);

  PagedKvCacheView view;
  view.k = d_k.get();
  view.v = latent ? d_k.get() : d_v.get();
  view.k_slot_stride = cc.k_slot_stride;
  view.v_slot_stride = cc.v_slot_stride;
  view.k_head_stride = cc.k_head_stride;
  view.v_head_stride = cc.v_head_stride;
  view.block_size = bs;
  view.num_kv_heads = heads;
  view.head_dim = d;
  view.v_head_dim = dv;
  WriteKvParams p;
  p.k_new = d_rows.get() + offset;
  p.k_token_stride = width;
  p.v_new = latent ? nullptr : d_rows.get() + offset + k_width;
  p.v_token_stride = width;
  p.slots = d_slots.get();
  p.tokens = tokens;
  ASSERT_CUDA_OK(LaunchWriteKv(view, p, nullptr));
  ASSERT_CUDA_OK(cudaDeviceSynchronize());
  EXPECT_EQ(ToFloat(d_k.Download()), k);
  if (!latent) {
    EXPECT_EQ(ToFloat(d_v.Download()), v);
  }
}

TEST(WriteKvTest, MatchesCpu) {
  RunWriteKv(4, 128, 128, false, 32 * 128, 0);  // GQA rows inside fused qkv: 16-byte copies
  RunWriteKv(2, 64, 64, false, 0, 0);
  RunWriteKv(1, 576, 512, true, 1536, 0);  // MLA: the latent row only
  RunWriteKv(4, 128, 128, false, 3, 1);    // unaligned rows: element copies
  RunWriteKv(2, 48, 32, false, 0, 0);
}

TEST(WriteKvTest, RejectsBadArguments) {
  DeviceArray<__nv_bfloat16> buf(4096);
  DeviceArray<int64_t> slots(4);
  PagedKvCacheView view;
  view.k = view.v = buf.get();
  view.num_kv_heads = 1;
  view.head_dim = view.v_head_dim = 64;
  view.k_slot_stride = view.v_slot_stride = 64;
  view.k_head_stride = view.v_head_stride = 64;
  view.block_size = 16;
  WriteKvParams p;
  p.k_new = buf.get();
  p.k_token_stride = 64;
  p.tokens = 1;
  p.slots = nullptr;
  EXPECT_EQ(LaunchWriteKv(view, p, nullptr), cudaErrorInvalidValue);
  p.slots = slots.get();
  p.tokens = -1;
  EXPECT_EQ(LaunchWriteKv(view, p, nullptr), cudaErrorInvalidValue);
  p.tokens = 0;
  EXPECT_EQ(LaunchWriteKv(view, p, nullptr), cudaSuccess);
}

}  // namespace
}  // namespace weft::kernels::gpu
