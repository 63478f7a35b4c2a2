#include "common/engine/cuda/cuda_decoder_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/engine/cuda/cuda_kv_memory.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/engine/cuda/sampling_rows.h"
#include "common/engine/model/forward_batch_check.h"
#include "common/logging/log.h"
#include "common/status/status_macros.h"
#include "kernels/cuda/cublas_library.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/rms_norm.h"
#include "kernels/cuda/sampling.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

namespace {

// cuBLAS's recommendation for Hopper.
constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;

// Enqueues a host-to-device copy of `values` into scratch.
template <typename T>
absl::Status Upload(const std::vector<T>& values, ScratchArena& scratch, cudaStream_t stream,
                    const T** out) {
  T* dst = scratch.Take<T>(static_cast<int64_t>(values.size()));
  *out = dst;
  if (values.empty()) return absl::OkStatus();
  WEFT_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst, values.data(), values.size() * sizeof(T),
                                            cudaMemcpyHostToDevice, stream),
                            "forward batch upload");
  return absl::OkStatus();
}

// Enqueues a device-to-host copy of `out->size()` values from `src`.
template <typename T>
absl::Status Download(const T* src, cudaStream_t stream, std::vector<T>* out) {
  if (out->empty()) return absl::OkStatus();
  WEFT_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(out->data(), src, out->size() * sizeof(T), cudaMemcpyDeviceToHost, stream),
      "sampling download");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CudaDecoderModel>> CudaDecoderModel::Create(
    checkpoint::ModelConfig config, KvLayout kv_layout, CudaDecoderWeights weights,
    int32_t max_graph_tokens) {
  std::unique_ptr<CudaDecoderModel> model(
      new CudaDecoderModel(std::move(config), kv_layout, std::move(weights), max_graph_tokens));
  WEFT_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&model->stream_, cudaStreamNonBlocking),
                            "model stream");
  const kernels::gpu::CublasLibrary* blas = kernels::gpu::Cublas();
  if (blas == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the CUDA backend needs cuBLAS: ", kernels::gpu::CublasOpenError()));
  }
  WEFT_CUBLAS_RETURN_IF_ERROR(blas->create(&model->blas_), "cuBLAS handle");
  // A workspace of our own: cuBLAS must not allocate one inside a capture.
  // Given after binding the stream (binding resets it), and kept: every
  // GEMM of the model runs on this stream, so it is never bound again.
  WEFT_CUBLAS_RETURN_IF_ERROR(blas->set_stream(model->blas_, model->stream_), "cuBLAS stream");
  WEFT_ASSIGN_OR_RETURN(model->blas_workspace_, DeviceBuffer::Allocate(kCublasWorkspaceBytes));
  WEFT_CUBLAS_RETURN_IF_ERROR(blas->set_workspace(model->blas_, model->blas_workspace_.data(),
                                                  model->blas_workspace_.bytes()),
                              "cuBLAS workspace");
  return model;
}

CudaDecoderModel::CudaDecoderModel(checkpoint::ModelConfig config, KvLayout kv_layout,
                                   CudaDecoderWeights weights, int32_t max_graph_tokens)
    : config_(std::move(config)),
      kv_layout_(kv_layout),
      w_(std::move(weights)),
      graphs_(max_graph_tokens) {}

int64_t CudaDecoderModel::graph_captures() const {
  absl::MutexLock lock(&mu_);
  return graphs_.captures();
}

