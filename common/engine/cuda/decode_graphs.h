// Decode steps as captured CUDA graphs: a step whose tokens all belong to
// different sequences (decode) runs as one cudaGraphLaunch of the whole
// forward pass instead of hundreds of kernel launches with host work
// between them.
//
// A graph is captured per bucket, on first use: the token count rounded up
// (1, 2, 4, 8, then multiples of 8 to 64, then of 32, up to max_tokens) and
// the longest context rounded up to a power of two (at least 256), which
// fixes the grids (the attention split) and the block-table width. A step
// is padded to its bucket: padding tokens have token id 0, position 0, no
// context (attention gives zeros) and KV slot -1 (nothing written), so they
// change no real token's result. Each graph reads its inputs from its own
// device buffer, which the step fills with one host-to-device copy from
// pinned staging before the launch; intermediate buffers come from one
// arena shared by all graphs (they run one at a time on one stream). When
// the arena must grow, or the KV memory changes, every graph is dropped and
// captured again as needed.
//
// Not thread-safe: the model calls it under its step lock.
#ifndef WEFT_COMMON_ENGINE_CUDA_DECODE_GRAPHS_H_
#define WEFT_COMMON_ENGINE_CUDA_DECODE_GRAPHS_H_

#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/engine/cuda/cuda_layers.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/cuda/pinned_buffer.h"
#include "common/engine/cuda/scratch_arena.h"
#include "common/engine/model/forward_batch.h"

namespace weft::engine::gpu {

class DecodeGraphs {
 public:
  // The arena bytes a step of `shape` with `logit_rows` logit rows takes.
  using ScratchBytesFn = absl::FunctionRef<size_t(const StepShape& shape, int64_t logit_rows)>;
  // Enqueues the forward pass of `batch` on the stream, taking buffers from
  // `scratch` (reserved); *logits: device [logit rows, vocab]. Must not
  // synchronize (it is captured).
  using EnqueueFn = absl::FunctionRef<absl::Status(const DeviceBatch& batch, ScratchArena& scratch,
                                                   float** logits)>;

  // Steps of up to `max_tokens` tokens run as graphs (0: none do).
  explicit DecodeGraphs(int32_t max_tokens) : max_tokens_(max_tokens) {}
  ~DecodeGraphs();
  DecodeGraphs(const DecodeGraphs&) = delete;
  DecodeGraphs& operator=(const DecodeGraphs&) = delete;

  // Whether Run takes `batch` (validated by the caller): 1 to max_tokens
  // tokens, each of a different sequence, and no capture has failed.
  bool Accepts(const ForwardBatch& batch) const;

  // Why capturing failed, once it has (then Accepts is false from then on
  // and the caller runs steps eagerly); OK before.
  const absl::Status& broken() const { return broken_; }

  // Runs `batch` (for which Accepts holds) on `stream` as its bucket's graph, capturing it first if
  // needed (after one eager run of `enqueue` on the same inputs, which
  // loads kernels and sets up cuBLAS outside the capture; the step's KV
  // writes are idempotent). `kv_id` identifies the KV memory the graphs
  // write to (a new one drops every graph: they hold its device pointers;
  // an id, not an address, which a new pool may reuse) and `block_size` is
  // its tokens per block. *logits: device
  // [batch.logit_indices.size(), vocab], valid until the next Run or Clear.
  // Does not synchronize.
  absl::Status Run(const ForwardBatch& batch, uint64_t kv_id, int32_t block_size,
                   cudaStream_t stream, ScratchBytesFn scratch_bytes, EnqueueFn enqueue,
                   float** logits);

  // Drops every graph (the next Run of each bucket captures it again).
  void Clear();

  // Graphs held now, and captured over the lifetime.
  int64_t size() const { return static_cast<int64_t>(graphs_.size()); }
  int64_t captures() const { return captures_; }

  // The buckets (exposed for tests).
  int32_t TokenBucket(int64_t tokens) const;
  static int32_t ContextBucket(int32_t max_context_len);

 private:
  struct Graph {
    DeviceBuffer inputs;       // see InputLayout
    DeviceBatch batch;         // pointers into `inputs`
    size_t dynamic_bytes = 0;  // the part of `inputs` each step rewrites
    cudaGraphExec_t exec = nullptr;
    float* logits = nullptr;
  };
  using Key = std::pair<int32_t, int32_t>;  // tokens, context

  absl::Status Capture(const ForwardBatch& batch, const Key& key, int32_t block_size,
                       cudaStream_t stream, ScratchBytesFn scratch_bytes, EnqueueFn enqueue,
                       Graph* graph);
  // Writes the padded inputs of `batch` for `graph` into staging_ and
  // enqueues their copy into graph.inputs.
  absl::Status Stage(const ForwardBatch& batch, const Graph& graph, cudaStream_t stream);

  int32_t max_tokens_;
  std::map<Key, Graph> graphs_;
  uint64_t kv_id_ = 0;
  ScratchArena scratch_;
  PinnedBuffer staging_;
  int64_t captures_ = 0;
  absl::Status broken_;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_DECODE_GRAPHS_H_
