// What the router knows of a model it serves: the tokenizer (prompts are
// tokenized at the router, so that routing can see their length and cached
// prefix), the chat template, the context window and the end-of-sequence
// ids. Loaded at start-up from the checkpoint directory; the weights are
// not read.
#ifndef WEFT_ROUTER_SERVING_SERVED_MODEL_H_
#define WEFT_ROUTER_SERVING_SERVED_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/chat/chat_template.h"
#include "common/tokenizer/tokenizer.h"
#include "proto/config.pb.h"

namespace weft::router {

struct ServedModel {
  std::string name;
  std::string model_dir;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  // nullopt when the checkpoint has none: chat requests are then refused.
  std::optional<chat::ChatTemplate> chat_template;
  int64_t max_model_len = 0;  // config.json's max_position_embeddings
  int64_t created = 0;        // unix seconds when the router loaded it
  weft::v1::SloConfig slo;    // the model's latency targets (over the router's)
};

// Loads `config`'s model. A chat template that is present but cannot be
// parsed or cannot render a sample conversation is an error (a start-up
// failure, not a per-request one); errors name the model and the file.
absl::StatusOr<std::shared_ptr<const ServedModel>> LoadServedModel(
    const weft::v1::RouterModelConfig& config);

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_SERVED_MODEL_H_
