#include "common/checkpoint/tensor_expectations.h"

#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace weft::checkpoint {
namespace {

class Builder {
 public:
  explicit Builder(const ModelConfig& config) : config_(config) {
    if (config.quantization.has_value()) {
      block_rows_ = config.quantization->weight_block_size[0];
      block_cols_ = config.quantization->weight_block_size[1];
    }
  }

  // A norm weight, bias, embedding or other unquantized tensor.
  void Plain(std::string name, std::vector<int64_t> shape) {
    out_.push_back({std::move(name), std::move(shape), std::nullopt});
  }

  // A linear layer's weight [out_features, in_features] (+ bias if asked).
  void Linear(const std::string& prefix, int64_t out_features, int64_t in_features,
              bool bias = false) {
    const std::string weight = absl::StrCat(prefix, ".weight");
    if (block_rows_ > 0) {
      out_.push_back({weight, {out_features, in_features}, DType::kF8E4M3});
      out_.push_back({absl::StrCat(weight, "_scale_inv"),
                      {(out_features + block_rows_ - 1) / block_rows_,
                       (in_features + block_cols_ - 1) / block_cols_},
                      DType::kF32});
    } else {
      Plain(weight, {out_features, in_features});
    }
    if (bias) Plain(absl::StrCat(prefix, ".bias"), {out_features});
  }

  void GatedMlp(const std::string& prefix, int64_t intermediate) {
    const int64_t hidden = config_.hidden_size;
    Linear(absl::StrCat(prefix, ".gate_proj"), intermediate, hidden);
    Linear(absl::StrCat(prefix, ".up_proj"), intermediate, hidden);
    Linear(absl::StrCat(prefix, ".down_proj"), hidden, intermediate);
  }

  void Attention(const std::string& p) {
    const ModelConfig& c = config_;
    const int64_t hidden = c.hidden_size;
    const bool bias = c.attention_bias;
    if (c.mla.has_value()) {
      const MlaConfig& mla = *c.mla;
      const int64_t heads = c.num_attention_heads;
      if (mla.q_lora_rank.has_value()) {
        Linear(p + ".q_a_proj", *mla.q_lora_rank, hidden, bias);
        Plain(p + ".q_a_layernorm.weight", {*mla.q_lora_rank});
        Linear(p + ".q_b_proj", heads * mla.qk_head_dim(), *mla.q_lora_rank);
      } else {
        Linear(p + ".q_proj", heads * mla.qk_head_dim(), hidden);
      }
      Linear(p + ".kv_a_proj_with_mqa", mla.kv_lora_rank + mla.qk_rope_head_dim, hidden, bias);
      Plain(p + ".kv_a_layernorm.weight", {mla.kv_lora_rank});
      Linear(p + ".kv_b_proj", heads * (mla.qk_nope_head_dim + mla.v_head_dim), mla.kv_lora_rank);
      Linear(p + ".o_proj", hidden, heads * mla.v_head_dim, bias);
      return;
    }
    const int64_t q_dim = c.num_attention_heads * c.head_dim;
    const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
    Linear(p + ".q_proj", q_dim, hidden, bias);
    Linear(p + ".k_proj", kv_dim, hidden, bias);
    Linear(p + ".v_proj", kv_dim, hidden, bias);
    Linear(p + ".o_proj", hidden, q_dim, bias);
    if (c.architecture == Architecture::kQwen3Moe) {
      Plain(p + ".q_norm.weight", {c.head_dim});
      Plain(p + ".k_norm.weight", {c.head_dim});
    }
  }

  void Mlp(const std::string& p, int64_t layer) {
    const ModelConfig& c = config_;
    if (!c.IsMoeLayer(layer)) {
      GatedMlp(p, c.intermediate_size);
      return;
    }
    const MoeConfig& moe = c.moe;
    Plain(p + ".gate.weight", {moe.num_experts, c.hidden_size});
    if (c.architecture == Architecture::kDeepseekV3) {
      Plain(p + ".gate.e_score_correction_bias", {moe.num_experts});
    }
    for (int64_t e = 0; e < moe.num_experts; ++e) {
      GatedMlp(absl::StrCat(p, ".experts.", e), moe.moe_intermediate_size);
    }
    if (c.architecture == Architecture::kDeepseekV3 && moe.n_shared_experts > 0) {
      GatedMlp(p + ".shared_experts", moe.moe_intermediate_size * moe.n_shared_experts);
    }
  }

