#include "common/engine/serving/engine_metrics.h"

#include <atomic>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace weft::engine {
namespace {

double Value(prometheus::Registry& r, const std::string& name) {
  for (const auto& family : r.Collect()) {
    if (family.name != name) continue;
    const auto& m = family.metric.at(0);
    return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  ADD_FAILURE() << name << " not registered";
  return -1;
}

TEST(EngineMetrics, ExportsTheLoadAndAdvancesCounters) {
  auto registry = std::make_shared<prometheus::Registry>();
  EngineLoad load{.running = 3,
                  .waiting = 2,
                  .waiting_prompt_tokens = 50,
                  .kv_blocks_used = 10,
                  .kv_blocks_total = 40,
                  .prompt_tokens = 100,
                  .generated_tokens = 7};
  EngineMetrics metrics(
      *registry, "decode", "m", [&] { return load; }, std::chrono::milliseconds(10000));
  EXPECT_EQ(Value(*registry, "weft_engine_running_requests"), 3);
  EXPECT_EQ(Value(*registry, "weft_engine_waiting_prompt_tokens"), 50);
  EXPECT_DOUBLE_EQ(Value(*registry, "weft_kv_usage_ratio"), 0.25);
  EXPECT_EQ(Value(*registry, "weft_prompt_tokens_total"), 100);
  load.prompt_tokens = 130;
  load.generated_tokens = 9;
  metrics.Update();
  EXPECT_EQ(Value(*registry, "weft_prompt_tokens_total"), 130);
  EXPECT_EQ(Value(*registry, "weft_generation_tokens_total"), 9);
}

}  // namespace
}  // namespace weft::engine
