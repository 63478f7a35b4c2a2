#include "router/http/error_response.h"

#include "absl/strings/str_cat.h"
#include "router/http/http_status.h"

namespace weft::router::http {

ErrorBody PlainTextErrorBody(int /*status*/, absl::string_view message) {
  return {.content_type = "text/plain; charset=utf-8", .body = absl::StrCat(message, "\n")};
}

std::string FormatErrorResponse(const ErrorBodyFormatter& formatter, int status,
                                absl::string_view message) {
  const ErrorBody e = formatter ? formatter(status, message) : PlainTextErrorBody(status, message);
  return absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status),
                      "\r\nContent-Type: ", e.content_type, "\r\nContent-Length: ", e.body.size(),
                      "\r\nConnection: close\r\n\r\n", e.body);
}

}  // namespace weft::router::http