CudaDecoderModel::~CudaDecoderModel() {
  if (blas_ != nullptr) kernels::gpu::Cublas()->destroy(blas_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

absl::StatusOr<std::unique_ptr<KvMemory>> CudaDecoderModel::CreateKvMemory(
    int32_t num_blocks, int32_t block_size) const {
  absl::StatusOr<std::unique_ptr<CudaKvMemory>> kv =
      CudaKvMemory::Create(kv_layout_, num_blocks, block_size);
  if (!kv.ok()) return kv.status();
  return std::unique_ptr<KvMemory>(*std::move(kv));
}

absl::Status CudaDecoderModel::Forward(const ForwardBatch& batch, KvMemory& memory,
                                       std::vector<float>* logits) const {
  absl::MutexLock lock(&mu_);
  return Finished(DownloadLogits(batch, memory, logits));
}

absl::Status CudaDecoderModel::ForwardAndSample(const ForwardBatch& batch, KvMemory& memory,
                                                absl::Span<const SampleRow> rows,
                                                std::vector<SampledToken>* tokens) const {
  if (rows.size() != batch.logit_indices.size()) {
    return absl::InvalidArgumentError("one sample row per logit index expected");
  }
  absl::MutexLock lock(&mu_);
  return Finished(SampleOnDevice(batch, memory, rows, tokens));
}

absl::Status CudaDecoderModel::Finished(absl::Status status) const {
  if (!status.ok()) cudaStreamSynchronize(stream_);
  return status;
}

absl::Status CudaDecoderModel::DownloadLogits(const ForwardBatch& batch, KvMemory& memory,
                                              std::vector<float>* logits) const {
  float* device_logits = nullptr;
  WEFT_RETURN_IF_ERROR(EnqueueStep(batch, memory, 0, &device_logits));
  const size_t count = batch.logit_indices.size() * static_cast<size_t>(config_.vocab_size);
  logits->assign(count, 0.0f);
  if (count > 0) {
    WEFT_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(logits->data(), device_logits, count * sizeof(float),
                                              cudaMemcpyDeviceToHost, stream_),
                              "logits download");
  }
  WEFT_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_), "forward step");
  return absl::OkStatus();
}

absl::Status CudaDecoderModel::SampleOnDevice(const ForwardBatch& batch, KvMemory& memory,
                                              absl::Span<const SampleRow> rows,
                                              std::vector<SampledToken>* tokens) const {
  const int32_t m = static_cast<int32_t>(rows.size());
  const int32_t vocab = static_cast<int32_t>(config_.vocab_size);
  const SamplingInputs in = BuildSamplingInputs(rows);
  const int64_t top = in.any_top_logprobs ? int64_t{m} * k::kMaxTopLogprobs : 0;
  const size_t workspace = k::SampleWorkspaceBytes(m, vocab);
  if (m > 0 && workspace == 0) return absl::InvalidArgumentError("sampling batch too large");
  const size_t extra =
      ScratchArena::Bytes(m, sizeof(k::SamplingRow)) +
      ScratchArena::Bytes(static_cast<int64_t>(in.penalties.size()), sizeof(k::PenaltyToken)) +
      ScratchArena::Bytes(static_cast<int64_t>(workspace), 1) +
      ScratchArena::Bytes(m, sizeof(int32_t)) + ScratchArena::Bytes(m, sizeof(float)) +
      ScratchArena::Bytes(top, sizeof(int32_t)) + ScratchArena::Bytes(top, sizeof(float));
  float* device_logits = nullptr;
  WEFT_RETURN_IF_ERROR(EnqueueStep(batch, memory, extra, &device_logits));
  tokens->clear();
  if (m == 0) {
    WEFT_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_), "forward step");
    return absl::OkStatus();
  }
  k::SampleParams p;
  p.logits = device_logits;
  p.logits_stride = vocab;
  p.rows = m;
  p.vocab = vocab;
  const k::SamplingRow* settings = nullptr;
  WEFT_RETURN_IF_ERROR(Upload(in.rows, scratch_, stream_, &settings));
  p.row_settings = settings;
  const k::PenaltyToken* penalties = nullptr;
  WEFT_RETURN_IF_ERROR(Upload(in.penalties, scratch_, stream_, &penalties));
  p.penalty_tokens = in.penalties.empty() ? nullptr : penalties;
  p.workspace = scratch_.Take<char>(static_cast<int64_t>(workspace));
  p.workspace_bytes = workspace;
  p.tokens = scratch_.Take<int32_t>(m);
  p.logprobs = scratch_.Take<float>(m);
  if (top > 0) {
    p.top_ids = scratch_.Take<int32_t>(top);
    p.top_logprobs = scratch_.Take<float>(top);
  }
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchSample(p, stream_), "sampling");
  std::vector<int32_t> ids(m), top_ids(top);
  std::vector<float> logprobs(m), top_logprobs(top);
  WEFT_RETURN_IF_ERROR(Download(p.tokens, stream_, &ids));
  WEFT_RETURN_IF_ERROR(Download(p.logprobs, stream_, &logprobs));
  if (top > 0) {
    WEFT_RETURN_IF_ERROR(Download(p.top_ids, stream_, &top_ids));
    WEFT_RETURN_IF_ERROR(Download(p.top_logprobs, stream_, &top_logprobs));
  }
  WEFT_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_), "forward step");
  tokens->resize(m);
  for (int32_t r = 0; r < m; ++r) {
    SampledToken& t = (*tokens)[r];
    t.token = ids[r];
    t.logprob = logprobs[r];
    const int32_t n = std::min(rows[r].options->top_logprobs, vocab);
    for (int32_t i = 0; i < n; ++i) {
      const int64_t at = int64_t{r} * k::kMaxTopLogprobs + i;
      t.top_logprobs.emplace_back(top_ids[at], top_logprobs[at]);
    }
  }
  return absl::OkStatus();
}

