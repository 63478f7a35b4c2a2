#include "tests/integration/stack_launcher.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/testing/http_client.h"

namespace weft::testutil {
namespace {

std::string Binary(const StackOptions& options, const std::string& role) {
  auto it = options.binaries.find(role);
  return it != options.binaries.end() ? it->second : absl::StrCat(role, "/weft-", role);
}

// The "key: N" lines of a ready file.
std::map<std::string, int> ParseReadyFile(const std::string& path) {
  std::map<std::string, int> ports;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> kv = absl::StrSplit(line, ": ");
    int value = 0;
    if (kv.size() == 2 && absl::SimpleAtoi(kv[1], &value)) ports[kv[0]] = value;
  }
  return ports;
}

std::string Tail(const std::string& text, size_t max_bytes) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

}  // namespace

int TimeScale() {
  static const int scale =
      (std::getenv("TSAN_OPTIONS") != nullptr || std::getenv("ASAN_OPTIONS") != nullptr) ? 5 : 1;
  return scale;
}

absl::Duration Scaled(absl::Duration d) { return d * TimeScale(); }

int StackService::port(const std::string& key) const {
  auto it = ports.find(key);
  return it == ports.end() ? 0 : it->second;
}

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start(const StackOptions& options) {
  std::unique_ptr<Stack> stack(new Stack(options));
  StackOptions& o = stack->options_;
  if (o.dir.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    o.dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/stack");
  }
  mkdir(o.dir.c_str(), 0755);

  absl::StatusOr<StackService*> kvcache = stack->Launch(
      "kvcache",
      absl::StrCat(stack->ServerBlock(), "capacity_bytes: ", o.kvcache_capacity_bytes, "\n"));
  if (!kvcache.ok()) return kvcache.status();
  if (absl::Status s = stack->WaitForReady(**kvcache); !s.ok()) return s;

  absl::StatusOr<StackService*> router = stack->Launch(
      "router", absl::StrCat(stack->ServerBlock(),
                             "http_address: \"127.0.0.1:0\"\n"
                             "internal_http_address: \"127.0.0.1:0\"\n"
                             "models { model_dir: \"",
                             o.model_dir, "\" }\nheartbeat_interval_ms: ", o.heartbeat_interval_ms,
                             "\n", o.router_extra_config, "\n"));
  if (!router.ok()) return router.status();
  if (absl::Status s = stack->WaitForReady(**router); !s.ok()) return s;

  // Prefill and decode instances load their models in parallel.
  std::vector<StackService*> instances;
  for (int i = 0; i < o.num_prefill; ++i) {
    absl::StatusOr<StackService*> s = stack->AddInstance("prefill");
    if (!s.ok()) return s.status();
    instances.push_back(*s);
  }
  for (int i = 0; i < o.num_decode; ++i) {
    absl::StatusOr<StackService*> s = stack->AddInstance("decode");
    if (!s.ok()) return s.status();
    instances.push_back(*s);
  }
  for (StackService* s : instances) {
    if (absl::Status status = stack->WaitForReady(*s); !status.ok()) return status;
  }
  if (absl::Status s =
          stack->WaitForRegistrations(stack->registrations_expected_, Scaled(absl::Seconds(30)));
      !s.ok()) {
    return s;
  }
  return stack;
}

Stack::~Stack() {
  (void)Stop();
  // Subprocess's destructor kills and reaps what is left.
}

std::string Stack::ServerBlock() const {
  return absl::StrCat(
      "server {\n  grpc_address: \"127.0.0.1:0\"\n  metrics_address: \"127.0.0.1:0\"\n"
      "  drain_timeout_ms: ",
      options_.drain_timeout_ms, "\n}\n");
}

absl::StatusOr<StackService*> Stack::Launch(const std::string& name, const std::string& config) {
  auto service = std::make_unique<StackService>();
  service->name = name;
  service->role = std::string(name.substr(0, name.find('-')));
  service->config_path = absl::StrCat(options_.dir, "/", name, ".textproto");
  service->ready_path = absl::StrCat(options_.dir, "/", name, ".ready");
  service->log_path = absl::StrCat(options_.dir, "/", name, ".log");
  {
    std::ofstream out(service->config_path, std::ios::trunc);
    out << config;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", service->config_path));
  }
  std::remove(service->ready_path.c_str());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({Binary(options_, service->role), "--config=" + service->config_path,
                         "--ready_file=" + service->ready_path},
                        service->log_path);
  if (!process.ok()) return process.status();
  service->process = *std::move(process);
  services_.push_back(std::move(service));
  return services_.back().get();
}

