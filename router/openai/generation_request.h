// The validated form of a /v1/completions or /v1/chat/completions request:
// what the router works with after parsing. Every field is in range; what
// needs the model (tokenization, the chat template, the context window, token
// ids below the vocabulary size, the model name) is checked later by the router.
#ifndef WEFT_ROUTER_OPENAI_GENERATION_REQUEST_H_
#define WEFT_ROUTER_OPENAI_GENERATION_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "router/openai/json_body.h"

namespace weft::router::openai {

// One completions prompt: text to tokenize, or token ids as given (each >= 0).
using CompletionPrompt = std::variant<std::string, std::vector<int32_t>>;

// /v1/completions input. Each prompt gets n choices: choice `i` of prompt `p`
// has index p * n + i, as OpenAI numbers them.
struct CompletionInput {
  std::vector<CompletionPrompt> prompts;  // at least one; a token prompt is non-empty
  // Each choice's text starts with its prompt's text (the decoded tokens for a
  // token prompt); when streaming, in the choice's first chunk.
  bool echo = false;
};

// /v1/chat/completions input, for the model's chat template
// (common/chat/chat_template.h RenderInput).
struct ChatInput {
  // The request's messages as given: a non-empty array of objects whose role is
  // system, developer, user, assistant or tool and whose content is a string, an
  // array of {"type": "text", "text": ...} parts, or (assistant with tool_calls)
  // null or absent. Other members (name, tool_calls, tool_call_id, ...) are
  // passed through.
  Json messages = Json::array();
  // The request's tools (each {"type": "function", "function": {"name", ...}}),
  // nullopt when absent, empty, or tool_choice is "none".
  std::optional<Json> tools;
  // vLLM's chat_template_kwargs: extra template variables (an object), e.g.
  // {"enable_thinking": false}. Never names a standard template variable.
  Json chat_template_kwargs = Json::object();
  bool add_generation_prompt = true;
  // Render the final message open-ended (no end-of-turn after it), for the
  // model to continue it. Never together with add_generation_prompt.
  bool continue_final_message = false;
};

// Sampling settings, as the engine's SamplingOptions
// (common/engine/sampling/sampler.h) and weft.v1.SamplingParams take them.
struct SamplingParams {
  float temperature = 1.0f;         // [0, 2]; 0: greedy
  int32_t top_k = 0;                // 0: off (the request's -1 also means off)
  float top_p = 1.0f;               // (0, 1]
  float min_p = 0.0f;               // [0, 1]
  float repetition_penalty = 1.0f;  // > 0, finite; 1: off
  float presence_penalty = 0.0f;    // [-2, 2]
  float frequency_penalty = 0.0f;   // [-2, 2]
  // The request's int64 seed, as its two's-complement bits.
  std::optional<uint64_t> seed;
};

// When generation stops.
struct StopParams {
  // Tokens to generate at most. nullopt: as many as the context window leaves
  // (ResolveMaxTokens). Completions default to 16, as OpenAI's do.
  std::optional<int32_t> max_tokens;
  std::vector<std::string> stop_strings;  // non-empty strings; not part of the output
  std::vector<int32_t> stop_token_ids;    // vLLM's stop_token_ids, each >= 0
  bool ignore_eos = false;                // vLLM's ignore_eos
};

// Per-token log probabilities to return.
struct LogprobsParams {
  // Completions: `logprobs` given (an integer); chat: `logprobs: true`.
  bool enabled = false;
  // Alternatives per token (completions: the `logprobs` integer; chat:
  // top_logprobs); 0 when !enabled.
  int32_t top_logprobs = 0;
  // vLLM's return_tokens_as_token_ids: logprob tokens are written
  // "token_id:<id>" instead of their text, so that clients see exact ids.
  bool tokens_as_ids = false;
};

struct GenerationRequest {
  std::string model;  // non-empty; the router checks that it is served
  std::variant<CompletionInput, ChatInput> input;
  SamplingParams sampling;
  StopParams stop;
  int32_t n = 1;  // choices per prompt
  LogprobsParams logprobs;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage (only when streaming)
  std::string user;            // "" when absent

  bool is_chat() const { return std::holds_alternative<ChatInput>(input); }
};

// What a request may ask for. The defaults suit one router; the router's
// config may narrow them.
struct RequestLimits {
  JsonLimits json;
  int32_t max_n = 16;
  // Completions' logprobs integer and chat's top_logprobs. At most 20 (the
  // engine's limit).
  int32_t max_top_logprobs = 20;
  int32_t max_stop_strings = 16;
  int32_t max_stop_string_bytes = 256;
  int32_t max_stop_token_ids = 64;
  // Prompts in one completions request (a batch).
  int32_t max_prompts = 64;
};

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_GENERATION_REQUEST_H_
