// RequestResult: what the load generator measured of one request (vLLM's
// RequestFuncOutput).
#ifndef WEFT_TESTS_LOADGEN_REQUEST_RESULT_H_
#define WEFT_TESTS_LOADGEN_REQUEST_RESULT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::loadgen {

struct RequestResult {
  // A complete "200 OK" event stream with at least one content chunk, ended
  // by "data: [DONE]". Otherwise `error` says what went wrong.
  bool success = false;
  std::string error;

  // Prompt length sent: token ids for /v1/completions, words for chat.
  int prompt_len = 0;
  // The server's final usage chunk, if it sent one.
  std::optional<int64_t> usage_prompt_tokens;
  std::optional<int64_t> usage_completion_tokens;
  // Chunks carrying non-empty text.
  int content_chunks = 0;
  // usage.completion_tokens if reported, else content_chunks.
  int64_t output_tokens = 0;

  // Seconds from the start of the request (connect) to the first content
  // chunk; gaps between successive content chunks; to the last content chunk
  // (vLLM's "latency", E2EL).
  double ttft_s = 0.0;
  std::vector<double> itl_s;
  double e2e_s = 0.0;
};

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_REQUEST_RESULT_H_
