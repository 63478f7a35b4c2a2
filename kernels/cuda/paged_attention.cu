#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/paged_attention.cuh"
#include "kernels/cuda/paged_attention.h"
#include "kernels/cuda/paged_attention_generic.cuh"

namespace weft::kernels::gpu {
namespace {

// The split along the sequence. Each block covers up to 8 query heads of one
// token, so tokens * ceil(num_heads / 8) estimates the blocks without a
// split (exact for GQA groups of 8 and for MLA). Below kTargetBlocks (about
// four waves of two blocks on each of the H200's 132 SMs) the context is cut
// into partitions of at least kMinPartition keys, enough to reach the target.
// A function of the arguments of PagedAttentionWorkspaceBytes only, so the
// workspace and the launch agree.
constexpr int64_t kTargetBlocks = 1024;
constexpr int32_t kMinPartition = 512;
constexpr int32_t kPartitionAlign = device::kTileKeys * device::kAttentionWarps;

struct Split {
  int32_t partitions = 1;
  int32_t partition_size = 0;  // keys, a multiple of kPartitionAlign, when partitions > 1
};

Split ChooseSplit(int64_t tokens, int32_t num_heads, int32_t max_context_len) {
  Split split;
  if (tokens <= 0 || num_heads <= 0 || max_context_len < 2 * kMinPartition) return split;
  const int64_t blocks =
      tokens * ((int64_t{num_heads} + device::kHeadsPerBlock - 1) / device::kHeadsPerBlock);
  if (blocks >= kTargetBlocks) return split;
  const int64_t wanted = (kTargetBlocks + blocks - 1) / blocks;
  const int64_t parts = std::min<int64_t>(wanted, max_context_len / kMinPartition);
  if (parts <= 1) return split;
  const int64_t per_part = (max_context_len + parts - 1) / parts;
  split.partition_size =
      static_cast<int32_t>((per_part + kPartitionAlign - 1) / kPartitionAlign * kPartitionAlign);
  split.partitions =
      static_cast<int32_t>((max_context_len + split.partition_size - 1) / split.partition_size);
  if (split.partitions <= 1) split = Split{};
  return split;
}

size_t WorkspaceBytes(int64_t tokens, int32_t num_heads, int32_t v_head_dim, const Split& split) {
  if (split.partitions <= 1) return 0;
  return static_cast<size_t>(tokens) * static_cast<size_t>(num_heads) *
         static_cast<size_t>(split.partitions) * (static_cast<size_t>(v_head_dim) + 2) *
         sizeof(float);
}

bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Latent rows the tuned kernel has an instantiation for, and those the
// plain kernel takes (paged_attention_generic.cuh's limits).
bool TunedLatent(int32_t d, int32_t dv) { return d == 576 && dv == 512; }
bool PlainLatent(int32_t d, int32_t dv) {
  return dv > 0 && dv < d && d % 8 == 0 && dv % 8 == 0 && d <= device::kGenericMaxHeadDim &&
         dv <= device::kGenericMaxVHeadDim;
}

template <int kD, int kDv, bool kVInK>
cudaError_t Launch(device::AttentionArgs a, int64_t tokens, int32_t num_kv_heads,
                   cudaStream_t stream) {
  using Config = device::AttentionConfig<kD, kDv, kVInK>;
  // The joint (prefill) path: runs of kJointRows / group tokens, when the
  // instantiation has it and a block covers the whole group.
  a.joint_tokens =
      Config::kJoint && a.group <= device::kHeadsPerBlock ? device::kJointRows / a.group : 1;
  auto* kernel = device::PagedAttentionKernel<kD, kDv, kVInK>;
  constexpr int kShared = Config::kSharedBytes;
  if constexpr (kShared > 48 * 1024) {
    if (cudaError_t e =
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kShared);
        e != cudaSuccess) {
      return e;
    }
  }
  const dim3 grid(static_cast<unsigned>(tokens * a.head_chunks * num_kv_heads), 1,
                  static_cast<unsigned>(a.partitions));
  WEFT_RETURN_IF_LAUNCH_FAILED(
      LaunchKernel(kernel, grid, device::kAttentionThreads, kShared, stream, a));
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  if (a.partitions == 1) return cudaSuccess;
  device::MergeArgs m;
  m.partial_o = a.partial_o;
  m.partial_ml = a.partial_ml;
  m.context_len = a.context_len;
  m.out = a.out;
  m.rows = tokens * a.num_heads;
  m.num_heads = a.num_heads;
  m.partitions = a.partitions;
  m.partition_size = a.partition_size;
  const int64_t blocks = (m.rows + device::kMergeWarps - 1) / device::kMergeWarps;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::MergePartitionsKernel<kDv>,
                                            static_cast<unsigned>(blocks),
                                            device::kMergeWarps * device::kWarpSize, 0, stream, m));
  return cudaGetLastError();
}

