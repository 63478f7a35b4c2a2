// Fuzz target: arbitrary bytes as config.json and generation_config.json.
// Parsing may reject them; it must never crash, hang or leak. Accepted small
// configs also go through the tensor expectations.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/checkpoint/generation_config.h"
#include "common/checkpoint/model_config.h"
#include "common/checkpoint/tensor_expectations.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace weft::checkpoint;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ParseModelConfig(text, "fuzz/config.json");
  if (config.ok()) {
    for (int64_t layer = -1; layer <= config->num_hidden_layers && layer < 64; ++layer) {
      (void)config->IsMoeLayer(layer);
    }
    // Bound the work: expectations enumerate layers x experts.
    const int64_t experts = config->moe.num_experts + 1;
    if (config->num_hidden_layers <= 64 && experts <= 256) {
      (void)ExpectedTensors(*config);
    }
  }
  (void)ParseGenerationConfig(text, "fuzz/generation_config.json");
  return 0;
}
