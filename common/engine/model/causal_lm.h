// A causal language model on a backend: one forward step over a ForwardBatch,
// KV written into the backend's paged cache, logits for the requested
// positions. What schedulers and services see of a model.
#ifndef WEFT_COMMON_ENGINE_MODEL_CAUSAL_LM_H_
#define WEFT_COMMON_ENGINE_MODEL_CAUSAL_LM_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/checkpoint/model_config.h"
#include "common/engine/model/forward_batch.h"
#include "common/engine/model/kv_memory.h"
#include "common/engine/sampling/sampler.h"

namespace weft::engine {

class CausalLm {
 public:
  virtual ~CausalLm() = default;

  virtual const checkpoint::ModelConfig& config() const = 0;
  // The shape of the KV cache this model needs.
  virtual KvLayout kv_layout() const = 0;

  // A KV memory of this model's backend and layout: `num_blocks` blocks of
  // `block_size` tokens. InvalidArgument unless num_blocks >= 0 and
  // block_size > 0; ResourceExhausted when the backend's memory cannot hold
  // it.
  virtual absl::StatusOr<std::unique_ptr<KvMemory>> CreateKvMemory(int32_t num_blocks,
                                                                   int32_t block_size) const = 0;

  // Runs `batch`. Writes every token's KV into `kv` at its slot; `logits`
  // becomes [batch.logit_indices.size(), vocab_size]. InvalidArgument for an
  // inconsistent batch (sizes, token ids outside the vocabulary, slots outside
  // the cache) or a KV memory not made by CreateKvMemory's backend.
  // Thread-compatible: concurrent calls need distinct `kv`.
  virtual absl::Status Forward(const ForwardBatch& batch, KvMemory& kv,
                               std::vector<float>* logits) const = 0;

  // What to sample from one logit row: the sequence's options and seed, its
  // prompt and the tokens generated so far (for the penalties; the draw
  // depends on output.size()).
  struct SampleRow {
    const SamplingOptions* options = nullptr;
    uint64_t seed = 0;
    absl::Span<const int32_t> prompt;
    absl::Span<const int32_t> output;
  };
  // Runs `batch` and samples one token per logit row (`rows` has one entry
  // per batch.logit_indices); `tokens` becomes those tokens in order. The
  // choices are SampleLogits'. This default runs Forward and samples on the
  // host; a backend whose logits live on a device samples there and brings
  // back only the tokens. Errors as Forward's, and InvalidArgument when
  // `rows` does not match the batch.
  virtual absl::Status ForwardAndSample(const ForwardBatch& batch, KvMemory& kv,
                                        absl::Span<const SampleRow> rows,
                                        std::vector<SampledToken>* tokens) const;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_CAUSAL_LM_H_
