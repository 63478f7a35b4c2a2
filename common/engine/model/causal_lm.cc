#include "common/engine/model/causal_lm.h"

namespace weft::engine {

absl::Status CausalLm::ForwardAndSample(const ForwardBatch& batch, KvMemory& kv,
                                        absl::Span<const SampleRow> rows,
                                        std::vector<SampledToken>* tokens) const {
  if (rows.size() != batch.logit_indices.size()) {
    return absl::InvalidArgumentError("one sample row per logit index expected");
  }
  std::vector<float> logits;
  if (absl::Status s = Forward(batch, kv, &logits); !s.ok()) return s;
  const size_t vocab = static_cast<size_t>(config().vocab_size);
  tokens->clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    tokens->push_back(SampleLogits(*rows[i].options, rows[i].seed,
                                   absl::Span<const float>(logits.data() + i * vocab, vocab),
                                   rows[i].prompt, rows[i].output));
  }
  return absl::OkStatus();
}

}  // namespace weft::engine
