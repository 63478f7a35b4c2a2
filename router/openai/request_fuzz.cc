// Fuzz target: arbitrary bytes as a /v1/completions and a /v1/chat/completions
// body. Either parser may reject the input (with a 400 whose body is valid
// JSON); neither may crash, hang, leak or accept a request outside its limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "router/openai/api_error.h"
#include "router/openai/chat_request.h"
#include "router/openai/completions_request.h"
#include "router/openai/generation_request.h"
#include "router/openai/json_body.h"

namespace {

using weft::router::openai::ApiError;
using weft::router::openai::ApiResult;
using weft::router::openai::GenerationRequest;
using weft::router::openai::Json;
using weft::router::openai::RequestLimits;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckResult(const ApiResult<GenerationRequest>& result, const RequestLimits& limits) {
  if (!result.ok()) {
    const ApiError& error = result.error();
    Check(error.http_status == 400);
    Check(!error.message.empty());
    Check(Json::accept(error.ToJson()));
    return;
  }
  const GenerationRequest& r = result.value();
  Check(!r.model.empty());
  Check(r.n >= 1 && r.n <= limits.max_n);
  Check(r.logprobs.top_logprobs >= 0 && r.logprobs.top_logprobs <= limits.max_top_logprobs);
  Check(r.stop.stop_strings.size() <= static_cast<size_t>(limits.max_stop_strings));
  for (const std::string& s : r.stop.stop_strings) {
    Check(!s.empty() && s.size() <= static_cast<size_t>(limits.max_stop_string_bytes));
  }
  Check(!r.stop.max_tokens.has_value() || *r.stop.max_tokens >= 1);
  Check(r.sampling.temperature >= 0 && r.sampling.temperature <= 2);
  Check(r.sampling.top_p > 0 && r.sampling.top_p <= 1);
  Check(r.sampling.top_k >= 0);
  Check(r.sampling.repetition_penalty > 0);
  Check(r.include_usage == false || r.stream);
  if (r.is_chat()) {
    const auto& input = std::get<weft::router::openai::ChatInput>(r.input);
    Check(input.messages.is_array() && !input.messages.empty());
    Check(!(input.add_generation_prompt && input.continue_final_message));
    (void)weft::router::openai::SerializeJson(input.messages);
  } else {
    const auto& input = std::get<weft::router::openai::CompletionInput>(r.input);
    Check(!input.prompts.empty() &&
          input.prompts.size() <= static_cast<size_t>(limits.max_prompts));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  RequestLimits limits;
  limits.json.max_depth = 16;
  CheckResult(weft::router::openai::ParseCompletionsRequest(body, limits), limits);
  CheckResult(weft::router::openai::ParseChatRequest(body, limits), limits);
  return 0;
}
