// A model's chat template: renders OpenAI-style messages into the prompt text
// the model was trained on, with the Jinja `chat_template` from its
// tokenizer_config.json (or chat_template.jinja), exactly as transformers'
// tokenizer.apply_chat_template(messages, tools=..., add_generation_prompt=...,
// **kwargs) would.
//
// The template sees the variables transformers passes: `messages` (the
// request's messages as given: role, content as a string or a list of parts,
// tool_calls, name, ...), `tools` (None when absent), `documents` (None),
// `add_generation_prompt`, the special tokens from tokenizer_config.json
// (bos_token, eos_token, unk_token, pad_token; absent when null), and any
// extra keyword arguments (e.g. Qwen3's enable_thinking).
//
// Parse() fails on any construct the interpreter does not support (with the
// template line:column); Check() renders a sample conversation so that a
// template that cannot render fails at start-up rather than per request.
//
// Render() and Check() are const and thread-safe; copies share the parsed
// template.
#ifndef WEFT_COMMON_CHAT_CHAT_TEMPLATE_H_
#define WEFT_COMMON_CHAT_CHAT_TEMPLATE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/chat/jinja_interpreter.h"
#include "nlohmann/json.hpp"

namespace weft::chat {

// Special tokens as tokenizer_config.json names them; nullopt when absent or
// null there (the template then sees them as undefined).
struct SpecialTokens {
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  std::optional<std::string> unk_token;
  std::optional<std::string> pad_token;
};

struct RenderInput {
  // A JSON array of message objects. Parse request bodies with
  // nlohmann::ordered_json so that objects keep their key order (it shows in
  // `|tojson` output, e.g. tool schemas and tool-call arguments).
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  bool add_generation_prompt = true;
  // The request's `tools` (a JSON array); nullopt renders with tools=None.
  std::optional<nlohmann::ordered_json> tools;
  // Extra template variables (a JSON object), e.g. {"enable_thinking": false};
  // they override the standard ones.
  nlohmann::ordered_json extra_context = nlohmann::ordered_json::object();
};

class ChatTemplate {
 public:
  // Parses `source`. Errors are InvalidArgument
  // "chat template line L:C: <what>".
  static absl::StatusOr<ChatTemplate> Parse(absl::string_view source,
                                            SpecialTokens special_tokens = {});

  // Renders `input`. Errors are InvalidArgument "chat template line L:C:
  // <what>" (for a raise_exception() in the template, <what> is its message
  // and IsTemplateException() is true), or ResourceExhausted past the render
  // limits.
  absl::StatusOr<std::string> Render(const RenderInput& input) const;

  // Renders a sample conversation (system, user, assistant, user, with the
  // generation prompt); if the template rejects it with raise_exception()
  // (e.g. "System role not supported"), the same without the system message.
  // Fails when neither renders to a non-empty prompt.
  absl::Status Check() const;

  const std::string& source() const { return source_; }
  const SpecialTokens& special_tokens() const { return special_tokens_; }
  // Limits and clock for rendering (defaults: jinja::RenderOptions{}).
  void set_render_options(jinja::RenderOptions options) { options_ = std::move(options); }

 private:
  ChatTemplate(std::string source, SpecialTokens special_tokens,
               std::shared_ptr<const jinja::Template> compiled)
      : source_(std::move(source)),
        special_tokens_(std::move(special_tokens)),
        compiled_(std::move(compiled)) {}

  std::string source_;
  SpecialTokens special_tokens_;
  std::shared_ptr<const jinja::Template> compiled_;
  jinja::RenderOptions options_;
};

// Whether a Render() error came from the template's raise_exception(), i.e.
// the template rejected the conversation (a client error).
bool IsTemplateException(const absl::Status& status);

// Loads and parses the chat template of the Hugging Face checkpoint in
// `model_dir`: chat_template.jinja if present, else tokenizer_config.json's
// `chat_template` (a string, or a list of {name, template} of which "default"
// is used), else chat_template.json's `chat_template`. Special tokens come
// from tokenizer_config.json (strings or {"content": ...} objects). NotFound
// when the checkpoint has no chat template; errors name the file.
absl::StatusOr<ChatTemplate> LoadChatTemplate(const std::string& model_dir);

// Replaces each message's `content` that is a list of only text parts
// ({"type": "text", "text": ...}) with the texts joined by "\n", for
// templates that expect string content. Other messages are unchanged.
nlohmann::ordered_json FlattenTextContent(const nlohmann::ordered_json& messages);

}  // namespace weft::chat

#endif  // WEFT_COMMON_CHAT_CHAT_TEMPLATE_H_
