// A request ready to run: validated, its model resolved, its prompts
// tokenized and its token budget fixed. What the HTTP front end hands to a
// RequestSession.
#ifndef WEFT_ROUTER_SERVING_PREPARED_REQUEST_H_
#define WEFT_ROUTER_SERVING_PREPARED_REQUEST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "router/openai/generation_request.h"
#include "router/serving/served_model.h"
#include "router/serving/slo_targets.h"

namespace weft::router {

struct PreparedPrompt {
  std::vector<uint32_t> tokens;  // non-empty
  std::string text;              // the prompt as text (for echo)
  int32_t max_tokens = 0;        // resolved against the context window, > 0
};

struct PreparedRequest {
  openai::GenerationRequest request;
  std::shared_ptr<const ServedModel> model;
  std::vector<PreparedPrompt> prompts;  // completions: one per prompt; chat: one
  std::string tenant;                   // prefix-cache salt, from the server side
  SloTargets slo;                       // admission targets
  absl::Time received;                  // when the router had the whole request
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_PREPARED_REQUEST_H_
