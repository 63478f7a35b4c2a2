#include "common/engine/runtime/engine_loop.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace weft::engine {
namespace {

constexpr double kEwma = 0.2;  // weight of the newest step

SequenceOutput AbortedOutput(SequenceId id) {
  return SequenceOutput{.id = id, .token = {.token = -1}, .finish = FinishReason::kAbort};
}

}  // namespace

EngineLoop::EngineLoop(const CausalLm& model, const tokenizer::Tokenizer* tokenizer,
                       const EngineLoopOptions& options)
    : executor_(model, tokenizer, options.executor), scheduler_(options.scheduler) {
  load_.kv_blocks_total = executor_.num_blocks();
  thread_ = std::thread([this] { Loop(); });
}

EngineLoop::~EngineLoop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void EngineLoop::Post(std::function<void(ModelExecutor&)> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    commands_.push_back(std::move(fn));
  }
  wake_.notify_all();
}

absl::Status EngineLoop::Add(SequenceRequest request, OutputCallback on_output) {
  return Run([this, &request, &on_output](ModelExecutor& ex) -> absl::Status {
    const SequenceId id = request.id;
    if (absl::Status s = ex.AddSequence(std::move(request)); !s.ok()) return s;
    callbacks_[id] = std::move(on_output);
    order_.push_back(id);
    return absl::OkStatus();
  });
}

absl::Status EngineLoop::StartOnLoop(ModelExecutor& ex, SequenceRequest request,
                                     SampledToken first_token, const OutputCallback& on_output,
                                     const std::function<void(absl::Status)>& on_started) {
  const SequenceId id = request.id;
  absl::StatusOr<SequenceOutput> first = ex.StartWithKv(std::move(request), std::move(first_token));
  if (!first.ok()) {
    if (on_started) on_started(first.status());
    return first.status();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++load_.generated_tokens;
  }
  if (!first->finish.has_value()) {
    callbacks_[id] = on_output;
    order_.push_back(id);
  }
  if (on_started) on_started(absl::OkStatus());
  on_output(*first);
  return absl::OkStatus();
}

absl::Status EngineLoop::StartWithKv(SequenceRequest request, SampledToken first_token,
                                     OutputCallback on_output) {
  return Run([this, &request, &first_token, &on_output](ModelExecutor& ex) {
    return StartOnLoop(ex, std::move(request), std::move(first_token), on_output, nullptr);
  });
}

void EngineLoop::StartWithKvLater(SequenceRequest request, SampledToken first,
                                  OutputCallback on_output,
                                  std::function<void(absl::Status)> on_started) {
  // Post takes a copyable closure: the moved-in parts are shared.
  auto parts = std::make_shared<
      std::tuple<SequenceRequest, SampledToken, OutputCallback, std::function<void(absl::Status)>>>(
      std::move(request), std::move(first), std::move(on_output), std::move(on_started));
  Post([this, parts](ModelExecutor& ex) {
    auto& [r, f, out, started] = *parts;
    (void)StartOnLoop(ex, std::move(r), std::move(f), out, started);
  });
}

absl::Status EngineLoop::Abort(SequenceId id) {
  return Run([this, id](ModelExecutor& ex) -> absl::Status {
    callbacks_.erase(id);
    order_.erase(std::remove(order_.begin(), order_.end(), id), order_.end());
    return ex.Abort(id);
  });
}

void EngineLoop::AbortLater(SequenceId id) {
  Post([this, id](ModelExecutor& ex) {
    callbacks_.erase(id);
    order_.erase(std::remove(order_.begin(), order_.end(), id), order_.end());
    (void)ex.Abort(id);
  });
}

EngineLoad EngineLoop::load() const {
  std::lock_guard<std::mutex> lock(mu_);
  return load_;
}

void EngineLoop::Deliver(const SequenceOutput& out) {
  auto it = callbacks_.find(out.id);
  if (it == callbacks_.end()) return;
  it->second(out);
  if (out.finish.has_value()) {
    callbacks_.erase(it);
    order_.erase(std::remove(order_.begin(), order_.end(), out.id), order_.end());
  }
}

