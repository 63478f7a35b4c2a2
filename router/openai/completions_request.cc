#include "router/openai/completions_request.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "router/openai/common_params.h"
#include "router/openai/request_fields.h"

namespace weft::router::openai {
namespace {

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kDefaultMaxTokens = 16;
constexpr absl::string_view kPromptForms =
    "a string, an array of strings, an array of token ids, or an array of token id arrays";

// A non-empty array of token ids; `param` names it in errors.
MaybeError ParseTokenIds(const Json& ids, absl::string_view param, std::vector<int32_t>* out) {
  if (ids.empty()) return InvalidValue(param, "a token prompt must not be empty");
  out->reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t id = 0;
    if (MaybeError e = GetInt(ids[i], absl::StrCat(param, "[", i, "]"), 0, kInt32Max, &id)) {
      return e;
    }
    out->push_back(static_cast<int32_t>(id));
  }
  return std::nullopt;
}

MaybeError ParsePrompt(const Json& body, const RequestLimits& limits, CompletionInput* input) {
  const Json* prompt = Member(body, "prompt");
  if (prompt == nullptr) return InvalidRequest("You must provide a prompt.", "prompt");
  if (prompt->is_string()) {
    input->prompts.emplace_back(prompt->get<std::string>());
    return std::nullopt;
  }
  if (!prompt->is_array()) return WrongType("prompt", kPromptForms, *prompt);
  if (prompt->empty()) return InvalidValue("prompt", "the prompt must not be empty");
  const Json& first = prompt->front();
  if (first.is_number()) {  // one token prompt
    std::vector<int32_t> ids;
    if (MaybeError e = ParseTokenIds(*prompt, "prompt", &ids)) return e;
    input->prompts.emplace_back(std::move(ids));
    return std::nullopt;
  }
  if (!first.is_string() && !first.is_array()) {
    return WrongType("prompt[0]", "a string, a token id, or an array of token ids", first);
  }
  // A batch: every element of the first one's kind.
  if (prompt->size() > static_cast<size_t>(limits.max_prompts)) {
    return InvalidValue("prompt", absl::StrCat("expected at most ", limits.max_prompts,
                                               " prompts, but got ", prompt->size()));
  }
  for (size_t i = 0; i < prompt->size(); ++i) {
    const Json& item = (*prompt)[i];
    const std::string param = absl::StrCat("prompt[", i, "]");
    if (first.is_string()) {
      if (!item.is_string()) return WrongType(param, "a string, as the other prompts", item);
      input->prompts.emplace_back(item.get<std::string>());
    } else {
      if (!item.is_array()) return WrongType(param, "an array of token ids", item);
      std::vector<int32_t> ids;
      if (MaybeError e = ParseTokenIds(item, param, &ids)) return e;
      input->prompts.emplace_back(std::move(ids));
    }
  }
  return std::nullopt;
}

MaybeError ParseLogprobs(const Json& body, const RequestLimits& limits, LogprobsParams* logprobs) {
  const Json* value = Member(body, "logprobs");
  if (value == nullptr) return std::nullopt;
  int64_t top = 0;
  if (MaybeError e = GetInt(*value, "logprobs", 0, limits.max_top_logprobs, &top)) return e;
  logprobs->enabled = true;
  logprobs->top_logprobs = static_cast<int32_t>(top);
  return std::nullopt;
}

// echo, suffix and best_of: what OpenAI's legacy completions offer beyond
// sampling, as far as this server supports it.
MaybeError ParseLegacyOptions(const Json& body, GenerationRequest* request,
                              CompletionInput* input) {
  if (MaybeError e = ReadBool(body, "echo", &input->echo)) return e;
  if (input->echo && request->logprobs.enabled) {
    return NotSupported(
        "echo together with logprobs is not supported (prompt logprobs are not computed).", "echo");
  }
  std::string suffix;
  if (MaybeError e = ReadString(body, "suffix", &suffix)) return e;
  if (!suffix.empty()) return NotSupported("suffix is not supported.", "suffix");
  std::optional<int32_t> best_of;
  if (MaybeError e = ReadInt(body, "best_of", 1, kInt32Max, &best_of)) return e;
  if (best_of.has_value() && *best_of < request->n) {
    return InvalidValue("best_of", "best_of must be greater than or equal to n");
  }
  if (best_of.has_value() && *best_of > request->n) {
    return NotSupported("best_of greater than n is not supported.", "best_of");
  }
  return std::nullopt;
}

}  // namespace

ApiResult<GenerationRequest> ParseCompletionsRequest(absl::string_view body,
                                                     const RequestLimits& limits) {
  ApiResult<Json> json = ParseRequestBody(body, limits);
  if (!json.ok()) return json.error();
  const Json& b = json.value();
  GenerationRequest request;
  CompletionInput input;
  if (MaybeError e = ParseCommonParams(b, limits, &request)) return *std::move(e);
  if (MaybeError e = ParsePrompt(b, limits, &input)) return *std::move(e);
  request.stop.max_tokens = kDefaultMaxTokens;
  if (MaybeError e = ReadInt(b, "max_tokens", 1, kInt32Max, &request.stop.max_tokens)) {
    return *std::move(e);
  }
  if (MaybeError e = ParseLogprobs(b, limits, &request.logprobs)) return *std::move(e);
  if (MaybeError e = ParseLegacyOptions(b, &request, &input)) return *std::move(e);
  request.input = std::move(input);
  return request;
}

}  // namespace weft::router::openai
