// The benchmark's workload, decided before anything is sent and reproducible
// from its seed (vLLM's RandomDataset and get_request): random prompts, the
// request bodies, and the arrival schedule.
//
// Prompts: for /v1/completions, --input_len token ids drawn uniformly from
// [min_token_id, max_token_id] after --prefix_len ids shared by every prompt
// (as vLLM's random dataset does; the prompt is prefix_len + input_len ids
// long). For chat, the same shape in words of a fixed vocabulary, since token
// ids cannot be sent there.
//
// Arrivals: with an infinite rate all requests are due at once; otherwise the
// gaps are exponential with mean 1/rate (a Poisson process, vLLM's
// burstiness 1), the first request due at 0.
#ifndef WEFT_TESTS_LOADGEN_WORKLOAD_H_
#define WEFT_TESTS_LOADGEN_WORKLOAD_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/loadgen/api_kind.h"

namespace weft::loadgen {

struct WorkloadOptions {
  ApiKind kind = ApiKind::kCompletions;
  std::string model;
  int num_requests = 100;
  int input_len = 1024;
  int output_len = 128;
  int prefix_len = 0;
  int min_token_id = 10;
  int max_token_id = 100;
  uint64_t seed = 0;
  double request_rate = std::numeric_limits<double>::infinity();  // requests/s
};

struct PlannedRequest {
  std::string body;      // the JSON request body
  int prompt_len = 0;    // token ids (completions) or words (chat) in the prompt
  double send_at_s = 0;  // due this long after the benchmark starts
};

// InvalidArgument naming the first bad option.
absl::Status ValidateWorkloadOptions(const WorkloadOptions& options);

// The requests, in arrival order. `options` must be valid.
std::vector<PlannedRequest> MakeWorkload(const WorkloadOptions& options);

// Arrival offsets (seconds, non-decreasing, the first 0) of `n` requests at
// `rate` requests/s; all 0 for an infinite rate.
std::vector<double> ArrivalOffsets(int n, double rate, uint64_t seed);

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_WORKLOAD_H_
