#include "router/openai/chat_messages.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace weft::router::openai {
namespace {

bool IsSupportedRole(absl::string_view role) {
  return role == "system" || role == "developer" || role == "user" || role == "assistant" ||
         role == "tool";
}

MaybeError ValidateContentPart(const Json& part, const std::string& param) {
  if (!part.is_object()) return WrongType(param, "an object", part);
  const Json* type = Member(part, "type");
  if (type == nullptr)
    return InvalidRequest(absl::StrCat("'", param, ".type' is required."),
                          absl::StrCat(param, ".type"));
  std::string type_name;
  if (MaybeError e = GetString(*type, absl::StrCat(param, ".type"), &type_name)) return e;
  if (type_name != "text") {
    return NotSupported(absl::StrCat("Content parts of type '", Abbreviate(type_name),
                                     "' are not supported; only 'text' parts are."),
                        absl::StrCat(param, ".type"));
  }
  const Json* text = Member(part, "text");
  if (text == nullptr)
    return InvalidRequest(absl::StrCat("'", param, ".text' is required."),
                          absl::StrCat(param, ".text"));
  if (!text->is_string()) return WrongType(absl::StrCat(param, ".text"), "a string", *text);
  return std::nullopt;
}

MaybeError ValidateContent(const Json& message, const std::string& param, bool may_be_absent) {
  const std::string content_param = absl::StrCat(param, ".content");
  const Json* content = Member(message, "content");
  if (content == nullptr) {
    if (may_be_absent) return std::nullopt;
    return InvalidRequest(absl::StrCat("'", content_param, "' is required."), content_param);
  }
  if (content->is_string()) return std::nullopt;
  if (!content->is_array()) {
    return WrongType(content_param, "a string or an array of content parts", *content);
  }
  for (size_t i = 0; i < content->size(); ++i) {
    if (MaybeError e =
            ValidateContentPart((*content)[i], absl::StrCat(content_param, "[", i, "]"))) {
      return e;
    }
  }
  return std::nullopt;
}

MaybeError ValidateMessage(const Json& message, const std::string& param) {
  if (!message.is_object()) return WrongType(param, "an object", message);
  const std::string role_param = absl::StrCat(param, ".role");
  const Json* role_value = Member(message, "role");
  if (role_value == nullptr) {
    return InvalidRequest(absl::StrCat("'", role_param, "' is required."), role_param);
  }
  std::string role;
  if (MaybeError e = GetString(*role_value, role_param, &role)) return e;
  if (!IsSupportedRole(role)) {
    return InvalidValue(role_param,
                        absl::StrCat("'", Abbreviate(role),
                                     "' is not a supported role; expected one of system, "
                                     "developer, user, assistant, tool"));
  }
  bool has_tool_calls = false;
  if (const Json* tool_calls = Member(message, "tool_calls")) {
    const std::string calls_param = absl::StrCat(param, ".tool_calls");
    if (!tool_calls->is_array()) return WrongType(calls_param, "an array", *tool_calls);
    for (size_t i = 0; i < tool_calls->size(); ++i) {
      if (!(*tool_calls)[i].is_object()) {
        return WrongType(absl::StrCat(calls_param, "[", i, "]"), "an object", (*tool_calls)[i]);
      }
    }
    has_tool_calls = !tool_calls->empty();
  }
  if (MaybeError e = ValidateContent(message, param, role == "assistant" && has_tool_calls)) {
    return e;
  }
  for (const char* key : {"name", "tool_call_id"}) {
    if (const Json* value = Member(message, key)) {
      if (!value->is_string()) return WrongType(absl::StrCat(param, ".", key), "a string", *value);
    }
  }
  return std::nullopt;
}

}  // namespace

MaybeError ValidateChatMessages(const Json& messages) {
  if (!messages.is_array()) return WrongType("messages", "an array of messages", messages);
  if (messages.empty()) return InvalidValue("messages", "at least one message is required");
  for (size_t i = 0; i < messages.size(); ++i) {
    if (MaybeError e = ValidateMessage(messages[i], absl::StrCat("messages[", i, "]"))) return e;
  }
  return std::nullopt;
}

}  // namespace weft::router::openai
