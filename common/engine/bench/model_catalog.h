// The models the engine benchmark knows by name: the three fixture
// checkpoints under tests/data/models (tiny-llama, tiny-qwen3-moe,
// tiny-deepseek-v3), loaded from disk, and dummy-weights models of a few
// hundred million parameters, defined here as inline config.json text (the
// shapes a real checkpoint's config would give) and built with seeded random
// weights.
#ifndef WEFT_COMMON_ENGINE_BENCH_MODEL_CATALOG_H_
#define WEFT_COMMON_ENGINE_BENCH_MODEL_CATALOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/checkpoint/model_config.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/model/model_loader.h"

namespace weft::engine::bench {

// Every known model, fixtures first.
std::vector<std::string> AllModelNames();

// The config of `name`: the fixture's config.json under `fixtures_dir`, or
// the dummy model's inline one. NotFound for an unknown name.
absl::StatusOr<checkpoint::ModelConfig> BenchModelConfig(const std::string& name,
                                                         const std::string& fixtures_dir);

// Loads (fixture) or builds with weights seeded by `seed` (dummy) the model
// `name` at `options`' precision.
absl::StatusOr<std::unique_ptr<CausalLm>> LoadBenchModel(const std::string& name,
                                                         const std::string& fixtures_dir,
                                                         uint64_t seed,
                                                         const ModelOptions& options);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_MODEL_CATALOG_H_
