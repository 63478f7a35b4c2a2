// Server-sent events (text/event-stream) framing for streamed OpenAI
// responses: each event is "data: <payload>\n\n" and the stream ends with
// "data: [DONE]\n\n".
#ifndef WEFT_ROUTER_HTTP_SSE_H_
#define WEFT_ROUTER_HTTP_SSE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace weft::router::http {

// The headers to pass to HttpResponder::StartStream for an event stream are
// {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}}.
inline constexpr absl::string_view kSseContentType = "text/event-stream";

// The final event of an OpenAI stream.
inline constexpr absl::string_view kSseDone = "data: [DONE]\n\n";

// One event carrying `data`; a multi-line payload becomes one "data:" line
// per line, as the format requires.
std::string SseEvent(absl::string_view data);

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_SSE_H_
