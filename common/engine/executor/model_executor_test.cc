// The executor over the tiny-llama fixture: chunked prompts mixed with a
// decoding sequence reproduce transformers' greedy continuation; stop
// conditions end sequences and release their blocks; bad plans and a full
// pool fail without changing anything.
#include "common/engine/executor/model_executor.h"

#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "common/engine/model/model_loader.h"
#include "common/tokenizer/tokenizer_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::engine {
namespace {

constexpr char kDir[] = "tests/data/models/tiny-llama";

class ModelExecutorTest : public ::testing::Test {
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

  SequenceRequest Greedy(int64_t id, std::vector<int32_t> prompt, int32_t max_tokens) {
    SequenceRequest r{.id = SequenceId(id), .prompt = std::move(prompt)};
    r.sampling.temperature = 0.0f;
    r.stop.max_tokens = max_tokens;
    r.stop.ignore_eos = true;
    return r;
  }

  std::unique_ptr<CausalLm> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  nlohmann::json reference_;
};

TEST_F(ModelExecutorTest, ChunkedPromptsAndDecodeReproduceTheReference) {
  ModelExecutor ex(*model_, tokenizer_.get(), /*num_blocks=*/64, /*block_size=*/4);
  const auto p0 = reference_["prompts"][0]["input_ids"].get<std::vector<int32_t>>();
  const auto g0 = reference_["prompts"][0]["greedy_ids"].get<std::vector<int32_t>>();
  const auto p6 = reference_["prompts"][6]["input_ids"].get<std::vector<int32_t>>();
  const auto g6 = reference_["prompts"][6]["greedy_ids"].get<std::vector<int32_t>>();
  ASSERT_TRUE(ex.AddSequence(Greedy(0, p0, 8)).ok());
  ASSERT_TRUE(ex.AddSequence(Greedy(6, p6, 8)).ok());
  // Sequence 0 prefills at once, then decodes while sequence 6's long prompt
  // goes in chunks of 16 (chunked prefill mixed with decode).
  std::vector<int32_t> out0, out6;
  std::string text0;
  for (int step = 0; step < 40 && ex.num_sequences() > 0; ++step) {
    StepPlan plan;
    for (int64_t id : {0, 6}) {
      auto pending = ex.PendingTokens(SequenceId(id));
      if (!pending.ok()) continue;
      plan.chunks.push_back({SequenceId(id), id == 6 ? std::min(*pending, 16) : *pending});
    }
    auto result = ex.Step(plan);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const SequenceOutput& o : result->outputs) {
      (o.id == SequenceId(0) ? out0 : out6).push_back(o.token.token);
      if (o.id == SequenceId(0)) text0 += o.text;
      if (o.finish.has_value()) {
        EXPECT_EQ(*o.finish, FinishReason::kLength);
      }
    }
  }
  EXPECT_EQ(out0, std::vector<int32_t>(g0.begin(), g0.begin() + 8));
  EXPECT_EQ(out6, std::vector<int32_t>(g6.begin(), g6.begin() + 8));
  auto decoded = tokenizer_->Decode(out0);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(text0, *decoded);
  EXPECT_EQ(ex.num_sequences(), 0);
  EXPECT_EQ(ex.num_free_blocks(), 64);  // finished sequences released everything
}

