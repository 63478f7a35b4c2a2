// Renders a model's chat template from the command line, to see the exact
// prompt weft would send for a conversation:
//
//   bazel run //common/chat:render_chat_template -- MODEL_DIR [REQUEST_JSON]
//   bazel run //common/chat:render_chat_template -- TEMPLATE.jinja [REQUEST_JSON]
//
// MODEL_DIR is a Hugging Face checkpoint (tokenizer_config.json and/or
// chat_template.jinja). REQUEST_JSON is a file holding an object with
// "messages", and optionally "tools", "add_generation_prompt" (default true),
// "kwargs" (extra template variables) and "bos_token" / "eos_token" /
// "unk_token" / "pad_token" (overriding the checkpoint's). Without it, the
// template's start-up check runs and its sample conversation is printed.
// The prompt goes to stdout; errors to stderr (exit status 1).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/chat/chat_template.h"
#include "nlohmann/json.hpp"

namespace {

using weft::chat::ChatTemplate;
using json = nlohmann::ordered_json;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR|TEMPLATE.jinja [REQUEST_JSON]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  absl::StatusOr<ChatTemplate> t;
  if (std::filesystem::is_directory(path)) {
    t = weft::chat::LoadChatTemplate(path);
  } else {
    absl::StatusOr<std::string> source = ReadFile(path);
    if (!source.ok()) return Fail(source.status());
    t = ChatTemplate::Parse(*source);
  }
  if (!t.ok()) return Fail(t.status());

  weft::chat::RenderInput input;
  if (argc == 2) {
    if (absl::Status check = t->Check(); !check.ok()) return Fail(check);
    std::fprintf(stderr, "template check passed; sample conversation:\n");
    input.messages = json::parse(R"([
      {"role": "system", "content": "You are a helpful assistant."},
      {"role": "user", "content": "Hello!"},
      {"role": "assistant", "content": "Hi! How can I help you today?"},
      {"role": "user", "content": "What is 2 + 2?"}])");
    absl::StatusOr<std::string> out = t->Render(input);
    if (!out.ok()) {
      input.messages.erase(input.messages.begin());
      out = t->Render(input);
    }
    if (!out.ok()) return Fail(out.status());
    std::fwrite(out->data(), 1, out->size(), stdout);
    return 0;
  }

  absl::StatusOr<std::string> request_text = ReadFile(argv[2]);
  if (!request_text.ok()) return Fail(request_text.status());
  const json request = json::parse(*request_text, nullptr, false);
  if (!request.is_object()) return Fail(absl::InvalidArgumentError("request is not a JSON object"));
  weft::chat::SpecialTokens tokens = t->special_tokens();
  for (const auto& [name, slot] :
       {std::pair<const char*, std::optional<std::string>*>{"bos_token", &tokens.bos_token},
        {"eos_token", &tokens.eos_token},
        {"unk_token", &tokens.unk_token},
        {"pad_token", &tokens.pad_token}}) {
    if (request.contains(name) && request[name].is_string()) *slot = request[name];
  }
  absl::StatusOr<ChatTemplate> with_tokens = ChatTemplate::Parse(t->source(), tokens);
  if (!with_tokens.ok()) return Fail(with_tokens.status());
  if (request.contains("messages")) input.messages = request["messages"];
  if (request.contains("tools") && !request["tools"].is_null()) input.tools = request["tools"];
  if (request.contains("add_generation_prompt")) {
    input.add_generation_prompt = request["add_generation_prompt"].is_boolean() &&
                                  request["add_generation_prompt"].get<bool>();
  }
  if (request.contains("kwargs")) input.extra_context = request["kwargs"];
  absl::StatusOr<std::string> out = with_tokens->Render(input);
  if (!out.ok()) return Fail(out.status());
  std::fwrite(out->data(), 1, out->size(), stdout);
  return 0;
}
