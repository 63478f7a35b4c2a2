#include "router/serving/served_model.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/checkpoint/model_config.h"
#include "common/checkpoint/model_name.h"
#include "common/tokenizer/tokenizer_loader.h"

namespace weft::router {
namespace {

absl::Status Annotate(const absl::Status& s, absl::string_view model) {
  return absl::Status(s.code(), absl::StrCat("model ", model, ": ", s.message()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ServedModel>> LoadServedModel(
    const weft::v1::RouterModelConfig& config) {
  auto model = std::make_shared<ServedModel>();
  model->model_dir = config.model_dir();
  model->slo = config.slo();
  model->name =
      config.name().empty() ? checkpoint::ModelNameFromDir(config.model_dir()) : config.name();
  absl::StatusOr<std::unique_ptr<tokenizer::Tokenizer>> tok =
      tokenizer::LoadTokenizerFromFile(config.model_dir() + "/tokenizer.json");
  if (!tok.ok()) return Annotate(tok.status(), model->name);
  model->tokenizer = std::move(*tok);
  absl::StatusOr<checkpoint::ModelConfig> mc =
      checkpoint::LoadModelConfig(config.model_dir() + "/config.json");
  if (!mc.ok()) return Annotate(mc.status(), model->name);
  model->max_model_len = mc->max_position_embeddings;
  absl::StatusOr<chat::ChatTemplate> tmpl = chat::LoadChatTemplate(config.model_dir());
  if (tmpl.ok()) {
    if (absl::Status s = tmpl->Check(); !s.ok()) {
      return Annotate(absl::InvalidArgumentError(
                          absl::StrCat("the chat template cannot render: ", s.message())),
                      model->name);
    }
    model->chat_template = std::move(*tmpl);
  } else if (!absl::IsNotFound(tmpl.status())) {
    return Annotate(tmpl.status(), model->name);
  }
  model->created = absl::ToUnixSeconds(absl::Now());
  return std::shared_ptr<const ServedModel>(std::move(model));
}

}  // namespace weft::router
