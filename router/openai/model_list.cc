#include "router/openai/model_list.h"

#include "router/openai/json_body.h"

namespace weft::router::openai {
namespace {

Json ModelCardJson(const ModelCard& model) {
  Json json = {
      {"id", model.id}, {"object", "model"}, {"created", model.created}, {"owned_by", "weft"}};
  if (model.max_model_len.has_value()) json["max_model_len"] = *model.max_model_len;
  return json;
}

}  // namespace

std::string ModelListJson(const std::vector<ModelCard>& models) {
  Json data = Json::array();
  for (const ModelCard& model : models) data.push_back(ModelCardJson(model));
  return SerializeJson({{"object", "list"}, {"data", std::move(data)}});
}

std::string ModelJson(const ModelCard& model) { return SerializeJson(ModelCardJson(model)); }

}  // namespace weft::router::openai
