// weft-cuda-step-bench: the whole model on the GPU, measured against the
// roofline. Builds Qwen3-30B-A3B's shape (48 layers, 128 experts top-8,
// GQA 32/4 of 128, vocab 151936) with dummy weights generated on the GPU
// (bf16, or with --precision=int8 INT8 W8A8 projections), then times
//   - decode steps: --batches x --contexts, each step one token per
//     sequence over a paged bf16 KV cache of that context, through
//     CausalLm::ForwardAndSample with greedy rows (batch upload, all layers,
//     LM head, sampling on the GPU, tokens download: the step the engine
//     sees), median of --steps after warm-up; rows whose KV does not fit
//     beside the weights are skipped and say so;
//   - a prefill of --prefill_seqs x --prefill_len prompt tokens in one step.
// Each decode row prints the roofline (weight bytes the step touches -
// attention, router, the experts its tokens route to, the LM head - plus
// the KV bytes it reads, over 4.2 TB/s), the ratio of the measured time to
// it, and tokens/s against Hugging Face transformers eager on the same GPU
// (744 tok/s at batch 128, context 512; ../shared/docs/performance.md).
// The prefill row prints model FLOP/s against the 753 TFLOP/s bf16 ceiling.
//
//   weft-cuda-step-bench [--batches=1,64,128,256] [--contexts=512,2048] [--steps=20]
//                        [--precision=bf16|int8] [--max_graph_tokens=256] [--pdl=true|false]
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/engine/cuda/cuda_kv_memory.h"
#include "common/engine/cuda/cuda_model_loader.h"
#include "kernels/cuda/programmatic_launch.h"
#include "kernels/cuda/random_fill.h"

ABSL_FLAG(std::string, batches, "1,64,128,256", "Decode batch sizes");
ABSL_FLAG(std::string, contexts, "512,2048", "Context lengths (tokens per sequence)");
ABSL_FLAG(int, steps, 20, "Timed decode steps per row");
ABSL_FLAG(int, max_graph_tokens, 256,
          "Decode steps of up to this many sequences run as CUDA graphs (0: eager launches)");
ABSL_FLAG(std::string, precision, "bf16",
          "Weights: bf16, or int8 (W8A8 projections; router, embedding and LM head stay bf16)");
ABSL_FLAG(bool, pdl, true,
          "Programmatic dependent launch of weft's kernels (kernels/cuda/launch.cuh)");
ABSL_FLAG(int, prefill_seqs, 8, "Prompts in the prefill row (0: skip)");
ABSL_FLAG(int, prefill_len, 4096, "Tokens per prompt in the prefill row");

namespace weft::engine::gpu {
namespace {

constexpr double kHbmBytesPerSecond = 4.2e12;
constexpr double kBf16FlopsPerSecond = 753e12;
constexpr double kHfEagerTokPerSecB128L512 = 744.0;
constexpr int32_t kBlockSize = 16;
// GPU memory left beside the KV pool for the steps' scratch (the prefill of
// 8 x 4096 tokens takes about 3 GiB) and cuBLAS.
constexpr double kScratchHeadroomBytes = 6.0 * 1073741824.0;

constexpr char kQwen3_30B_A3B[] = R"json({
  "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_act": "silu",
  "hidden_size": 2048, "intermediate_size": 6144, "moe_intermediate_size": 768,
  "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
  "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": true,
  "decoder_sparse_step": 1, "mlp_only_layers": [], "vocab_size": 151936,
  "max_position_embeddings": 40960, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
  "rope_scaling": null, "tie_word_embeddings": false, "attention_bias": false,
  "sliding_window": null, "use_sliding_window": false, "bos_token_id": 151643,
  "eos_token_id": 151645})json";

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(s, ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(part, &v) && v > 0) out.push_back(v);
  }
  return out;
}

