#include "router/serving/internal_endpoints.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace weft::router {

void InternalEndpoints::Handle(http::HttpRequest request,
                               std::shared_ptr<http::HttpResponder> responder) {
  const http::HttpHeaders text{{"Content-Type", "text/plain; charset=utf-8"}};
  if (request.method != "GET" && request.method != "HEAD") {
    responder->Respond(405, {{"Allow", "GET, HEAD"}}, "method not allowed\n");
    return;
  }
  if (request.path == "/health") {
    responder->Respond(200, text, "ok\n");
  } else if (request.path == "/ready") {
    probe_.Check([responder, text](absl::Status status) {
      if (status.ok()) {
        responder->Respond(200, text, "ready\n");
      } else {
        responder->Respond(503, text, absl::StrCat("not ready: ", status.message(), "\n"));
      }
    });
  } else if (request.path == "/metrics") {
    responder->Respond(200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                       prometheus::TextSerializer().Serialize(registry_.Collect()));
  } else {
    responder->Respond(404, text, "not found\n");
  }
}

}  // namespace weft::router
