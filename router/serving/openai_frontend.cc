#include "router/serving/openai_frontend.h"

#include <utility>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/chat/chat_template.h"
#include "router/openai/chat_request.h"
#include "router/openai/completions_request.h"
#include "router/openai/context_window.h"
#include "router/openai/model_list.h"
#include "router/serving/http_replies.h"

namespace weft::router {
namespace {

constexpr absl::string_view kCompletions = "/v1/completions";
constexpr absl::string_view kChat = "/v1/chat/completions";
constexpr absl::string_view kModels = "/v1/models";

openai::ModelCard Card(const ServedModel& model) {
  openai::ModelCard card{.id = model.name, .created = model.created};
  if (model.max_model_len > 0) card.max_model_len = model.max_model_len;
  return card;
}

// The rendered prompt with the final message left open: what follows its
// content (end-of-turn tokens) is cut, as vLLM does for
// continue_final_message.
std::string OpenFinalMessage(std::string prompt, const openai::Json& messages) {
  if (!messages.is_array() || messages.empty()) return prompt;
  const openai::Json& last = messages.back();
  auto content = last.find("content");
  if (content == last.end() || !content->is_string()) return prompt;
  const std::string text = content->get<std::string>();
  if (text.empty()) return prompt;
  const size_t at = prompt.rfind(text);
  if (at != std::string::npos) prompt.resize(at + text.size());
  return prompt;
}

openai::ApiResult<std::vector<uint32_t>> Tokenize(const ServedModel& model, absl::string_view text,
                                                  bool add_special_tokens,
                                                  absl::string_view param) {
  absl::StatusOr<std::vector<int32_t>> ids = model.tokenizer->Encode(text, add_special_tokens);
  if (!ids.ok()) {
    return openai::InvalidRequest(absl::StrCat("cannot tokenize: ", ids.status().message()), param);
  }
  return std::vector<uint32_t>(ids->begin(), ids->end());
}

}  // namespace

OpenAiFrontend::OpenAiFrontend(std::vector<std::shared_ptr<const ServedModel>> models,
                               SessionContext context, TaskRunner* workers, Options options)
    : model_list_(std::move(models)),
      context_(context),
      workers_(workers),
      options_(std::move(options)) {
  for (const auto& m : model_list_) models_[m->name] = m;
}

void OpenAiFrontend::Reject(http::HttpResponder& responder, const openai::ApiError& error) const {
  context_.metrics->CountRejected(error.http_status);
  RespondApiError(responder, error);
}

void OpenAiFrontend::Handle(http::HttpRequest request,
                            std::shared_ptr<http::HttpResponder> responder) {
  const std::string& path = request.path;
  const bool post = request.method == "POST";
  Caller who;
  if (absl::StartsWith(path, "/v1/")) {
    openai::ApiResult<Caller> caller = options_.api_keys.Authenticate(request.headers);
    if (!caller.ok()) {
      context_.metrics->CountRejected(caller.error().http_status);
      responder->Respond(401,
                         {{"Content-Type", "application/json"}, {"WWW-Authenticate", "Bearer"}},
                         caller.error().ToJson());
      return;
    }
    who = std::move(caller).value();
  }
  if (path == kCompletions || path == kChat) {
    if (!post) return Reject(*responder, openai::MethodNotAllowed(request.method, path));
    const absl::Time received = absl::Now();
    workers_->Submit(
        [this, received, who = std::move(who), request = std::move(request), responder]() mutable {
          if (responder->closed()) return;  // the client left while queued
          openai::ApiResult<PreparedRequest> prepared = Prepare(request.path, request.body, who);
          if (!prepared.ok()) return Reject(*responder, prepared.error());
          prepared.value().received = received;
          RunRequestSession(std::move(prepared).value(), responder, context_);
        });
    return;
  }
  if (path == kModels || absl::StartsWith(path, absl::StrCat(kModels, "/"))) {
    if (request.method != "GET" && request.method != "HEAD") {
      return Reject(*responder, openai::MethodNotAllowed(request.method, path));
    }
    if (path == kModels) {
      std::vector<openai::ModelCard> cards;
      for (const auto& m : model_list_) cards.push_back(Card(*m));
      RespondJson(*responder, 200, openai::ModelListJson(cards));
      return;
    }
    const std::string id = path.substr(kModels.size() + 1);
    auto it = models_.find(id);
    if (it == models_.end()) return Reject(*responder, openai::ModelNotFound(id));
    RespondJson(*responder, 200, openai::ModelJson(Card(*it->second)));
    return;
  }
  Reject(*responder, openai::UnknownUrl(request.method, path));
}

openai::ApiResult<PreparedRequest> OpenAiFrontend::Prepare(absl::string_view path,
                                                           absl::string_view body,
                                                           const Caller& caller) const {
  const bool chat = path == kChat;
  openai::ApiResult<openai::GenerationRequest> parsed =
      chat ? openai::ParseChatRequest(body, options_.limits)
           : openai::ParseCompletionsRequest(body, options_.limits);
  if (!parsed.ok()) return parsed.error();
  PreparedRequest out;
  out.request = std::move(parsed).value();
  auto it = models_.find(out.request.model);
  if (it == models_.end()) return openai::ModelNotFound(out.request.model);
  out.model = it->second;
  out.tenant = caller.tenant;
  out.slo = ResolveSlo(options_.default_slo, out.model->slo, &caller.slo);
  const ServedModel& model = *out.model;
  const absl::string_view prompt_param = chat ? "messages" : "prompt";

  if (const auto* input = std::get_if<openai::ChatInput>(&out.request.input)) {
    if (!model.chat_template.has_value()) {
      return openai::InvalidRequest(
          absl::StrCat("model ", model.name,
                       " has no chat template; use /v1/completions with a prompt"),
          "messages");
    }
    chat::RenderInput render;
    render.messages = chat::FlattenTextContent(input->messages);
    render.add_generation_prompt = input->add_generation_prompt;
    render.tools = input->tools;
    render.extra_context = input->chat_template_kwargs;
    absl::StatusOr<std::string> text = model.chat_template->Render(render);
    if (!text.ok()) {
      return openai::InvalidRequest(
          absl::StrCat("the chat template rejected the messages: ", text.status().message()),
          "messages");
    }
    PreparedPrompt prompt;
    prompt.text = input->continue_final_message
                      ? OpenFinalMessage(*std::move(text), render.messages)
                      : *std::move(text);
    // The template writes the special tokens itself.
    openai::ApiResult<std::vector<uint32_t>> ids =
        Tokenize(model, prompt.text, /*add_special_tokens=*/false, "messages");
    if (!ids.ok()) return ids.error();
    prompt.tokens = std::move(ids).value();
    out.prompts.push_back(std::move(prompt));
  } else {
    const auto& completion = std::get<openai::CompletionInput>(out.request.input);
    for (const openai::CompletionPrompt& p : completion.prompts) {
      PreparedPrompt prompt;
      if (const auto* text = std::get_if<std::string>(&p)) {
        prompt.text = *text;
        openai::ApiResult<std::vector<uint32_t>> ids =
            Tokenize(model, *text, /*add_special_tokens=*/true, "prompt");
        if (!ids.ok()) return ids.error();
        prompt.tokens = std::move(ids).value();
      } else {
        const auto& ids = std::get<std::vector<int32_t>>(p);
        for (int32_t id : ids) {
          if (id >= model.tokenizer->vocab_size()) {
            return openai::InvalidRequest(
                absl::StrCat("token id ", id, " is out of range: the vocabulary of ", model.name,
                             " has ", model.tokenizer->vocab_size(), " tokens"),
                "prompt");
          }
        }
        prompt.tokens.assign(ids.begin(), ids.end());
        if (completion.echo) {
          absl::StatusOr<std::string> text = model.tokenizer->Decode(ids);
          if (!text.ok())
            return openai::InvalidRequest(std::string(text.status().message()), "prompt");
          prompt.text = *std::move(text);
        }
      }
      out.prompts.push_back(std::move(prompt));
    }
  }
  for (PreparedPrompt& prompt : out.prompts) {
    openai::ApiResult<int32_t> max_tokens = openai::ResolveMaxTokens(
        out.request.stop.max_tokens, static_cast<int64_t>(prompt.tokens.size()),
        model.max_model_len, prompt_param);
    if (!max_tokens.ok()) return max_tokens.error();
    prompt.max_tokens = max_tokens.value();
  }
  return out;
}

}  // namespace weft::router