absl::Status Stack::WaitForReady(StackService& service) {
  absl::StatusOr<ReadyInfo> ready =
      WaitForReadyFile(service.ready_path, *service.process, Scaled(options_.start_timeout));
  if (!ready.ok()) {
    return absl::Status(ready.status().code(),
                        absl::StrCat(service.name, ": ", ready.status().message()));
  }
  service.ports = ParseReadyFile(service.ready_path);
  if (service.role == "router" &&
      (service.port("http_port") == 0 || service.port("internal_http_port") == 0)) {
    return absl::DataLossError(
        absl::StrCat("the router's ready file lacks its HTTP ports: ", service.ready_path));
  }
  return absl::OkStatus();
}

absl::StatusOr<StackService*> Stack::AddInstance(const std::string& role) {
  const int n = counts_[role]++;
  std::string config = absl::StrCat(
      ServerBlock(), "engine {\n  model_dir: \"", options_.model_dir,
      "\"\n  kv_blocks: ", options_.kv_blocks, "\n  kv_block_size: ", options_.kv_block_size,
      options_.engine_backend.empty() ? "" : "\n  backend: \"" + options_.engine_backend + "\"",
      "\n}\nrouter_address: \"127.0.0.1:", router().grpc_port(), "\"\n");
  if (role == "prefill") {
    absl::StrAppend(&config, "kvcache_address: \"127.0.0.1:", kvcache().grpc_port(), "\"\n",
                    options_.prefill_extra_config, "\n");
  } else {
    absl::StrAppend(&config, options_.decode_extra_config, "\n");
  }
  absl::StatusOr<StackService*> service = Launch(absl::StrCat(role, "-", n), config);
  if (service.ok()) ++registrations_expected_;
  return service;
}

absl::StatusOr<StackService*> Stack::AddPrefill() {
  absl::StatusOr<StackService*> s = AddInstance("prefill");
  if (!s.ok()) return s;
  if (absl::Status status = WaitForReady(**s); !status.ok()) return status;
  if (absl::Status status =
          WaitForRegistrations(registrations_expected_, Scaled(absl::Seconds(30)));
      !status.ok()) {
    return status;
  }
  return s;
}

absl::StatusOr<StackService*> Stack::AddDecode() {
  absl::StatusOr<StackService*> s = AddInstance("decode");
  if (!s.ok()) return s;
  if (absl::Status status = WaitForReady(**s); !status.ok()) return status;
  if (absl::Status status =
          WaitForRegistrations(registrations_expected_, Scaled(absl::Seconds(30)));
      !status.ok()) {
    return status;
  }
  return s;
}

absl::StatusOr<double> Stack::RegistrationCount() {
  absl::StatusOr<std::string> metrics = ScrapeMetrics(router().metrics_port());
  if (!metrics.ok()) return metrics.status();
  absl::StatusOr<double> count =
      MetricValue(*metrics, "weft_grpc_server_handled_total",
                  {{"grpc_method", "/weft.v1.Router/RegisterInstance"}, {"grpc_code", "OK"}});
  if (absl::IsNotFound(count.status())) return 0.0;
  return count;
}

absl::Status Stack::WaitForRegistrations(double count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<double> seen = 0.0;
  while (absl::Now() < deadline) {
    seen = RegistrationCount();
    if (seen.ok() && *seen >= count) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "the router counted ", seen.ok() ? absl::StrCat(*seen) : seen.status().ToString(),
      " registrations, not ", count, ", after ", absl::FormatDuration(timeout), "\n", Logs()));
}

absl::Status Stack::WaitUntilReady(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    absl::StatusOr<HttpResponse> r =
        HttpRequest("127.0.0.1", internal_port(), "GET", "/ready", "", Scaled(absl::Seconds(10)));
    if (r.ok() && r->status_code == 200) return absl::OkStatus();
    last = r.ok() ? absl::StrCat(r->status_code, " ", r->body) : r.status().ToString();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("the router's /ready did not answer 200 within ",
                                                  absl::FormatDuration(timeout), "; last: ", last,
                                                  "\n", Logs()));
}

