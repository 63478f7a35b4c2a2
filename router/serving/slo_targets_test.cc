#include "router/serving/slo_targets.h"

#include "gtest/gtest.h"

namespace weft::router {
namespace {

weft::v1::SloConfig Slo(uint32_t ttft_ms, uint32_t tpot_ms) {
  weft::v1::SloConfig c;
  c.set_ttft_ms(ttft_ms);
  c.set_tpot_ms(tpot_ms);
  return c;
}

TEST(ResolveSlo, KeyOverridesModelOverridesDefaultFieldByField) {
  const weft::v1::SloConfig key = Slo(0, 40);
  const SloTargets t = ResolveSlo(Slo(2000, 100), Slo(500, 0), &key);
  EXPECT_EQ(t.ttft, absl::Milliseconds(500));
  EXPECT_EQ(t.tpot, absl::Milliseconds(40));
  EXPECT_FALSE(ResolveSlo(Slo(0, 0), Slo(0, 0), nullptr).any());
}

TEST(CheckSlo, ComparesEachTargetAndUnsetTargetsAreMet) {
  const SloTargets both{.ttft = absl::Milliseconds(500), .tpot = absl::Milliseconds(50)};
  SloAttainment a = CheckSlo(both, absl::Milliseconds(500), absl::Milliseconds(50));
  EXPECT_TRUE(a.ttft && a.tpot && a.all());
  a = CheckSlo(both, absl::Milliseconds(501), absl::Milliseconds(10));
  EXPECT_FALSE(a.ttft);
  EXPECT_TRUE(a.tpot);
  EXPECT_FALSE(a.all());
  a = CheckSlo(both, absl::Milliseconds(10), absl::Milliseconds(51));
  EXPECT_TRUE(a.ttft);
  EXPECT_FALSE(a.tpot);
  EXPECT_FALSE(a.all());
  // No token at all misses a TTFT target; one token has no TPOT to miss.
  a = CheckSlo(both, std::nullopt, std::nullopt);
  EXPECT_FALSE(a.ttft);
  EXPECT_TRUE(a.tpot);
  // Without targets everything is met.
  EXPECT_TRUE(CheckSlo(SloTargets{}, std::nullopt, absl::Seconds(9)).all());
}

}  // namespace
}  // namespace weft::router
