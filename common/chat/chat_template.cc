// A model's chat template (see chat_template.h).
#include "common/chat/chat_template.h"

#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status/status_macros.h"

namespace weft::chat {
namespace {

using ::weft::chat::jinja::Value;

// "chat template " + message, keeping the code and payloads.
absl::Status Prefixed(const absl::Status& status, absl::string_view prefix) {
  absl::Status out(status.code(), absl::StrCat(prefix, status.message()));
  status.ForEachPayload(
      [&out](absl::string_view key, const absl::Cord& value) { out.SetPayload(key, value); });
  return out;
}

absl::Status AddToContext(const char* name, const nlohmann::ordered_json& json,
                          jinja::Context* context) {
  absl::StatusOr<Value> v = jinja::ValueFromJson(json);
  if (!v.ok()) return Prefixed(v.status(), absl::StrCat("chat template input `", name, "`: "));
  (*context)[name] = *std::move(v);
  return absl::OkStatus();
}

// Reads a whole file; NotFound if it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading ", path));
  return text;
}

bool FileExists(const std::string& path) { return std::ifstream(path).good(); }

absl::StatusOr<std::optional<std::string>> SpecialToken(const nlohmann::ordered_json& config,
                                                        const char* name, const std::string& path) {
  const auto it = config.find(name);
  if (it == config.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
  if (it->is_object()) {
    const auto content = it->find("content");
    if (content != it->end() && content->is_string()) {
      return std::optional<std::string>(content->get<std::string>());
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": `", name, "` must be a string, null or an object with a string `content`"));
}

// The template in a `chat_template` field: a string, or a list of
// {name, template} (the one named "default"). nullopt when absent or null.
absl::StatusOr<std::optional<std::string>> TemplateField(const nlohmann::ordered_json& config,
                                                         const std::string& path) {
  const auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
  if (it->is_array()) {
    std::vector<std::string> names;
    for (const auto& entry : *it) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
          !entry.contains("template") || !entry["template"].is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": `chat_template` list entries must be {\"name\": ..., \"template\": ...}"));
      }
      const std::string name = entry["name"].get<std::string>();
      if (name == "default")
        return std::optional<std::string>(entry["template"].get<std::string>());
      names.push_back(name);
    }
    return absl::NotFoundError(absl::StrCat(path,
                                            ": `chat_template` has no template named "
                                            "\"default\" (it has: ",
                                            absl::StrJoin(names, ", "), ")"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": `chat_template` must be a string or a list of named templates"));
}

absl::StatusOr<nlohmann::ordered_json> ReadJsonObject(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(text, nullptr, false);
  if (json.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": invalid JSON"));
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON object"));
  }
  return json;
}

nlohmann::ordered_json SampleMessage(const char* role, const char* content) {
  nlohmann::ordered_json m = nlohmann::ordered_json::object();
  m["role"] = role;
  m["content"] = content;
  return m;
}

}  // namespace

absl::StatusOr<ChatTemplate> ChatTemplate::Parse(absl::string_view source,
                                                 SpecialTokens special_tokens) {
  absl::StatusOr<jinja::Template> compiled = jinja::Template::Parse(source);
  if (!compiled.ok()) return Prefixed(compiled.status(), "chat template ");
  return ChatTemplate(std::string(source), std::move(special_tokens),
                      std::make_shared<const jinja::Template>(*std::move(compiled)));
}

absl::StatusOr<std::string> ChatTemplate::Render(const RenderInput& input) const {
  if (!input.messages.is_array()) {
    return absl::InvalidArgumentError("chat template input `messages` must be a JSON array");
  }
  if (!input.extra_context.is_object()) {
    return absl::InvalidArgumentError("chat template extra context must be a JSON object");
  }
  jinja::Context context;
  WEFT_RETURN_IF_ERROR(AddToContext("messages", input.messages, &context));
  if (input.tools.has_value()) {
    WEFT_RETURN_IF_ERROR(AddToContext("tools", *input.tools, &context));
  } else {
    context["tools"] = Value::None();
  }
  context["documents"] = Value::None();
  context["add_generation_prompt"] = Value::Bool(input.add_generation_prompt);
  const std::pair<const char*, const std::optional<std::string>*> tokens[] = {
      {"bos_token", &special_tokens_.bos_token},
      {"eos_token", &special_tokens_.eos_token},
      {"unk_token", &special_tokens_.unk_token},
      {"pad_token", &special_tokens_.pad_token},
  };
  for (const auto& [name, token] : tokens) {
    if (token->has_value()) context[name] = Value::String(**token);
  }
  for (auto it = input.extra_context.begin(); it != input.extra_context.end(); ++it) {
    absl::StatusOr<Value> v = jinja::ValueFromJson(it.value());
    if (!v.ok()) {
      return Prefixed(v.status(), absl::StrCat("chat template input `", it.key(), "`: "));
    }
    context[it.key()] = *std::move(v);
  }
  absl::StatusOr<std::string> out = compiled_->Render(context, options_);
  if (!out.ok()) return Prefixed(out.status(), "chat template ");
  return out;
}

