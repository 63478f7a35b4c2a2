// The monitoring assets against a live Prometheus: the CPU stack (kvcache,
// router, prefill, decode as processes) scraped on loopback by a real
// Prometheus server (Debian's /usr/bin/prometheus) that loads weft's rule
// files. After a bounded load (streamed and plain completions sharing a
// prefix, chat, one bad request) every rule must evaluate without error, every
// recording rule and every Grafana panel query must return data, and every
// series the autoscalers read must exist.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/testing/http_client.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/stack_launcher.h"

namespace weft {
namespace {

using json = nlohmann::json;
using testutil::HttpRequest;
using testutil::HttpResponse;
using testutil::Scaled;
using testutil::Stack;
using testutil::StackOptions;
using testutil::Subprocess;

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kRulesDir[] = "k8s/prometheus/rules";
constexpr char kDashboardsDir[] = "k8s/grafana/dashboards";
constexpr char kAutoscalingMetrics[] = "k8s/autoscaling-metrics.txt";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// A port nothing listens on now (Prometheus cannot report a port it picked).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::vector<std::string> FilesIn(const std::string& dir, const std::string& extension) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == extension) {
      files.push_back(std::filesystem::absolute(entry.path()).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every panel's target expressions, rows' nested panels included.
void CollectQueries(const json& panels, const std::string& dashboard,
                    std::vector<std::pair<std::string, std::string>>* out) {
  if (!panels.is_array()) return;
  for (const json& panel : panels) {
    if (panel.contains("panels")) CollectQueries(panel["panels"], dashboard, out);
    if (!panel.contains("targets")) continue;
    for (const json& target : panel["targets"]) {
      if (!target.contains("expr")) continue;
      out->push_back({absl::StrCat(dashboard, " / ", panel.value("title", "(untitled)")),
                      target["expr"].get<std::string>()});
    }
  }
}

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kPrometheus))
        << kPrometheus
        << " is missing: install Debian's prometheus package (scripts/install-deps.sh)";
    StackOptions options;
    options.router_extra_config = "slo { ttft_ms: 30000 tpot_ms: 5000 }\n";
    absl::StatusOr<std::unique_ptr<Stack>> stack = Stack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    ASSERT_TRUE(stack_->WaitUntilReady(Scaled(absl::Seconds(60))).ok()) << stack_->Logs();
    StartPrometheus();
  }

  void TearDown() override {
    if (prometheus_ != nullptr && prometheus_->Running()) {
      (void)prometheus_->Signal(SIGTERM);
      (void)prometheus_->Wait(absl::Seconds(20));
    }
    if (stack_ != nullptr) {
      EXPECT_TRUE(stack_->Stop().ok()) << stack_->Logs();
    }
  }

  // Scrape targets labelled as in Kubernetes (job per service, namespace,
  // pod), every second; rules evaluated every second.
  void StartPrometheus() {
    const std::string dir = TempDir() + "/prometheus";
    std::filesystem::create_directories(dir + "/data");
    std::string config =
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n  scrape_timeout: 900ms\n"
        "rule_files:\n";
    for (const std::string& f : FilesIn(kRulesDir, ".yaml"))
      absl::StrAppend(&config, "- ", f, "\n");
    absl::StrAppend(&config, "scrape_configs:\n");
    std::map<std::string, std::vector<std::pair<std::string, int>>> jobs;
    for (testutil::StackService* s : stack_->services()) {
      jobs["weft-" + s->role].push_back({s->name, s->metrics_port()});
    }
    for (const auto& [job, targets] : jobs) {
      absl::StrAppend(&config, "- job_name: ", job, "\n  static_configs:\n");
      for (const auto& [pod, port] : targets) {
        absl::StrAppend(&config, "  - targets: ['127.0.0.1:", port,
                        "']\n    labels: {namespace: weft, pod: ", pod, "}\n");
      }
    }
    std::ofstream(dir + "/prometheus.yml") << config;
    port_ = UnusedPort();
    ASSERT_GT(port_, 0);
    absl::StatusOr<std::unique_ptr<Subprocess>> p =
        Subprocess::Start({kPrometheus, "--config.file=" + dir + "/prometheus.yml",
                           "--storage.tsdb.path=" + dir + "/data",
                           absl::StrCat("--web.listen-address=127.0.0.1:", port_)},
                          dir + "/prometheus.log");
    ASSERT_TRUE(p.ok()) << p.status();
    prometheus_ = std::move(*p);
    prometheus_log_ = dir + "/prometheus.log";
    const absl::Time deadline = absl::Now() + Scaled(absl::Seconds(60));
    while (absl::Now() < deadline) {
      absl::StatusOr<HttpResponse> r = HttpRequest("127.0.0.1", port_, "GET", "/-/ready");
      if (r.ok() && r->status_code == 200) return;
      ASSERT_TRUE(prometheus_->Running()) << ReadFile(prometheus_log_);
      absl::SleepFor(absl::Milliseconds(200));
    }
    FAIL() << "Prometheus did not get ready: " << ReadFile(prometheus_log_);
  }

  // GET /api/v1/<path>; the response's "data", or a failure.
  absl::StatusOr<json> Api(const std::string& path) {
    absl::StatusOr<HttpResponse> r = HttpRequest("127.0.0.1", port_, "GET", "/api/v1/" + path);
    if (!r.ok()) return r.status();
    json body = json::parse(r->body, nullptr, false);
    if (body.is_discarded() || body.value("status", "") != "success") {
      return absl::InternalError(absl::StrCat(path, ": HTTP ", r->status_code, ": ", r->body));
    }
    return body["data"];
  }

  absl::StatusOr<json> Query(const std::string& promql) {
    std::string encoded;
    for (unsigned char c : promql) {
      if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        encoded += static_cast<char>(c);
      } else {
        absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
      }
    }
    absl::StatusOr<json> data = Api("query?query=" + encoded);
    if (!data.ok()) return data.status();
    return (*data)["result"];
  }

  // The load: plain and streamed completions sharing a long prefix (prefix
  // cache hits), chat, and one malformed request.
  void DriveLoad() {
    const std::string prefix(400, 'a');
    for (int i = 0; i < 12; ++i) {
      json body = {{"model", "tiny-qwen3-moe"},
                   {"prompt", absl::StrCat(prefix, " request ", i)},
                   {"max_tokens", 8},
                   {"ignore_eos", true}};
      if (i % 2 == 1) body["stream"] = true;
      absl::StatusOr<HttpResponse> r =
          HttpRequest("127.0.0.1", stack_->api_port(), "POST", "/v1/completions", body.dump(),
                      Scaled(absl::Seconds(60)));
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->status_code, 200) << r->body;
    }
    json chat = {{"model", "tiny-qwen3-moe"},
                 {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                 {"max_tokens", 4}};
    absl::StatusOr<HttpResponse> r =
        HttpRequest("127.0.0.1", stack_->api_port(), "POST", "/v1/chat/completions", chat.dump(),
                    Scaled(absl::Seconds(60)));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status_code, 200) << r->body;
    r = HttpRequest("127.0.0.1", stack_->api_port(), "POST", "/v1/completions", "{not json");
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status_code, 400);
  }

  // Waits until Prometheus has scraped the load's end and evaluated every
  // rule group since.
  void WaitForScrapesAndRules() {
    const absl::Time deadline = absl::Now() + Scaled(absl::Seconds(60));
    while (absl::Now() < deadline) {
      absl::StatusOr<json> done = Query("sum(weft_router_requests_total) >= 13");
      if (done.ok() && !done->empty()) break;
      absl::SleepFor(absl::Milliseconds(250));
    }
    // Several scrapes and evaluations past it: rates see two samples.
    absl::SleepFor(absl::Seconds(4));
  }

  std::unique_ptr<Stack> stack_;
  std::unique_ptr<Subprocess> prometheus_;
  std::string prometheus_log_;
  int port_ = 0;
};

