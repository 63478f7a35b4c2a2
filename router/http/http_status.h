// HTTP status codes: the reason phrase the server writes on each status line
// ("HTTP/1.1 404 Not Found"). Reason phrases are informational only (clients
// must not depend on them), so an unknown code gets a generic phrase for its
// class rather than an error.
#ifndef WEFT_ROUTER_HTTP_HTTP_STATUS_H_
#define WEFT_ROUTER_HTTP_HTTP_STATUS_H_

#include "absl/strings/string_view.h"

namespace weft::router::http {

// The standard reason phrase for `status` (RFC 9110 section 15), or a class
// phrase ("Client Error") for an unregistered code. Never empty.
absl::string_view ReasonPhrase(int status);

// True for the codes whose responses never carry a body (RFC 9110 6.4.1):
// 1xx, 204 No Content and 304 Not Modified.
bool StatusHasNoBody(int status);

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_HTTP_STATUS_H_
