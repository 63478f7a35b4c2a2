// Device code of sampling.h. One block per row in two kernels around a
// segmented radix sort:
//   PrepareKernel: the raw log-sum-exp (double), the raw top-logprobs by
//     repeated block arg-max, the penalized (and, unless greedy, tempered)
//     logits as sort keys, and for greedy rows the token itself;
//   (cub::DeviceSegmentedRadixSort, descending and stable: ties keep the
//     lower id first; greedy rows have empty segments);
//   SelectKernel: over the sorted candidates, probabilities
//     exp(l - max) / total in double as the CPU computes them, top-k, top-p by
//     a chunked block scan, min-p, and the draw by a second scan.
// Arithmetic mirrors SampleLogits operation by operation (no contracted
// multiply-adds in the penalties, IEEE division for the temperature) so
// that both backends choose the same token up to rounding at the
// boundaries between candidates.
#ifndef WEFT_KERNELS_CUDA_SAMPLING_CUH_
#define WEFT_KERNELS_CUDA_SAMPLING_CUH_

#include <cuda_runtime.h>

#include <climits>
#include <cstdint>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sampling.h"

namespace weft::kernels::gpu::device {

constexpr int kSampleThreads = 1024;
constexpr float kGreedyTemperature = 1e-5f;

__device__ __forceinline__ bool IsGreedy(const SamplingRow& s) {
  return s.temperature < kGreedyTemperature;
}

// A logit and its token; the order of candidates is decreasing value, ties
// to the lower id.
struct Ranked {
  float value;
  int32_t id;
};

__device__ __forceinline__ bool Before(const Ranked& a, const Ranked& b) {
  return a.value > b.value || (a.value == b.value && a.id < b.id);
}

__device__ __forceinline__ Ranked Nothing() { return Ranked{-INFINITY, INT_MAX}; }

struct FirstRanked {
  __device__ __forceinline__ Ranked operator()(const Ranked& a, const Ranked& b) const {
    return Before(b, a) ? b : a;
  }
};
struct MaxOf {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct MinOf {
  __device__ __forceinline__ int operator()(int a, int b) const { return a < b ? a : b; }
};

// The CPU's penalty arithmetic, operation by operation.
__device__ __forceinline__ float Penalize(float v, const SamplingRow& s, int32_t output_count) {
  if (s.repetition_penalty != 1.0f) {
    v = v > 0.0f ? __fdiv_rn(v, s.repetition_penalty) : __fmul_rn(v, s.repetition_penalty);
  }
  if (output_count > 0 && (s.frequency_penalty != 0.0f || s.presence_penalty != 0.0f)) {
    v = __fsub_rn(v, __fadd_rn(__fmul_rn(s.frequency_penalty, static_cast<float>(output_count)),
                               s.presence_penalty));
  }
  return v;
}

template <int kThreads>
__global__ void __launch_bounds__(kThreads)
    PrepareKernel(SampleParams p, float* __restrict__ keys, int32_t* __restrict__ ids,
                  int32_t* __restrict__ segment_begin, int32_t* __restrict__ segment_end,
                  double* __restrict__ lse_out) {
  WaitForPredecessors();
  using FloatReduce = cub::BlockReduce<float, kThreads>;
  using DoubleReduce = cub::BlockReduce<double, kThreads>;
  using RankReduce = cub::BlockReduce<Ranked, kThreads>;
  __shared__ union {
    typename FloatReduce::TempStorage f;
    typename DoubleReduce::TempStorage d;
    typename RankReduce::TempStorage r;
  } temp;
  __shared__ float shared_max;
  __shared__ double shared_lse;
  __shared__ Ranked shared_best;

  const int32_t row = blockIdx.x;
  const int32_t vocab = p.vocab;
  const SamplingRow s = p.row_settings[row];
  const float* __restrict__ x = p.logits + row * p.logits_stride;

  // The raw distribution's log-sum-exp, as the CPU's LogSoftmax.
  float m = -INFINITY;
  for (int32_t i = threadIdx.x; i < vocab; i += kThreads) m = fmaxf(m, x[i]);
  m = FloatReduce(temp.f).Reduce(m, MaxOf());
  if (threadIdx.x == 0) shared_max = m;
  __syncthreads();
  m = shared_max;
  double sum = 0.0;
  for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
    if (x[i] != -INFINITY) sum += exp(static_cast<double>(x[i]) - m);
  }
  sum = DoubleReduce(temp.d).Sum(sum);
  if (threadIdx.x == 0) shared_lse = log(sum) + m;
  __syncthreads();
  const double lse = shared_lse;