size_t CudaDecoderModel::StepScratchBytes(const StepShape& shape, int64_t logit_rows) const {
  const int64_t t = shape.tokens;
  const int64_t m = logit_rows;
  const int64_t hidden = config_.hidden_size;
  size_t layer_bytes = 0;
  for (const CudaDecoderLayer& layer : w_.layers) {
    layer_bytes = std::max({layer_bytes, layer.attention->ScratchBytes(shape),
                            layer.feed_forward->ScratchBytes(shape)});
  }
  return layer_bytes + ScratchArena::Bytes(t * hidden, sizeof(float)) +
         ScratchArena::Bytes(t * hidden, sizeof(__nv_bfloat16)) +
         (w_.int8 ? ScratchArena::Bytes(t * hidden, sizeof(int8_t)) +
                        ScratchArena::Bytes(t, sizeof(float))
                  : 0) +
         ScratchArena::Bytes(m * hidden, sizeof(float)) +
         ScratchArena::Bytes(m * hidden, sizeof(__nv_bfloat16)) +
         ScratchArena::Bytes(m * config_.vocab_size, sizeof(float));
}

absl::Status CudaDecoderModel::EnqueueStep(const ForwardBatch& batch, KvMemory& memory,
                                           size_t extra_bytes, float** logits) const {
  auto* kv = dynamic_cast<CudaKvMemory*>(&memory);
  if (kv == nullptr) {
    return absl::InvalidArgumentError("the CUDA backend needs a CUDA KV memory (CreateKvMemory)");
  }
  WEFT_RETURN_IF_ERROR(ValidateForwardBatch(batch, config_.vocab_size, kv_layout_, memory));
  const int64_t t = batch.num_tokens();
  const int64_t m = static_cast<int64_t>(batch.logit_indices.size());
  *logits = nullptr;
  if (t == 0) return scratch_.Reserve(extra_bytes);

  auto enqueue = [&](const DeviceBatch& in, ScratchArena& scratch, float** out) {
    return EnqueueLayers(in, *kv, scratch, out);
  };
  auto scratch_bytes = [&](const StepShape& shape, int64_t rows) {
    return StepScratchBytes(shape, rows);
  };
  if (graphs_.Accepts(batch)) {
    const absl::Status graphed =
        graphs_.Run(batch, kv->id(), kv->block_size(), stream_, scratch_bytes, enqueue, logits);
    if (graphed.ok()) return scratch_.Reserve(extra_bytes);
    if (graphs_.broken().ok()) return graphed;
    // Capture failed: this model runs every step eagerly from now on.
    WEFT_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_), "after a failed capture");
    WEFT_LOG(WARNING) << graphed << "; decode steps run without CUDA graphs";
  }

  DeviceBatch in;
  in.shape.tokens = t;
  in.shape.max_context_len = *std::max_element(batch.context_len.begin(), batch.context_len.end());
  in.num_logit_rows = m;
  in.max_blocks_per_sequence = batch.max_blocks_per_sequence;
  const size_t upload_bytes =
      4 * ScratchArena::Bytes(t, sizeof(int32_t)) + ScratchArena::Bytes(t, sizeof(int64_t)) +
      ScratchArena::Bytes(static_cast<int64_t>(batch.block_tables.size()), sizeof(int32_t)) +
      ScratchArena::Bytes(m, sizeof(int32_t));
  WEFT_RETURN_IF_ERROR(
      scratch_.Reserve(upload_bytes + StepScratchBytes(in.shape, m) + extra_bytes));
  WEFT_RETURN_IF_ERROR(Upload(batch.token_ids, scratch_, stream_, &in.token_ids));
  WEFT_RETURN_IF_ERROR(Upload(batch.positions, scratch_, stream_, &in.positions));
  WEFT_RETURN_IF_ERROR(Upload(batch.sequence_of_token, scratch_, stream_, &in.sequence_of_token));
  WEFT_RETURN_IF_ERROR(Upload(batch.context_len, scratch_, stream_, &in.context_len));
  WEFT_RETURN_IF_ERROR(Upload(batch.slots, scratch_, stream_, &in.slots));
  WEFT_RETURN_IF_ERROR(Upload(batch.block_tables, scratch_, stream_, &in.block_tables));
  WEFT_RETURN_IF_ERROR(Upload(batch.logit_indices, scratch_, stream_, &in.logit_rows));
  return EnqueueLayers(in, *kv, scratch_, logits);
}