// Bytes of weights one decode step reads: every layer's attention and
// router, the distinct experts `batch` tokens route to (expected count under
// uniform routing), the LM head, and one embedding row per token. INT8: the
// projections take a byte per weight plus a float32 scale per output row.
double WeightBytes(const checkpoint::ModelConfig& c, int batch, bool int8) {
  const double h = c.hidden_size, d = c.head_dim;
  const double qkv_rows = (c.num_attention_heads + 2.0 * c.num_key_value_heads) * d;
  const double experts = c.moe.num_experts;
  const double touched =
      experts * (1.0 - std::pow(1.0 - double(c.moe.num_experts_per_tok) / experts, batch));
  const double inter = c.moe.moe_intermediate_size;
  // Projection weights and output rows per layer: qkv, o, the touched experts.
  const double weights = qkv_rows * h + c.num_attention_heads * d * h + touched * 3.0 * h * inter;
  const double rows = qkv_rows + h + touched * (2.0 * inter + h);
  const double projections = int8 ? weights + 4.0 * rows : 2.0 * weights;
  const double bf16_per_layer = 2.0 * experts * h;  // router
  return c.num_hidden_layers * (projections + bf16_per_layer) +
         2.0 * (double(c.vocab_size) * h + batch * h);
}

// Forward steps of `batch` sequences whose contexts are all `context` long
// (the last token decoding), blocks scattered over the pool.
ForwardBatch DecodeBatch(int batch, int context, int vocab, std::mt19937& rng) {
  ForwardBatch b;
  const int blocks_per_seq = (context + kBlockSize - 1) / kBlockSize;
  std::vector<int32_t> blocks(static_cast<size_t>(batch) * blocks_per_seq);
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i] = static_cast<int32_t>(i);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  b.max_blocks_per_sequence = blocks_per_seq;
  b.block_tables = blocks;
  for (int s = 0; s < batch; ++s) {
    const int pos = context - 1;
    b.token_ids.push_back(static_cast<int32_t>(rng() % vocab));
    b.positions.push_back(pos);
    b.sequence_of_token.push_back(s);
    b.slots.push_back(int64_t{blocks[s * blocks_per_seq + pos / kBlockSize]} * kBlockSize +
                      pos % kBlockSize);
    b.context_len.push_back(context);
    b.logit_indices.push_back(s);
  }
  return b;
}

ForwardBatch PrefillBatch(int seqs, int len, int vocab, std::mt19937& rng) {
  ForwardBatch b;
  const int blocks_per_seq = (len + kBlockSize - 1) / kBlockSize;
  b.max_blocks_per_sequence = blocks_per_seq;
  for (int i = 0; i < seqs * blocks_per_seq; ++i) b.block_tables.push_back(i);
  for (int s = 0; s < seqs; ++s) {
    for (int pos = 0; pos < len; ++pos) {
      b.token_ids.push_back(static_cast<int32_t>(rng() % vocab));
      b.positions.push_back(pos);
      b.sequence_of_token.push_back(s);
      b.slots.push_back(int64_t{s * blocks_per_seq + pos / kBlockSize} * kBlockSize +
                        pos % kBlockSize);
      b.context_len.push_back(pos + 1);
    }
    b.logit_indices.push_back(s * len + len - 1);
  }
  return b;
}