  std::vector<ExpectedTensor> Build() {
    const ModelConfig& c = config_;
    Plain("model.embed_tokens.weight", {c.vocab_size, c.hidden_size});
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      const std::string p = absl::StrCat("model.layers.", i);
      Plain(p + ".input_layernorm.weight", {c.hidden_size});
      Attention(p + ".self_attn");
      Plain(p + ".post_attention_layernorm.weight", {c.hidden_size});
      Mlp(p + ".mlp", i);
    }
    Plain("model.norm.weight", {c.hidden_size});
    if (!c.tie_word_embeddings) Plain("lm_head.weight", {c.vocab_size, c.hidden_size});
    return std::move(out_);
  }

 private:
  const ModelConfig& config_;
  int64_t block_rows_ = 0;
  int64_t block_cols_ = 0;
  std::vector<ExpectedTensor> out_;
};

std::string DTypeExpectation(const ExpectedTensor& expected) {
  if (expected.dtype.has_value()) return std::string(DTypeName(*expected.dtype));
  return "BF16, F16 or F32";
}

bool DTypeMatches(const ExpectedTensor& expected, DType actual) {
  if (expected.dtype.has_value()) return actual == *expected.dtype;
  return actual == DType::kBF16 || actual == DType::kF16 || actual == DType::kF32;
}

}  // namespace

std::vector<ExpectedTensor> ExpectedTensors(const ModelConfig& config) {
  return Builder(config).Build();
}

bool IsIgnorableExtraTensor(const ModelConfig& config, const std::string& name) {
  if (absl::EndsWith(name, ".rotary_emb.inv_freq")) return true;
  if (config.tie_word_embeddings && name == "lm_head.weight") return true;
  constexpr absl::string_view kLayers = "model.layers.";
  if (config.num_nextn_predict_layers > 0 && absl::StartsWith(name, kLayers)) {
    const absl::string_view rest = absl::string_view(name).substr(kLayers.size());
    const size_t dot = rest.find('.');
    int64_t layer;
    if (dot != absl::string_view::npos && absl::SimpleAtoi(rest.substr(0, dot), &layer) &&
        layer >= config.num_hidden_layers &&
        layer < config.num_hidden_layers + config.num_nextn_predict_layers) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> FindCheckpointProblems(const Checkpoint& checkpoint,
                                                const ModelConfig& config) {
  std::vector<std::string> problems;
  absl::flat_hash_set<std::string> expected_names;
  for (const ExpectedTensor& expected : ExpectedTensors(config)) {
    expected_names.insert(expected.name);
    const TensorView* tensor = checkpoint.Find(expected.name);
    if (tensor == nullptr) {
      problems.push_back(absl::StrCat("missing tensor ", expected.name, " (expected shape ",
                                      ShapeToString(expected.shape), ")"));
      continue;
    }
    if (tensor->shape != expected.shape) {
      problems.push_back(absl::StrCat("tensor ", expected.name, " has shape ",
                                      tensor->ShapeString(), ", expected ",
                                      ShapeToString(expected.shape)));
    }
    if (!DTypeMatches(expected, tensor->dtype)) {
      problems.push_back(absl::StrCat("tensor ", expected.name, " has dtype ",
                                      DTypeName(tensor->dtype), ", expected ",
                                      DTypeExpectation(expected)));
    }
  }
  for (const std::string& name : checkpoint.tensor_names()) {
    if (!expected_names.contains(name) && !IsIgnorableExtraTensor(config, name)) {
      problems.push_back(absl::StrCat("unexpected tensor ", name));
    }
  }
  return problems;
}

absl::Status ValidateCheckpoint(const Checkpoint& checkpoint, const ModelConfig& config) {
  std::vector<std::string> problems = FindCheckpointProblems(checkpoint, config);
  if (problems.empty()) return absl::OkStatus();
  constexpr size_t kMaxListed = 100;
  const size_t total = problems.size();
  std::string message =
      absl::StrCat("checkpoint ", checkpoint.path(), " does not match its ",
                   ArchitectureName(config.architecture), " config (", total, " problems): ");
  if (total > kMaxListed) problems.resize(kMaxListed);
  absl::StrAppend(&message, absl::StrJoin(problems, "; "));
  if (total > kMaxListed) absl::StrAppend(&message, "; ... and ", total - kMaxListed, " more");
  return absl::InvalidArgumentError(message);
}

}  // namespace weft::checkpoint
