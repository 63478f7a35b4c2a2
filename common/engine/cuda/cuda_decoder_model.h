// The decoder-only transformer on the CUDA backend: embedding into a float32
// residual stream, N layers of (RMSNorm, attention, RMSNorm, feed-forward)
// whose parts add into the residual, then the final norm and LM head for the
// positions that need logits. Weights and KV in bf16 on one GPU; a step runs
// on the model's stream and synchronizes once, when the logits come back.
// Decode steps (every token of a different sequence) of up to
// max_graph_tokens tokens run as captured CUDA graphs (decode_graphs.h).
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_DECODER_MODEL_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_DECODER_MODEL_H_

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/engine/cuda/cuda_kv_memory.h"
#include "common/engine/cuda/cuda_layers.h"
#include "common/engine/cuda/decode_graphs.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/cuda/scratch_arena.h"
#include "common/engine/model/causal_lm.h"

namespace weft::engine::gpu {

struct CudaDecoderLayer {
  DeviceBuffer input_norm;      // bf16 [hidden]
  DeviceBuffer post_attn_norm;  // bf16 [hidden]
  std::unique_ptr<CudaAttentionLayer> attention;
  std::unique_ptr<CudaFeedForwardLayer> feed_forward;
};

struct CudaDecoderWeights {
  DeviceBuffer embed;     // bf16 [vocab, hidden]
  DeviceBuffer norm;      // bf16 [hidden]
  DeviceBuffer lm_head;   // bf16 [vocab, hidden]; empty when tied to embed
  DeviceBuffer inv_freq;  // float32 RoPE inverse frequencies, read by the attention layers
  std::vector<CudaDecoderLayer> layers;
  // The layers' projections are INT8 W8A8: the pre-norms also quantize
  // their output per token (fused into the norm kernel).
  bool int8 = false;
};

class CudaDecoderModel final : public CausalLm {
 public:
  // Creates the model's stream and cuBLAS handle on the current device.
  // max_graph_tokens: the largest decode step run as a CUDA graph (0: none).
  static absl::StatusOr<std::unique_ptr<CudaDecoderModel>> Create(checkpoint::ModelConfig config,
                                                                  KvLayout kv_layout,
                                                                  CudaDecoderWeights weights,
                                                                  int32_t max_graph_tokens);
  ~CudaDecoderModel() override;

  const checkpoint::ModelConfig& config() const override { return config_; }
  KvLayout kv_layout() const override { return kv_layout_; }
  absl::StatusOr<std::unique_ptr<KvMemory>> CreateKvMemory(int32_t num_blocks,
                                                           int32_t block_size) const override;
  // Steps are serialized (one stream, one scratch arena): concurrent calls
  // wait for each other.
  absl::Status Forward(const ForwardBatch& batch, KvMemory& kv,
                       std::vector<float>* logits) const override;
  // Samples on the GPU (kernels/cuda/sampling): only the tokens, their
  // logprobs and the requested top logprobs come back to the host.
  absl::Status ForwardAndSample(const ForwardBatch& batch, KvMemory& kv,
                                absl::Span<const SampleRow> rows,
                                std::vector<SampledToken>* tokens) const override;

  // Decode graphs captured so far (for tests and benchmarks).
  int64_t graph_captures() const;

 private:
  CudaDecoderModel(checkpoint::ModelConfig config, KvLayout kv_layout, CudaDecoderWeights weights,
                   int32_t max_graph_tokens);
  // Scratch the layers and the LM head of a step of `shape` take.
  size_t StepScratchBytes(const StepShape& shape, int64_t logit_rows) const;
  // Enqueues the step on stream_; *logits becomes the device logits
  // [logit rows, vocab] in scratch_, valid until the next step. The arena
  // keeps `extra_bytes` free after them for the caller. Nothing synchronizes.
  absl::Status EnqueueStep(const ForwardBatch& batch, KvMemory& kv, size_t extra_bytes,
                           float** logits) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The step's kernels, from its device arrays, with buffers from `scratch`
  // (reserved for StepScratchBytes): what a decode graph captures.
  absl::Status EnqueueLayers(const DeviceBatch& in, const CudaKvMemory& kv, ScratchArena& scratch,
                             float** logits) const;
  absl::Status DownloadLogits(const ForwardBatch& batch, KvMemory& kv,
                              std::vector<float>* logits) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SampleOnDevice(const ForwardBatch& batch, KvMemory& kv,
                              absl::Span<const SampleRow> rows,
                              std::vector<SampledToken>* tokens) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `status`, once the stream is idle if it failed: a step that failed
  // half-way may have kernels in flight that use the scratch arena.
  absl::Status Finished(absl::Status status) const;

  // Constant after construction.
  checkpoint::ModelConfig config_;
  KvLayout kv_layout_;
  CudaDecoderWeights w_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  DeviceBuffer blas_workspace_;

  mutable absl::Mutex mu_;
  mutable ScratchArena scratch_ ABSL_GUARDED_BY(mu_);
  mutable DecodeGraphs graphs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_DECODER_MODEL_H_
