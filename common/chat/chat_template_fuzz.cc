// Fuzz target: arbitrary bytes as a chat template (and, after a NUL byte, as
// the JSON render context). Parsing and rendering may fail but must not crash,
// hang, leak or exceed the render limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "common/chat/chat_template.h"
#include "nlohmann/json.hpp"

namespace {

const nlohmann::ordered_json& DefaultContext() {
  static const auto* const kContext = new nlohmann::ordered_json(nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Hi \u00e9 <b>"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "f", "arguments": {"a": [1, 2.5, true, null]}}}]},
      {"role": "tool", "content": "42", "tool_call_id": "call_1"},
      {"role": "user", "content": [{"type": "text", "text": "part"}]}
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "extra": {"enable_thinking": false, "n": 3}
  })"));
  return *kContext;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const absl::string_view source = input.substr(0, nul);

  absl::StatusOr<weft::chat::ChatTemplate> t = weft::chat::ChatTemplate::Parse(
      source, weft::chat::SpecialTokens{.bos_token = "<s>", .eos_token = "</s>"});
  if (!t.ok()) return 0;
  weft::chat::jinja::RenderOptions options;
  options.max_output_bytes = 1 << 16;
  options.max_loop_iterations = 20000;
  options.max_steps = 500000;
  options.max_call_depth = 16;
  t->set_render_options(options);

  nlohmann::ordered_json context = DefaultContext();
  if (nul != absl::string_view::npos) {
    const nlohmann::ordered_json custom =
        nlohmann::ordered_json::parse(input.substr(nul + 1), nullptr, false);
    if (custom.is_object()) context = custom;
  }
  weft::chat::RenderInput render_input;
  if (context.contains("messages")) render_input.messages = context["messages"];
  if (context.contains("tools")) render_input.tools = context["tools"];
  if (context.contains("extra") && context["extra"].is_object()) {
    render_input.extra_context = context["extra"];
  }
  for (const bool generation_prompt : {true, false}) {
    render_input.add_generation_prompt = generation_prompt;
    const absl::StatusOr<std::string> out = t->Render(render_input);
    if (out.ok() && out->size() > options.max_output_bytes) std::abort();
  }
  t->Check().IgnoreError();
  return 0;
}
