// Validation of a chat request's `messages`: the shape the chat template may
// rely on, checked before the router renders it.
#ifndef WEFT_ROUTER_OPENAI_CHAT_MESSAGES_H_
#define WEFT_ROUTER_OPENAI_CHAT_MESSAGES_H_

#include "router/openai/json_body.h"
#include "router/openai/request_fields.h"

namespace weft::router::openai {

// Checks that `messages` is a non-empty array of message objects:
//   role          required: "system", "developer", "user", "assistant" or "tool"
//                 (the deprecated "function" is not supported);
//   content       a string, or an array of {"type": "text", "text": string}
//                 parts (image, audio and file parts are not supported: 400);
//                 required, except for an assistant message with tool_calls;
//   name, tool_call_id  strings when present;
//   tool_calls    an array of objects when present.
// Other members are left to the template. Errors name the field, e.g.
// "messages[1].content[0].type".
MaybeError ValidateChatMessages(const Json& messages);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_CHAT_MESSAGES_H_
