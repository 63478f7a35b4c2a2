#include "router/openai/common_params.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace weft::router::openai {
namespace {

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

MaybeError ParseModel(const Json& body, GenerationRequest* request) {
  const Json* model = Member(body, "model");
  if (model == nullptr) return InvalidRequest("You must provide a model parameter.", "model");
  if (MaybeError error = GetString(*model, "model", &request->model)) return error;
  if (request->model.empty()) return InvalidRequest("The model must not be empty.", "model");
  return std::nullopt;
}

MaybeError ParseStreaming(const Json& body, GenerationRequest* request) {
  if (MaybeError error = ReadBool(body, "stream", &request->stream)) return error;
  const Json* options = Member(body, "stream_options");
  if (options == nullptr) return std::nullopt;
  if (!options->is_object()) return WrongType("stream_options", "an object", *options);
  if (!request->stream) {
    return InvalidRequest(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "stream_options");
  }
  if (const Json* include_usage = Member(*options, "include_usage")) {
    return GetBool(*include_usage, "stream_options.include_usage", &request->include_usage);
  }
  return std::nullopt;
}

MaybeError ParseSampling(const Json& body, SamplingParams* s) {
  if (MaybeError e = ReadNumber(body, "temperature", {.min = 0, .max = 2}, &s->temperature)) {
    return e;
  }
  if (MaybeError e =
          ReadNumber(body, "top_p", {.min = 0, .max = 1, .min_exclusive = true}, &s->top_p)) {
    return e;
  }
  if (MaybeError e = ReadInt(body, "top_k", -1, kInt32Max, &s->top_k)) return e;
  if (s->top_k < 0) s->top_k = 0;  // vLLM's "off"
  if (MaybeError e = ReadNumber(body, "min_p", {.min = 0, .max = 1}, &s->min_p)) return e;
  if (MaybeError e = ReadNumber(body, "repetition_penalty", {.min = 0, .min_exclusive = true},
                                &s->repetition_penalty)) {
    return e;
  }
  if (MaybeError e =
          ReadNumber(body, "presence_penalty", {.min = -2, .max = 2}, &s->presence_penalty)) {
    return e;
  }
  if (MaybeError e =
          ReadNumber(body, "frequency_penalty", {.min = -2, .max = 2}, &s->frequency_penalty)) {
    return e;
  }
  if (const Json* seed = Member(body, "seed")) {
    int64_t v = 0;
    if (MaybeError e = GetInt(*seed, "seed", std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max(), &v)) {
      return e;
    }
    s->seed = static_cast<uint64_t>(v);
  }
  return std::nullopt;
}

MaybeError ParseStopStrings(const Json& body, const RequestLimits& limits, StopParams* stop) {
  const Json* value = Member(body, "stop");
  if (value == nullptr) return std::nullopt;
  if (!value->is_string() && !value->is_array()) {
    return WrongType("stop", "a string or an array of strings", *value);
  }
  std::vector<const Json*> strings;
  if (value->is_string()) {
    strings.push_back(value);
  } else {
    for (const Json& s : *value) strings.push_back(&s);
  }
  if (strings.size() > static_cast<size_t>(limits.max_stop_strings)) {
    return InvalidValue("stop", absl::StrCat("expected at most ", limits.max_stop_strings,
                                             " stop strings, but got ", strings.size()));
  }
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string param = value->is_string() ? "stop" : absl::StrCat("stop[", i, "]");
    std::string s;
    if (MaybeError e = GetString(*strings[i], param, &s)) return e;
    if (s.size() > static_cast<size_t>(limits.max_stop_string_bytes)) {
      return InvalidValue(param, absl::StrCat("stop strings may be at most ",
                                              limits.max_stop_string_bytes, " bytes long"));
    }
    if (!s.empty()) stop->stop_strings.push_back(std::move(s));
  }
  return std::nullopt;
}

MaybeError ParseStopTokenIds(const Json& body, const RequestLimits& limits, StopParams* stop) {
  const Json* ids = Member(body, "stop_token_ids");
  if (ids == nullptr) return std::nullopt;
  if (!ids->is_array()) return WrongType("stop_token_ids", "an array of token ids", *ids);
  if (ids->size() > static_cast<size_t>(limits.max_stop_token_ids)) {
    return InvalidValue("stop_token_ids",
                        absl::StrCat("expected at most ", limits.max_stop_token_ids,
                                     " token ids, but got ", ids->size()));
  }
  for (size_t i = 0; i < ids->size(); ++i) {
    int64_t id = 0;
    if (MaybeError e =
            GetInt((*ids)[i], absl::StrCat("stop_token_ids[", i, "]"), 0, kInt32Max, &id)) {
      return e;
    }
    stop->stop_token_ids.push_back(static_cast<int32_t>(id));
  }
  return std::nullopt;
}

MaybeError ParseLogitBias(const Json& body) {
  const Json* bias = Member(body, "logit_bias");
  if (bias == nullptr) return std::nullopt;
  if (!bias->is_object()) return WrongType("logit_bias", "an object", *bias);
  if (!bias->empty()) return NotSupported("logit_bias is not supported.", "logit_bias");
  return std::nullopt;
}

}  // namespace

ApiResult<Json> ParseRequestBody(absl::string_view body, const RequestLimits& limits) {
  ApiResult<Json> json = ParseJsonBody(body, limits.json);
  if (json.ok() && !json.value().is_object()) {
    return InvalidRequest("The request body must be a JSON object.");
  }
  return json;
}

MaybeError ParseCommonParams(const Json& body, const RequestLimits& limits,
                             GenerationRequest* request) {
  if (MaybeError e = ParseModel(body, request)) return e;
  if (MaybeError e = ReadInt(body, "n", 1, limits.max_n, &request->n)) return e;
  if (MaybeError e = ParseStreaming(body, request)) return e;
  if (MaybeError e = ReadString(body, "user", &request->user)) return e;
  if (MaybeError e = ParseSampling(body, &request->sampling)) return e;
  if (MaybeError e = ParseStopStrings(body, limits, &request->stop)) return e;
  if (MaybeError e = ParseStopTokenIds(body, limits, &request->stop)) return e;
  if (MaybeError e = ReadBool(body, "ignore_eos", &request->stop.ignore_eos)) return e;
  if (MaybeError e = ReadBool(body, "return_tokens_as_token_ids", &request->logprobs.tokens_as_ids))
    return e;
  return ParseLogitBias(body);
}

}  // namespace weft::router::openai
