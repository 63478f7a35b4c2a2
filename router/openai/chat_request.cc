#include "router/openai/chat_request.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "router/openai/chat_messages.h"
#include "router/openai/common_params.h"
#include "router/openai/request_fields.h"

namespace weft::router::openai {
namespace {

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

// Template variables that chat_template_kwargs may not override: they carry
// the validated request and the tokenizer's special tokens.
constexpr absl::string_view kReservedTemplateVariables[] = {
    "messages",  "tools",     "documents", "add_generation_prompt",
    "bos_token", "eos_token", "unk_token", "pad_token"};

// Member `key` of `object` to move from; nullptr when absent or null.
Json* MutableMember(Json& object, absl::string_view key) {
  const auto it = object.find(std::string(key));
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

MaybeError ParseMaxTokens(const Json& body, StopParams* stop) {
  std::optional<int32_t> max_tokens;
  std::optional<int32_t> max_completion_tokens;
  if (MaybeError e = ReadInt(body, "max_tokens", 1, kInt32Max, &max_tokens)) return e;
  if (MaybeError e = ReadInt(body, "max_completion_tokens", 1, kInt32Max, &max_completion_tokens)) {
    return e;
  }
  stop->max_tokens = max_completion_tokens.has_value() ? max_completion_tokens : max_tokens;
  return std::nullopt;
}

MaybeError ParseLogprobs(const Json& body, const RequestLimits& limits, LogprobsParams* logprobs) {
  if (MaybeError e = ReadBool(body, "logprobs", &logprobs->enabled)) return e;
  int32_t top = 0;
  if (MaybeError e = ReadInt(body, "top_logprobs", 0, limits.max_top_logprobs, &top)) return e;
  if (top > 0 && !logprobs->enabled) {
    return InvalidRequest("When using 'top_logprobs', 'logprobs' must be set to true.",
                          "top_logprobs");
  }
  logprobs->top_logprobs = logprobs->enabled ? top : 0;
  return std::nullopt;
}

MaybeError ParseResponseFormat(const Json& body) {
  const Json* format = Member(body, "response_format");
  if (format == nullptr) return std::nullopt;
  if (!format->is_object()) return WrongType("response_format", "an object", *format);
  const Json* type = Member(*format, "type");
  if (type == nullptr) {
    return InvalidRequest("'response_format.type' is required.", "response_format.type");
  }
  std::string name;
  if (MaybeError e = GetString(*type, "response_format.type", &name)) return e;
  if (name == "text") return std::nullopt;
  if (name == "json_object" || name == "json_schema") {
    return NotSupported(absl::StrCat("response_format '", name,
                                     "' is not supported (no constrained decoding); only 'text' "
                                     "is."),
                        "response_format.type");
  }
  return InvalidValue(
      "response_format.type",
      absl::StrCat("'", Abbreviate(name), "' is not a response format; expected 'text'"));
}

MaybeError ValidateTool(const Json& tool, const std::string& param) {
  if (!tool.is_object()) return WrongType(param, "an object", tool);
  std::string type;
  if (const Json* t = Member(tool, "type")) {
    if (MaybeError e = GetString(*t, absl::StrCat(param, ".type"), &type)) return e;
  }
  if (type != "function") {
    return NotSupported("Only tools of type 'function' are supported.",
                        absl::StrCat(param, ".type"));
  }
  const std::string function_param = absl::StrCat(param, ".function");
  const Json* function = Member(tool, "function");
  if (function == nullptr) {
    return InvalidRequest(absl::StrCat("'", function_param, "' is required."), function_param);
  }
  if (!function->is_object()) return WrongType(function_param, "an object", *function);
  const std::string name_param = absl::StrCat(function_param, ".name");
  const Json* name = Member(*function, "name");
  if (name == nullptr || (name->is_string() && name->get_ref<const std::string&>().empty())) {
    return InvalidRequest(absl::StrCat("'", name_param, "' is required."), name_param);
  }
  if (!name->is_string()) return WrongType(name_param, "a string", *name);
  if (const Json* description = Member(*function, "description")) {
    if (!description->is_string()) {
      return WrongType(absl::StrCat(function_param, ".description"), "a string", *description);
    }
  }
  if (const Json* parameters = Member(*function, "parameters")) {
    if (!parameters->is_object()) {
      return WrongType(absl::StrCat(function_param, ".parameters"), "an object", *parameters);
    }
  }
  return std::nullopt;
}

// tools and tool_choice into input->tools.
MaybeError ParseTools(Json& body, ChatInput* input) {
  bool use_tools = true;
  if (const Json* choice = Member(body, "tool_choice")) {
    if (choice->is_object() || (choice->is_string() && *choice == "required")) {
      return NotSupported(
          "Forcing tool calls is not supported; tool_choice may be 'auto' or 'none'.",
          "tool_choice");
    }
    if (!choice->is_string()) return WrongType("tool_choice", "a string or an object", *choice);
    const std::string& name = choice->get_ref<const std::string&>();
    if (name != "auto" && name != "none") {
      return InvalidValue("tool_choice", absl::StrCat("'", Abbreviate(name),
                                                      "' is not a tool choice; expected 'auto', "
                                                      "'none' or 'required'"));
    }
    use_tools = name == "auto";
  }
  Json* tools = MutableMember(body, "tools");
  if (tools == nullptr) return std::nullopt;
  if (!tools->is_array()) return WrongType("tools", "an array of tools", *tools);
  for (size_t i = 0; i < tools->size(); ++i) {
    if (MaybeError e = ValidateTool((*tools)[i], absl::StrCat("tools[", i, "]"))) return e;
  }
  if (use_tools && !tools->empty()) input->tools = std::move(*tools);
  return std::nullopt;
}

MaybeError ParseTemplateOptions(Json& body, ChatInput* input) {
  if (Json* kwargs = MutableMember(body, "chat_template_kwargs")) {
    if (!kwargs->is_object()) return WrongType("chat_template_kwargs", "an object", *kwargs);
    for (absl::string_view reserved : kReservedTemplateVariables) {
      if (kwargs->contains(std::string(reserved))) {
        const std::string param = absl::StrCat("chat_template_kwargs.", reserved);
        return InvalidValue(param, absl::StrCat("'", reserved,
                                                "' is set by the server and cannot be "
                                                "overridden"));
      }
    }
    input->chat_template_kwargs = std::move(*kwargs);
  }
  if (MaybeError e = ReadBool(body, "continue_final_message", &input->continue_final_message)) {
    return e;
  }
  std::optional<bool> add_generation_prompt;
  if (const Json* value = Member(body, "add_generation_prompt")) {
    bool v = true;
    if (MaybeError e = GetBool(*value, "add_generation_prompt", &v)) return e;
    add_generation_prompt = v;
  }
  if (input->continue_final_message && add_generation_prompt.value_or(false)) {
    return InvalidRequest(
        "Cannot set both 'continue_final_message' and 'add_generation_prompt' to true.",
        "continue_final_message");
  }
  input->add_generation_prompt = add_generation_prompt.value_or(!input->continue_final_message);
  return std::nullopt;
}

}  // namespace

ApiResult<GenerationRequest> ParseChatRequest(absl::string_view body, const RequestLimits& limits) {
  ApiResult<Json> json = ParseRequestBody(body, limits);
  if (!json.ok()) return json.error();
  Json& b = json.value();
  GenerationRequest request;
  ChatInput input;
  if (MaybeError e = ParseCommonParams(b, limits, &request)) return *std::move(e);
  const Json* messages = Member(b, "messages");
  if (messages == nullptr) return InvalidRequest("You must provide messages.", "messages");
  if (MaybeError e = ValidateChatMessages(*messages)) return *std::move(e);
  if (MaybeError e = ParseMaxTokens(b, &request.stop)) return *std::move(e);
  if (MaybeError e = ParseLogprobs(b, limits, &request.logprobs)) return *std::move(e);
  if (MaybeError e = ParseResponseFormat(b)) return *std::move(e);
  if (MaybeError e = ParseTools(b, &input)) return *std::move(e);
  if (MaybeError e = ParseTemplateOptions(b, &input)) return *std::move(e);
  input.messages = std::move(*MutableMember(b, "messages"));
  request.input = std::move(input);
  return request;
}

}  // namespace weft::router::openai