// Launch<d, d> for the first of kDims equal to `d`; InvalidValue for none.
template <int... kDims>
cudaError_t LaunchHeadDim(int32_t d, const device::AttentionArgs& a, int64_t tokens,
                          int32_t num_kv_heads, cudaStream_t stream) {
  cudaError_t result = cudaErrorInvalidValue;
  ((d == kDims &&
    ((result = Launch<kDims, kDims, false>(a, tokens, num_kv_heads, stream)), true)) ||
   ...);
  return result;
}

}  // namespace

size_t PagedAttentionWorkspaceBytes(int64_t tokens, int32_t num_heads, int32_t v_head_dim,
                                    int32_t max_context_len) {
  if (v_head_dim <= 0) return 0;
  return WorkspaceBytes(tokens, num_heads, v_head_dim,
                        ChooseSplit(tokens, num_heads, max_context_len));
}

cudaError_t LaunchPagedAttention(const PagedKvCacheView& cache, const PagedAttentionParams& p,
                                 cudaStream_t stream) {
  const int32_t d = cache.head_dim, dv = cache.v_head_dim;
  const bool v_in_k = cache.v == cache.k && cache.v_slot_stride == cache.k_slot_stride &&
                      cache.v_head_stride == cache.k_head_stride;
  const bool standard = d == dv && d % 32 == 0 && d >= 32 && d <= 256;
  const bool latent = TunedLatent(d, dv) && v_in_k;
  // Other latent rows (one KV head, V a prefix of K) take the plain kernel.
  const bool generic =
      !standard && !latent && v_in_k && cache.num_kv_heads == 1 && PlainLatent(d, dv);
  if (!standard && !latent && !generic) return cudaErrorInvalidValue;
  if (p.tokens < 0 || cache.num_kv_heads <= 0 || p.num_heads <= 0 ||
      p.num_heads % cache.num_kv_heads != 0 || cache.block_size <= 0 ||
      p.max_blocks_per_sequence <= 0 || p.max_context_len < 0 ||
      p.q_token_stride < int64_t{p.num_heads} * d || cache.k_slot_stride <= 0 ||
      cache.v_slot_stride <= 0 || cache.k_head_stride < 0 || cache.v_head_stride < 0) {
    return cudaErrorInvalidValue;
  }
  if (p.tokens == 0) return cudaSuccess;
  if (p.q == nullptr || p.out == nullptr || cache.k == nullptr || cache.v == nullptr ||
      p.sequence_of_token == nullptr || p.context_len == nullptr || p.block_tables == nullptr) {
    return cudaErrorInvalidValue;
  }
  // The cache is read with 16-byte copies.
  if (!Aligned16(cache.k) || !Aligned16(cache.v) || cache.k_slot_stride % 8 != 0 ||
      cache.k_head_stride % 8 != 0 || cache.v_slot_stride % 8 != 0 ||
      cache.v_head_stride % 8 != 0) {
    return cudaErrorInvalidValue;
  }
  device::AttentionArgs a;
  a.group = p.num_heads / cache.num_kv_heads;
  a.head_chunks = (a.group + device::kHeadsPerBlock - 1) / device::kHeadsPerBlock;
  // The plain kernel runs unsplit: it needs no workspace.
  const Split split = generic ? Split{} : ChooseSplit(p.tokens, p.num_heads, p.max_context_len);
  if (p.tokens * a.head_chunks * cache.num_kv_heads > std::numeric_limits<int32_t>::max() ||
      split.partitions > 65535) {
    return cudaErrorInvalidValue;
  }
  a.partitions = split.partitions;
  a.partition_size = split.partition_size;
  if (split.partitions > 1) {
    const size_t needed = WorkspaceBytes(p.tokens, p.num_heads, dv, split);
    if (p.workspace == nullptr || p.workspace_bytes < needed || !Aligned16(p.workspace)) {
      return cudaErrorInvalidValue;
    }
    a.partial_o = static_cast<float*>(p.workspace);
    a.partial_ml = a.partial_o + p.tokens * p.num_heads * split.partitions * int64_t{dv};
  }
  a.q = p.q;
  a.q_token_stride = p.q_token_stride;
  a.out = p.out;
  a.tokens = p.tokens;
  a.k = cache.k;
  a.v = cache.v;
  a.k_slot_stride = cache.k_slot_stride;
  a.k_head_stride = cache.k_head_stride;
  a.v_slot_stride = cache.v_slot_stride;
  a.v_head_stride = cache.v_head_stride;
  a.sequence_of_token = p.sequence_of_token;
  a.context_len = p.context_len;
  a.block_tables = p.block_tables;
  a.max_blocks_per_sequence = p.max_blocks_per_sequence;
  a.block_size = cache.block_size;
  a.tile_in_one_block = cache.block_size % device::kTileKeys == 0;
  a.q_aligned = Aligned16(p.q) && p.q_token_stride % 8 == 0;
  a.out_aligned = Aligned16(p.out);
  a.num_heads = p.num_heads;
  a.num_kv_heads = cache.num_kv_heads;
  a.scale_log2 = p.scale * device::kLog2e;

  const int64_t t = p.tokens;
  const int32_t h = cache.num_kv_heads;
  if (generic) {
    if (t * p.num_heads > std::numeric_limits<int32_t>::max()) return cudaErrorInvalidValue;
    WEFT_RETURN_IF_LAUNCH_FAILED(
        LaunchKernel(device::GenericPagedAttentionKernel, static_cast<unsigned>(t * p.num_heads),
                     device::kGenericWarps * device::kWarpSize, 0, stream, a, d, dv));
    return cudaGetLastError();
  }
  if (latent) return Launch<576, 512, true>(a, t, h, stream);
  return LaunchHeadDim<32, 64, 96, 128, 160, 192, 224, 256>(d, a, t, h, stream);
}

