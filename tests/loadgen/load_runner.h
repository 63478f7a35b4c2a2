// RunLoad: sends the planned requests and waits for every outcome, on one
// thread with one epoll loop over non-blocking sockets (one connection per
// request). A request is due at its send_at_s; it is sent when due and, with a
// concurrency cap, once fewer than that many are in flight (vLLM's semaphore:
// the arrival schedule does not shift, requests queue). TTFT and E2E count
// from the actual send. Each request fails after `timeout` from its send.
#ifndef WEFT_TESTS_LOADGEN_LOAD_RUNNER_H_
#define WEFT_TESTS_LOADGEN_LOAD_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/loadgen/api_kind.h"
#include "tests/loadgen/request_result.h"
#include "tests/loadgen/server_address.h"
#include "tests/loadgen/workload.h"

namespace weft::loadgen {

struct LoadOptions {
  ApiKind kind = ApiKind::kCompletions;
  std::string api_key;      // sent as a bearer token unless empty
  int max_concurrency = 0;  // requests in flight at most; 0: unbounded
  double timeout_s = 300;   // per request, from its send
};

struct LoadResult {
  std::vector<RequestResult> results;  // in the order of `requests`
  // From the start to the last outcome (vLLM's benchmark duration).
  double duration_s = 0.0;
};

// Blocks until every request has succeeded or failed (at most the last
// arrival plus the timeout, roughly). Errors only if the loop itself cannot
// run (epoll_create fails); request failures are in the results.
absl::StatusOr<LoadResult> RunLoad(const ServerAddress& address,
                                   const std::vector<PlannedRequest>& requests,
                                   const LoadOptions& options);

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_LOAD_RUNNER_H_
