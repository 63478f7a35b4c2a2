// What a model costs to hold and to run, from its config alone: parameter
// count, weight bytes at a precision, the bytes one decode step must read
// (the memory-bandwidth ceiling's denominator) and the FLOPs of a prefill
// (the compute ceiling's numerator). These are the analytic side of the
// benchmark's ratios; the measured side is in bench_workload.h.
//
// Counting rules, following the CPU backend (model_loader.h):
//   - Parameters are the tensors ExpectedTensors lists (DeepSeek's
//     multi-token-prediction layers are not run and not counted).
//   - INT8 holds the 2-D linear weights of attention projections, MLPs,
//     experts and shared experts as int8 plus a float32 scale per output
//     row; routers, the LM head, embeddings, norms and MLA's kv_b_proj stay
//     float32.
//   - A decode step of B sequences reads every weight once, except the
//     embedding (B rows) and the routed experts: of E experts with top-k
//     routing, B tokens touch E * (1 - (1 - k/E)^B) distinct experts per
//     layer in expectation (uniform, independent routing; a router that
//     concentrates tokens on fewer experts reads less). It also reads
//     each sequence's KV cache (float32) and writes one KV row per sequence.
//   - FLOPs count 2 per multiply-add of the matmuls a token goes through
//     (its k experts only), the LM head for the rows that get logits, and
//     causal attention (QK^T and PV over the context; MLA in its absorbed
//     form over the latent). Norms, RoPE, activations and softmax are
//     omitted (a few percent at these shapes).
#ifndef WEFT_COMMON_ENGINE_BENCH_MODEL_COST_H_
#define WEFT_COMMON_ENGINE_BENCH_MODEL_COST_H_

#include <cstdint>

#include "common/checkpoint/model_config.h"
#include "common/engine/model/kv_memory.h"
#include "common/engine/model/linear_weight.h"

namespace weft::engine::bench {

struct ModelCost {
  int64_t parameters = 0;
  int64_t weight_bytes = 0;         // everything, as held at the precision
  int64_t embedding_bytes = 0;      // embed_tokens (float32)
  int64_t lm_head_bytes = 0;        // lm_head (float32); 0 when tied to embed_tokens
  int64_t routed_expert_bytes = 0;  // all routed experts of all layers
  int64_t other_bytes = 0;          // attention, dense and shared MLPs, routers, norms
  // Multiply-adds of one token through the decoder layers' matmuls (its
  // top-k experts only); the LM head is separate.
  int64_t matmul_macs_per_token = 0;
};

ModelCost ComputeModelCost(const checkpoint::ModelConfig& config, WeightPrecision precision);

// Expected fraction of a layer's routed experts that `batch` tokens touch;
// 1 for a dense model.
double TouchedExpertFraction(const checkpoint::ModelConfig& config, int64_t batch);

// Bytes one decode step of `batch` sequences reads and writes, each
// sequence at `context` tokens (including the one being decoded).
double DecodeStepBytes(const checkpoint::ModelConfig& config, const ModelCost& cost,
                       const KvLayout& kv, int64_t batch, double context);

// FLOPs of prefilling `batch` prompts of `prompt_len` tokens (one logit row
// per prompt).
double PrefillFlops(const checkpoint::ModelConfig& config, const ModelCost& cost,
                    const KvLayout& kv, int64_t batch, int64_t prompt_len);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_MODEL_COST_H_
