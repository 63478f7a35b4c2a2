#include <climits>
#include <cstdint>
#include <cub/device/device_segmented_radix_sort.cuh>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sampling.cuh"
#include "kernels/cuda/sampling.h"

namespace weft::kernels::gpu {
namespace {

constexpr size_t kAlign = 256;

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Where each buffer lives in the workspace.
struct Layout {
  size_t keys = 0, sorted_keys = 0, ids = 0, sorted_ids = 0;
  size_t segment_begin = 0, segment_end = 0, lse = 0, sort_temp = 0;
  size_t sort_temp_bytes = 0;
  size_t total = 0;
};

bool MakeLayout(int32_t rows, int32_t vocab, Layout* l) {
  if (rows <= 0 || vocab <= 0) return false;
  const int64_t items = int64_t{rows} * vocab;
  if (items > INT_MAX) return false;  // cub's item count is an int
  size_t sort_bytes = 0;
  if (cub::DeviceSegmentedRadixSort::SortPairsDescending(
          nullptr, sort_bytes, static_cast<const float*>(nullptr), static_cast<float*>(nullptr),
          static_cast<const int32_t*>(nullptr), static_cast<int32_t*>(nullptr),
          static_cast<int>(items), rows, static_cast<const int32_t*>(nullptr),
          static_cast<const int32_t*>(nullptr)) != cudaSuccess) {
    return false;
  }
  size_t at = 0;
  auto take = [&](size_t bytes) {
    const size_t offset = at;
    at += AlignUp(bytes);
    return offset;
  };
  l->keys = take(items * sizeof(float));
  l->sorted_keys = take(items * sizeof(float));
  l->ids = take(items * sizeof(int32_t));
  l->sorted_ids = take(items * sizeof(int32_t));
  l->segment_begin = take(rows * sizeof(int32_t));
  l->segment_end = take(rows * sizeof(int32_t));
  l->lse = take(rows * sizeof(double));
  l->sort_temp = take(sort_bytes);
  l->sort_temp_bytes = sort_bytes;
  l->total = at;
  return true;
}

template <typename T>
T* At(void* base, size_t offset) {
  return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

}  // namespace

size_t SampleWorkspaceBytes(int32_t rows, int32_t vocab) {
  Layout l;
  return MakeLayout(rows, vocab, &l) ? l.total : 0;
}

cudaError_t LaunchSample(const SampleParams& p, cudaStream_t stream) {
  if (p.rows < 0 || p.vocab <= 0 || p.logits_stride < p.vocab) return cudaErrorInvalidValue;
  if (p.rows == 0) return cudaSuccess;
  if (p.logits == nullptr || p.row_settings == nullptr || p.tokens == nullptr ||
      p.logprobs == nullptr || p.workspace == nullptr) {
    return cudaErrorInvalidValue;
  }
  Layout l;
  if (!MakeLayout(p.rows, p.vocab, &l) || p.workspace_bytes < l.total) {
    return cudaErrorInvalidValue;
  }
  float* keys = At<float>(p.workspace, l.keys);
  float* sorted_keys = At<float>(p.workspace, l.sorted_keys);
  int32_t* ids = At<int32_t>(p.workspace, l.ids);
  int32_t* sorted_ids = At<int32_t>(p.workspace, l.sorted_ids);
  int32_t* segment_begin = At<int32_t>(p.workspace, l.segment_begin);
  int32_t* segment_end = At<int32_t>(p.workspace, l.segment_end);
  double* lse = At<double>(p.workspace, l.lse);

  constexpr int kThreads = device::kSampleThreads;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::PrepareKernel<kThreads>, p.rows, kThreads, 0,
                                            stream, p, keys, ids, segment_begin, segment_end, lse));
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  size_t sort_bytes = l.sort_temp_bytes;
  if (cudaError_t e = cub::DeviceSegmentedRadixSort::SortPairsDescending(
          At<void>(p.workspace, l.sort_temp), sort_bytes, keys, sorted_keys, ids, sorted_ids,
          p.rows * p.vocab, p.rows, segment_begin, segment_end, 0, 32, stream);
      e != cudaSuccess) {
    return e;
  }
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::SelectKernel<kThreads>, p.rows, kThreads, 0,
                                            stream, p, sorted_keys, sorted_ids, lse));
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
