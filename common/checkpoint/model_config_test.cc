#include "common/checkpoint/model_config.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/checkpoint/generation_config.h"
#include "common/checkpoint/safetensors_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string ConfigPath(absl::string_view model) {
  return absl::StrCat("tests/data/models/", model, "/config.json");
}

std::string TmpPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

Json LoadJson(const std::string& path) {
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(json.is_object()) << path;
  return json;
}

// Writes `json` to $TEST_TMPDIR/<name>/config.json and loads it from there.
absl::StatusOr<ModelConfig> LoadModified(const Json& json, absl::string_view name) {
  const std::string path = TmpPath(absl::StrCat(name, ".config.json"));
  EXPECT_TRUE(WriteStringToFile(path, json.dump(2)).ok());
  return LoadModelConfig(path);
}

void ExpectError(const Json& json, absl::string_view name, absl::string_view what) {
  absl::StatusOr<ModelConfig> config = LoadModified(json, name);
  ASSERT_FALSE(config.ok()) << name;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()),
              AllOf(HasSubstr(absl::StrCat(name, ".config.json")), HasSubstr(what)));
}

TEST(ModelConfigTest, TinyLlama) {
  absl::StatusOr<ModelConfig> config = LoadModelConfig(ConfigPath("tiny-llama"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->architecture, Architecture::kLlama);
  EXPECT_EQ(config->vocab_size, 1024);
  EXPECT_EQ(config->hidden_size, 128);
  EXPECT_EQ(config->intermediate_size, 256);
  EXPECT_EQ(config->num_hidden_layers, 2);
  EXPECT_EQ(config->num_attention_heads, 4);
  EXPECT_EQ(config->num_key_value_heads, 2);
  EXPECT_EQ(config->head_dim, 32);
  EXPECT_DOUBLE_EQ(config->rms_norm_eps, 1e-6);
  EXPECT_EQ(config->max_position_embeddings, 1024);
  EXPECT_FALSE(config->tie_word_embeddings);
  EXPECT_FALSE(config->attention_bias);
  EXPECT_THAT(config->eos_token_ids, ElementsAre(0));
  EXPECT_EQ(config->bos_token_id, std::nullopt);
  EXPECT_EQ(config->rope.type, RopeType::kDefault);
  EXPECT_DOUBLE_EQ(config->rope.theta, 10000.0);
  EXPECT_FALSE(config->IsMoeLayer(0));
  EXPECT_FALSE(config->mla.has_value());
  EXPECT_FALSE(config->quantization.has_value());
}

TEST(ModelConfigTest, TinyQwen3Moe) {
  absl::StatusOr<ModelConfig> config = LoadModelConfig(ConfigPath("tiny-qwen3-moe"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->architecture, Architecture::kQwen3Moe);
  EXPECT_DOUBLE_EQ(config->rope.theta, 1e6);
  EXPECT_EQ(config->moe.num_experts, 16);
  EXPECT_EQ(config->moe.num_experts_per_tok, 4);
  EXPECT_EQ(config->moe.moe_intermediate_size, 64);
  EXPECT_TRUE(config->moe.norm_topk_prob);
  EXPECT_EQ(config->moe.scoring_func, ScoringFunc::kSoftmax);
  for (int layer = 0; layer < 3; ++layer) EXPECT_TRUE(config->IsMoeLayer(layer)) << layer;
  EXPECT_FALSE(config->IsMoeLayer(3));
  EXPECT_FALSE(config->IsMoeLayer(-1));
}

TEST(ModelConfigTest, TinyDeepseekV3) {
  absl::StatusOr<ModelConfig> config = LoadModelConfig(ConfigPath("tiny-deepseek-v3"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->architecture, Architecture::kDeepseekV3);
  EXPECT_EQ(config->moe.num_experts, 16);
  EXPECT_EQ(config->moe.n_group, 4);
  EXPECT_EQ(config->moe.topk_group, 2);
  EXPECT_EQ(config->moe.n_shared_experts, 1);
  EXPECT_EQ(config->moe.first_k_dense_replace, 1);
  EXPECT_DOUBLE_EQ(config->moe.routed_scaling_factor, 2.5);
  EXPECT_EQ(config->moe.scoring_func, ScoringFunc::kSigmoid);
  EXPECT_EQ(config->moe.topk_method, "noaux_tc");
  EXPECT_FALSE(config->IsMoeLayer(0));
  EXPECT_TRUE(config->IsMoeLayer(1));
  EXPECT_TRUE(config->IsMoeLayer(2));
  ASSERT_TRUE(config->mla.has_value());
  EXPECT_EQ(config->mla->q_lora_rank, 64);
  EXPECT_EQ(config->mla->kv_lora_rank, 32);
  EXPECT_EQ(config->mla->qk_rope_head_dim, 16);
  EXPECT_EQ(config->mla->qk_nope_head_dim, 32);
  EXPECT_EQ(config->mla->v_head_dim, 32);
  EXPECT_TRUE(config->mla->rope_interleave);
  EXPECT_EQ(config->num_nextn_predict_layers, 1);
}

TEST(ModelConfigTest, OldFormRopeThetaAndNumExperts) {
  Json json = LoadJson(ConfigPath("tiny-qwen3-moe"));
  json.erase("rope_parameters");
  json.erase("num_local_experts");
  json["rope_theta"] = 500000.0;
  json["rope_scaling"] = nullptr;
  json["num_experts"] = 16;
  absl::StatusOr<ModelConfig> config = LoadModified(json, "old_form");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_DOUBLE_EQ(config->rope.theta, 500000.0);
  EXPECT_EQ(config->rope.type, RopeType::kDefault);
  EXPECT_EQ(config->moe.num_experts, 16);

  json["num_local_experts"] = 8;
  ExpectError(json, "disagree", "'num_local_experts' (8) disagrees with num_experts (16)");
  json.erase("num_local_experts");
  json.erase("num_experts");
  ExpectError(json, "no_experts", "'num_experts' is missing");
}

TEST(ModelConfigTest, OldFormYarnRopeScaling) {
  // The official DeepSeek-V3 config.json form.
  Json json = LoadJson(ConfigPath("tiny-deepseek-v3"));
  json.erase("rope_parameters");
  json["rope_theta"] = 10000;
  json["rope_scaling"] = {{"beta_fast", 32},       {"beta_slow", 1},
                          {"factor", 40},          {"mscale", 1.0},
                          {"mscale_all_dim", 1.0}, {"original_max_position_embeddings", 4096},
                          {"type", "yarn"}};
  absl::StatusOr<ModelConfig> config = LoadModified(json, "yarn_old");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rope.type, RopeType::kYarn);
  EXPECT_DOUBLE_EQ(config->rope.theta, 10000);
  EXPECT_DOUBLE_EQ(config->rope.factor, 40);
  EXPECT_EQ(config->rope.original_max_position_embeddings, 4096);
  EXPECT_DOUBLE_EQ(config->rope.beta_fast, 32);
  EXPECT_DOUBLE_EQ(config->rope.beta_slow, 1);
  EXPECT_EQ(config->rope.mscale, 1.0);
  EXPECT_DOUBLE_EQ(config->rope.mscale_all_dim, 1);
  // Absent mscale stays absent (it changes YaRN's attention factor).
  json["rope_scaling"].erase("mscale");
  config = LoadModified(json, "yarn_no_mscale");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->rope.mscale.has_value());
}

TEST(ModelConfigTest, NewFormRopeTypes) {
  Json json = LoadJson(ConfigPath("tiny-llama"));
  json["rope_parameters"] = {{"rope_type", "llama3"},   {"rope_theta", 500000.0},
                             {"factor", 8.0},           {"low_freq_factor", 1.0},
                             {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  absl::StatusOr<ModelConfig> config = LoadModified(json, "llama3");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rope.type, RopeType::kLlama3);
  EXPECT_DOUBLE_EQ(config->rope.factor, 8.0);
  EXPECT_EQ(config->rope.original_max_position_embeddings, 8192);

  json["rope_parameters"] = {{"rope_type", "linear"}, {"rope_theta", 10000.0}, {"factor", 2}};
  config = LoadModified(json, "linear");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rope.type, RopeType::kLinear);
  EXPECT_DOUBLE_EQ(config->rope.factor, 2.0);

  json["rope_parameters"] = {{"rope_type", "yarn"}, {"rope_theta", 10000.0}, {"factor", 4}};
  config = LoadModified(json, "yarn_new");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rope.type, RopeType::kYarn);
  EXPECT_EQ(config->rope.original_max_position_embeddings, 1024);

  json["rope_parameters"] = {{"rope_type", "dynamic"}, {"rope_theta", 10000.0}, {"factor", 2}};
  ExpectError(json, "dynamic",
              "rope_parameters: field 'rope_type' names unsupported rope type "
              "'dynamic'");
  json["rope_parameters"] = {{"rope_type", "linear"}, {"rope_theta", 10000.0}};
  ExpectError(json, "no_factor", "rope_parameters: field 'factor' is missing");
  json["rope_parameters"] = {{"rope_type", "llama3"}, {"rope_theta", 10000.0}, {"factor", 2}};
  ExpectError(json, "llama3_partial", "field 'low_freq_factor' is missing");
  json.erase("rope_parameters");
  json["rope_scaling"] = {{"type", "longrope"}, {"factor", 2}};
  ExpectError(json, "longrope", "rope_scaling: field 'type' names unsupported rope type");
}

