// weft-loadgen: a load generator for OpenAI-compatible servers, reporting as
// vLLM's benchmarks/benchmark_serving.py (`vllm bench serve`) does. Sends
// --num_requests streamed requests (random prompts, "ignore_eos", exactly
// --output_len tokens each) at --request_rate with Poisson arrivals, at most
// --max_concurrency at a time, and prints throughput, TTFT, TPOT, ITL, E2E
// latency and goodput.
//
//   bazel run -c opt //tests/loadgen:weft-loadgen --
//       --url=http://127.0.0.1:8080 --model=tiny-qwen3-moe
//       --num_requests=200 --input_len=512 --output_len=64 --prefix_len=256
//       --request_rate=8 --max_concurrency=32
//       --goodput_ttft_ms=500 --goodput_tpot_ms=50 --json_out=/tmp/bench.json
//
// Exit status: 0 once the report is printed with at least one successful
// request, 1 if none succeeded or the run could not start, 2 for bad flags.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/loadgen/api_kind.h"
#include "tests/loadgen/benchmark_metrics.h"
#include "tests/loadgen/load_runner.h"
#include "tests/loadgen/report.h"
#include "tests/loadgen/server_address.h"
#include "tests/loadgen/workload.h"

ABSL_FLAG(std::string, url, "http://127.0.0.1:8080",
          "The server, http://HOST[:PORT][/BASE] (plain HTTP/1.1, no TLS)");
ABSL_FLAG(std::string, endpoint, "/v1/completions", "/v1/completions or /v1/chat/completions");
ABSL_FLAG(std::string, model, "", "The \"model\" of every request (required)");
ABSL_FLAG(std::string, api_key, "", "Sent as 'Authorization: Bearer <key>' if not empty");
ABSL_FLAG(int, num_requests, 100, "Requests to send");
ABSL_FLAG(int, input_len, 1024,
          "Random prompt tokens per request (words for chat), after the shared prefix");
ABSL_FLAG(int, output_len, 128, "max_tokens of every request (ignore_eos: all generated)");
ABSL_FLAG(int, prefix_len, 0, "Tokens (words for chat) of a prefix shared by every prompt");
ABSL_FLAG(int, min_token_id, 10, "Smallest random prompt token id");
ABSL_FLAG(int, max_token_id, 100, "Largest random prompt token id");
ABSL_FLAG(uint64_t, seed, 0, "Seed of the prompts and of the arrival times");
ABSL_FLAG(double, request_rate, std::numeric_limits<double>::infinity(),
          "Requests per second, Poisson arrivals; inf: all at once");
ABSL_FLAG(int, max_concurrency, 0, "Requests in flight at most; 0: unbounded");
ABSL_FLAG(double, timeout_s, 300, "Per-request timeout, seconds from its send");
ABSL_FLAG(double, goodput_ttft_ms, 0, "Goodput SLO on TTFT, ms; 0: none");
ABSL_FLAG(double, goodput_tpot_ms, 0, "Goodput SLO on TPOT, ms; 0: none");
ABSL_FLAG(std::string, json_out, "", "Also write the results as JSON to this file");

namespace weft::loadgen {
namespace {

int Main() {
  const std::optional<ApiKind> kind = ApiKindForPath(absl::GetFlag(FLAGS_endpoint));
  if (!kind.has_value()) {
    std::fprintf(stderr, "--endpoint must be %s or %s\n", std::string(kCompletionsPath).c_str(),
                 std::string(kChatPath).c_str());
    return 2;
  }
  WorkloadOptions workload;
  workload.kind = *kind;
  workload.model = absl::GetFlag(FLAGS_model);
  workload.num_requests = absl::GetFlag(FLAGS_num_requests);
  workload.input_len = absl::GetFlag(FLAGS_input_len);
  workload.output_len = absl::GetFlag(FLAGS_output_len);
  workload.prefix_len = absl::GetFlag(FLAGS_prefix_len);
  workload.min_token_id = absl::GetFlag(FLAGS_min_token_id);
  workload.max_token_id = absl::GetFlag(FLAGS_max_token_id);
  workload.seed = absl::GetFlag(FLAGS_seed);
  workload.request_rate = absl::GetFlag(FLAGS_request_rate);
  if (absl::Status status = ValidateWorkloadOptions(workload); !status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 2;
  }
  LoadOptions load;
  load.kind = *kind;
  load.api_key = absl::GetFlag(FLAGS_api_key);
  load.max_concurrency = absl::GetFlag(FLAGS_max_concurrency);
  load.timeout_s = absl::GetFlag(FLAGS_timeout_s);
  RunInfo info;
  info.endpoint = absl::GetFlag(FLAGS_endpoint);
  info.model = workload.model;
  info.request_rate = workload.request_rate;
  info.max_concurrency = load.max_concurrency;
  if (double ttft = absl::GetFlag(FLAGS_goodput_ttft_ms); ttft > 0) info.targets.ttft_ms = ttft;
  if (double tpot = absl::GetFlag(FLAGS_goodput_tpot_ms); tpot > 0) info.targets.tpot_ms = tpot;
  if (load.max_concurrency < 0 || !(load.timeout_s > 0) ||
      absl::GetFlag(FLAGS_goodput_ttft_ms) < 0 || absl::GetFlag(FLAGS_goodput_tpot_ms) < 0) {
    std::fprintf(stderr, "need --max_concurrency >= 0, --timeout_s > 0 and goodput targets >= 0\n");
    return 2;
  }
  absl::StatusOr<ServerAddress> address = ResolveHttpUrl(absl::GetFlag(FLAGS_url));
  if (!address.ok()) {
    std::fprintf(stderr, "%s\n", std::string(address.status().message()).c_str());
    return 2;
  }

  const std::vector<PlannedRequest> requests = MakeWorkload(workload);
  std::fprintf(
      stderr, "Sending %d requests to %s%s (rate %s req/s, max concurrency %s)...\n",
      workload.num_requests, absl::GetFlag(FLAGS_url).c_str(), info.endpoint.c_str(),
      std::isinf(workload.request_rate) ? "inf" : absl::StrCat(workload.request_rate).c_str(),
      load.max_concurrency > 0 ? absl::StrCat(load.max_concurrency).c_str() : "none");
  absl::StatusOr<LoadResult> run = RunLoad(*address, requests, load);
  if (!run.ok()) {
    std::fprintf(stderr, "run failed: %s\n", std::string(run.status().message()).c_str());
    return 1;
  }
  const BenchmarkMetrics metrics = ComputeMetrics(run->results, run->duration_s, info.targets);
  std::fputs(FormatReportTable(metrics, info).c_str(), stdout);
  std::fflush(stdout);
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    if (absl::Status status = WriteReportJson(path, metrics, info); !status.ok()) {
      std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
      return 1;
    }
  }
  return metrics.completed > 0 ? 0 : 1;
}

}  // namespace
}  // namespace weft::loadgen

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Load generator for OpenAI-compatible servers, reporting like vLLM's benchmark_serving.py.\n"
      "  weft-loadgen --url=http://127.0.0.1:8080 --model=NAME [--endpoint=/v1/chat/completions]\n"
      "               [--num_requests=100] [--input_len=1024] [--output_len=128]\n"
      "               [--request_rate=inf] [--max_concurrency=0] [--json_out=PATH]");
  absl::ParseCommandLine(argc, argv);
  return weft::loadgen::Main();
}
