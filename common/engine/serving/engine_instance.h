// One served model inside a prefill or decode process: the model on its
// backend, its tokenizer, its end-of-sequence ids, and the engine loop that
// runs it — built from the service's typed EngineConfig.
#ifndef WEFT_COMMON_ENGINE_SERVING_ENGINE_INSTANCE_H_
#define WEFT_COMMON_ENGINE_SERVING_ENGINE_INSTANCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/service_config.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/runtime/engine_loop.h"
#include "common/tokenizer/tokenizer.h"
#include "proto/config.pb.h"

namespace weft::engine {

// InvalidArgument naming each bad field of an EngineConfig (field names as
// in the text file, prefixed by `prefix`, e.g. "engine.").
absl::Status ValidateEngineConfig(const weft::v1::EngineConfig& config, absl::string_view prefix);

// The common part of a prefill or decode config: its server block and its
// engine. Appends one message per problem to `errors`.
template <typename Config>
void CheckEngineServiceConfig(const Config& config, std::vector<std::string>* errors) {
  if (absl::Status s = ValidateServiceServerConfig(config); !s.ok()) {
    errors->emplace_back(s.message());
  }
  if (!config.has_engine()) {
    errors->emplace_back("engine is required");
  } else if (absl::Status s = ValidateEngineConfig(config.engine(), "engine."); !s.ok()) {
    errors->emplace_back(s.message());
  }
}

// OK for no errors, else InvalidArgument with them joined by "; ".
absl::Status ConfigErrors(const std::vector<std::string>& errors);

struct EngineInstance {
  std::string model_name;  // served name
  std::unique_ptr<CausalLm> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  std::vector<int32_t> eos_token_ids;
  int32_t block_size = 0;
  std::unique_ptr<EngineLoop> loop;  // declared last: stopped first
};

// Loads the model and tokenizer and starts the loop. Errors are the
// loader's (NotFound, InvalidArgument, ...), naming the file.
absl::StatusOr<std::unique_ptr<EngineInstance>> CreateEngineInstance(
    const weft::v1::EngineConfig& config);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_SERVING_ENGINE_INSTANCE_H_