TEST(ModelConfigTest, UnknownArchitecture) {
  Json json = LoadJson(ConfigPath("tiny-llama"));
  json["architectures"] = {"MistralForCausalLM"};
  ExpectError(json, "arch",
              "field 'architectures' names unsupported architecture "
              "'MistralForCausalLM'");
  json.erase("architectures");
  ExpectError(json, "no_arch", "field 'architectures' is missing");
}

TEST(ModelConfigTest, MissingAndIllTypedFields) {
  Json json = LoadJson(ConfigPath("tiny-llama"));
  json.erase("hidden_size");
  ExpectError(json, "missing", "field 'hidden_size' is missing");
  json["hidden_size"] = "128";
  ExpectError(json, "string", "field 'hidden_size' must be an integer, got string");
  json["hidden_size"] = 128.5;
  ExpectError(json, "float", "field 'hidden_size' must be an integer, got number");
  json["hidden_size"] = 0;
  ExpectError(json, "zero", "field 'hidden_size' must be positive, got 0");
  json["hidden_size"] = 128;
  json["tie_word_embeddings"] = "no";
  ExpectError(json, "bool", "field 'tie_word_embeddings' must be a boolean, got string");
  json["tie_word_embeddings"] = true;
  json["num_key_value_heads"] = 3;
  ExpectError(json, "gqa",
              "field 'num_attention_heads' (4) is not divisible by "
              "num_key_value_heads (3)");
  json["num_key_value_heads"] = 2;
  json["eos_token_id"] = {0, "x"};
  ExpectError(json, "eos", "field 'eos_token_id' element 1 must be an integer");
  json["eos_token_id"] = {0, 2};
  json.erase("head_dim");
  json.erase("num_key_value_heads");
  absl::StatusOr<ModelConfig> config = LoadModified(json, "defaults");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->num_key_value_heads, 4);
  EXPECT_EQ(config->head_dim, 32);
  EXPECT_TRUE(config->tie_word_embeddings);
  EXPECT_THAT(config->eos_token_ids, ElementsAre(0, 2));
}

