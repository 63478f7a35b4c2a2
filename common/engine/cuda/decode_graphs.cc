#include "common/engine/cuda/decode_graphs.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/status/status_macros.h"

namespace weft::engine::gpu {
namespace {

constexpr int32_t kMinContextBucket = 256;

// Where each array of a graph's inputs lies, for `tokens` tokens and a
// block table `width` wide. The arrays each step rewrites come first (one
// copy), the constant sequence_of_token last.
struct InputLayout {
  size_t slots = 0, token_ids, positions, context_len, logit_rows, block_tables, dynamic_end,
         sequence_of_token, total;

  InputLayout(int64_t tokens, int64_t width) {
    auto bytes = [](int64_t count, size_t element) { return ScratchArena::Bytes(count, element); };
    token_ids = slots + bytes(tokens, sizeof(int64_t));
    positions = token_ids + bytes(tokens, sizeof(int32_t));
    context_len = positions + bytes(tokens, sizeof(int32_t));
    logit_rows = context_len + bytes(tokens, sizeof(int32_t));
    block_tables = logit_rows + bytes(tokens, sizeof(int32_t));
    dynamic_end = block_tables + bytes(tokens * width, sizeof(int32_t));
    sequence_of_token = dynamic_end;
    total = sequence_of_token + bytes(tokens, sizeof(int32_t));
  }
};

int32_t RoundUp(int64_t n, int32_t multiple) {
  return static_cast<int32_t>((n + multiple - 1) / multiple * multiple);
}

}  // namespace

DecodeGraphs::~DecodeGraphs() { Clear(); }

void DecodeGraphs::Clear() {
  for (auto& [key, graph] : graphs_) {
    if (graph.exec != nullptr) cudaGraphExecDestroy(graph.exec);
  }
  graphs_.clear();
}

int32_t DecodeGraphs::TokenBucket(int64_t tokens) const {
  int32_t bucket;
  if (tokens <= 8) {
    bucket = 1;
    while (bucket < tokens) bucket *= 2;
  } else if (tokens <= 64) {
    bucket = RoundUp(tokens, 8);
  } else {
    bucket = RoundUp(tokens, 32);
  }
  return std::min(bucket, max_tokens_);
}

int32_t DecodeGraphs::ContextBucket(int32_t max_context_len) {
  int64_t bucket = kMinContextBucket;
  while (bucket < max_context_len) bucket *= 2;
  return static_cast<int32_t>(std::min<int64_t>(bucket, INT32_MAX));
}

bool DecodeGraphs::Accepts(const ForwardBatch& batch) const {
  const int64_t t = batch.num_tokens();
  if (!broken_.ok() || t == 0 || t > max_tokens_) return false;
  if (static_cast<int64_t>(batch.logit_indices.size()) > t) return false;
  // Every token of its own sequence (rows of the validated block tables).
  std::vector<bool> seen(batch.block_tables.size() / std::max(1, batch.max_blocks_per_sequence));
  for (int32_t s : batch.sequence_of_token) {
    if (s < 0 || static_cast<size_t>(s) >= seen.size() || seen[s]) return false;
    seen[s] = true;
  }
  return true;
}

absl::Status DecodeGraphs::Run(const ForwardBatch& batch, uint64_t kv_id, int32_t block_size,
                               cudaStream_t stream, ScratchBytesFn scratch_bytes, EnqueueFn enqueue,
                               float** logits) {
  // The caller checked Accepts; only what keeps Stage in bounds is rechecked.
  const int64_t t = batch.num_tokens();
  if (t == 0 || t > max_tokens_ || static_cast<int64_t>(batch.logit_indices.size()) > t) {
    return absl::InvalidArgumentError("not a batch for a decode graph");
  }
  if (kv_id != kv_id_) {
    Clear();
    kv_id_ = kv_id;
  }
  const int32_t max_context = *std::max_element(batch.context_len.begin(), batch.context_len.end());
  const Key key(TokenBucket(batch.num_tokens()), ContextBucket(max_context));
  auto it = graphs_.find(key);
  if (it == graphs_.end()) {
    Graph graph;
    absl::Status captured = Capture(batch, key, block_size, stream, scratch_bytes, enqueue, &graph);
    if (!captured.ok()) {
      if (graph.exec != nullptr) cudaGraphExecDestroy(graph.exec);
      Clear();
      broken_ = absl::Status(captured.code(),
                             absl::StrCat("CUDA graph capture failed: ", captured.message()));
      return broken_;
    }
    it = graphs_.emplace(key, std::move(graph)).first;
  } else {
    WEFT_RETURN_IF_ERROR(Stage(batch, it->second, stream));
  }
  WEFT_CUDA_RETURN_IF_ERROR(cudaGraphLaunch(it->second.exec, stream), "decode graph launch");
  *logits = it->second.logits;
  return absl::OkStatus();
}

absl::Status DecodeGraphs::Capture(const ForwardBatch& batch, const Key& key, int32_t block_size,
                                   cudaStream_t stream, ScratchBytesFn scratch_bytes,
                                   EnqueueFn enqueue, Graph* graph) {
  const int32_t tokens = key.first;
  const int32_t width = (key.second + block_size - 1) / block_size;
  const InputLayout layout(tokens, width);

  StepShape shape;
  shape.tokens = tokens;
  shape.max_context_len = key.second;
  const size_t bytes = scratch_bytes(shape, tokens);
  if (bytes > scratch_.capacity()) {
    // Growing moves the arena: the graphs captured so far point into it.
    Clear();
    WEFT_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream), "decode graph arena");
  }
  WEFT_RETURN_IF_ERROR(scratch_.Reserve(bytes));

  WEFT_ASSIGN_OR_RETURN(graph->inputs, DeviceBuffer::Allocate(layout.total));
  char* base = graph->inputs.as<char>();
  std::vector<int32_t> sequence_of_token(tokens);
  std::iota(sequence_of_token.begin(), sequence_of_token.end(), 0);
  WEFT_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(base + layout.sequence_of_token, sequence_of_token.data(),
                      tokens * sizeof(int32_t), cudaMemcpyHostToDevice, stream),
      "decode graph inputs");
  graph->dynamic_bytes = layout.dynamic_end;
  DeviceBatch& in = graph->batch;
  in.shape = shape;
  in.slots = reinterpret_cast<const int64_t*>(base + layout.slots);
  in.token_ids = reinterpret_cast<const int32_t*>(base + layout.token_ids);
  in.positions = reinterpret_cast<const int32_t*>(base + layout.positions);
  in.context_len = reinterpret_cast<const int32_t*>(base + layout.context_len);
  in.logit_rows = reinterpret_cast<const int32_t*>(base + layout.logit_rows);
  in.num_logit_rows = tokens;
  in.block_tables = reinterpret_cast<const int32_t*>(base + layout.block_tables);
  in.max_blocks_per_sequence = width;
  in.sequence_of_token = reinterpret_cast<const int32_t*>(base + layout.sequence_of_token);
  WEFT_RETURN_IF_ERROR(Stage(batch, *graph, stream));

  // Warm-up: kernels load and cuBLAS picks its algorithms outside capture.
  float* logits = nullptr;
  WEFT_RETURN_IF_ERROR(enqueue(in, scratch_, &logits));

  scratch_.Reset();
  WEFT_CUDA_RETURN_IF_ERROR(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal),
                            "begin capture");
  const absl::Status enqueued = enqueue(in, scratch_, &graph->logits);
  cudaGraph_t captured = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream, &captured);
  if (!enqueued.ok() || ended != cudaSuccess) {
    if (captured != nullptr) cudaGraphDestroy(captured);
    WEFT_RETURN_IF_ERROR(enqueued);
    return CudaStatus(ended, "end capture");
  }
  const cudaError_t instantiated = cudaGraphInstantiate(&graph->exec, captured, 0);
  cudaGraphDestroy(captured);
  WEFT_CUDA_RETURN_IF_ERROR(instantiated, "graph instantiation");
  ++captures_;
  return absl::OkStatus();
}

