// The decoder-only transformer on the CPU backend: embedding, N layers of
// (RMSNorm, attention, residual, RMSNorm, feed-forward, residual), final norm
// and LM head. The attention and feed-forward parts are per-layer objects, so
// Llama, Qwen3-MoE and DeepSeek-V3 differ only in what the loader plugs in.
#ifndef WEFT_COMMON_ENGINE_MODEL_DECODER_MODEL_H_
#define WEFT_COMMON_ENGINE_MODEL_DECODER_MODEL_H_

#include <memory>
#include <vector>

#include "common/engine/model/causal_lm.h"
#include "common/engine/model/cpu_kv_memory.h"
#include "common/engine/model/layers.h"
#include "kernels/cpu/rope.h"

namespace weft::engine {

struct DecoderLayer {
  std::vector<float> input_norm;      // [hidden]
  std::vector<float> post_attn_norm;  // [hidden]
  std::unique_ptr<AttentionLayer> attention;
  std::unique_ptr<FeedForwardLayer> feed_forward;
};

struct DecoderWeights {
  std::vector<float> embed;    // [vocab, hidden]
  std::vector<float> norm;     // [hidden]
  std::vector<float> lm_head;  // [vocab, hidden]; empty when tied to embed
  std::vector<DecoderLayer> layers;
};

class DecoderModel final : public CausalLm {
 public:
  // `rope` is shared by the layers' attention (they hold references to it).
  DecoderModel(checkpoint::ModelConfig config, KvLayout kv_layout,
               std::unique_ptr<kernels::cpu::RopeTable> rope, DecoderWeights weights);

  const checkpoint::ModelConfig& config() const override { return config_; }
  KvLayout kv_layout() const override { return kv_layout_; }
  absl::StatusOr<std::unique_ptr<KvMemory>> CreateKvMemory(int32_t num_blocks,
                                                           int32_t block_size) const override;
  absl::Status Forward(const ForwardBatch& batch, KvMemory& kv,
                       std::vector<float>* logits) const override;
  // Forward, also giving each token's smallest routing margin over the MoE
  // layers (kernels/cpu/moe_routing.h; +inf in dense models). Tests of
  // lower-precision backends use it to tell routing near-ties, where their
  // rounding may send a token to other experts than this reference does.
  absl::Status ForwardWithRoutingMargins(const ForwardBatch& batch, KvMemory& kv,
                                         std::vector<float>* logits,
                                         std::vector<float>* routing_margins) const;

 private:
  checkpoint::ModelConfig config_;
  KvLayout kv_layout_;
  std::unique_ptr<kernels::cpu::RopeTable> rope_;
  DecoderWeights w_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_DECODER_MODEL_H_
