// The responses the HTTP server writes itself, before any handler runs:
// malformed or over-limit requests (400, 408, 413, 414, 431, 501, ...) and
// connections over the limit (503). Their bodies are plain text unless the
// server is given a formatter (the router's public listener answers in the
// OpenAI API's JSON error shape).
#ifndef WEFT_ROUTER_HTTP_ERROR_RESPONSE_H_
#define WEFT_ROUTER_HTTP_ERROR_RESPONSE_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace weft::router::http {

struct ErrorBody {
  std::string content_type;
  std::string body;
};

// The body for an error status and a message saying what was wrong.
using ErrorBodyFormatter = std::function<ErrorBody(int status, absl::string_view message)>;

// "text/plain; charset=utf-8", the message and a newline.
ErrorBody PlainTextErrorBody(int status, absl::string_view message);

// A complete response ending the connection ("Connection: close"), its body
// from `formatter` (PlainTextErrorBody when empty).
std::string FormatErrorResponse(const ErrorBodyFormatter& formatter, int status,
                                absl::string_view message);

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_ERROR_RESPONSE_H_