TEST_F(ModelExecutorTest, StopTokenAndStopStringEndSequences) {
  ModelExecutor ex(*model_, tokenizer_.get(), 64, 4);
  const auto p0 = reference_["prompts"][0]["input_ids"].get<std::vector<int32_t>>();
  const auto g0 = reference_["prompts"][0]["greedy_ids"].get<std::vector<int32_t>>();
  SequenceRequest by_id = Greedy(1, p0, 16);
  by_id.stop.stop_token_ids = {g0[2]};
  ASSERT_TRUE(ex.AddSequence(by_id).ok());
  int generated = 0;
  std::optional<FinishReason> finish;
  while (!finish.has_value() && generated < 16) {
    auto r = ex.Step({{{SequenceId(1), *ex.PendingTokens(SequenceId(1))}}});
    ASSERT_TRUE(r.ok()) << r.status();
    ++generated;
    finish = r->outputs.at(0).finish;
  }
  EXPECT_EQ(finish, FinishReason::kStop);
  // The first occurrence of g0[2] ends it (it may also occur earlier).
  EXPECT_EQ(generated, std::find(g0.begin(), g0.end(), g0[2]) - g0.begin() + 1);

  auto full_text = tokenizer_->Decode(std::vector<int32_t>(g0.begin(), g0.begin() + 6));
  ASSERT_TRUE(full_text.ok());
  const std::string stop = full_text->substr(full_text->size() / 2, 3);
  SequenceRequest by_string = Greedy(2, p0, 16);
  by_string.stop.stop_strings = {stop};
  ASSERT_TRUE(ex.AddSequence(by_string).ok());
  std::string text;
  finish.reset();
  while (!finish.has_value()) {
    auto r = ex.Step({{{SequenceId(2), *ex.PendingTokens(SequenceId(2))}}});
    ASSERT_TRUE(r.ok()) << r.status();
    text += r->outputs.at(0).text;
    finish = r->outputs.at(0).finish;
  }
  EXPECT_EQ(finish, FinishReason::kStop);
  EXPECT_EQ(text, full_text->substr(0, full_text->find(stop)));
  EXPECT_EQ(ex.num_free_blocks(), 64);
}