TEST_F(PrometheusTest, RulesDashboardsAndAutoscalingMetricsHaveData) {
  DriveLoad();
  WaitForScrapesAndRules();

  // Every target is up.
  absl::StatusOr<json> down = Query("up == 0");
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_TRUE(down->empty()) << down->dump();

  // Every rule loaded, evaluated and healthy; every recording rule has data.
  absl::StatusOr<json> rules = Api("rules");
  ASSERT_TRUE(rules.ok()) << rules.status();
  int recording = 0, alerting = 0;
  std::set<std::string> loaded_files;
  for (const json& group : (*rules)["groups"]) {
    loaded_files.insert(group.value("file", ""));
    for (const json& rule : group["rules"]) {
      const std::string name = rule.value("name", "");
      EXPECT_EQ(rule.value("health", ""), "ok")
          << group["name"] << " / " << name << ": " << rule.value("lastError", "");
      if (rule.value("type", "") == "recording") {
        ++recording;
        absl::StatusOr<json> result = Query(name);
        ASSERT_TRUE(result.ok()) << name << ": " << result.status();
        EXPECT_FALSE(result->empty())
            << "recording rule " << name << " (" << rule["query"] << ") has no data";
      } else {
        ++alerting;
      }
    }
  }
  EXPECT_EQ(loaded_files.size(), FilesIn(kRulesDir, ".yaml").size()) << rules->dump();
  EXPECT_GT(recording, 0);
  EXPECT_GT(alerting, 0);

  // Every dashboard panel's query, with Grafana's variables as Grafana
  // would substitute them for "all models" and a 1m rate interval.
  std::vector<std::pair<std::string, std::string>> queries;
  const std::vector<std::string> dashboards = FilesIn(kDashboardsDir, ".json");
  ASSERT_GE(dashboards.size(), 3u);
  for (const std::string& file : dashboards) {
    json dashboard = json::parse(ReadFile(file), nullptr, false);
    ASSERT_FALSE(dashboard.is_discarded()) << file << " is not JSON";
    CollectQueries(dashboard["panels"], std::filesystem::path(file).filename(), &queries);
  }
  ASSERT_GE(queries.size(), 15u);
  for (const auto& [panel, expr] : queries) {
    const std::string promql = absl::StrReplaceAll(expr, {{"$__rate_interval", "1m"},
                                                          {"${model:regex}", ".*"},
                                                          {"$model", ".*"},
                                                          {"${model}", ".*"}});
    ASSERT_EQ(promql.find('$'), std::string::npos) << panel << ": unknown variable in " << expr;
    absl::StatusOr<json> result = Query(promql);
    ASSERT_TRUE(result.ok()) << panel << ": " << result.status();
    EXPECT_FALSE(result->empty()) << panel << ": " << expr << " has no data";
  }

  // The series behind the autoscalers exist, per pod.
  std::istringstream names(ReadFile(kAutoscalingMetrics));
  int autoscaling = 0;
  for (std::string line; std::getline(names, line);) {
    line = std::string(absl::StripAsciiWhitespace(line.substr(0, line.find('#'))));
    if (line.empty()) continue;
    ++autoscaling;
    absl::StatusOr<json> result = Query(line + R"({namespace="weft",pod!=""})");
    ASSERT_TRUE(result.ok()) << line << ": " << result.status();
    EXPECT_FALSE(result->empty()) << "the services export no " << line;
  }
  EXPECT_GT(autoscaling, 0);

  // Goodput: every request met the (generous) targets.
  absl::StatusOr<json> goodput = Query(
      R"(sum(weft_router_slo_met_requests_total{target="all"}) == sum(weft_router_slo_checked_requests_total))");
  ASSERT_TRUE(goodput.ok()) << goodput.status();
  EXPECT_FALSE(goodput->empty());
  absl::StatusOr<json> target = Query(R"(weft_router_slo_target_seconds{target="ttft"} == 30)");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_FALSE(target->empty());
}

}  // namespace
}  // namespace weft
