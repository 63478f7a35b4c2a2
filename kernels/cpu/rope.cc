#include "kernels/cpu/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace weft::kernels::cpu {
namespace {

// 1 / theta^(2i/d) in float32, the way transformers computes it.
std::vector<float> BaseInvFreq(int32_t dim, double theta) {
  std::vector<float> inv(dim / 2);
  const float base = static_cast<float>(theta);
  for (int32_t i = 0; i < dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    inv[i] = 1.0f / std::pow(base, exponent);
  }
  return inv;
}

void ApplyLlama3(const RopeParams& p, std::vector<float>* inv_freq) {
  const double old_context = static_cast<double>(p.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / p.low_freq_factor;
  const double high_freq_wavelen = old_context / p.high_freq_factor;
  for (float& f : *inv_freq) {
    const double wavelen = 2.0 * std::numbers::pi / f;
    if (wavelen > low_freq_wavelen) {
      f = static_cast<float>(f / p.factor);
    } else if (wavelen >= high_freq_wavelen) {
      const double smooth =
          (old_context / wavelen - p.low_freq_factor) / (p.high_freq_factor - p.low_freq_factor);
      f = static_cast<float>((1.0 - smooth) * f / p.factor + smooth * f);
    }
  }
}

float ApplyYarn(const RopeParams& p, int32_t dim, std::vector<float>* inv_freq) {
  auto correction_dim = [&](double rotations) {
    return dim * std::log(p.original_max_position_embeddings / (rotations * 2 * std::numbers::pi)) /
           (2 * std::log(p.theta));
  };
  double low = correction_dim(p.beta_fast);
  double high = correction_dim(p.beta_slow);
  if (p.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;
  const std::vector<float> extrapolation = *inv_freq;
  const float base = static_cast<float>(p.theta);
  for (int32_t i = 0; i < dim / 2; ++i) {
    const float ramp = std::clamp(
        (static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low), 0.0f,
        1.0f);
    const float extrapolation_factor = 1.0f - ramp;
    const float pos_freq = std::pow(base, static_cast<float>(2 * i) / static_cast<float>(dim));
    const float interpolation = 1.0f / (static_cast<float>(p.factor) * pos_freq);
    (*inv_freq)[i] =
        interpolation * (1.0f - extrapolation_factor) + extrapolation[i] * extrapolation_factor;
  }
  if (p.attention_factor > 0.0) return static_cast<float>(p.attention_factor);
  if (p.mscale > 0.0 && p.mscale_all_dim > 0.0) {
    return static_cast<float>(YarnMscale(p.factor, p.mscale) /
                              YarnMscale(p.factor, p.mscale_all_dim));
  }
  return static_cast<float>(YarnMscale(p.factor, 1.0));
}

}  // namespace

double YarnMscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

RopeTable::RopeTable(const RopeParams& params)
    : rotary_dim_(params.rotary_dim), inv_freq_(BaseInvFreq(params.rotary_dim, params.theta)) {
  switch (params.type) {
    case RopeType::kDefault:
      break;
    case RopeType::kLinear:
      for (float& f : inv_freq_) f = static_cast<float>(f / params.factor);
      break;
    case RopeType::kLlama3:
      ApplyLlama3(params, &inv_freq_);
      break;
    case RopeType::kYarn:
      attention_scaling_ = ApplyYarn(params, params.rotary_dim, &inv_freq_);
      break;
  }
}

void RopeTable::Apply(float* x, const int32_t* positions, int64_t tokens, int64_t heads,
                      int64_t head_stride, int64_t offset, RopeLayout layout) const {
  const int32_t half = rotary_dim_ / 2;
  std::vector<float> cos_table(half), sin_table(half), scratch(rotary_dim_);
  for (int64_t t = 0; t < tokens; ++t) {
    const float position = static_cast<float>(positions[t]);
    for (int32_t i = 0; i < half; ++i) {
      const float angle = position * inv_freq_[i];  // float32, as transformers
      cos_table[i] = static_cast<float>(std::cos(static_cast<double>(angle))) * attention_scaling_;
      sin_table[i] = static_cast<float>(std::sin(static_cast<double>(angle))) * attention_scaling_;
    }
    for (int64_t h = 0; h < heads; ++h) {
      float* v = x + (t * heads + h) * head_stride + offset;
      if (layout == RopeLayout::kInterleaved) {
        for (int32_t i = 0; i < half; ++i) {
          scratch[i] = v[2 * i];
          scratch[half + i] = v[2 * i + 1];
        }
        std::copy(scratch.begin(), scratch.end(), v);
      }
      for (int32_t i = 0; i < half; ++i) {
        const float x1 = v[i];
        const float x2 = v[half + i];
        v[i] = x1 * cos_table[i] - x2 * sin_table[i];
        v[half + i] = x2 * cos_table[i] + x1 * sin_table[i];
      }
    }
  }
}

}  // namespace weft::kernels::cpu
