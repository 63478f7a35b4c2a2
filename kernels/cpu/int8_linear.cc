#include "kernels/cpu/int8_linear.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/int8_dot.h"
#include "kernels/cpu/thread_pool.h"

namespace weft::kernels::cpu {
namespace {

// Symmetric: scale = max|v| / 127, q = round(v / scale) in [-127, 127].
float QuantizeRow(const float* v, int64_t k, int8_t* q) {
  float max_abs = 0.0f;
  for (int64_t i = 0; i < k; ++i) max_abs = std::max(max_abs, std::abs(v[i]));
  const float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
  const float inv = 1.0f / scale;
  for (int64_t i = 0; i < k; ++i) {
    q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(v[i] * inv), -127.0f, 127.0f));
  }
  return scale;
}

}  // namespace

Int8Weight QuantizeWeightPerChannel(const float* w, int64_t n, int64_t k) {
  Int8Weight out;
  out.n = n;
  out.k = k;
  out.values.resize(n * k);
  out.scales.resize(n);
  for (int64_t j = 0; j < n; ++j) out.scales[j] = QuantizeRow(w + j * k, k, &out.values[j * k]);
  return out;
}

void QuantizeActivationsPerToken(const float* x, int64_t m, int64_t k, int8_t* q, float* scales) {
  for (int64_t i = 0; i < m; ++i) scales[i] = QuantizeRow(x + i * k, k, q + i * k);
}

void Int8Linear(const float* x, int64_t m, const Int8Weight& w, const float* bias, float* y) {
  std::vector<int8_t> xq(m * w.k);
  std::vector<float> x_scales(m);
  QuantizeActivationsPerToken(x, m, w.k, xq.data(), x_scales.data());
  // Output channels split across threads; each weight row is read once and
  // used for every token.
  const int64_t min_chunk = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, m * w.k));
  ParallelFor(w.n, min_chunk, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const int8_t* b = w.values.data() + j * w.k;
      const float b_bias = bias != nullptr ? bias[j] : 0.0f;
      for (int64_t i = 0; i < m; ++i) {
        const int8_t* a = xq.data() + i * w.k;
        const int32_t acc = Int8Dot(a, b, w.k);
        // Epilogue: per-token x per-channel dequantization, then bias.
        y[i * w.n + j] = static_cast<float>(acc) * x_scales[i] * w.scales[j] + b_bias;
      }
    }
  });
}

}  // namespace weft::kernels::cpu
