#include "kernels/cpu/moe_routing.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

namespace weft::kernels::cpu {
namespace {

// Indices of the k largest values, largest first; ties to the lower index.
void TopKIndices(const float* values, int32_t n, int32_t k, int32_t* out) {
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  std::copy(order.begin(), order.begin() + k, out);
}

// The gap between the k-th largest value and the (k+1)-th; +inf if k == n.
float KthGap(const float* values, int32_t n, int32_t k) {
  if (k >= n) return std::numeric_limits<float>::infinity();
  std::vector<float> sorted(values, values + n);
  std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end(), std::greater<float>());
  const float next = sorted[k];
  const float last = *std::min_element(sorted.begin(), sorted.begin() + k);
  return last - next;
}

}  // namespace

void SoftmaxTopK(const float* logits, int64_t tokens, int32_t num_experts, int32_t top_k,
                 bool normalize, int32_t* ids, float* weights, float* margins) {
  std::vector<float> probs(num_experts);
  for (int64_t t = 0; t < tokens; ++t) {
    const float* row = logits + t * num_experts;
    const float max = *std::max_element(row, row + num_experts);
    if (margins != nullptr) margins[t] = KthGap(row, num_experts, top_k);
    double sum = 0.0;
    for (int32_t e = 0; e < num_experts; ++e) {
      probs[e] = std::exp(row[e] - max);
      sum += probs[e];
    }
    for (int32_t e = 0; e < num_experts; ++e) probs[e] = static_cast<float>(probs[e] / sum);
    int32_t* token_ids = ids + t * top_k;
    float* token_weights = weights + t * top_k;
    TopKIndices(probs.data(), num_experts, top_k, token_ids);
    double chosen = 0.0;
    for (int32_t j = 0; j < top_k; ++j) {
      token_weights[j] = probs[token_ids[j]];
      chosen += token_weights[j];
    }
    if (normalize) {
      for (int32_t j = 0; j < top_k; ++j) {
        token_weights[j] = static_cast<float>(token_weights[j] / chosen);
      }
    }
  }
}

void GroupedSigmoidTopK(const float* logits, const float* bias, int64_t tokens,
                        const GroupedTopKParams& p, int32_t* ids, float* weights, float* margins) {
  const int32_t per_group = p.num_experts / p.n_group;
  std::vector<float> scores(p.num_experts), choice(p.num_experts), group_scores(p.n_group);
  std::vector<int32_t> kept_groups(p.topk_group), best_two(2);
  for (int64_t t = 0; t < tokens; ++t) {
    const float* row = logits + t * p.num_experts;
    for (int32_t e = 0; e < p.num_experts; ++e) {
      scores[e] = 1.0f / (1.0f + std::exp(-row[e]));
      choice[e] = scores[e] + bias[e];
    }
    for (int32_t g = 0; g < p.n_group; ++g) {
      const float* group = choice.data() + g * per_group;
      const int32_t take = std::min(2, per_group);
      TopKIndices(group, per_group, take, best_two.data());
      group_scores[g] = 0.0f;
      for (int32_t j = 0; j < take; ++j) group_scores[g] += group[best_two[j]];
    }
    TopKIndices(group_scores.data(), p.n_group, p.topk_group, kept_groups.data());
    std::vector<bool> kept(p.n_group, false);
    for (int32_t g : kept_groups) kept[g] = true;
    for (int32_t e = 0; e < p.num_experts; ++e) {
      if (!kept[e / per_group]) choice[e] = 0.0f;  // transformers masks with 0, not -inf
    }
    if (margins != nullptr) {
      margins[t] = std::min(KthGap(group_scores.data(), p.n_group, p.topk_group),
                            KthGap(choice.data(), p.num_experts, p.top_k));
    }
    int32_t* token_ids = ids + t * p.top_k;
    float* token_weights = weights + t * p.top_k;
    TopKIndices(choice.data(), p.num_experts, p.top_k, token_ids);
    double sum = 0.0;
    for (int32_t j = 0; j < p.top_k; ++j) {
      token_weights[j] = scores[token_ids[j]];
      sum += token_weights[j];
    }
    for (int32_t j = 0; j < p.top_k; ++j) {
      const double w = p.normalize ? token_weights[j] / (sum + 1e-20) : token_weights[j];
      token_weights[j] = static_cast<float>(w * p.routed_scaling_factor);
    }
  }
}

}  // namespace weft::kernels::cpu
