// The loop over tiny-llama: concurrent submitters get transformers' greedy
// continuations while sequences join and leave the batch; aborts and
// shutdown release every block.
#include "common/engine/runtime/engine_loop.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "common/base/notification.h"
#include "common/engine/model/model_loader.h"
#include "common/tokenizer/tokenizer_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::engine {
namespace {

constexpr char kDir[] = "tests/data/models/tiny-llama";

class EngineLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = LoadCpuModel(kDir);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    auto tok = tokenizer::LoadTokenizerFromFile(std::string(kDir) + "/tokenizer.json");
    ASSERT_TRUE(tok.ok()) << tok.status();
    tokenizer_ = std::move(*tok);
    std::ifstream in(std::string(kDir) + "/reference.json");
    reference_ = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(reference_.is_discarded());
  }

  static SequenceRequest Greedy(int64_t id, std::vector<int32_t> prompt, int32_t max_tokens) {
    SequenceRequest r{.id = SequenceId(id), .prompt = std::move(prompt)};
    r.sampling.temperature = 0.0f;
    r.stop.max_tokens = max_tokens;
    r.stop.ignore_eos = true;
    return r;
  }

  // Collects one sequence's outputs (on the loop thread) until it finishes.
  struct Collector {
    std::vector<int32_t> tokens;
    std::optional<FinishReason> finish;
    std::atomic<int> delivered{0};  // tokens pushed so far, readable from any thread
    Notification done;
    OutputCallback Callback() {
      return [this](const SequenceOutput& out) {
        if (out.token.token >= 0) {
          tokens.push_back(out.token.token);
          delivered.fetch_add(1, std::memory_order_release);
        }
        if (out.finish.has_value()) {
          finish = out.finish;
          done.Notify();
        }
      };
    }
  };

  std::unique_ptr<CausalLm> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  nlohmann::json reference_;
};

TEST_F(EngineLoopTest, ConcurrentRequestsGetTheReferenceContinuations) {
  EngineLoop loop(
      *model_, tokenizer_.get(),
      {.executor = {.num_blocks = 256, .block_size = 4},
       .scheduler = {.max_num_seqs = 4, .max_num_batched_tokens = 24, .max_prefill_chunk = 8}});
  const size_t n = reference_["prompts"].size();
  std::vector<std::unique_ptr<Collector>> collectors;
  for (size_t i = 0; i < n; ++i) collectors.push_back(std::make_unique<Collector>());
  std::vector<std::thread> submitters;
  for (size_t i = 0; i < n; ++i) {
    submitters.emplace_back([&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(3 * i));  // staggered arrivals
      const auto prompt = reference_["prompts"][i]["input_ids"].get<std::vector<int32_t>>();
      ASSERT_TRUE(
          loop.Add(Greedy(static_cast<int64_t>(i), prompt, 12), collectors[i]->Callback()).ok());
    });
  }
  for (std::thread& t : submitters) t.join();
  for (size_t i = 0; i < n; ++i) {
    collectors[i]->done.WaitForNotification();
    const auto greedy = reference_["prompts"][i]["greedy_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(collectors[i]->tokens, std::vector<int32_t>(greedy.begin(), greedy.begin() + 12))
        << "prompt " << i;
    EXPECT_EQ(collectors[i]->finish, FinishReason::kLength);
  }
  const EngineLoad load = loop.load();
  EXPECT_EQ(load.kv_blocks_used, 0);
  EXPECT_EQ(load.generated_tokens, static_cast<int64_t>(12 * n));
  EXPECT_GT(load.steps, 0);
  EXPECT_GT(load.prefill_tokens_per_second_ewma, 0);
  // Decode-only steps ran with up to n sequences: their times are bucketed
  // by batch size, each bucket's mean batch size within its range.
  int measured = 0;
  for (int b = 0; b < kDecodeStepBuckets; ++b) {
    const DecodeStepTime& t = load.decode_step_times[b];
    if (t.batch_size == 0) continue;
    ++measured;
    EXPECT_GT(t.seconds, 0);
    EXPECT_LE(t.batch_size, 1 << b) << b;
    EXPECT_GT(t.batch_size, b == 0 ? 0 : 1 << (b - 1)) << b;
    EXPECT_LE(t.batch_size, static_cast<double>(n));
  }
  EXPECT_GT(measured, 0);
  EXPECT_EQ(loop.Add(Greedy(0, {1}, 1), [](const SequenceOutput&) {}).code(),
            absl::StatusCode::kOk);  // ids are reusable once finished
}

TEST_F(EngineLoopTest, AbortAndShutdownReleaseEverything) {
  Collector aborted, running, refused;
  {
    EngineLoop loop(*model_, nullptr, {.executor = {.num_blocks = 64, .block_size = 4}});
    ASSERT_TRUE(loop.Add(Greedy(1, std::vector<int32_t>(20, 5), 200), aborted.Callback()).ok());
    ASSERT_TRUE(loop.Add(Greedy(2, std::vector<int32_t>(9, 6), 200), running.Callback()).ok());
    EXPECT_EQ(loop.Add(Greedy(2, {1}, 1), refused.Callback()).code(),
              absl::StatusCode::kAlreadyExists);
    while (aborted.delivered.load(std::memory_order_acquire) == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(loop.Abort(SequenceId(1)).ok());
    EXPECT_EQ(loop.Abort(SequenceId(1)).code(), absl::StatusCode::kNotFound);
    // Only sequence 2 holds blocks now.
    const absl::Status consistent = loop.Run([](ModelExecutor& ex) {
      if (ex.num_sequences() != 1) return absl::InternalError("sequence 1 still there");
      return ex.CheckInvariants();
    });
    EXPECT_TRUE(consistent.ok()) << consistent;
    EXPECT_FALSE(aborted.finish.has_value());  // an aborted caller hears nothing more
  }
  // Destroyed with sequence 2 running: reported aborted.
  EXPECT_EQ(running.finish, FinishReason::kAbort);
}

// A pool too small for every prompt at once: sequences wait for blocks
// instead of failing, and all finish.
TEST_F(EngineLoopTest, SequencesWaitForBlocks) {
  EngineLoop loop(*model_, nullptr, {.executor = {.num_blocks = 6, .block_size = 4}});
  std::vector<std::unique_ptr<Collector>> c;
  for (int i = 0; i < 4; ++i) {
    c.push_back(std::make_unique<Collector>());
    ASSERT_TRUE(loop.Add(Greedy(i, std::vector<int32_t>(7, 3 + i), 6), c.back()->Callback()).ok());
  }
  for (auto& one : c) {
    one->done.WaitForNotification();
    EXPECT_EQ(one->finish, FinishReason::kLength);
    EXPECT_EQ(one->tokens.size(), 6u);
  }
  EXPECT_EQ(loop.load().kv_blocks_used, 0);
}

}  // namespace
}  // namespace weft::engine
