// GET /v1/models and GET /v1/models/{model}: the served models as OpenAI
// model objects, {"id", "object": "model", "created", "owned_by": "weft"},
// with vLLM's "max_model_len" when known.
#ifndef WEFT_ROUTER_OPENAI_MODEL_LIST_H_
#define WEFT_ROUTER_OPENAI_MODEL_LIST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::router::openai {

struct ModelCard {
  std::string id;                        // the name requests use
  int64_t created = 0;                   // unix seconds (e.g. when the router started serving it)
  std::optional<int64_t> max_model_len;  // the context window, in tokens
};

// {"object": "list", "data": [model, ...]}.
std::string ModelListJson(const std::vector<ModelCard>& models);

// One model object.
std::string ModelJson(const ModelCard& model);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_MODEL_LIST_H_
