// The checks every backend runs on a forward step before touching memory:
// consistent per-token arrays, token ids inside the vocabulary, slots and
// block tables inside the cache, each token's own slot where its position
// maps, and a KV memory of the model's layout.
#ifndef WEFT_COMMON_ENGINE_MODEL_FORWARD_BATCH_CHECK_H_
#define WEFT_COMMON_ENGINE_MODEL_FORWARD_BATCH_CHECK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "common/engine/model/forward_batch.h"
#include "common/engine/model/kv_memory.h"

namespace weft::engine {

// InvalidArgument naming the first inconsistency found.
absl::Status ValidateForwardBatch(const ForwardBatch& batch, int64_t vocab_size,
                                  const KvLayout& model_layout, const KvMemory& kv);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_FORWARD_BATCH_CHECK_H_