absl::Status DecodeGraphs::Stage(const ForwardBatch& batch, const Graph& graph,
                                 cudaStream_t stream) {
  if (staging_.bytes() < graph.dynamic_bytes) {
    // The previous step's copy out of staging has finished: steps end with
    // a synchronization of the stream.
    WEFT_ASSIGN_OR_RETURN(staging_, PinnedBuffer::Allocate(graph.dynamic_bytes));
  }
  const DeviceBatch& in = graph.batch;
  const int64_t tokens = in.shape.tokens;
  const int64_t t = batch.num_tokens();
  const int32_t width = in.max_blocks_per_sequence;
  const char* device = graph.inputs.as<char>();
  char* host = staging_.as<char>();
  auto at = [&](const auto* device_array) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(device_array)>>;
    return reinterpret_cast<T*>(host + (reinterpret_cast<const char*>(device_array) - device));
  };
  int64_t* slots = at(in.slots);
  int32_t* token_ids = at(in.token_ids);
  int32_t* positions = at(in.positions);
  int32_t* context_len = at(in.context_len);
  int32_t* logit_rows = at(in.logit_rows);
  int32_t* tables = at(in.block_tables);
  std::copy(batch.slots.begin(), batch.slots.end(), slots);
  std::fill(slots + t, slots + tokens, int64_t{-1});
  std::copy(batch.token_ids.begin(), batch.token_ids.end(), token_ids);
  std::fill(token_ids + t, token_ids + tokens, 0);
  std::copy(batch.positions.begin(), batch.positions.end(), positions);
  std::fill(positions + t, positions + tokens, 0);
  std::copy(batch.context_len.begin(), batch.context_len.end(), context_len);
  std::fill(context_len + t, context_len + tokens, 0);
  std::copy(batch.logit_indices.begin(), batch.logit_indices.end(), logit_rows);
  std::fill(logit_rows + batch.logit_indices.size(), logit_rows + tokens, 0);
  // Token i's table becomes row i, `width` wide: its context fits in
  // `width` blocks (the bucket is at least the longest context).
  std::fill(tables, tables + tokens * width, 0);
  const int32_t n = std::min(width, batch.max_blocks_per_sequence);
  for (int64_t i = 0; i < t; ++i) {
    const int64_t row = batch.sequence_of_token[i];
    std::memcpy(tables + i * width, batch.block_tables.data() + row * batch.max_blocks_per_sequence,
                n * sizeof(int32_t));
  }
  WEFT_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(graph.inputs.data(), host, graph.dynamic_bytes,
                                            cudaMemcpyHostToDevice, stream),
                            "decode graph inputs");
  return absl::OkStatus();
}

}  // namespace weft::engine::gpu
