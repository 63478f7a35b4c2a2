// The public listener's handler: the OpenAI-compatible routes.
//
//   POST /v1/completions, POST /v1/chat/completions
//       parse and validate (router/openai), resolve the model (404), render
//       the chat template, tokenize, fit the context window, then run the
//       request (RequestSession). Template rendering and tokenization run on
//       worker threads, never on an HTTP event loop.
//   GET  /v1/models, GET /v1/models/{model}
//   anything else: 404 (unknown path) or 405 (known path, wrong method).
// With API keys configured, every /v1 route first needs a valid key (401).
#ifndef WEFT_ROUTER_SERVING_OPENAI_FRONTEND_H_
#define WEFT_ROUTER_SERVING_OPENAI_FRONTEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/base/task_runner.h"
#include "router/http/http_request.h"
#include "router/http/http_responder.h"
#include "router/openai/api_error.h"
#include "router/openai/generation_request.h"
#include "router/serving/api_keys.h"
#include "router/serving/prepared_request.h"
#include "router/serving/request_session.h"
#include "router/serving/served_model.h"

namespace weft::router {

class OpenAiFrontend {
 public:
  struct Options {
    openai::RequestLimits limits;
    // Who may call the /v1 routes, and the tenant of each request.
    ApiKeys api_keys;
    // Latency targets unless the model or the API key sets its own.
    weft::v1::SloConfig default_slo;
  };

  // `workers` and everything `context` points to outlive the front end.
  OpenAiFrontend(std::vector<std::shared_ptr<const ServedModel>> models, SessionContext context,
                 TaskRunner* workers, Options options);

  // The HttpHandler of the public listener.
  void Handle(http::HttpRequest request, std::shared_ptr<http::HttpResponder> responder);

  // Parses, resolves and tokenizes a generation request body (what the
  // workers run for each POST). Public for tests.
  // `caller` is the authenticated caller.
  openai::ApiResult<PreparedRequest> Prepare(absl::string_view path, absl::string_view body,
                                             const Caller& caller) const;

 private:
  void Reject(http::HttpResponder& responder, const openai::ApiError& error) const;

  absl::flat_hash_map<std::string, std::shared_ptr<const ServedModel>> models_;
  std::vector<std::shared_ptr<const ServedModel>> model_list_;
  const SessionContext context_;
  TaskRunner* const workers_;
  const Options options_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_OPENAI_FRONTEND_H_