absl::Status ChatTemplate::Check() const {
  RenderInput input;
  input.add_generation_prompt = true;
  input.messages = nlohmann::ordered_json::array(
      {SampleMessage("system", "You are a helpful assistant."), SampleMessage("user", "Hello!"),
       SampleMessage("assistant", "Hi! How can I help you today?"),
       SampleMessage("user", "What is 2 + 2?")});
  absl::StatusOr<std::string> out = Render(input);
  if (!out.ok() && IsTemplateException(out.status())) {
    input.messages.erase(input.messages.begin());
    absl::StatusOr<std::string> retry = Render(input);
    if (retry.ok()) out = std::move(retry);
  }
  if (!out.ok()) {
    absl::string_view message = out.status().message();
    absl::ConsumePrefix(&message, "chat template ");
    return absl::Status(
        out.status().code(),
        absl::StrCat("chat template cannot render a sample conversation: ", message));
  }
  if (out->empty()) {
    return absl::InvalidArgumentError("chat template renders a sample conversation as empty text");
  }
  return absl::OkStatus();
}

bool IsTemplateException(const absl::Status& status) { return jinja::IsRaisedException(status); }

absl::StatusOr<ChatTemplate> LoadChatTemplate(const std::string& model_dir) {
  const std::string config_path = model_dir + "/tokenizer_config.json";
  const std::string jinja_path = model_dir + "/chat_template.jinja";
  const std::string json_path = model_dir + "/chat_template.json";

  SpecialTokens tokens;
  std::optional<std::string> config_template;
  if (FileExists(config_path)) {
    WEFT_ASSIGN_OR_RETURN(const nlohmann::ordered_json config, ReadJsonObject(config_path));
    WEFT_ASSIGN_OR_RETURN(tokens.bos_token, SpecialToken(config, "bos_token", config_path));
    WEFT_ASSIGN_OR_RETURN(tokens.eos_token, SpecialToken(config, "eos_token", config_path));
    WEFT_ASSIGN_OR_RETURN(tokens.unk_token, SpecialToken(config, "unk_token", config_path));
    WEFT_ASSIGN_OR_RETURN(tokens.pad_token, SpecialToken(config, "pad_token", config_path));
    WEFT_ASSIGN_OR_RETURN(config_template, TemplateField(config, config_path));
  }

  std::string source;
  std::string source_path;
  if (FileExists(jinja_path)) {
    WEFT_ASSIGN_OR_RETURN(source, ReadFile(jinja_path));
    source_path = jinja_path;
  } else if (config_template.has_value()) {
    source = *std::move(config_template);
    source_path = config_path;
  } else if (FileExists(json_path)) {
    WEFT_ASSIGN_OR_RETURN(const nlohmann::ordered_json json, ReadJsonObject(json_path));
    WEFT_ASSIGN_OR_RETURN(std::optional<std::string> from_json, TemplateField(json, json_path));
    if (!from_json.has_value()) {
      return absl::NotFoundError(absl::StrCat(json_path, " has no `chat_template`"));
    }
    source = *std::move(from_json);
    source_path = json_path;
  } else {
    return absl::NotFoundError(absl::StrCat(
        "no chat template in ", model_dir,
        ": tokenizer_config.json has no `chat_template` and there is no chat_template.jinja"));
  }
  absl::StatusOr<ChatTemplate> parsed = ChatTemplate::Parse(source, std::move(tokens));
  if (!parsed.ok()) return Prefixed(parsed.status(), absl::StrCat(source_path, ": "));
  return parsed;
}

nlohmann::ordered_json FlattenTextContent(const nlohmann::ordered_json& messages) {
  nlohmann::ordered_json out = messages;
  if (!out.is_array()) return out;
  for (auto& message : out) {
    if (!message.is_object()) continue;
    const auto content = message.find("content");
    if (content == message.end() || !content->is_array()) continue;
    std::vector<std::string> texts;
    bool all_text = true;
    for (const auto& part : *content) {
      const bool is_text = part.is_object() && part.contains("type") && part["type"] == "text" &&
                           part.contains("text") && part["text"].is_string();
      if (!is_text) {
        all_text = false;
        break;
      }
      texts.push_back(part["text"].get<std::string>());
    }
    if (all_text) *content = absl::StrJoin(texts, "\n");
  }
  return out;
}

}  // namespace weft::chat