TEST(ModelConfigTest, UnsupportedFeatures) {
  Json json = LoadJson(ConfigPath("tiny-qwen3-moe"));
  json["use_sliding_window"] = true;
  ExpectError(json, "sliding", "field 'use_sliding_window' is true");
  json["use_sliding_window"] = false;
  json["hidden_act"] = "gelu";
  ExpectError(json, "gelu", "field 'hidden_act' names unsupported activation 'gelu'");
  json["hidden_act"] = "silu";
  json["layer_types"] = {"full_attention", "sliding_attention", "full_attention"};
  ExpectError(json, "layer_types", "field 'layer_types' element 1");
  json.erase("layer_types");
  json["quantization_config"] = {{"quant_method", "gptq"}};
  ExpectError(json, "gptq",
              "quantization_config: field 'quant_method' names unsupported "
              "quantization 'gptq'");
}

TEST(ModelConfigTest, QwenSparseStepAndMlpOnlyLayers) {
  Json json = LoadJson(ConfigPath("tiny-qwen3-moe"));
  json["num_hidden_layers"] = 6;
  json["decoder_sparse_step"] = 2;
  json["mlp_only_layers"] = {3};
  absl::StatusOr<ModelConfig> config = LoadModified(json, "sparse_step");
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<bool> moe;
  for (int layer = 0; layer < 6; ++layer) moe.push_back(config->IsMoeLayer(layer));
  EXPECT_THAT(moe, ElementsAre(false, true, false, false, false, true));
  json["mlp_only_layers"] = {6};
  ExpectError(json, "mlp_only", "field 'mlp_only_layers' names layer 6 outside [0, 6)");
  json["mlp_only_layers"] = nlohmann::json::array();
  json["num_local_experts"] = 0;
  config = LoadModified(json, "dense_qwen");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->IsMoeLayer(1));
}

