// One admitted OpenAI request in flight: a sequence per choice (prompts x n),
// each routed and run through prefill and decode (SequenceCall), their token
// events turned into the response — a stream of chunks as they arrive, or
// the whole body once every choice has finished — and the router's latency
// metrics recorded as the client sees them.
//
// The client going away (the responder's OnClose) cancels every sequence
// everywhere. A sequence that fails ends the request: the others are
// cancelled and the client gets the error (a status before anything was
// sent; an error event then [DONE] in a stream). A sequence that reaches
// the request deadline ends with finish_reason "abort".
#ifndef WEFT_ROUTER_SERVING_REQUEST_SESSION_H_
#define WEFT_ROUTER_SERVING_REQUEST_SESSION_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "router/http/http_responder.h"
#include "router/registry/instance_registry.h"
#include "router/serving/backend_stubs.h"
#include "router/serving/instance_picker.h"
#include "router/serving/live_work.h"
#include "router/serving/outstanding_work.h"
#include "router/serving/prepared_request.h"
#include "router/serving/router_metrics.h"

namespace weft::router {

// What sessions share; owned by the router and outliving every session.
struct SessionContext {
  BackendStubs* stubs = nullptr;
  InstanceRegistry* registry = nullptr;
  OutstandingWork* work = nullptr;
  const InstancePicker* picker = nullptr;
  RouterMetrics* metrics = nullptr;
  // Counts sessions and their calls, if set.
  LiveWork* live = nullptr;
  absl::Duration request_timeout = absl::Minutes(10);
  absl::Duration reserve_timeout = absl::Seconds(5);
};

// Runs `request`, answering through `responder`. Returns at once; the
// session lives until its last sequence is done.
void RunRequestSession(PreparedRequest request, std::shared_ptr<http::HttpResponder> responder,
                       const SessionContext& context);

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_REQUEST_SESSION_H_
