// Groups the (token, expert) pairs of a routed batch by expert, on the GPU
// and without a host round trip: per-expert row offsets, the source token of
// each grouped row, and where each pair's result lands. The grouped expert
// GEMMs read their rows through this map (no copy of the hidden states).
#ifndef WEFT_KERNELS_CUDA_MOE_PERMUTE_H_
#define WEFT_KERNELS_CUDA_MOE_PERMUTE_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace weft::kernels::gpu {

struct MoePermuteParams {
  const int32_t* ids = nullptr;  // [tokens, top_k] expert ids, each in [0, num_experts)
  int64_t tokens = 0;
  int32_t top_k = 0;
  int32_t num_experts = 0;
  // Outputs (device):
  int32_t* expert_offsets = nullptr;  // [num_experts + 1]: expert e owns rows [off[e], off[e+1])
  int32_t* row_token = nullptr;       // [tokens * top_k]: source token of each grouped row
  int32_t* pair_row = nullptr;  // [tokens * top_k]: grouped row of pair (t, j) at t * top_k + j
  // Scratch of at least MoePermuteWorkspaceBytes(num_experts, tokens * top_k) bytes.
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

size_t MoePermuteWorkspaceBytes(int32_t num_experts, int64_t pairs);

// Within an expert, rows are in increasing (token, j) order, so the result
// is deterministic. tokens * top_k must fit in int32; num_experts <= 8192.
// tokens == 0 zeroes expert_offsets. An id outside [0, num_experts) gets no
// row (pair_row -1; off[num_experts] counts only the others). Three kernels
// on `stream`, no host synchronization.
cudaError_t LaunchMoePermute(const MoePermuteParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_MOE_PERMUTE_H_