TEST(ModelConfigTest, DeepseekVariants) {
  Json json = LoadJson(ConfigPath("tiny-deepseek-v3"));
  json["q_lora_rank"] = nullptr;
  json["moe_layer_freq"] = 2;
  json["quantization_config"] = {{"activation_scheme", "dynamic"},
                                 {"fmt", "e4m3"},
                                 {"quant_method", "fp8"},
                                 {"weight_block_size", {128, 128}}};
  absl::StatusOr<ModelConfig> config = LoadModified(json, "deepseek_variant");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->mla->q_lora_rank, std::nullopt);
  EXPECT_FALSE(config->IsMoeLayer(1));
  EXPECT_TRUE(config->IsMoeLayer(2));
  ASSERT_TRUE(config->quantization.has_value());
  EXPECT_EQ(config->quantization->quant_method, "fp8");
  EXPECT_EQ(config->quantization->fmt, "e4m3");
  EXPECT_THAT(config->quantization->weight_block_size, ElementsAre(128, 128));

  json.erase("q_lora_rank");
  ExpectError(json, "no_q_lora", "field 'q_lora_rank' is missing");
  json["q_lora_rank"] = 64;
  json["n_group"] = 3;
  ExpectError(json, "n_group", "field 'n_group' (3) does not divide n_routed_experts (16)");
  json["n_group"] = 4;
  json["scoring_func"] = "relu";
  ExpectError(json, "scoring", "field 'scoring_func' names unsupported scoring function 'relu'");
  json["scoring_func"] = "sigmoid";
  json.erase("kv_lora_rank");
  ExpectError(json, "kv_lora", "field 'kv_lora_rank' is missing");
}

TEST(ModelConfigTest, MalformedJson) {
  absl::StatusOr<ModelConfig> config = ParseModelConfig("{\"vocab_size\": ", "cfg.json");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              AllOf(HasSubstr("cfg.json: invalid JSON"), HasSubstr("byte")));
  EXPECT_FALSE(ParseModelConfig("[]", "cfg.json").ok());
  EXPECT_EQ(LoadModelConfig(TmpPath("nope/config.json")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(GenerationConfigTest, ParsesAndValidates) {
  absl::StatusOr<GenerationConfig> config = ParseGenerationConfig(
      R"({"bos_token_id": 1, "eos_token_id": [2, 3], "do_sample": true, "temperature": 0.6,
          "top_p": 0.95, "top_k": 20, "transformers_version": "4.51.0"})",
      "generation_config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->eos_token_ids, ElementsAre(2, 3));
  EXPECT_EQ(config->bos_token_id, 1);
  EXPECT_EQ(config->do_sample, true);
  EXPECT_DOUBLE_EQ(*config->temperature, 0.6);
  EXPECT_DOUBLE_EQ(*config->top_p, 0.95);
  EXPECT_EQ(config->top_k, 20);
  EXPECT_EQ(config->min_p, std::nullopt);

  absl::StatusOr<GenerationConfig> bad =
      ParseGenerationConfig(R"({"top_p": 1.5})", "generation_config.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("generation_config.json: field 'top_p' must be in (0, 1]"));
  EXPECT_FALSE(ParseGenerationConfig(R"({"eos_token_id": "x"})", "g").ok());

  // Absent file: nullopt; present file: parsed.
  absl::StatusOr<std::optional<GenerationConfig>> absent =
      LoadGenerationConfig("tests/data/models/tiny-llama");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());
  const std::string dir = TmpPath("");
  ASSERT_TRUE(WriteStringToFile(dir + "/generation_config.json", R"({"eos_token_id": 7})").ok());
  absl::StatusOr<std::optional<GenerationConfig>> present = LoadGenerationConfig(dir);
  ASSERT_TRUE(present.ok()) << present.status();
  ASSERT_TRUE(present->has_value());
  EXPECT_THAT((*present)->eos_token_ids, ElementsAre(7));
}

}  // namespace
}  // namespace weft::checkpoint
