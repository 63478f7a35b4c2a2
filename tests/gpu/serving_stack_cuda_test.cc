// The serving stack end to end on the GPU: kvcache, the router, and one
// prefill and one decode instance running the CUDA backend, as real
// processes on loopback (on the H200 machine, from the repository root,
// with the binaries staged by scripts/build-gpu-binaries.sh in
// $WEFT_GPU_BIN_DIR, default gpu-bin). Concurrent greedy completions of the
// fixture model's reference prompts must give the CPU backend's greedy
// tokens up to the CPU's first near-tie: a top-2 logit margin within the
// bf16 path's logit error (0.2, as in cuda_model_test), or a routing margin
// within its router-logit error (0.02), where bf16 may pick other experts.
// The model is the dense fixture, whose greedy spans run longest; the MoE
// fixture's CUDA path is checked against the CPU by cuda_model_test.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/engine/model/model_loader.h"
#include "common/engine/verify/paged_runner.h"
#include "common/engine/verify/reference_file.h"
#include "common/testing/http_client.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/stack_launcher.h"

namespace weft::testutil {
namespace {

using json = nlohmann::json;

constexpr char kModelDir[] = "tests/data/models/tiny-llama";
constexpr char kModel[] = "tiny-llama";
constexpr int kMaxTokens = 16;
constexpr double kNearTie = 0.2;
constexpr float kRoutingNearTie = 0.02f;

struct Greedy {
  std::vector<int32_t> tokens;
  std::vector<double> margins;         // top-1 minus top-2 logit at each step
  std::vector<float> routing_margins;  // the step's smallest routing margin
};

// The CPU backend's greedy continuation of `prompt`, with its margins.
Greedy CpuGreedy(const engine::CausalLm& model, const std::vector<int32_t>& prompt) {
  Greedy g;
  auto runner = engine::PagedRunner::Create(model, 64, 16);
  EXPECT_TRUE(runner.ok()) << runner.status();
  if (!runner.ok()) return g;
  std::vector<int32_t> next = prompt;
  for (int step = 0; step < kMaxTokens; ++step) {
    float routing_margin = 0;
    absl::StatusOr<std::vector<float>> logits =
        (*runner)->Extend(engine::SequenceId(1), next, &routing_margin);
    EXPECT_TRUE(logits.ok()) << logits.status();
    if (!logits.ok()) return g;
    std::vector<float> sorted = *logits;
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
    const auto top = std::max_element(logits->begin(), logits->end());
    g.tokens.push_back(static_cast<int32_t>(top - logits->begin()));
    g.margins.push_back(double{sorted[0]} - sorted[1]);
    g.routing_margins.push_back(routing_margin);
    next = {g.tokens.back()};
  }
  return g;
}

std::vector<int32_t> ParseTokenIds(const json& tokens) {
  std::vector<int32_t> ids;
  for (const json& t : tokens) {
    const std::string s = t.get<std::string>();
    int32_t id = -1;
    if (!absl::StartsWith(s, "token_id:") || !absl::SimpleAtoi(s.substr(9), &id)) {
      ADD_FAILURE() << "not a token id: " << s;
    }
    ids.push_back(id);
  }
  return ids;
}

std::string Bin(const std::string& name) {
  const char* dir = std::getenv("WEFT_GPU_BIN_DIR");
  return std::string(dir != nullptr ? dir : "gpu-bin") + "/" + name;
}

TEST(ServingStackCudaTest, GreedyCompletionsEqualTheCpuBackend) {
  absl::StatusOr<engine::Reference> reference =
      engine::LoadReference(std::string(kModelDir) + "/reference.json");
  ASSERT_TRUE(reference.ok()) << reference.status();
  absl::StatusOr<std::unique_ptr<engine::CausalLm>> cpu = engine::LoadCpuModel(kModelDir);
  ASSERT_TRUE(cpu.ok()) << cpu.status();

  StackOptions options;
  options.model_dir = kModelDir;
  options.engine_backend = "cuda";
  options.binaries = {{"router", Bin("router_weft-router")},
                      {"kvcache", Bin("kvcache_weft-kvcache")},
                      {"prefill", Bin("prefill_weft-prefill-cuda")},
                      {"decode", Bin("decode_weft-decode-cuda")}};
  absl::StatusOr<std::unique_ptr<Stack>> stack = Stack::Start(options);
  ASSERT_TRUE(stack.ok()) << stack.status();
  const absl::Status ready = (*stack)->WaitUntilReady(absl::Seconds(120));
  ASSERT_TRUE(ready.ok()) << ready;

  const size_t n = reference->prompts.size();
  std::vector<absl::StatusOr<HttpResponse>> responses(n, absl::UnknownError("not sent"));
  std::vector<std::thread> clients;
  const int port = (*stack)->api_port();
  for (size_t i = 0; i < n; ++i) {
    clients.emplace_back([&, i] {
      const json body = {{"model", kModel},
                         {"prompt", reference->prompts[i].input_ids},
                         {"max_tokens", kMaxTokens},
                         {"temperature", 0},
                         {"ignore_eos", true},
                         {"logprobs", 0},
                         {"return_tokens_as_token_ids", true}};
      responses[i] = HttpRequest("127.0.0.1", port, "POST", "/v1/completions", body.dump(),
                                 absl::Seconds(120));
    });
  }
  for (std::thread& t : clients) t.join();

  int compared = 0;
  for (size_t i = 0; i < n; ++i) {
    SCOPED_TRACE(testing::Message() << "prompt " << i);
    ASSERT_TRUE(responses[i].ok()) << responses[i].status();
    ASSERT_EQ(responses[i]->status_code, 200) << responses[i]->body;
    const json body = json::parse(responses[i]->body);
    const std::vector<int32_t> tokens = ParseTokenIds(body["choices"][0]["logprobs"]["tokens"]);
    ASSERT_EQ(tokens.size(), static_cast<size_t>(kMaxTokens));
    const Greedy expected = CpuGreedy(**cpu, reference->prompts[i].input_ids);
    for (int k = 0; k < kMaxTokens && expected.margins[k] >= kNearTie &&
                    expected.routing_margins[k] >= kRoutingNearTie;
         ++k) {
      ASSERT_EQ(tokens[k], expected.tokens[k]) << "step " << k;
      ++compared;
    }
  }
  std::printf("%d greedy tokens compared before near-ties, all equal to the CPU backend's\n",
              compared);
  EXPECT_GT(compared, static_cast<int>(n));
}

}  // namespace
}  // namespace weft::testutil
