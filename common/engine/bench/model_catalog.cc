#include "common/engine/bench/model_catalog.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_macros.h"

namespace weft::engine::bench {
namespace {

constexpr const char* kFixtures[] = {"tiny-llama", "tiny-qwen3-moe", "tiny-deepseek-v3"};

struct DummyModel {
  const char* name;
  const char* config_json;
};

// A Llama-shaped model of ~302M parameters (TinyLlama's layout at a quarter
// of its width: GQA with 16 query / 8 KV heads of 64, SwiGLU MLP, untied
// 32000-token vocabulary).
constexpr char kDummyLlama300M[] = R"json({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
  "hidden_size": 1024, "intermediate_size": 2816, "num_hidden_layers": 20,
  "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 64,
  "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
  "rope_theta": 10000.0, "rope_scaling": null, "tie_word_embeddings": false,
  "attention_bias": false, "mlp_bias": false, "bos_token_id": 1, "eos_token_id": 2})json";

// A Qwen3-MoE-shaped model of ~388M parameters, ~90M active per token
// (Qwen3-30B-A3B's layout scaled down: every layer sparse, 32 experts, top-4,
// q/k norms, 16 query / 4 KV heads of 64).
constexpr char kDummyQwen3Moe400M[] = R"json({
  "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_act": "silu",
  "hidden_size": 1024, "intermediate_size": 3072, "moe_intermediate_size": 384,
  "num_hidden_layers": 8, "num_attention_heads": 16, "num_key_value_heads": 4, "head_dim": 64,
  "num_experts": 32, "num_experts_per_tok": 4, "norm_topk_prob": true,
  "decoder_sparse_step": 1, "mlp_only_layers": [], "vocab_size": 32000,
  "max_position_embeddings": 4096, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
  "rope_scaling": null, "tie_word_embeddings": false, "attention_bias": false,
  "sliding_window": null, "use_sliding_window": false, "bos_token_id": 1, "eos_token_id": 2})json";

constexpr DummyModel kDummies[] = {
    {"dummy-llama-300m", kDummyLlama300M},
    {"dummy-qwen3-moe-400m", kDummyQwen3Moe400M},
};

bool IsFixture(const std::string& name) {
  return std::find(std::begin(kFixtures), std::end(kFixtures), name) != std::end(kFixtures);
}

const DummyModel* FindDummy(const std::string& name) {
  for (const DummyModel& d : kDummies) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

absl::Status UnknownModel(const std::string& name) {
  return absl::NotFoundError(
      absl::StrCat("unknown model '", name, "'; known: ", absl::StrJoin(AllModelNames(), ", ")));
}

}  // namespace

std::vector<std::string> AllModelNames() {
  std::vector<std::string> names(std::begin(kFixtures), std::end(kFixtures));
  for (const DummyModel& d : kDummies) names.push_back(d.name);
  return names;
}

absl::StatusOr<checkpoint::ModelConfig> BenchModelConfig(const std::string& name,
                                                         const std::string& fixtures_dir) {
  if (IsFixture(name)) {
    return checkpoint::LoadModelConfig(absl::StrCat(fixtures_dir, "/", name, "/config.json"));
  }
  if (const DummyModel* d = FindDummy(name); d != nullptr) {
    return checkpoint::ParseModelConfig(d->config_json, absl::StrCat(name, "/config.json"));
  }
  return UnknownModel(name);
}

absl::StatusOr<std::unique_ptr<CausalLm>> LoadBenchModel(const std::string& name,
                                                         const std::string& fixtures_dir,
                                                         uint64_t seed,
                                                         const ModelOptions& options) {
  if (IsFixture(name)) return LoadCpuModel(absl::StrCat(fixtures_dir, "/", name), options);
  if (FindDummy(name) == nullptr) return UnknownModel(name);
  WEFT_ASSIGN_OR_RETURN(checkpoint::ModelConfig config, BenchModelConfig(name, fixtures_dir));
  return BuildDummyCpuModel(config, seed, options);
}

}  // namespace weft::engine::bench
