// The interfaces of a decoder layer's two halves on the CPU backend, so that
// architectures are assembled from parts (GQA or MLA attention; dense MLP or
// one of the MoE blocks) instead of one class per model.
#ifndef WEFT_COMMON_ENGINE_MODEL_LAYERS_H_
#define WEFT_COMMON_ENGINE_MODEL_LAYERS_H_

#include <cstdint>

#include "common/engine/model/forward_batch.h"
#include "kernels/cpu/paged_attention.h"

namespace weft::engine {

class AttentionLayer {
 public:
  virtual ~AttentionLayer() = default;
  // h: [tokens, hidden] (normalized input); writes the tokens' KV into `kv`
  // at batch.slots, attends per batch.context_len; out: [tokens, hidden].
  virtual void Forward(const float* h, const ForwardBatch& batch, kernels::cpu::PagedKvCache kv,
                       float* out) const = 0;
};

class FeedForwardLayer {
 public:
  virtual ~FeedForwardLayer() = default;
  // h: [tokens, hidden] (normalized input); out: [tokens, hidden].
  // routing_margin: null, or [tokens], which an MoE block lowers to each
  // token's routing margin where that is smaller (kernels/cpu/moe_routing.h).
  virtual void Forward(const float* h, int64_t tokens, float* out, float* routing_margin) const = 0;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_LAYERS_H_