bool SupportsLatentRows(int32_t head_dim, int32_t v_head_dim) {
  return TunedLatent(head_dim, v_head_dim) || PlainLatent(head_dim, v_head_dim);
}

cudaError_t LaunchWriteKv(const PagedKvCacheView& cache, const WriteKvParams& p,
                          cudaStream_t stream) {
  if (p.tokens < 0 || cache.num_kv_heads <= 0 || cache.head_dim <= 0 ||
      (p.v_new != nullptr && cache.v_head_dim <= 0)) {
    return cudaErrorInvalidValue;
  }
  if (p.tokens == 0) return cudaSuccess;
  if (p.k_new == nullptr || p.slots == nullptr || cache.k == nullptr ||
      (p.v_new != nullptr && cache.v == nullptr)) {
    return cudaErrorInvalidValue;
  }
  device::WriteKvArgs a;
  a.k_new = p.k_new;
  a.k_token_stride = p.k_token_stride;
  a.v_new = p.v_new;
  a.v_token_stride = p.v_token_stride;
  a.slots = p.slots;
  a.tokens = p.tokens;
  a.k = cache.k;
  a.v = cache.v;
  a.k_slot_stride = cache.k_slot_stride;
  a.k_head_stride = cache.k_head_stride;
  a.v_slot_stride = cache.v_slot_stride;
  a.v_head_stride = cache.v_head_stride;
  a.num_kv_heads = cache.num_kv_heads;
  a.head_dim = cache.head_dim;
  a.v_head_dim = cache.v_head_dim;
  const bool k_vec = Aligned16(p.k_new) && Aligned16(cache.k) && p.k_token_stride % 8 == 0 &&
                     cache.head_dim % 8 == 0 && cache.k_slot_stride % 8 == 0 &&
                     cache.k_head_stride % 8 == 0;
  const bool v_vec =
      p.v_new == nullptr ||
      (Aligned16(p.v_new) && Aligned16(cache.v) && p.v_token_stride % 8 == 0 &&
       cache.v_head_dim % 8 == 0 && cache.v_slot_stride % 8 == 0 && cache.v_head_stride % 8 == 0);
  const int vec = k_vec && v_vec ? 8 : 1;
  const int64_t per_token = int64_t{cache.num_kv_heads} *
                            (cache.head_dim + (p.v_new != nullptr ? cache.v_head_dim : 0)) / vec;
  constexpr int kThreads = 256;
  constexpr int64_t kMaxBlocks = 8192;  // grid-stride beyond this
  const int64_t blocks =
      std::min<int64_t>((p.tokens * per_token + kThreads - 1) / kThreads, kMaxBlocks);
  if (vec == 8) {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(
        device::WriteKvKernel<8>, static_cast<unsigned>(blocks), kThreads, 0, stream, a));
  } else {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(
        device::WriteKvKernel<1>, static_cast<unsigned>(blocks), kThreads, 0, stream, a));
  }
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