  // The raw distribution's most likely tokens, one block arg-max each.
  if (s.top_logprobs > 0 && p.top_ids != nullptr && p.top_logprobs != nullptr) {
    const int32_t n = min(min(s.top_logprobs, kMaxTopLogprobs), vocab);
    Ranked previous{INFINITY, -1};  // before every candidate
    for (int32_t k = 0; k < n; ++k) {
      Ranked best = Nothing();
      for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
        const Ranked c{x[i], i};
        if (Before(previous, c) && Before(c, best)) best = c;
      }
      __syncthreads();  // temp and shared_best reuse
      best = RankReduce(temp.r).Reduce(best, FirstRanked());
      if (threadIdx.x == 0) shared_best = best;
      __syncthreads();
      best = shared_best;
      if (best.id == INT_MAX) break;  // nothing left (NaN logits)
      if (threadIdx.x == 0) {
        p.top_ids[row * kMaxTopLogprobs + k] = best.id;
        p.top_logprobs[row * kMaxTopLogprobs + k] =
            static_cast<float>(static_cast<double>(best.value) - lse);
      }
      previous = best;
    }
  }

  // Sort keys: penalized logits, tempered unless greedy.
  const bool greedy = IsGreedy(s);
  float* __restrict__ k = keys + static_cast<int64_t>(row) * vocab;
  for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
    k[i] = greedy ? x[i] : __fdiv_rn(x[i], s.temperature);
  }
  __syncthreads();  // the penalized values below overwrite these
  if (p.penalty_tokens != nullptr) {
    for (int32_t j = s.penalty_begin + threadIdx.x; j < s.penalty_end; j += kThreads) {
      const PenaltyToken t = p.penalty_tokens[j];
      if (t.token < 0 || t.token >= vocab) continue;
      const float v = Penalize(x[t.token], s, t.output_count);
      k[t.token] = greedy ? v : __fdiv_rn(v, s.temperature);
    }
  }
  __syncthreads();

  const int32_t begin = row * vocab;
  if (greedy) {
    Ranked best = Nothing();
    for (int32_t i = threadIdx.x; i < vocab; i += kThreads) {
      const Ranked c{k[i], i};
      if (Before(c, best)) best = c;
    }
    best = RankReduce(temp.r).Reduce(best, FirstRanked());
    if (threadIdx.x == 0) {
      const int32_t token = best.id == INT_MAX ? 0 : best.id;
      p.tokens[row] = token;
      p.logprobs[row] = static_cast<float>(static_cast<double>(x[token]) - lse);
      segment_begin[row] = begin;
      segment_end[row] = begin;  // nothing to sort
      lse_out[row] = lse;
    }
    return;
  }
  for (int32_t i = threadIdx.x; i < vocab; i += kThreads) ids[begin + i] = i;
  if (threadIdx.x == 0) {
    segment_begin[row] = begin;
    segment_end[row] = begin + vocab;
    lse_out[row] = lse;
  }
}

// Block-wide searches over one row's sorted candidates, whose probabilities
// are q_i = exp(v_i - max) / total.
template <int kThreads>
struct CandidateScan {
  using DoubleReduce = cub::BlockReduce<double, kThreads>;
  using IntReduce = cub::BlockReduce<int, kThreads>;
  using Scan = cub::BlockScan<double, kThreads>;
  union Temp {
    typename DoubleReduce::TempStorage d;
    typename IntReduce::TempStorage i;
    typename Scan::TempStorage scan;
  };

  const float* __restrict__ v;
  double max;
  double total;
  Temp& temp;
  int& shared_int;
  double& shared_double;

