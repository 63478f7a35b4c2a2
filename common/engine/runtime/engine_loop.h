// The engine's thread: one ModelExecutor driven step after step by the
// scheduler (continuous batching: sequences join and leave every step),
// with thread-safe entry points for the services. Everything that touches
// the executor runs on the loop thread, between steps; callers either wait
// for the result (Run) or not (Post).
//
// A sequence added with Add reports each generated token to its callback,
// on the loop thread (keep callbacks short: hand the output to another
// thread). The last report carries `finish`. If the engine drops a
// sequence itself (a failed step, shutdown), the callback gets an output
// with finish kAbort and token -1.
#ifndef WEFT_COMMON_ENGINE_RUNTIME_ENGINE_LOOP_H_
#define WEFT_COMMON_ENGINE_RUNTIME_ENGINE_LOOP_H_

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/engine/executor/model_executor.h"
#include "common/engine/runtime/prefill_cost_model.h"
#include "common/engine/runtime/scheduler.h"

namespace weft::engine {

using OutputCallback = std::function<void(const SequenceOutput&)>;

// Decode-only steps (no prompt tokens) of batch sizes in (2^(i-1), 2^i]
// for bucket i: their mean batch size and step time, exponentially weighted;
// what the router predicts time per output token from.
struct DecodeStepTime {
  double batch_size = 0;  // 0: no step of this size measured yet
  double seconds = 0;
};
inline constexpr int kDecodeStepBuckets = 12;  // batches up to 2048

// What the services report as load and export as metrics.
struct EngineLoad {
  int32_t running = 0;  // sequences with their prompt computed
  int32_t waiting = 0;  // sequences with prompt tokens left
  int64_t waiting_prompt_tokens = 0;
  int32_t kv_blocks_used = 0;  // running, held and reserved sequences
  int32_t kv_blocks_total = 0;
  int32_t kv_blocks_cached = 0;  // prefix cache (reusable, counted free)
  double step_seconds_ewma = 0;
  double prefill_tokens_per_second_ewma = 0;
  // Fitted prefill step cost (PrefillCostModel); 0 until fitted.
  double prefill_step_overhead_seconds = 0;
  double prefill_seconds_per_token = 0;
  std::array<DecodeStepTime, kDecodeStepBuckets> decode_step_times{};
  // Counters since start.
  int64_t steps = 0;
  int64_t prompt_tokens = 0;         // computed prompt tokens
  int64_t generated_tokens = 0;      // sampled tokens
  int64_t cached_prompt_tokens = 0;  // prompt tokens taken from the prefix cache
};

struct EngineLoopOptions {
  ExecutorOptions executor;
  SchedulerOptions scheduler;
};

class EngineLoop {
 public:
  // `model` and `tokenizer` (may be null) outlive the loop. The thread starts
  // at once.
  EngineLoop(const CausalLm& model, const tokenizer::Tokenizer* tokenizer,
             const EngineLoopOptions& options);
  // Stops the thread; sequences still running are reported aborted.
  ~EngineLoop();
  EngineLoop(const EngineLoop&) = delete;
  EngineLoop& operator=(const EngineLoop&) = delete;

  // The executor's KV memory error, if it could not be created (constant
  // after construction, so any thread may read it).
  absl::Status kv_status() const { return executor_.kv_status(); }

  // Adds a sequence (AddSequence's errors); its outputs go to `on_output`.
  absl::Status Add(SequenceRequest request, OutputCallback on_output);
  // Starts a reserved sequence whose KV was written (decode side): the first
  // token's output goes to `on_output` at once, the rest as generated.
  absl::Status StartWithKv(SequenceRequest request, SampledToken first, OutputCallback on_output);
  // As StartWithKv, without waiting: `on_started` gets the result on the
  // loop thread (before any output when it is OK).
  void StartWithKvLater(SequenceRequest request, SampledToken first, OutputCallback on_output,
                        std::function<void(absl::Status)> on_started);
  // Removes a sequence in any state; its callback is not called again.
  // NotFound if unknown.
  absl::Status Abort(SequenceId id);
  // As Abort, without waiting (from threads that must not block, such as
  // gRPC reactions). Unknown ids are ignored.
  void AbortLater(SequenceId id);

  // Runs `fn(executor)` on the loop thread between steps and returns its
  // result. For the executor's other entry points (ReserveKv, WriteKv,
  // ReadKv, Release, ...). Must not be called from an output callback.
  template <typename F>
  auto Run(F fn) -> std::invoke_result_t<F, ModelExecutor&> {
    using R = std::invoke_result_t<F, ModelExecutor&>;
    std::packaged_task<R(ModelExecutor&)> task(std::move(fn));
    std::future<R> result = task.get_future();
    Post([&task](ModelExecutor& ex) { task(ex); });
    return result.get();
  }
  // Runs `fn(executor)` on the loop thread, not waiting.
  void Post(std::function<void(ModelExecutor&)> fn);

  EngineLoad load() const;

 private:
  void Loop();
  // Runs one scheduled step, if anything can run; returns whether it did.
  bool StepOnce();
  void Deliver(const SequenceOutput& out);
  absl::Status StartOnLoop(ModelExecutor& ex, SequenceRequest request, SampledToken first,
                           const OutputCallback& on_output,
                           const std::function<void(absl::Status)>& on_started);
  void PublishLoad(double step_seconds, int64_t step_prompt_tokens, int32_t batch_size);
  // KV figures of load_ from the executor; mu_ held.
  void RefreshKvLoadLocked();

  ModelExecutor executor_;  // loop thread only
  const SchedulerOptions scheduler_;
  // Loop thread only: callbacks and arrival order of live sequences.
  absl::flat_hash_map<SequenceId, OutputCallback> callbacks_;
  std::vector<SequenceId> order_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void(ModelExecutor&)>> commands_;  // guarded by mu_
  bool stopping_ = false;                                     // guarded by mu_
  EngineLoad load_;                                           // guarded by mu_
  PrefillCostModel prefill_cost_;                             // guarded by mu_
  std::thread thread_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_RUNTIME_ENGINE_LOOP_H_
