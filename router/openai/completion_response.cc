#include "router/openai/completion_response.h"

namespace weft::router::openai {
namespace {

Json LegacyLogprobsJson(const std::vector<TokenLogprob>& tokens, int64_t text_offset) {
  Json token_texts = Json::array();
  Json token_logprobs = Json::array();
  Json top_logprobs = Json::array();
  Json offsets = Json::array();
  for (const TokenLogprob& t : tokens) {
    token_texts.push_back(t.token);
    token_logprobs.push_back(JsonLogprob(t.logprob));
    // Distinct tokens may share a text: the first (most likely) one wins.
    Json top = Json::object();
    for (const TopLogprob& alternative : t.top_logprobs) {
      if (!top.contains(alternative.token))
        top[alternative.token] = JsonLogprob(alternative.logprob);
    }
    if (!top.contains(t.token)) top[t.token] = JsonLogprob(t.logprob);
    top_logprobs.push_back(std::move(top));
    offsets.push_back(text_offset);
    text_offset += Utf8Length(t.token);
  }
  return {{"tokens", std::move(token_texts)},
          {"token_logprobs", std::move(token_logprobs)},
          {"top_logprobs", std::move(top_logprobs)},
          {"text_offset", std::move(offsets)}};
}

Json ChoiceJson(const CompletionChoice& choice) {
  Json json = {{"index", choice.index},
               {"text", choice.text},
               {"logprobs", nullptr},
               {"finish_reason", nullptr}};
  if (choice.logprobs.has_value()) {
    json["logprobs"] = LegacyLogprobsJson(*choice.logprobs, choice.text_offset);
  }
  if (choice.finish_reason.has_value()) {
    json["finish_reason"] = std::string(FinishReasonName(*choice.finish_reason));
  }
  return json;
}

Json Envelope(const ResponseMeta& meta, Json choices) {
  return {{"id", meta.id},
          {"object", "text_completion"},
          {"created", meta.created},
          {"model", meta.model},
          {"choices", std::move(choices)}};
}

}  // namespace

std::string CompletionResponseJson(const ResponseMeta& meta,
                                   const std::vector<CompletionChoice>& choices,
                                   const Usage& usage) {
  Json choices_json = Json::array();
  for (const CompletionChoice& choice : choices) choices_json.push_back(ChoiceJson(choice));
  Json json = Envelope(meta, std::move(choices_json));
  json["usage"] = UsageJson(usage);
  return SerializeJson(json);
}

std::string CompletionChunkJson(const ResponseMeta& meta, const CompletionChoice& choice,
                                bool include_usage) {
  Json json = Envelope(meta, Json::array({ChoiceJson(choice)}));
  if (include_usage) json["usage"] = nullptr;
  return SerializeJson(json);
}

std::string CompletionUsageChunkJson(const ResponseMeta& meta, const Usage& usage) {
  Json json = Envelope(meta, Json::array());
  json["usage"] = UsageJson(usage);
  return SerializeJson(json);
}

}  // namespace weft::router::openai