bool EngineLoop::StepOnce() {
  std::vector<SchedulableSequence> sequences;
  sequences.reserve(order_.size());
  int32_t waiting = 0;
  int64_t waiting_tokens = 0;
  for (SequenceId id : order_) {
    const absl::StatusOr<int32_t> pending = executor_.PendingTokens(id);
    if (!pending.ok() || *pending < 1) continue;
    // A decoding sequence has exactly its last sampled token pending and
    // has generated at least one token; a prompt may also have one left.
    const bool decoding = *pending == 1 && executor_.HasGenerated(id);
    if (!decoding) {
      ++waiting;
      waiting_tokens += *pending;
    }
    sequences.push_back({id, *pending, decoding});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    load_.waiting = waiting;
    load_.running = static_cast<int32_t>(sequences.size()) - waiting;
    load_.waiting_prompt_tokens = waiting_tokens;
  }
  if (sequences.empty()) return false;
  const StepPlan plan =
      PlanStep(sequences, executor_.num_free_blocks(), scheduler_,
               [this](SequenceId id, int32_t n) { return executor_.BlocksNeeded(id, n); });
  if (plan.chunks.empty()) {
    // Nothing fits the KV pool. Blocks held for transfers or reserved for
    // arriving KV come back by themselves: wait. Otherwise only the running
    // sequences hold blocks and none can advance: the newest gives way.
    if (executor_.num_held() > 0 || executor_.num_reserved() > 0) return false;
    const SequenceId victim = sequences.back().id;
    WEFT_LOG(WARNING) << "KV pool exhausted: aborting sequence " << victim.value();
    (void)executor_.Abort(victim);
    Deliver(AbortedOutput(victim));
    return true;
  }
  int64_t prompt_tokens = 0;
  for (const ScheduledChunk& c : plan.chunks) {
    const auto it = std::find_if(sequences.begin(), sequences.end(),
                                 [&](const SchedulableSequence& s) { return s.id == c.id; });
    if (!it->decoding) prompt_tokens += c.num_tokens;
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<StepResult> result = executor_.Step(plan);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) {
    // The executor dropped the scheduled sequences (a failed forward).
    WEFT_LOG(ERROR) << "step failed: " << result.status();
    for (const ScheduledChunk& c : plan.chunks) {
      if (!executor_.PendingTokens(c.id).ok()) Deliver(AbortedOutput(c.id));
    }
    return true;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    load_.generated_tokens += static_cast<int64_t>(result->outputs.size());
  }
  // Load first: a callback may wake someone who reads it.
  PublishLoad(seconds, prompt_tokens, static_cast<int32_t>(plan.chunks.size()));
  for (const SequenceOutput& out : result->outputs) Deliver(out);
  return true;
}

void EngineLoop::PublishLoad(double step_seconds, int64_t step_prompt_tokens, int32_t batch_size) {
  std::lock_guard<std::mutex> lock(mu_);
  if (step_prompt_tokens == 0 && batch_size > 0) {
    int bucket = 0;
    while (bucket + 1 < kDecodeStepBuckets && (1 << bucket) < batch_size) ++bucket;
    DecodeStepTime& t = load_.decode_step_times[bucket];
    if (t.batch_size == 0) {
      t = {static_cast<double>(batch_size), step_seconds};
    } else {
      t.batch_size = (1 - kEwma) * t.batch_size + kEwma * batch_size;
      t.seconds = (1 - kEwma) * t.seconds + kEwma * step_seconds;
    }
  }
  ++load_.steps;
  load_.prompt_tokens += step_prompt_tokens;
  load_.step_seconds_ewma = load_.steps == 1
                                ? step_seconds
                                : (1 - kEwma) * load_.step_seconds_ewma + kEwma * step_seconds;
  if (step_prompt_tokens > 0 && step_seconds > 0) {
    prefill_cost_.Add(step_prompt_tokens, step_seconds);
    load_.prefill_step_overhead_seconds = prefill_cost_.overhead_seconds();
    load_.prefill_seconds_per_token = prefill_cost_.seconds_per_token();
    const double rate = static_cast<double>(step_prompt_tokens) / step_seconds;
    load_.prefill_tokens_per_second_ewma =
        load_.prefill_tokens_per_second_ewma == 0
            ? rate
            : (1 - kEwma) * load_.prefill_tokens_per_second_ewma + kEwma * rate;
  }
  RefreshKvLoadLocked();
}

void EngineLoop::RefreshKvLoadLocked() {
  load_.kv_blocks_used = executor_.num_used_blocks();
  load_.kv_blocks_cached = executor_.num_cached_blocks();
  load_.cached_prompt_tokens = executor_.cached_prompt_tokens_total();
}

void EngineLoop::Loop() {
  for (;;) {
    std::deque<std::function<void(ModelExecutor&)>> commands;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (commands_.empty() && !stopping_ && order_.empty()) {
        wake_.wait(lock, [this] { return stopping_ || !commands_.empty(); });
      }
      commands.swap(commands_);
      stopping = stopping_;
    }
    for (auto& command : commands) command(executor_);
    if (!commands.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      RefreshKvLoadLocked();
    }
    if (stopping) break;
    if (!StepOnce()) {
      // Sequences exist but none can run now (blocks held elsewhere): wait
      // for a command (an abort, a release) rather than spin.
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(5),
                     [this] { return stopping_ || !commands_.empty(); });
    }
  }
  // Shutdown: run what was queued last, then report the rest aborted.
  std::deque<std::function<void(ModelExecutor&)>> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rest.swap(commands_);
  }
  for (auto& command : rest) command(executor_);
  const std::vector<SequenceId> live = order_;
  for (SequenceId id : live) {
    (void)executor_.Abort(id);
    Deliver(AbortedOutput(id));
  }
}

}  // namespace weft::engine
