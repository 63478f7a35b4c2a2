#include "common/engine/cuda/cuda_decoder_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/engine/cuda/cuda_kv_memory.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/engine/cuda/sampling_rows.h"
#include "common/engine/model/forward_batch_check.h"
#include "common/status/status_macros.h"
#include "kernels/cuda/cublas_library.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/rms_norm.h"
#include "kernels/cuda/sampling.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

namespace {

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
    checkpoint::ModelConfig config, KvLayout kv_layout, CudaDecoderWeights weights) {
  std::unique_ptr<CudaDecoderModel> model(
      new CudaDecoderModel(std::move(config), kv_layout, std::move(weights)));
  WEFT_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&model->stream_, cudaStreamNonBlocking),
                            "model stream");
  const kernels::gpu::CublasLibrary* blas = kernels::gpu::Cublas();
  if (blas == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the CUDA backend needs cuBLAS: ", kernels::gpu::CublasOpenError()));
  }
  WEFT_CUBLAS_RETURN_IF_ERROR(blas->create(&model->blas_), "cuBLAS handle");
  return model;
}

CudaDecoderModel::CudaDecoderModel(checkpoint::ModelConfig config, KvLayout kv_layout,
                                   CudaDecoderWeights weights)
    : config_(std::move(config)), kv_layout_(kv_layout), w_(std::move(weights)) {}

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

absl::Status CudaDecoderModel::EnqueueStep(const ForwardBatch& batch, KvMemory& memory,
                                           size_t extra_bytes, float** logits) const {
  auto* kv = dynamic_cast<CudaKvMemory*>(&memory);
  if (kv == nullptr) {
    return absl::InvalidArgumentError("the CUDA backend needs a CUDA KV memory (CreateKvMemory)");
  }
  WEFT_RETURN_IF_ERROR(ValidateForwardBatch(batch, config_.vocab_size, kv_layout_, memory));
  const int64_t t = batch.num_tokens();
  const int64_t m = static_cast<int64_t>(batch.logit_indices.size());
  const int64_t hidden = config_.hidden_size;
  const int64_t vocab = config_.vocab_size;
  *logits = nullptr;
  if (t == 0) return scratch_.Reserve(extra_bytes);
  const float eps = static_cast<float>(config_.rms_norm_eps);

  StepShape shape;
  shape.tokens = t;
  shape.max_context_len = *std::max_element(batch.context_len.begin(), batch.context_len.end());
  size_t layer_bytes = 0;
  for (const CudaDecoderLayer& layer : w_.layers) {
    layer_bytes = std::max({layer_bytes, layer.attention->ScratchBytes(shape),
                            layer.feed_forward->ScratchBytes(shape)});
  }
  const size_t fixed_bytes =
      5 * ScratchArena::Bytes(t, sizeof(int32_t)) + ScratchArena::Bytes(t, sizeof(int64_t)) +
      ScratchArena::Bytes(static_cast<int64_t>(batch.block_tables.size()), sizeof(int32_t)) +
      ScratchArena::Bytes(m, sizeof(int32_t)) + ScratchArena::Bytes(t * hidden, sizeof(float)) +
      ScratchArena::Bytes(t * hidden, sizeof(__nv_bfloat16)) +
      ScratchArena::Bytes(m * hidden, sizeof(float)) +
      ScratchArena::Bytes(m * hidden, sizeof(__nv_bfloat16)) +
      ScratchArena::Bytes(m * vocab, sizeof(float));
  WEFT_RETURN_IF_ERROR(scratch_.Reserve(fixed_bytes + layer_bytes + extra_bytes));

  CudaStep step;
  step.shape = shape;
  step.stream = stream_;
  step.blas = blas_;
  step.scratch = &scratch_;
  step.max_blocks_per_sequence = batch.max_blocks_per_sequence;
  const int32_t* token_ids = nullptr;
  const int32_t* logit_rows = nullptr;
  WEFT_RETURN_IF_ERROR(Upload(batch.token_ids, scratch_, stream_, &token_ids));
  WEFT_RETURN_IF_ERROR(Upload(batch.positions, scratch_, stream_, &step.positions));
  WEFT_RETURN_IF_ERROR(Upload(batch.sequence_of_token, scratch_, stream_, &step.sequence_of_token));
  WEFT_RETURN_IF_ERROR(Upload(batch.context_len, scratch_, stream_, &step.context_len));
  WEFT_RETURN_IF_ERROR(Upload(batch.slots, scratch_, stream_, &step.slots));
  WEFT_RETURN_IF_ERROR(Upload(batch.block_tables, scratch_, stream_, &step.block_tables));
  WEFT_RETURN_IF_ERROR(Upload(batch.logit_indices, scratch_, stream_, &logit_rows));
  float* residual = scratch_.Take<float>(t * hidden);
  auto* h = scratch_.Take<__nv_bfloat16>(t * hidden);
  float* rows = scratch_.Take<float>(m * hidden);
  auto* rows_bf16 = scratch_.Take<__nv_bfloat16>(m * hidden);
  float* out = scratch_.Take<float>(m * vocab);

  k::EmbeddingParams embed;
  embed.table = w_.embed.as<__nv_bfloat16>();
  embed.vocab = vocab;
  embed.hidden = static_cast<int32_t>(hidden);
  embed.ids = token_ids;
  embed.tokens = t;
  embed.out = residual;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchEmbedding(embed, stream_), "embedding");

  k::AddRmsNormParams norm;
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
        layer.attention->Forward(step, h, kv->Layer(static_cast<int32_t>(l)), residual));
    norm.weight = layer.post_attn_norm.as<__nv_bfloat16>();
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchAddRmsNorm(norm, stream_), "post-attention norm");
    WEFT_RETURN_IF_ERROR(layer.feed_forward->Forward(step, h, residual));
  }

  if (m > 0) {
    k::GatherRowsParams gather;
    gather.src = residual;
    gather.rows = logit_rows;
    gather.num_rows = m;
    gather.cols = static_cast<int32_t>(hidden);
    gather.out = rows;
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchGatherRows(gather, stream_), "logit rows");
    norm.residual = rows;
    norm.out = rows_bf16;
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
