// The whole serving stack as real processes on loopback, for end-to-end
// tests: weft-kvcache, weft-router, and any number of weft-prefill and
// weft-decode instances that register with the router — as
// scripts/run-stack.sh runs it, with every listener on an ephemeral port.
// Configs, ready files and logs go to a directory of the test's
// TEST_TMPDIR. Also: Prometheus text parsing for scraped /metrics.
#ifndef WEFT_TESTS_INTEGRATION_STACK_LAUNCHER_H_
#define WEFT_TESTS_INTEGRATION_STACK_LAUNCHER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/testing/subprocess.h"

namespace weft::testutil {

// 5 under a sanitizer (ASAN_OPTIONS or TSAN_OPTIONS set), else 1: tests
// multiply their deadlines by it.
int TimeScale();
// `d` x TimeScale().
absl::Duration Scaled(absl::Duration d);

// One process of the stack.
struct StackService {
  std::string name;  // "router", "prefill-0", ...
  std::string role;  // "router", "prefill", "decode", "kvcache"
  std::string config_path;
  std::string ready_path;
  std::string log_path;
  std::unique_ptr<Subprocess> process;
  // Every "key: N" line of its ready file: grpc_port, metrics_port, pid,
  // and the router's http_port and internal_http_port.
  std::map<std::string, int> ports;

  int port(const std::string& key) const;
  int grpc_port() const { return port("grpc_port"); }
  int metrics_port() const { return port("metrics_port"); }
  bool running() const { return process != nullptr && process->Running(); }
};

struct StackOptions {
  // Directory for configs, ready files and logs; made if missing. Default:
  // $TEST_TMPDIR/stack.
  std::string dir;
  std::string model_dir = "tests/data/models/tiny-qwen3-moe";
  int num_prefill = 1;
  int num_decode = 1;
  int kv_blocks = 512;
  int kv_block_size = 16;
  uint64_t kvcache_capacity_bytes = 64 << 20;
  int heartbeat_interval_ms = 200;
  int drain_timeout_ms = 2000;
  // Appended to the router's config (e.g. "limits { max_body_bytes: 4096 }").
  std::string router_extra_config;
  // Appended to every prefill (decode) config.
  std::string prefill_extra_config;
  std::string decode_extra_config;
  // The engines' backend ("cpu" when empty, or "cuda").
  std::string engine_backend;
  // Executable per role ("router", "prefill", "decode", "kvcache"); a role
  // not named runs <role>/weft-<role> (the Bazel runfiles layout).
  std::map<std::string, std::string> binaries;
  // Per process: how long to wait for its ready file (scaled).
  absl::Duration start_timeout = absl::Seconds(60);
};

class Stack {
 public:
  // Starts kvcache, the router, then the prefill and decode instances, and
  // waits until each has written its ready file and the router counts one
  // registration per instance. Does not wait for /ready (WaitUntilReady).
  static absl::StatusOr<std::unique_ptr<Stack>> Start(const StackOptions& options);
  // Stop(); whatever is still running then is killed.
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Polls the router's GET /ready until it answers 200, or `timeout`.
  absl::Status WaitUntilReady(absl::Duration timeout);

  // Starts one more instance (named "<role>-<n>") and waits for its ready
  // file and its registration with the router.
  absl::StatusOr<StackService*> AddPrefill();
  absl::StatusOr<StackService*> AddDecode();

  // SIGKILLs the process and reaps it.
  absl::Status Kill(StackService& service);
  // SIGTERM to the router first (it drains), then to everything else; waits
  // for each to exit. Error if one did not exit cleanly in time.
  absl::Status Stop();

  StackService& router() { return *services_[1]; }
  StackService& kvcache() { return *services_[0]; }
  std::vector<StackService*> prefills();
  std::vector<StackService*> decodes();
  std::vector<StackService*> services();

  // The router's OpenAI API port and its internal (/health /ready /metrics).
  int api_port() const;
  int internal_port() const;

  // Router-side count of successful RegisterInstance calls.
  absl::StatusOr<double> RegistrationCount();

  // The last `max_bytes` of every process's log, for failure messages.
  std::string Logs(size_t max_bytes = 4000) const;

 private:
  explicit Stack(StackOptions options) : options_(std::move(options)) {}
  absl::StatusOr<StackService*> Launch(const std::string& role, const std::string& config);
  absl::Status WaitForReady(StackService& service);
  absl::StatusOr<StackService*> AddInstance(const std::string& role);
  absl::Status WaitForRegistrations(double count, absl::Duration timeout);
  std::string ServerBlock() const;

  StackOptions options_;
  std::vector<std::unique_ptr<StackService>> services_;  // start order
  std::map<std::string, int> counts_;                    // instances per role, ever started
  int registrations_expected_ = 0;
};

// GETs /metrics on 127.0.0.1:port.
absl::StatusOr<std::string> ScrapeMetrics(int port);

// The sum of the samples of metric `name` (exact name: "x_total", or
// "x_count" for a histogram's count) whose labels include all of `labels`,
// in Prometheus text `text`. NotFound if no sample matches.
absl::StatusOr<double> MetricValue(absl::string_view text, absl::string_view name,
                                   const std::map<std::string, std::string>& labels = {});

}  // namespace weft::testutil

#endif  // WEFT_TESTS_INTEGRATION_STACK_LAUNCHER_H_