absl::Status CudaDecoderModel::EnqueueLayers(const DeviceBatch& in, const CudaKvMemory& kv,
                                             ScratchArena& scratch, float** logits) const {
  const int64_t t = in.shape.tokens;
  const int64_t m = in.num_logit_rows;
  const int64_t hidden = config_.hidden_size;
  const int64_t vocab = config_.vocab_size;
  const float eps = static_cast<float>(config_.rms_norm_eps);

  CudaStep step;
  step.shape = in.shape;
  step.stream = stream_;
  step.blas = blas_;
  step.scratch = &scratch;
  step.positions = in.positions;
  step.sequence_of_token = in.sequence_of_token;
  step.context_len = in.context_len;
  step.slots = in.slots;
  step.block_tables = in.block_tables;
  step.max_blocks_per_sequence = in.max_blocks_per_sequence;
  float* residual = scratch.Take<float>(t * hidden);
  auto* h = scratch.Take<__nv_bfloat16>(t * hidden);
  CudaActivations normed;
  normed.bf16 = h;
  k::AddRmsNormParams norm;
  if (w_.int8) {
    norm.q = scratch.Take<int8_t>(t * hidden);
    norm.q_scales = scratch.Take<float>(t);
    normed.q = norm.q;
    normed.q_scales = norm.q_scales;
  }
  float* rows = scratch.Take<float>(m * hidden);
  auto* rows_bf16 = scratch.Take<__nv_bfloat16>(m * hidden);
  float* out = scratch.Take<float>(m * vocab);

  k::EmbeddingParams embed;
  embed.table = w_.embed.as<__nv_bfloat16>();
  embed.vocab = vocab;
  embed.hidden = static_cast<int32_t>(hidden);
  embed.ids = in.token_ids;
  embed.tokens = t;
  embed.out = residual;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchEmbedding(embed, stream_), "embedding");

  norm.residual = residual;
  norm.out = h;
  norm.rows = t;
  norm.dim = static_cast<int32_t>(hidden);
  norm.eps = eps;
  for (size_t l = 0; l < w_.layers.size(); ++l) {
    const CudaDecoderLayer& layer = w_.layers[l];
    norm.weight = layer.input_norm.as<__nv_bfloat16>();
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchAddRmsNorm(norm, stream_), "input norm");
    WEFT_RETURN_IF_ERROR(
        layer.attention->Forward(step, normed, kv.Layer(static_cast<int32_t>(l)), residual));
    norm.weight = layer.post_attn_norm.as<__nv_bfloat16>();
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchAddRmsNorm(norm, stream_), "post-attention norm");
    WEFT_RETURN_IF_ERROR(layer.feed_forward->Forward(step, normed, residual));
  }

  if (m > 0) {
    k::GatherRowsParams gather;
    gather.src = residual;
    gather.rows = in.logit_rows;
    gather.num_rows = m;
    gather.cols = static_cast<int32_t>(hidden);
    gather.out = rows;
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchGatherRows(gather, stream_), "logit rows");
    norm.residual = rows;
    norm.out = rows_bf16;
    norm.q = nullptr;  // the LM head is bf16
    norm.q_scales = nullptr;
    norm.rows = m;
    norm.weight = w_.norm.as<__nv_bfloat16>();
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchAddRmsNorm(norm, stream_), "final norm");
    k::GemmParams head;
    head.x = rows_bf16;
    head.ldx = hidden;
    head.w = (w_.lm_head.data() != nullptr ? w_.lm_head : w_.embed).as<__nv_bfloat16>();
    head.y = out;
    head.ldy = vocab;
    head.output = k::GemmOutput::kFloat32;
    head.m = m;
    head.n = vocab;
    head.k = hidden;
    WEFT_CUBLAS_RETURN_IF_ERROR(k::LaunchGemm(blas_, head, stream_), "LM head");
  }
  *logits = out;
  return absl::OkStatus();
}

}  // namespace weft::engine::gpu