// Random (never zero) KV contents, so attention reads real values.
bool FillKv(const CudaKvMemory& kv) {
  for (int32_t l = 0; l < kv.layout().num_layers; ++l) {
    const kernels::gpu::PagedKvCacheView v = kv.Layer(l);
    const int64_t slots = int64_t{kv.num_blocks()} * kv.block_size();
    for (__nv_bfloat16* p : {v.k, v.v}) {
      kernels::gpu::RandomFillParams f;
      f.out_bf16 = p;
      f.count = slots * v.k_slot_stride;
      f.seed = 7 + l;
      f.stddev = 1.0f;
      if (kernels::gpu::LaunchRandomFill(f, nullptr) != cudaSuccess) return false;
    }
  }
  return cudaDeviceSynchronize() == cudaSuccess;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Run() {
  absl::StatusOr<checkpoint::ModelConfig> config =
      checkpoint::ParseModelConfig(kQwen3_30B_A3B, "Qwen3-30B-A3B");
  if (!config.ok()) {
    std::fprintf(stderr, "config: %s\n", config.status().ToString().c_str());
    return 1;
  }
  const auto load_start = std::chrono::steady_clock::now();
  ModelOptions options;
  options.max_graph_tokens = absl::GetFlag(FLAGS_max_graph_tokens);
  const std::string precision = absl::GetFlag(FLAGS_precision);
  if (precision != "bf16" && precision != "int8") {
    std::fprintf(stderr, "--precision=%s: expected bf16 or int8\n", precision.c_str());
    return 1;
  }
  const bool int8 = precision == "int8";
  kernels::gpu::SetProgrammaticLaunch(absl::GetFlag(FLAGS_pdl));
  if (int8) options.precision = WeightPrecision::kInt8;
  absl::StatusOr<std::unique_ptr<CausalLm>> model = BuildDummyCudaModel(*config, 1, options);
  if (!model.ok()) {
    std::fprintf(stderr, "model: %s\n", model.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "Qwen3-30B-A3B shape, dummy %s weights built on the GPU in %.1f s; decode steps of up "
      "to %d sequences as CUDA graphs; programmatic dependent launch %s\n",
      int8 ? "INT8 W8A8" : "bf16",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count(),
      options.max_graph_tokens, kernels::gpu::ProgrammaticLaunchEnabled() ? "on" : "off");
  const std::vector<int> batches = ParseList(absl::GetFlag(FLAGS_batches));
  const std::vector<int> contexts = ParseList(absl::GetFlag(FLAGS_contexts));
  const int max_batch = *std::max_element(batches.begin(), batches.end());
  const int max_context = *std::max_element(contexts.begin(), contexts.end());
  const int prefill_seqs = absl::GetFlag(FLAGS_prefill_seqs);
  const int prefill_len = absl::GetFlag(FLAGS_prefill_len);
  const checkpoint::ModelConfig& c = *config;
  const double kv_bytes_per_token =
      2.0 * c.num_hidden_layers * 2.0 * c.num_key_value_heads * c.head_dim;
  auto blocks_for = [](int64_t seqs, int64_t len) {
    return seqs * ((len + kBlockSize - 1) / kBlockSize);
  };
  const int64_t wanted =
      std::max(blocks_for(max_batch, max_context), blocks_for(prefill_seqs, prefill_len));
  // The pool: what the largest row needs, or what fits beside the weights
  // and the steps' scratch (rows that need more are skipped and say so;
  // batch 256 x context 2048 needs 48 GiB, more than an 80 GiB card holds
  // beside 57 GiB of weights).
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
    std::fprintf(stderr, "cudaMemGetInfo failed\n");
    return 1;
  }
  const double block_bytes = kv_bytes_per_token * kBlockSize;
  const int64_t fit = static_cast<int64_t>(
      std::max(0.0, (static_cast<double>(free_bytes) - kScratchHeadroomBytes) / block_bytes));
  const int64_t blocks = std::min(wanted, fit);
  std::printf(
      "GPU memory: %.1f GiB free of %.1f after the weights; KV pool %lld blocks of %d "
      "(%.1f GiB; the largest row wants %lld)\n",
      free_bytes / 1073741824.0, total_bytes / 1073741824.0, static_cast<long long>(blocks),
      kBlockSize, blocks * block_bytes / 1073741824.0, static_cast<long long>(wanted));
  absl::StatusOr<std::unique_ptr<KvMemory>> kv =
      (*model)->CreateKvMemory(static_cast<int32_t>(blocks), kBlockSize);
  if (!kv.ok()) {
    std::fprintf(stderr, "KV cache: %s\n", kv.status().ToString().c_str());
    return 1;
  }
  if (!FillKv(static_cast<const CudaKvMemory&>(**kv))) {
    std::fprintf(stderr, "KV fill failed\n");
    return 1;
  }
  std::mt19937 rng(1);
  const SamplingOptions greedy;
  std::printf("\n%-6s %-7s %10s %12s %8s %11s %s\n", "batch", "context", "step ms", "roofline ms",
              "ratio", "tok/s", "vs HF eager");
  int failures = 0;
  for (int context : contexts) {
    for (int batch : batches) {
      if (blocks_for(batch, context) > blocks) {
        std::printf("%-6d %-7d skipped: needs %.1f GiB of KV, the pool holds %.1f GiB\n", batch,
                    context, blocks_for(batch, context) * block_bytes / 1073741824.0,
                    blocks * block_bytes / 1073741824.0);
        continue;
      }
      const ForwardBatch step = DecodeBatch(batch, context, static_cast<int>(c.vocab_size), rng);
      const std::vector<CausalLm::SampleRow> rows(static_cast<size_t>(batch),
                                                  CausalLm::SampleRow{&greedy});
      std::vector<SampledToken> tokens;
      std::vector<double> times;
      bool ok = true;
      for (int i = 0; i < 3 + absl::GetFlag(FLAGS_steps) && ok; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const absl::Status s = (*model)->ForwardAndSample(step, **kv, rows, &tokens);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!s.ok()) {
          std::fprintf(stderr, "batch %d context %d: %s\n", batch, context, s.ToString().c_str());
          ok = false;
        }
        if (i >= 3) times.push_back(seconds);
      }
      if (!ok) {
        ++failures;
        continue;
      }
      const double t = Median(times);
      const double roofline =
          (WeightBytes(c, batch, int8) + kv_bytes_per_token * batch * context) / kHbmBytesPerSecond;
      const double tok_s = batch / t;
      std::printf("%-6d %-7d %10.3f %12.3f %8.2f %11.0f", batch, context, t * 1e3, roofline * 1e3,
                  t / roofline, tok_s);
      if (batch == 128 && context == 512) {
        std::printf(" %.1fx", tok_s / kHfEagerTokPerSecB128L512);
      }
      std::printf("\n");
    }
  }
  if (prefill_seqs > 0 && blocks_for(prefill_seqs, prefill_len) > blocks) {
    std::printf("\nprefill %d x %d tokens: skipped, the KV pool is too small\n", prefill_seqs,
                prefill_len);
  } else if (prefill_seqs > 0) {
    const ForwardBatch step =
        PrefillBatch(prefill_seqs, prefill_len, static_cast<int>(c.vocab_size), rng);
    std::vector<float> logits;
    std::vector<double> times;
    for (int i = 0; i < 4; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const absl::Status s = (*model)->Forward(step, **kv, &logits);
      if (!s.ok()) {
        std::fprintf(stderr, "prefill: %s\n", s.ToString().c_str());
        return 1;
      }
      if (i > 0) {
        times.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
    const double t = Median(times);
    const double tokens = static_cast<double>(prefill_seqs) * prefill_len;
    // Active-parameter matmuls (2 FLOPs each) plus causal attention.
    const double h = c.hidden_size, d = c.head_dim;
    const double active =
        c.num_hidden_layers * (h * (c.num_attention_heads + 2.0 * c.num_key_value_heads) * d +
                               c.num_attention_heads * d * h + c.moe.num_experts * h +
                               c.moe.num_experts_per_tok * 3.0 * h * c.moe.moe_intermediate_size);
    const double attention = c.num_hidden_layers * 4.0 * c.num_attention_heads * d * prefill_seqs *
                             (static_cast<double>(prefill_len) * prefill_len / 2.0);
    const double flops = 2.0 * active * tokens + attention;
    std::printf("\nprefill %d x %d tokens: %.1f ms, %.0f tok/s, %.0f TFLOP/s = %.2f of %.0f\n",
                prefill_seqs, prefill_len, t * 1e3, tokens / t, flops / t / 1e12,
                flops / t / kBf16FlopsPerSecond, kBf16FlopsPerSecond / 1e12);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace weft::engine::gpu

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return weft::engine::gpu::Run();
}