absl::Status Stack::Kill(StackService& service) {
  if (!service.running()) return absl::FailedPreconditionError(service.name + " is not running");
  if (absl::Status s = service.process->Signal(SIGKILL); !s.ok()) return s;
  return service.process->Wait(Scaled(absl::Seconds(10))).status();
}

absl::Status Stack::Stop() {
  absl::Status result;
  auto wait = [&](StackService& s) {
    absl::StatusOr<int> status =
        s.process->Wait(absl::Milliseconds(options_.drain_timeout_ms) + Scaled(absl::Seconds(10)));
    if (!status.ok()) {
      result.Update(absl::Status(status.status().code(),
                                 absl::StrCat(s.name, ": ", status.status().message())));
    } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      result.Update(absl::InternalError(absl::StrCat(s.name, " exited with wait status ", *status,
                                                     "; log:\n", Tail(s.process->Log(), 2000))));
    }
  };
  if (services_.size() > 1 && router().running()) {
    (void)router().process->Signal(SIGTERM);
    wait(router());
  }
  std::vector<StackService*> stopping;
  for (auto& s : services_) {
    if (s->running()) {
      (void)s->process->Signal(SIGTERM);
      stopping.push_back(s.get());
    }
  }
  for (StackService* s : stopping) wait(*s);
  return result;
}

std::vector<StackService*> Stack::prefills() {
  std::vector<StackService*> out;
  for (auto& s : services_) {
    if (s->role == "prefill") out.push_back(s.get());
  }
  return out;
}

std::vector<StackService*> Stack::decodes() {
  std::vector<StackService*> out;
  for (auto& s : services_) {
    if (s->role == "decode") out.push_back(s.get());
  }
  return out;
}

std::vector<StackService*> Stack::services() {
  std::vector<StackService*> out;
  for (auto& s : services_) out.push_back(s.get());
  return out;
}

int Stack::api_port() const { return services_[1]->port("http_port"); }
int Stack::internal_port() const { return services_[1]->port("internal_http_port"); }

std::string Stack::Logs(size_t max_bytes) const {
  std::string out;
  for (const auto& s : services_) {
    absl::StrAppend(&out, "==== ", s->name, " (", s->log_path, ")\n",
                    Tail(s->process->Log(), max_bytes), "\n");
  }
  return out;
}

absl::StatusOr<std::string> ScrapeMetrics(int port) {
  absl::StatusOr<HttpResponse> r =
      HttpRequest("127.0.0.1", port, "GET", "/metrics", "", Scaled(absl::Seconds(10)));
  if (!r.ok()) return r.status();
  if (r->status_code != 200) {
    return absl::UnavailableError(absl::StrCat("/metrics answered ", r->status_code));
  }
  return r->body;
}

absl::StatusOr<double> MetricValue(absl::string_view text, absl::string_view name,
                                   const std::map<std::string, std::string>& labels) {
  double sum = 0;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (!absl::ConsumePrefix(&line, name)) continue;
    std::map<std::string, std::string> have;
    if (absl::ConsumePrefix(&line, "{")) {
      const size_t close = line.find('}');
      if (close == absl::string_view::npos) continue;
      // Label values here hold no '"', ',' or '}' of their own.
      for (absl::string_view pair : absl::StrSplit(line.substr(0, close), ',', absl::SkipEmpty())) {
        const size_t eq = pair.find('=');
        if (eq == absl::string_view::npos) continue;
        absl::string_view value = pair.substr(eq + 1);
        absl::ConsumePrefix(&value, "\"");
        absl::ConsumeSuffix(&value, "\"");
        have[std::string(pair.substr(0, eq))] = std::string(value);
      }
      line.remove_prefix(close + 1);
    }
    if (line.empty() || line[0] != ' ') continue;  // a longer metric name
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = have.find(key);
      if (it == have.end() || it->second != value) match = false;
    }
    if (!match) continue;
    double value = 0;
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::StripAsciiWhitespace(line), ' ', absl::SkipEmpty());
    if (fields.empty() || !absl::SimpleAtod(fields[0], &value)) continue;
    sum += value;
    found = true;
  }
  if (!found) return absl::NotFoundError(absl::StrCat("no sample of ", name));
  return sum;
}

}  // namespace weft::testutil
