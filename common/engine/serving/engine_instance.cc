#include "common/engine/serving/engine_instance.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/checkpoint/generation_config.h"
#include "common/checkpoint/model_name.h"
#include "common/engine/model/model_backends.h"
#include "common/engine/model/model_loader.h"
#include "common/status/status_macros.h"
#include "common/tokenizer/tokenizer_loader.h"

namespace weft::engine {
namespace {

constexpr int32_t kDefaultBlockSize = 16;
// The largest decode step the CUDA backend captures as a graph.
constexpr int32_t kMaxGraphTokens = 512;

template <typename T>
T Or(T value, T fallback) {
  return value != 0 ? value : fallback;
}

EngineLoopOptions LoopOptions(const weft::v1::EngineConfig& c, const std::string& model_name) {
  EngineLoopOptions o;
  o.executor.num_blocks = static_cast<int32_t>(c.kv_blocks());
  o.executor.block_size = static_cast<int32_t>(Or<uint32_t>(c.kv_block_size(), kDefaultBlockSize));
  o.executor.prefix_caching = !c.disable_prefix_caching();
  o.executor.model_id = model_name;
  const SchedulerOptions defaults;
  o.scheduler.max_num_seqs =
      static_cast<int32_t>(Or<uint32_t>(c.max_num_seqs(), defaults.max_num_seqs));
  o.scheduler.max_num_batched_tokens = static_cast<int32_t>(
      Or<uint32_t>(c.max_num_batched_tokens(), defaults.max_num_batched_tokens));
  o.scheduler.max_prefill_chunk =
      static_cast<int32_t>(Or<uint32_t>(c.max_prefill_chunk(), defaults.max_prefill_chunk));
  return o;
}

std::string ServedName(const weft::v1::EngineConfig& c) {
  if (!c.served_model_name().empty()) return c.served_model_name();
  return checkpoint::ModelNameFromDir(c.model_dir());
}

}  // namespace

absl::Status ValidateEngineConfig(const weft::v1::EngineConfig& c, absl::string_view prefix) {
  std::vector<std::string> errors;
  if (c.model_dir().empty()) errors.push_back(absl::StrCat(prefix, "model_dir is required"));
  if (!c.backend().empty() && !HasModelBackend(c.backend())) {
    errors.push_back(absl::StrCat(prefix, "backend \"", c.backend(), "\" is not in this binary (",
                                  absl::StrJoin(ModelBackendNames(), ", "),
                                  " are; the -cuda service binaries have \"cuda\")"));
  }
  if (!c.precision().empty() && c.precision() != "float32" && c.precision() != "int8") {
    errors.push_back(absl::StrCat(prefix, "precision \"", c.precision(),
                                  "\" is not one of \"float32\", \"int8\""));
  }
  if (c.kv_blocks() == 0) errors.push_back(absl::StrCat(prefix, "kv_blocks is required (> 0)"));
  if (c.kv_blocks() > (1u << 24)) {
    errors.push_back(absl::StrCat(prefix, "kv_blocks ", c.kv_blocks(), " exceeds 16777216"));
  }
  if (c.kv_block_size() > 1024) {
    errors.push_back(absl::StrCat(prefix, "kv_block_size ", c.kv_block_size(), " exceeds 1024"));
  }
  const absl::Status scheduler = ValidateSchedulerOptions(LoopOptions(c, ServedName(c)).scheduler);
  if (!scheduler.ok()) errors.push_back(absl::StrCat(prefix, scheduler.message()));
  return ConfigErrors(errors);
}

absl::Status ConfigErrors(const std::vector<std::string>& errors) {
  if (errors.empty()) return absl::OkStatus();
  std::string message;
  for (const std::string& e : errors) absl::StrAppend(&message, message.empty() ? "" : "; ", e);
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::unique_ptr<EngineInstance>> CreateEngineInstance(
    const weft::v1::EngineConfig& config) {
  WEFT_RETURN_IF_ERROR(ValidateEngineConfig(config, ""));
  auto instance = std::make_unique<EngineInstance>();
  instance->model_name = ServedName(config);
  ModelOptions options;
  if (config.precision() == "int8") options.precision = WeightPrecision::kInt8;
  const EngineLoopOptions loop_options = LoopOptions(config, instance->model_name);
  options.max_graph_tokens = config.disable_cuda_graphs()
                                 ? 0
                                 : std::min(loop_options.scheduler.max_num_seqs, kMaxGraphTokens);
  WEFT_ASSIGN_OR_RETURN(instance->model,
                        LoadModelOnBackend(config.backend().empty() ? "cpu" : config.backend(),
                                           config.model_dir(), options));
  WEFT_ASSIGN_OR_RETURN(instance->tokenizer,
                        tokenizer::LoadTokenizerFromFile(config.model_dir() + "/tokenizer.json"));
  // generation_config.json's eos ids win over config.json's, as in
  // transformers' generate().
  WEFT_ASSIGN_OR_RETURN(std::optional<checkpoint::GenerationConfig> generation,
                        checkpoint::LoadGenerationConfig(config.model_dir()));
  const std::vector<int64_t>& eos = generation.has_value() && !generation->eos_token_ids.empty()
                                        ? generation->eos_token_ids
                                        : instance->model->config().eos_token_ids;
  for (int64_t id : eos) instance->eos_token_ids.push_back(static_cast<int32_t>(id));
  instance->block_size = loop_options.executor.block_size;
  instance->loop =
      std::make_unique<EngineLoop>(*instance->model, instance->tokenizer.get(), loop_options);
  WEFT_RETURN_IF_ERROR(instance->loop->kv_status());
  return instance;
}

}  // namespace weft::engine
