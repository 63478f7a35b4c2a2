#include "common/checkpoint/model_config.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/checkpoint/json_util.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxConfigBytes = 16 << 20;
// Upper bound for every size field, so that products of two sizes (tensor
// shapes) cannot overflow int64.
constexpr int64_t kMaxSize = int64_t{1} << 31;

struct ArchitectureInfo {
  Architecture architecture;
  absl::string_view name;
};

constexpr ArchitectureInfo kArchitectures[] = {
    {Architecture::kLlama, "LlamaForCausalLM"},
    {Architecture::kQwen3Moe, "Qwen3MoeForCausalLM"},
    {Architecture::kDeepseekV3, "DeepseekV3ForCausalLM"},
};

absl::Status Error(absl::string_view label, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(label, ": ", what));
}

absl::Status RequirePositive(const JsonObjectReader& r, absl::string_view key, int64_t value) {
  if (value <= 0) return r.FieldError(key, absl::StrCat("must be positive, got ", value));
  if (value > kMaxSize) {
    return r.FieldError(key, absl::StrCat("(", value, ") exceeds the limit of ", kMaxSize));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RequiredPositiveInt(const JsonObjectReader& r, absl::string_view key) {
  WEFT_ASSIGN_OR_RETURN(int64_t value, r.RequiredInt(key));
  WEFT_RETURN_IF_ERROR(RequirePositive(r, key, value));
  return value;
}

absl::StatusOr<Architecture> ParseArchitecture(const JsonObjectReader& r) {
  const Json* archs = r.Get("architectures");
  if (archs == nullptr || archs->is_null()) {
    return r.FieldError("architectures", "is missing");
  }
  if (!archs->is_array() || archs->empty()) {
    return r.FieldError("architectures", "must be a non-empty list of strings");
  }
  const Json& first = (*archs)[0];
  if (!first.is_string()) {
    return r.FieldError("architectures",
                        absl::StrCat("element 0 must be a string, got ", JsonTypeName(first)));
  }
  const std::string& name = first.get_ref<const Json::string_t&>();
  for (const ArchitectureInfo& info : kArchitectures) {
    if (info.name == name) return info.architecture;
  }
  std::vector<absl::string_view> known;
  for (const ArchitectureInfo& info : kArchitectures) known.push_back(info.name);
  return r.FieldError("architectures",
                      absl::StrCat("names unsupported architecture '", EscapeForMessage(name),
                                   "' (supported: ", absl::StrJoin(known, ", "), ")"));
}

// Reads the rope type name of a rope_parameters / rope_scaling object:
// "rope_type" (current) or "type" (older configs).
absl::StatusOr<std::string> RopeTypeField(const JsonObjectReader& r) {
  WEFT_ASSIGN_OR_RETURN(std::optional<std::string> type, r.OptionalString("rope_type"));
  if (type.has_value()) return *type;
  WEFT_ASSIGN_OR_RETURN(type, r.OptionalString("type"));
  if (type.has_value()) return *type;
  return std::string("default");
}

absl::Status ParseRopeParams(const JsonObjectReader& r, absl::string_view type_name,
                             int64_t max_position_embeddings, RopeConfig* rope) {
  if (type_name == "default") {
    rope->type = RopeType::kDefault;
    return absl::OkStatus();
  }
  auto positive_factor = [&]() -> absl::Status {
    WEFT_ASSIGN_OR_RETURN(rope->factor, r.RequiredDouble("factor"));
    if (!(rope->factor > 0)) return r.FieldError("factor", "must be positive");
    return absl::OkStatus();
  };
  if (type_name == "linear") {
    rope->type = RopeType::kLinear;
    return positive_factor();
  }
  if (type_name == "llama3") {
    rope->type = RopeType::kLlama3;
    WEFT_RETURN_IF_ERROR(positive_factor());
    WEFT_ASSIGN_OR_RETURN(rope->low_freq_factor, r.RequiredDouble("low_freq_factor"));
    WEFT_ASSIGN_OR_RETURN(rope->high_freq_factor, r.RequiredDouble("high_freq_factor"));
    WEFT_ASSIGN_OR_RETURN(rope->original_max_position_embeddings,
                          RequiredPositiveInt(r, "original_max_position_embeddings"));
    if (!(rope->low_freq_factor > 0) || !(rope->high_freq_factor > rope->low_freq_factor)) {
      return r.FieldError("high_freq_factor",
                          "must exceed low_freq_factor, and both must be positive");
    }
    return absl::OkStatus();
  }
  if (type_name == "yarn") {
    rope->type = RopeType::kYarn;
    WEFT_RETURN_IF_ERROR(positive_factor());
    WEFT_ASSIGN_OR_RETURN(rope->original_max_position_embeddings,
                          r.IntOr("original_max_position_embeddings", max_position_embeddings));
    WEFT_RETURN_IF_ERROR(RequirePositive(r, "original_max_position_embeddings",
                                         rope->original_max_position_embeddings));
    WEFT_ASSIGN_OR_RETURN(rope->beta_fast, r.DoubleOr("beta_fast", 32.0));
    WEFT_ASSIGN_OR_RETURN(rope->beta_slow, r.DoubleOr("beta_slow", 1.0));
    WEFT_ASSIGN_OR_RETURN(rope->mscale, r.OptionalDouble("mscale"));
    WEFT_ASSIGN_OR_RETURN(rope->mscale_all_dim, r.DoubleOr("mscale_all_dim", 0.0));
    WEFT_ASSIGN_OR_RETURN(rope->attention_factor, r.OptionalDouble("attention_factor"));
    WEFT_ASSIGN_OR_RETURN(rope->truncate, r.BoolOr("truncate", true));
    return absl::OkStatus();
  }
  return r.FieldError(r.Contains("rope_type") ? "rope_type" : "type",
                      absl::StrCat("names unsupported rope type '", EscapeForMessage(type_name),
                                   "' (supported: default, linear, llama3, yarn)"));
}

absl::Status ParseRope(const JsonObjectReader& top, int64_t max_position_embeddings,
                       RopeConfig* rope) {
  WEFT_ASSIGN_OR_RETURN(std::optional<double> top_theta, top.OptionalDouble("rope_theta"));
  const Json* params = top.Get("rope_parameters");
  if (params != nullptr && !params->is_null()) {
    if (!params->is_object()) {
      return top.FieldError("rope_parameters",
                            absl::StrCat("must be an object, got ", JsonTypeName(*params)));
    }
    JsonObjectReader r(*params, absl::StrCat(top.context(), ": rope_parameters"));
    WEFT_ASSIGN_OR_RETURN(std::optional<double> theta, r.OptionalDouble("rope_theta"));
    if (!theta.has_value()) theta = top_theta;
    if (!theta.has_value()) return r.FieldError("rope_theta", "is missing");
    rope->theta = *theta;
    WEFT_ASSIGN_OR_RETURN(std::string type, RopeTypeField(r));
    WEFT_RETURN_IF_ERROR(ParseRopeParams(r, type, max_position_embeddings, rope));
  } else {
    rope->theta = top_theta.value_or(10000.0);
    const Json* scaling = top.Get("rope_scaling");
    if (scaling != nullptr && !scaling->is_null()) {
      if (!scaling->is_object()) {
        return top.FieldError("rope_scaling",
                              absl::StrCat("must be an object, got ", JsonTypeName(*scaling)));
      }
      JsonObjectReader r(*scaling, absl::StrCat(top.context(), ": rope_scaling"));
      WEFT_ASSIGN_OR_RETURN(std::string type, RopeTypeField(r));
      WEFT_RETURN_IF_ERROR(ParseRopeParams(r, type, max_position_embeddings, rope));
    }
  }
  if (!(rope->theta > 0)) return top.FieldError("rope_theta", "must be positive");
  return absl::OkStatus();
}

// Features that none of the supported architectures implement here: refuse
// them before anything runs.
absl::Status CheckUnsupportedFeatures(const JsonObjectReader& r) {
  WEFT_ASSIGN_OR_RETURN(std::string act, r.StringOr("hidden_act", "silu"));
  if (act != "silu") {
    return r.FieldError("hidden_act", absl::StrCat("names unsupported activation '",
                                                   EscapeForMessage(act), "' (only silu)"));
  }
  WEFT_ASSIGN_OR_RETURN(bool sliding, r.BoolOr("use_sliding_window", false));
  if (sliding)
    return r.FieldError("use_sliding_window", "is true: sliding-window attention is unsupported");
  WEFT_ASSIGN_OR_RETURN(bool mlp_bias, r.BoolOr("mlp_bias", false));
  if (mlp_bias) return r.FieldError("mlp_bias", "is true: MLP biases are unsupported");
  WEFT_ASSIGN_OR_RETURN(int64_t tp, r.IntOr("pretraining_tp", 1));
  if (tp != 1) return r.FieldError("pretraining_tp", "must be 1 (pretraining_tp is unsupported)");
  const Json* layer_types = r.Get("layer_types");
  if (layer_types != nullptr && !layer_types->is_null()) {
    if (!layer_types->is_array()) return r.FieldError("layer_types", "must be a list of strings");
    for (size_t i = 0; i < layer_types->size(); ++i) {
      const Json& t = (*layer_types)[i];
      if (!t.is_string() || t.get_ref<const Json::string_t&>() != "full_attention") {
        return r.FieldError("layer_types", absl::StrCat("element ", i,
                                                        " is not \"full_attention\": only full "
                                                        "attention layers are supported"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseQuantization(const JsonObjectReader& top, ModelConfig* config) {
  const Json* q = top.Get("quantization_config");
  if (q == nullptr || q->is_null()) return absl::OkStatus();
  if (!q->is_object()) {
    return top.FieldError("quantization_config",
                          absl::StrCat("must be an object, got ", JsonTypeName(*q)));
  }
  JsonObjectReader r(*q, absl::StrCat(top.context(), ": quantization_config"));
  QuantizationConfig quant;
  WEFT_ASSIGN_OR_RETURN(quant.quant_method, r.StringOr("quant_method", ""));
  if (quant.quant_method != "fp8") {
    return r.FieldError("quant_method",
                        absl::StrCat("names unsupported quantization '",
                                     EscapeForMessage(quant.quant_method), "' (only fp8)"));
  }
  WEFT_ASSIGN_OR_RETURN(quant.fmt, r.StringOr("fmt", "e4m3"));
  if (quant.fmt != "e4m3") {
    return r.FieldError("fmt", absl::StrCat("names unsupported fp8 format '",
                                            EscapeForMessage(quant.fmt), "' (only e4m3)"));
  }
  WEFT_ASSIGN_OR_RETURN(quant.activation_scheme, r.StringOr("activation_scheme", "dynamic"));
  WEFT_ASSIGN_OR_RETURN(quant.weight_block_size, r.IntList("weight_block_size"));
  if (quant.weight_block_size.size() != 2 || quant.weight_block_size[0] <= 0 ||
      quant.weight_block_size[1] <= 0) {
    return r.FieldError("weight_block_size",
                        "must be two positive integers (per-tensor fp8 is unsupported)");
  }
  config->quantization = std::move(quant);
  return absl::OkStatus();
}

absl::Status ParseMoe(const JsonObjectReader& r, ModelConfig* config) {
  MoeConfig& moe = config->moe;
  if (config->architecture == Architecture::kQwen3Moe) {
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> old_form, r.OptionalInt("num_experts"));
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> new_form, r.OptionalInt("num_local_experts"));
    if (old_form.has_value() && new_form.has_value() && *old_form != *new_form) {
      return r.FieldError(
          "num_local_experts",
          absl::StrCat("(", *new_form, ") disagrees with num_experts (", *old_form, ")"));
    }
    if (!old_form.has_value() && !new_form.has_value()) {
      return r.FieldError("num_experts", "is missing (nor is num_local_experts given)");
    }
    moe.num_experts = new_form.has_value() ? *new_form : *old_form;
    if (moe.num_experts < 0 || moe.num_experts > kMaxSize) {
      return r.FieldError(new_form.has_value() ? "num_local_experts" : "num_experts",
                          absl::StrCat("(", moe.num_experts, ") must be in [0, ", kMaxSize, "]"));
    }
    WEFT_ASSIGN_OR_RETURN(moe.norm_topk_prob, r.BoolOr("norm_topk_prob", false));
    WEFT_ASSIGN_OR_RETURN(moe.decoder_sparse_step, r.IntOr("decoder_sparse_step", 1));
    WEFT_RETURN_IF_ERROR(RequirePositive(r, "decoder_sparse_step", moe.decoder_sparse_step));
    WEFT_ASSIGN_OR_RETURN(moe.mlp_only_layers, r.IntList("mlp_only_layers"));
    for (int64_t layer : moe.mlp_only_layers) {
      if (layer < 0 || layer >= config->num_hidden_layers) {
        return r.FieldError("mlp_only_layers", absl::StrCat("names layer ", layer, " outside [0, ",
                                                            config->num_hidden_layers, ")"));
      }
    }
    moe.scoring_func = ScoringFunc::kSoftmax;
    WEFT_ASSIGN_OR_RETURN(std::string scoring, r.StringOr("scoring_func", "softmax"));
    if (scoring != "softmax") {
      return r.FieldError("scoring_func", "must be \"softmax\" for Qwen3-MoE");
    }
    moe.topk_method = "greedy";
  } else {  // kDeepseekV3
    WEFT_ASSIGN_OR_RETURN(moe.num_experts, RequiredPositiveInt(r, "n_routed_experts"));
    WEFT_ASSIGN_OR_RETURN(moe.norm_topk_prob, r.BoolOr("norm_topk_prob", true));
    WEFT_ASSIGN_OR_RETURN(moe.first_k_dense_replace, r.IntOr("first_k_dense_replace", 0));
    if (moe.first_k_dense_replace < 0 || moe.first_k_dense_replace > kMaxSize) {
      return r.FieldError("first_k_dense_replace", "must not be negative");
    }
    WEFT_ASSIGN_OR_RETURN(moe.moe_layer_freq, r.IntOr("moe_layer_freq", 1));
    WEFT_RETURN_IF_ERROR(RequirePositive(r, "moe_layer_freq", moe.moe_layer_freq));
    WEFT_ASSIGN_OR_RETURN(moe.n_shared_experts, r.IntOr("n_shared_experts", 0));
    if (moe.n_shared_experts < 0 || moe.n_shared_experts > kMaxSize) {
      return r.FieldError("n_shared_experts", "must be in [0, 2^31]");
    }
    WEFT_ASSIGN_OR_RETURN(moe.n_group, r.IntOr("n_group", 1));
    WEFT_RETURN_IF_ERROR(RequirePositive(r, "n_group", moe.n_group));
    WEFT_ASSIGN_OR_RETURN(moe.topk_group, r.IntOr("topk_group", 1));
    WEFT_RETURN_IF_ERROR(RequirePositive(r, "topk_group", moe.topk_group));
    if (moe.topk_group > moe.n_group) {
      return r.FieldError(
          "topk_group", absl::StrCat("(", moe.topk_group, ") exceeds n_group (", moe.n_group, ")"));
    }
    if (moe.num_experts % moe.n_group != 0) {
      return r.FieldError("n_group",
                          absl::StrCat("(", moe.n_group, ") does not divide n_routed_experts (",
                                       moe.num_experts, ")"));
    }
    WEFT_ASSIGN_OR_RETURN(moe.routed_scaling_factor, r.DoubleOr("routed_scaling_factor", 1.0));
    if (!(moe.routed_scaling_factor > 0)) {
      return r.FieldError("routed_scaling_factor", "must be positive");
    }
    WEFT_ASSIGN_OR_RETURN(std::string scoring, r.StringOr("scoring_func", "sigmoid"));
    if (scoring == "sigmoid") {
      moe.scoring_func = ScoringFunc::kSigmoid;
    } else if (scoring == "softmax") {
      moe.scoring_func = ScoringFunc::kSoftmax;
    } else {
      return r.FieldError("scoring_func",
                          absl::StrCat("names unsupported scoring function '",
                                       EscapeForMessage(scoring), "' (softmax or sigmoid)"));
    }
    WEFT_ASSIGN_OR_RETURN(moe.topk_method, r.StringOr("topk_method", "noaux_tc"));
    if (moe.topk_method != "noaux_tc" && moe.topk_method != "greedy" &&
        moe.topk_method != "group_limited_greedy") {
      return r.FieldError(
          "topk_method",
          absl::StrCat("names unsupported method '", EscapeForMessage(moe.topk_method),
                       "' (noaux_tc, greedy or group_limited_greedy)"));
    }
    WEFT_ASSIGN_OR_RETURN(config->num_nextn_predict_layers, r.IntOr("num_nextn_predict_layers", 0));
    if (config->num_nextn_predict_layers < 0 || config->num_nextn_predict_layers > kMaxSize) {
      return r.FieldError("num_nextn_predict_layers", "must be in [0, 2^31]");
    }
  }
  if (moe.num_experts > 0) {
    WEFT_ASSIGN_OR_RETURN(moe.num_experts_per_tok, RequiredPositiveInt(r, "num_experts_per_tok"));
    if (moe.num_experts_per_tok > moe.num_experts) {
      return r.FieldError("num_experts_per_tok",
                          absl::StrCat("(", moe.num_experts_per_tok,
                                       ") exceeds the number of experts (", moe.num_experts, ")"));
    }
    if (config->architecture == Architecture::kDeepseekV3 &&
        moe.num_experts_per_tok > moe.topk_group * (moe.num_experts / moe.n_group)) {
      return r.FieldError(
          "num_experts_per_tok",
          absl::StrCat("(", moe.num_experts_per_tok, ") exceeds the experts in topk_group groups"));
    }
    WEFT_ASSIGN_OR_RETURN(moe.moe_intermediate_size,
                          RequiredPositiveInt(r, "moe_intermediate_size"));
  }
  return absl::OkStatus();
}

absl::Status ParseMla(const JsonObjectReader& r, ModelConfig* config) {
  MlaConfig mla;
  if (!r.Contains("q_lora_rank")) {
    return r.FieldError("q_lora_rank", "is missing (use null for no query compression)");
  }
  WEFT_ASSIGN_OR_RETURN(mla.q_lora_rank, r.OptionalInt("q_lora_rank"));
  if (mla.q_lora_rank.has_value()) {
    WEFT_RETURN_IF_ERROR(RequirePositive(r, "q_lora_rank", *mla.q_lora_rank));
  }
  WEFT_ASSIGN_OR_RETURN(mla.kv_lora_rank, RequiredPositiveInt(r, "kv_lora_rank"));
  WEFT_ASSIGN_OR_RETURN(mla.qk_rope_head_dim, RequiredPositiveInt(r, "qk_rope_head_dim"));
  if (mla.qk_rope_head_dim % 2 != 0) {
    return r.FieldError("qk_rope_head_dim", "must be even");
  }
  WEFT_ASSIGN_OR_RETURN(mla.qk_nope_head_dim, RequiredPositiveInt(r, "qk_nope_head_dim"));
  WEFT_ASSIGN_OR_RETURN(mla.v_head_dim, RequiredPositiveInt(r, "v_head_dim"));
  WEFT_ASSIGN_OR_RETURN(mla.rope_interleave, r.BoolOr("rope_interleave", true));
  WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> qk_head_dim, r.OptionalInt("qk_head_dim"));
  if (qk_head_dim.has_value() && *qk_head_dim != mla.qk_head_dim()) {
    return r.FieldError("qk_head_dim", absl::StrCat("(", *qk_head_dim,
                                                    ") is not qk_nope_head_dim + "
                                                    "qk_rope_head_dim (",
                                                    mla.qk_head_dim(), ")"));
  }
  config->mla = mla;
  return absl::OkStatus();
}

}  // namespace

absl::string_view ArchitectureName(Architecture architecture) {
  for (const ArchitectureInfo& info : kArchitectures) {
    if (info.architecture == architecture) return info.name;
  }
  return "INVALID";
}

absl::string_view RopeTypeName(RopeType type) {
  switch (type) {
    case RopeType::kDefault:
      return "default";
    case RopeType::kLinear:
      return "linear";
    case RopeType::kLlama3:
      return "llama3";
    case RopeType::kYarn:
      return "yarn";
  }
  return "INVALID";
}

bool ModelConfig::IsMoeLayer(int64_t layer) const {
  if (layer < 0 || layer >= num_hidden_layers || moe.num_experts <= 0) return false;
  switch (architecture) {
    case Architecture::kLlama:
      return false;
    case Architecture::kQwen3Moe:
      return std::find(moe.mlp_only_layers.begin(), moe.mlp_only_layers.end(), layer) ==
                 moe.mlp_only_layers.end() &&
             (layer + 1) % moe.decoder_sparse_step == 0;
    case Architecture::kDeepseekV3:
      return layer >= moe.first_k_dense_replace && layer % moe.moe_layer_freq == 0;
  }
  return false;
}

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text, absl::string_view label) {
  WEFT_ASSIGN_OR_RETURN(Json root, ParseJson(json_text, label));
  if (!root.is_object()) {
    return Error(label, absl::StrCat("must be a JSON object, got ", JsonTypeName(root)));
  }
  JsonObjectReader r(root, std::string(label));
  ModelConfig config;
  WEFT_ASSIGN_OR_RETURN(config.architecture, ParseArchitecture(r));
  WEFT_ASSIGN_OR_RETURN(config.model_type, r.StringOr("model_type", ""));
  WEFT_RETURN_IF_ERROR(CheckUnsupportedFeatures(r));

  WEFT_ASSIGN_OR_RETURN(config.vocab_size, RequiredPositiveInt(r, "vocab_size"));
  WEFT_ASSIGN_OR_RETURN(config.hidden_size, RequiredPositiveInt(r, "hidden_size"));
  WEFT_ASSIGN_OR_RETURN(config.intermediate_size, RequiredPositiveInt(r, "intermediate_size"));
  WEFT_ASSIGN_OR_RETURN(config.num_hidden_layers, RequiredPositiveInt(r, "num_hidden_layers"));
  WEFT_ASSIGN_OR_RETURN(config.num_attention_heads, RequiredPositiveInt(r, "num_attention_heads"));
  WEFT_ASSIGN_OR_RETURN(config.num_key_value_heads,
                        r.IntOr("num_key_value_heads", config.num_attention_heads));
  WEFT_RETURN_IF_ERROR(RequirePositive(r, "num_key_value_heads", config.num_key_value_heads));
  if (config.num_attention_heads % config.num_key_value_heads != 0) {
    return r.FieldError(
        "num_attention_heads",
        absl::StrCat("(", config.num_attention_heads, ") is not divisible by num_key_value_heads (",
                     config.num_key_value_heads, ")"));
  }
  WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> head_dim, r.OptionalInt("head_dim"));
  if (head_dim.has_value()) {
    WEFT_RETURN_IF_ERROR(RequirePositive(r, "head_dim", *head_dim));
    config.head_dim = *head_dim;
  } else {
    if (config.hidden_size % config.num_attention_heads != 0) {
      return r.FieldError(
          "hidden_size",
          absl::StrCat("(", config.hidden_size, ") is not divisible by num_attention_heads (",
                       config.num_attention_heads, ") and head_dim is not given"));
    }
    config.head_dim = config.hidden_size / config.num_attention_heads;
  }
  if (config.architecture != Architecture::kDeepseekV3 && config.head_dim % 2 != 0) {
    return r.FieldError("head_dim", absl::StrCat("(", config.head_dim, ") must be even for RoPE"));
  }
  WEFT_ASSIGN_OR_RETURN(config.rms_norm_eps, r.RequiredDouble("rms_norm_eps"));
  if (!(config.rms_norm_eps > 0)) return r.FieldError("rms_norm_eps", "must be positive");
  WEFT_ASSIGN_OR_RETURN(config.max_position_embeddings,
                        RequiredPositiveInt(r, "max_position_embeddings"));
  WEFT_ASSIGN_OR_RETURN(config.tie_word_embeddings, r.BoolOr("tie_word_embeddings", false));
  WEFT_ASSIGN_OR_RETURN(config.attention_bias, r.BoolOr("attention_bias", false));
  WEFT_ASSIGN_OR_RETURN(config.eos_token_ids, r.IntOrIntList("eos_token_id"));
  WEFT_ASSIGN_OR_RETURN(config.bos_token_id, r.OptionalInt("bos_token_id"));
  for (int64_t id : config.eos_token_ids) {
    if (id < 0 || id >= config.vocab_size) {
      return r.FieldError(
          "eos_token_id",
          absl::StrCat("holds ", id, ", outside the vocabulary [0, ", config.vocab_size, ")"));
    }
  }
  if (config.bos_token_id.has_value() &&
      (*config.bos_token_id < 0 || *config.bos_token_id >= config.vocab_size)) {
    return r.FieldError("bos_token_id",
                        absl::StrCat("(", *config.bos_token_id, ") is outside the vocabulary"));
  }
  WEFT_RETURN_IF_ERROR(ParseRope(r, config.max_position_embeddings, &config.rope));
  if (config.architecture != Architecture::kLlama) {
    WEFT_RETURN_IF_ERROR(ParseMoe(r, &config));
  }
  if (config.architecture == Architecture::kDeepseekV3) {
    WEFT_RETURN_IF_ERROR(ParseMla(r, &config));
  }
  WEFT_RETURN_IF_ERROR(ParseQuantization(r, &config));
  return config;
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxConfigBytes));
  return ParseModelConfig(text, path);
}

}  // namespace weft::checkpoint