TEST_F(ModelExecutorTest, BadRequestsAndPlansChangeNothing) {
  ModelExecutor ex(*model_, nullptr, /*num_blocks=*/3, /*block_size=*/4);
  EXPECT_EQ(ex.AddSequence(Greedy(1, {}, 4)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ex.AddSequence(Greedy(1, {5, 99999}, 4)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ex.AddSequence(Greedy(1, {5}, 5000)).code(), absl::StatusCode::kInvalidArgument);
  SequenceRequest strings = Greedy(1, {5}, 4);
  strings.stop.stop_strings = {"x"};
  EXPECT_EQ(ex.AddSequence(strings).code(), absl::StatusCode::kInvalidArgument);
  SequenceRequest bad_sampling = Greedy(1, {5}, 4);
  bad_sampling.sampling.top_p = 2.0f;
  EXPECT_EQ(ex.AddSequence(bad_sampling).code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(ex.AddSequence(Greedy(1, std::vector<int32_t>(10, 7), 4)).ok());
  ASSERT_TRUE(ex.AddSequence(Greedy(2, std::vector<int32_t>(6, 8), 4)).ok());
  EXPECT_EQ(ex.AddSequence(Greedy(2, {1}, 4)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ex.Step({{{SequenceId(9), 1}}}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ex.Step({{{SequenceId(1), 11}}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ex.Step({{{SequenceId(1), 1}, {SequenceId(1), 1}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // 10 + 6 tokens need 3 + 2 blocks of the 3: refused whole.
  EXPECT_EQ(ex.Step({{{SequenceId(1), 10}, {SequenceId(2), 6}}}).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ex.num_free_blocks(), 3);
  EXPECT_EQ(*ex.PendingTokens(SequenceId(1)), 10);
  // Sequence 1 alone fits; aborting it returns its blocks.
  ASSERT_TRUE(ex.Step({{{SequenceId(1), 10}}}).ok());
  EXPECT_EQ(ex.num_free_blocks(), 0);
  ASSERT_TRUE(ex.Abort(SequenceId(1)).ok());
  EXPECT_EQ(ex.num_free_blocks(), 3);
  EXPECT_EQ(ex.Abort(SequenceId(1)).code(), absl::StatusCode::kNotFound);
}

// Runs every sequence to its end, each step scheduling every pending token
// (whole prompts, then decode); returns each sequence's generated tokens.
std::map<int64_t, std::vector<int32_t>> RunToEnd(ModelExecutor& ex, std::vector<int64_t> ids) {
  std::map<int64_t, std::vector<int32_t>> out;
  for (int step = 0; step < 200 && ex.num_sequences() > 0; ++step) {
    StepPlan plan;
    for (int64_t id : ids) {
      auto pending = ex.PendingTokens(SequenceId(id));
      if (pending.ok()) plan.chunks.push_back({SequenceId(id), *pending});
    }
    auto result = ex.Step(plan);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) break;
    for (const SequenceOutput& o : result->outputs) out[o.id.value()].push_back(o.token.token);
  }
  return out;
}

TEST_F(ModelExecutorTest, PrefixCacheReusesComputedBlocksWithTheSameResult) {
  ModelExecutor ex(*model_, tokenizer_.get(),
                   ExecutorOptions{.num_blocks = 64, .block_size = 4, .model_id = "tiny-llama"});
  const auto p6 = reference_["prompts"][6]["input_ids"].get<std::vector<int32_t>>();
  const auto g6 = reference_["prompts"][6]["greedy_ids"].get<std::vector<int32_t>>();
  ASSERT_GT(p6.size(), 9u);
  ASSERT_TRUE(ex.AddSequence(Greedy(1, p6, 8)).ok());
  EXPECT_EQ(*ex.PendingTokens(SequenceId(1)), static_cast<int32_t>(p6.size()));  // cold
  const auto first = RunToEnd(ex, {1});
  EXPECT_EQ(first.at(1), std::vector<int32_t>(g6.begin(), g6.begin() + 8));
  EXPECT_GT(ex.num_cached_blocks(), 0);
  EXPECT_EQ(ex.num_free_blocks(), 64);  // cached blocks stay available
  EXPECT_TRUE(ex.CheckInvariants().ok()) << ex.CheckInvariants();

  // The same prompt again: its full blocks come from the cache (all but the
  // block holding the last prompt token, whose logits must be computed), and
  // the continuation is the same.
  const int32_t cached = (static_cast<int32_t>(p6.size()) - 1) / 4 * 4;
  ASSERT_TRUE(ex.AddSequence(Greedy(2, p6, 8)).ok());
  EXPECT_EQ(*ex.PendingTokens(SequenceId(2)), static_cast<int32_t>(p6.size()) - cached);
  // A longer prompt sharing the first half also hits, for the shared blocks.
  std::vector<int32_t> extended(p6.begin(), p6.begin() + 8);
  extended.insert(extended.end(), {11, 12, 13, 14, 15});
  ASSERT_TRUE(ex.AddSequence(Greedy(3, extended, 4)).ok());
  EXPECT_EQ(*ex.PendingTokens(SequenceId(3)), 5);
  // Another salt (tenant) never sees them.
  SequenceRequest other = Greedy(4, p6, 8);
  other.cache_salt = "tenant-b";
  ASSERT_TRUE(ex.AddSequence(other).ok());
  EXPECT_EQ(*ex.PendingTokens(SequenceId(4)), static_cast<int32_t>(p6.size()));
  int32_t reported = -1;
  std::map<int64_t, std::vector<int32_t>> again;
  for (int step = 0; step < 50 && ex.num_sequences() > 0; ++step) {
    StepPlan plan;
    for (int64_t id : {2, 3, 4}) {
      auto pending = ex.PendingTokens(SequenceId(id));
      if (pending.ok()) plan.chunks.push_back({SequenceId(id), *pending});
    }
    auto result = ex.Step(plan);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const SequenceOutput& o : result->outputs) {
      again[o.id.value()].push_back(o.token.token);
      if (o.id == SequenceId(2)) reported = o.cached_prompt_tokens;
    }
  }
  EXPECT_EQ(reported, cached);
  EXPECT_EQ(again.at(2), first.at(1));
  EXPECT_EQ(again.at(4), first.at(1));
  // The extended prompt matches running it without a cache.
  ModelExecutor cold(*model_, nullptr,
                     ExecutorOptions{.num_blocks = 64, .block_size = 4, .prefix_caching = false});
  ASSERT_TRUE(cold.AddSequence(Greedy(3, extended, 4)).ok());
  EXPECT_EQ(again.at(3), RunToEnd(cold, {3}).at(3));
  EXPECT_EQ(cold.num_cached_blocks(), 0);
  EXPECT_GT(ex.prefix_cache_stats().hit_blocks, 0);
  EXPECT_TRUE(ex.CheckInvariants().ok()) << ex.CheckInvariants();
}

TEST_F(ModelExecutorTest, ForkedSequencesShareThePromptAndSampleIndependently) {
  ModelExecutor ex(*model_, tokenizer_.get(), /*num_blocks=*/64, /*block_size=*/4);
  const auto p6 = reference_["prompts"][6]["input_ids"].get<std::vector<int32_t>>();
  const auto g6 = reference_["prompts"][6]["greedy_ids"].get<std::vector<int32_t>>();
  const int32_t len = static_cast<int32_t>(p6.size());
  ASSERT_TRUE(ex.AddSequence(Greedy(1, p6, 6)).ok());
  ASSERT_TRUE(ex.Step({{{SequenceId(1), len - 1}}}).ok());  // all but the last token
  const int32_t free_before = ex.num_free_blocks();
  SamplingOptions greedy{.temperature = 0.0f};
  SamplingOptions seeded_a{.temperature = 1.5f, .seed = 7};
  SamplingOptions seeded_b{.temperature = 1.5f, .seed = 8};
  ASSERT_TRUE(ex.Fork(SequenceId(1), SequenceId(2), greedy).ok());
  ASSERT_TRUE(ex.Fork(SequenceId(1), SequenceId(3), seeded_a).ok());
  ASSERT_TRUE(ex.Fork(SequenceId(1), SequenceId(4), seeded_b).ok());
  ASSERT_TRUE(ex.Fork(SequenceId(1), SequenceId(5), seeded_a).ok());
  EXPECT_EQ(ex.num_free_blocks(), free_before);  // nothing copied yet
  EXPECT_EQ(*ex.PendingTokens(SequenceId(3)), 1);
  EXPECT_EQ(ex.Fork(SequenceId(1), SequenceId(2), greedy).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ex.Fork(SequenceId(9), SequenceId(10), greedy).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ex.Fork(SequenceId(1), SequenceId(10), SamplingOptions{.top_p = 0.0f}).code(),
            absl::StatusCode::kInvalidArgument);
  const auto out = RunToEnd(ex, {1, 2, 3, 4, 5});
  const std::vector<int32_t> expected(g6.begin(), g6.begin() + 6);
  EXPECT_EQ(out.at(1), expected);
  EXPECT_EQ(out.at(2), expected);
  EXPECT_EQ(out.at(3), out.at(5));  // same seed, same tokens
  EXPECT_NE(out.at(3), out.at(4));  // another seed: another completion
  EXPECT_EQ(ex.num_sequences(), 0);
  EXPECT_EQ(ex.num_free_blocks(), 64);
  EXPECT_TRUE(ex.CheckInvariants().ok()) << ex.CheckInvariants();
}

// A random scheduler: sequences (some with shared prompts) added, forked,
// scheduled in random chunks, aborted; the pool may run short. Afterwards
// no sequence holds a block and the bookkeeping is consistent.
TEST_F(ModelExecutorTest, RandomSchedulesNeverLeakBlocks) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    std::mt19937 rng(seed);
    ModelExecutor ex(*model_, nullptr, /*num_blocks=*/24, /*block_size=*/4);
    std::vector<int64_t> live;
    int64_t next_id = 0;
    const std::vector<int32_t> base = {5, 9, 33, 7, 81, 2, 64, 12, 5, 40, 3, 17};
    for (int step = 0; step < 60; ++step) {
      const int op = std::uniform_int_distribution<int>(0, 9)(rng);
      if (op <= 2 || live.empty()) {
        std::vector<int32_t> prompt(base.begin(),
                                    base.begin() + std::uniform_int_distribution<int>(1, 12)(rng));
        prompt.push_back(std::uniform_int_distribution<int32_t>(0, 100)(rng));
        SequenceRequest r = Greedy(next_id, prompt, std::uniform_int_distribution<int>(1, 8)(rng));
        r.sampling = SamplingOptions{.temperature = 0.8f, .seed = seed};
        ASSERT_TRUE(ex.AddSequence(r).ok());
        live.push_back(next_id++);
      } else if (op == 3) {
        const int64_t parent = live[rng() % live.size()];
        ASSERT_TRUE(ex.Fork(SequenceId(parent), SequenceId(next_id), SamplingOptions{}).ok());
        live.push_back(next_id++);
      } else if (op == 4) {
        const size_t i = rng() % live.size();
        ASSERT_TRUE(ex.Abort(SequenceId(live[i])).ok());
        live.erase(live.begin() + i);
      } else {
        StepPlan plan;
        for (int64_t id : live) {
          const int32_t pending = *ex.PendingTokens(SequenceId(id));
          if (rng() % 2 == 0) {
            plan.chunks.push_back(
                {SequenceId(id), std::uniform_int_distribution<int32_t>(1, pending)(rng)});
          }
        }
        auto result = ex.Step(plan);
        if (!result.ok()) {
          ASSERT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted)
              << result.status();
        } else {
          for (const SequenceOutput& o : result->outputs) {
            if (o.finish.has_value()) std::erase(live, o.id.value());
          }
        }
      }
      ASSERT_TRUE(ex.CheckInvariants().ok()) << ex.CheckInvariants() << " seed " << seed;
      ASSERT_EQ(ex.num_sequences(), static_cast<int32_t>(live.size()));
    }
    for (int64_t id : live) ASSERT_TRUE(ex.Abort(SequenceId(id)).ok());
    EXPECT_EQ(ex.num_free_blocks(), 24);
    EXPECT_TRUE(ex.CheckInvariants().ok());
  }
}

// Disaggregated serving in one process: a prefill executor computes the
// prompt and samples the first token, its KV blocks are serialized and
// written into a decode executor's reservation, and decode continues. The
// tokens equal those of one executor doing everything, greedy and seeded.
TEST_F(ModelExecutorTest, KvMovesFromPrefillToDecodeWithTheSameResult) {
  const auto p6 = reference_["prompts"][6]["input_ids"].get<std::vector<int32_t>>();
  const int32_t len = static_cast<int32_t>(p6.size());
  for (const bool seeded : {false, true}) {
    SequenceRequest request = Greedy(1, p6, 10);
    if (seeded) request.sampling = SamplingOptions{.temperature = 1.0f, .seed = 99};
    ModelExecutor single(*model_, tokenizer_.get(), 64, 4);
    ASSERT_TRUE(single.AddSequence(request).ok());
    const std::vector<int32_t> expected = RunToEnd(single, {1}).at(1);

    ModelExecutor prefill(*model_, tokenizer_.get(), 64, 4);
    ModelExecutor decoder(*model_, tokenizer_.get(), 64, 4);
    SequenceRequest first = request;
    first.stop.max_tokens = 1;
    first.hold_kv = true;
    ASSERT_TRUE(prefill.AddSequence(first).ok());
    auto step = prefill.Step({{{SequenceId(1), len}}});
    ASSERT_TRUE(step.ok()) << step.status();
    ASSERT_EQ(step->outputs.size(), 1u);
    const int32_t first_token = step->outputs[0].token.token;
    EXPECT_EQ(prefill.num_sequences(), 0);
    EXPECT_EQ(prefill.num_held(), 1);
    EXPECT_EQ(prefill.ReadKv(SequenceId(1), len + 1).status().code(),
              absl::StatusCode::kOutOfRange);
    auto blocks = prefill.ReadKv(SequenceId(1), len);
    ASSERT_TRUE(blocks.ok()) << blocks.status();
    EXPECT_EQ(static_cast<int32_t>(blocks->size()), (len + 3) / 4);
    ASSERT_TRUE(prefill.Release(SequenceId(1)).ok());
    EXPECT_EQ(prefill.num_used_blocks(), 0);

    ASSERT_TRUE(decoder.ReserveKv(SequenceId(1), len).ok());
    EXPECT_EQ(decoder.ReserveKv(SequenceId(1), len).code(), absl::StatusCode::kAlreadyExists);
    for (size_t i = 0; i < blocks->size(); ++i) {
      ASSERT_TRUE(decoder.WriteKv(SequenceId(1), static_cast<int32_t>(i), (*blocks)[i]).ok());
    }
    EXPECT_EQ(decoder.WriteKv(SequenceId(1), 99, (*blocks)[0]).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(decoder.WriteKv(SequenceId(1), 0, "short").code(),
              absl::StatusCode::kInvalidArgument);
    SequenceRequest wrong = request;
    wrong.prompt.pop_back();
    EXPECT_EQ(decoder.StartWithKv(wrong, {.token = first_token}).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(decoder.num_reserved(), 1);  // a refused start keeps the reservation
    auto started = decoder.StartWithKv(request, {.token = first_token});
    ASSERT_TRUE(started.ok()) << started.status();
    EXPECT_FALSE(started->finish.has_value());
    std::vector<int32_t> tokens = {started->token.token};
    const auto rest = RunToEnd(decoder, {1});
    tokens.insert(tokens.end(), rest.at(1).begin(), rest.at(1).end());
    EXPECT_EQ(tokens, expected) << (seeded ? "seeded" : "greedy");
    EXPECT_EQ(decoder.num_used_blocks(), 0);
    EXPECT_TRUE(decoder.CheckInvariants().ok());
  }
}

TEST_F(ModelExecutorTest, ReservationsAreAllOrNothingAndAbortable) {
  ModelExecutor ex(*model_, nullptr, /*num_blocks=*/4, /*block_size=*/4);
  EXPECT_EQ(ex.ReserveKv(SequenceId(1), 17).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ex.num_used_blocks(), 0);
  EXPECT_EQ(ex.num_reserved(), 0);
  EXPECT_EQ(ex.ReserveKv(SequenceId(1), 0).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(ex.ReserveKv(SequenceId(1), 16).ok());
  EXPECT_EQ(ex.num_free_blocks(), 0);
  EXPECT_EQ(ex.AddSequence(Greedy(1, {5}, 1)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ex.WriteKv(SequenceId(2), 0, "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ex.StartWithKv(Greedy(2, {5}, 1), {.token = 3}).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(ex.Abort(SequenceId(1)).ok());  // a cancelled request frees its reservation
  EXPECT_EQ(ex.num_free_blocks(), 4);
  EXPECT_EQ(ex.num_reserved(), 0);
  // A held sequence is abortable too.
  SequenceRequest held = Greedy(3, {5, 6, 7}, 1);
  held.hold_kv = true;
  ASSERT_TRUE(ex.AddSequence(held).ok());
  ASSERT_TRUE(ex.Step({{{SequenceId(3), 3}}}).ok());
  EXPECT_EQ(ex.num_held(), 1);
  EXPECT_EQ(ex.num_used_blocks(), 1);
  ASSERT_TRUE(ex.Abort(SequenceId(3)).ok());
  EXPECT_EQ(ex.Release(SequenceId(3)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ex.num_used_blocks(), 0);
  EXPECT_TRUE(ex.CheckInvariants().ok());
}

// A prompt's full blocks computed by one executor and imported into
// another's prefix cache (as prefill does with blocks from kvcache): the
// second attaches them, computes only the rest, and continues identically.
TEST_F(ModelExecutorTest, ImportedPrefixBlocksAreAttachedAndGiveTheSameResult) {
  const auto p6 = reference_["prompts"][6]["input_ids"].get<std::vector<int32_t>>();
  const int32_t len = static_cast<int32_t>(p6.size());
  ModelExecutor source(*model_, nullptr, 64, 4);
  SequenceRequest held = Greedy(1, p6, 1);
  held.hold_kv = true;
  ASSERT_TRUE(source.AddSequence(held).ok());
  ASSERT_TRUE(source.Step({{{SequenceId(1), len}}}).ok());
  auto blocks = source.ReadKv(SequenceId(1), len);
  ASSERT_TRUE(blocks.ok());

  ModelExecutor target(*model_, nullptr, 64, 4);
  const ModelExecutor::PrefixProbe probe = target.ProbePrefix(p6, "");
  EXPECT_EQ(static_cast<int32_t>(probe.hashes.size()), (len - 1) / 4);
  EXPECT_EQ(probe.cached_locally, 0);
  const std::vector<std::string> full(blocks->begin(), blocks->begin() + probe.hashes.size());
  EXPECT_EQ(target.ImportPrefix(probe.hashes, std::vector<std::string>(1, "x")).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto imported = target.ImportPrefix(probe.hashes, full);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(*imported, static_cast<int32_t>(probe.hashes.size()));
  EXPECT_EQ(target.ProbePrefix(p6, "").cached_locally, *imported);
  EXPECT_EQ(target.ProbePrefix(p6, "tenant").cached_locally, 0);  // salted apart
  EXPECT_EQ(target.num_free_blocks(), 64);                        // cached, not held
  ASSERT_TRUE(target.AddSequence(Greedy(2, p6, 8)).ok());
  EXPECT_EQ(*target.PendingTokens(SequenceId(2)), len - *imported * 4);
  const auto out = RunToEnd(target, {2});
  const auto g6 = reference_["prompts"][6]["greedy_ids"].get<std::vector<int32_t>>();
  EXPECT_EQ(out.at(2), std::vector<int32_t>(g6.begin(), g6.begin() + 8));
  EXPECT_TRUE(target.CheckInvariants().ok()) << target.CheckInvariants();
}

}  // namespace
}  // namespace weft::engine
