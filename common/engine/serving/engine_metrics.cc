#include "common/engine/serving/engine_metrics.h"

#include <map>
#include <utility>

namespace weft::engine {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& r, const std::string& name, const std::string& help,
                         const std::map<std::string, std::string>& labels) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add(labels);
}

prometheus::Counter& Counter(prometheus::Registry& r, const std::string& name,
                             const std::string& help,
                             const std::map<std::string, std::string>& labels) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add(labels);
}

}  // namespace

EngineMetrics::EngineMetrics(prometheus::Registry& r, const std::string& role,
                             const std::string& model, std::function<EngineLoad()> load,
                             std::chrono::milliseconds period)
    : load_(std::move(load)),
      running_(Gauge(r, "weft_engine_running_requests", "Sequences decoding",
                     {{"role", role}, {"model", model}})),
      waiting_(Gauge(r, "weft_engine_waiting_requests", "Sequences with prompt tokens left",
                     {{"role", role}, {"model", model}})),
      waiting_tokens_(Gauge(r, "weft_engine_waiting_prompt_tokens",
                            "Prompt tokens not computed yet", {{"role", role}, {"model", model}})),
      blocks_used_(Gauge(r, "weft_kv_blocks_used", "KV blocks held by sequences",
                         {{"role", role}, {"model", model}})),
      blocks_total_(Gauge(r, "weft_kv_blocks_total", "KV blocks in the pool",
                          {{"role", role}, {"model", model}})),
      usage_(Gauge(r, "weft_kv_usage_ratio", "KV blocks used / total",
                   {{"role", role}, {"model", model}})),
      blocks_cached_(Gauge(r, "weft_kv_blocks_cached", "Prefix-cache blocks (reusable)",
                           {{"role", role}, {"model", model}})),
      step_seconds_(Gauge(r, "weft_engine_step_seconds", "Moving average of the step time",
                          {{"role", role}, {"model", model}})),
      prompt_tokens_(Counter(r, "weft_prompt_tokens_total", "Prompt tokens computed",
                             {{"role", role}, {"model", model}})),
      generation_tokens_(Counter(r, "weft_generation_tokens_total", "Tokens sampled",
                                 {{"role", role}, {"model", model}})),
      cached_tokens_(Counter(r, "weft_prefix_cache_hit_tokens_total",
                             "Prompt tokens whose KV came from the prefix cache",
                             {{"role", role}, {"model", model}})),
      steps_(Counter(r, "weft_engine_steps_total", "Engine steps run",
                     {{"role", role}, {"model", model}})) {
  Update();
  poller_ = std::thread([this, period] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_cv_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      Update();
      lock.lock();
    }
  });
}

EngineMetrics::~EngineMetrics() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  poller_.join();
}

void EngineMetrics::Update() {
  const EngineLoad now = load_();
  std::lock_guard<std::mutex> lock(mu_);
  running_.Set(now.running);
  waiting_.Set(now.waiting);
  waiting_tokens_.Set(static_cast<double>(now.waiting_prompt_tokens));
  blocks_used_.Set(now.kv_blocks_used);
  blocks_total_.Set(now.kv_blocks_total);
  usage_.Set(now.kv_blocks_total > 0 ? static_cast<double>(now.kv_blocks_used) / now.kv_blocks_total
                                     : 0.0);
  blocks_cached_.Set(now.kv_blocks_cached);
  step_seconds_.Set(now.step_seconds_ewma);
  auto advance = [](prometheus::Counter& c, int64_t before, int64_t after) {
    if (after > before) c.Increment(static_cast<double>(after - before));
  };
  advance(prompt_tokens_, last_.prompt_tokens, now.prompt_tokens);
  advance(generation_tokens_, last_.generated_tokens, now.generated_tokens);
  advance(cached_tokens_, last_.cached_prompt_tokens, now.cached_prompt_tokens);
  advance(steps_, last_.steps, now.steps);
  last_ = now;
}

}  // namespace weft::engine