  __device__ __forceinline__ double Q(int32_t i) const {
    return exp(static_cast<double>(v[i]) - max) / total;
  }

  __device__ double Broadcast(double x) {
    __syncthreads();
    if (threadIdx.x == 0) shared_double = x;
    __syncthreads();
    return shared_double;
  }
  __device__ int BroadcastMin(int x) {
    __syncthreads();
    x = IntReduce(temp.i).Reduce(x, MinOf());
    if (threadIdx.x == 0) shared_int = x;
    __syncthreads();
    return shared_int;
  }

  // sum_{i < n} exp(v_i - max), for the total itself (with total = 1).
  __device__ double Mass(int32_t n) {
    double sum = 0.0;
    for (int32_t i = threadIdx.x; i < n; i += kThreads) sum += Q(i);
    __syncthreads();
    return Broadcast(DoubleReduce(temp.d).Sum(sum));
  }

  // The first j < n whose cumulative probability sum_{i <= j} q_i is at
  // least (strict: above) `threshold`; n if none.
  __device__ int32_t FirstCumulative(int32_t n, double threshold, bool strict) {
    double carry = 0.0;
    for (int32_t base = 0; base < n; base += kThreads) {
      const int32_t i = base + threadIdx.x;
      const double q = i < n ? Q(i) : 0.0;
      double inclusive, chunk;
      __syncthreads();
      Scan(temp.scan).InclusiveSum(q, inclusive, chunk);
      inclusive += carry;
      const bool hit = i < n && (strict ? inclusive > threshold : inclusive >= threshold);
      const int first = BroadcastMin(hit ? i : INT_MAX);
      if (first != INT_MAX) return first;
      carry += chunk;
    }
    return n;
  }

  // The first j in [from, n) with q_j below `threshold`; n if none.
  __device__ int32_t FirstBelow(int32_t from, int32_t n, double threshold) {
    for (int32_t base = from; base < n; base += kThreads) {
      const int32_t i = base + threadIdx.x;
      const bool hit = i < n && Q(i) < threshold;
      const int first = BroadcastMin(hit ? i : INT_MAX);
      if (first != INT_MAX) return first;
    }
    return n;
  }
};

template <int kThreads>
__global__ void __launch_bounds__(kThreads)
    SelectKernel(SampleParams p, const float* __restrict__ sorted,
                 const int32_t* __restrict__ sorted_ids, const double* __restrict__ lse) {
  WaitForPredecessors();
  using Scanner = CandidateScan<kThreads>;
  __shared__ typename Scanner::Temp temp;
  __shared__ int shared_int;
  __shared__ double shared_double;

  const int32_t row = blockIdx.x;
  const SamplingRow s = p.row_settings[row];
  if (IsGreedy(s)) return;  // PrepareKernel chose
  const int32_t vocab = p.vocab;
  const float* v = sorted + static_cast<int64_t>(row) * vocab;
  const int32_t* ids = sorted_ids + static_cast<int64_t>(row) * vocab;

  int32_t keep = vocab;
  if (s.top_k > 0) keep = min(keep, s.top_k);
  Scanner scan{v, static_cast<double>(v[0]), 1.0, temp, shared_int, shared_double};
  scan.total = scan.Mass(keep);
  if (s.top_p < 1.0f) {
    const int32_t j = scan.FirstCumulative(keep, static_cast<double>(s.top_p), /*strict=*/false);
    if (j < keep) keep = j + 1;
  }
  if (s.min_p > 0.0f) {
    keep = scan.FirstBelow(1, keep, static_cast<double>(s.min_p) * scan.Q(0));
  }
  const double kept = scan.Mass(keep);
  const int32_t pick = scan.FirstCumulative(keep - 1, s.uniform * kept, /*strict=*/true);
  if (threadIdx.x == 0) {
    const int32_t token = ids[pick];
    p.tokens[row] = token;
    p.logprobs[row] =
        static_cast<float>(static_cast<double>(p.logits[row * p.logits_stride + token]) - lse[row]);
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_SAMPLING_CUH_
