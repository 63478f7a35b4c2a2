// Runs scheduled steps of many sequences on one model: the plain-data API
// between a scheduler and the engine. A StepPlan names, per sequence, how
// many of its not-yet-computed tokens to run (a prompt chunk, or the one
// token a decoding sequence sampled last step); the executor maps them to KV
// blocks (copy-on-write included), runs the model once for all of them,
// samples where a sequence has computed all its tokens, applies the stop
// conditions and returns what each sequence produced. A finished sequence
// releases its KV blocks at once.
//
// Prefix caching: a new sequence starts from the longest run of its prompt's
// full blocks that an earlier sequence computed (same model, same cache
// salt), and every full block a step computes is registered for later ones.
// Fork shares a sequence's blocks with a new one (n > 1 completions of one
// prompt; copy-on-write where they diverge).
//
// Not thread-safe: one scheduler thread owns an executor.
#ifndef WEFT_COMMON_ENGINE_EXECUTOR_MODEL_EXECUTOR_H_
#define WEFT_COMMON_ENGINE_EXECUTOR_MODEL_EXECUTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/engine/executor/stop_checker.h"
#include "common/engine/kv/block_hash.h"
#include "common/engine/kv/kv_block_manager.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/model/kv_memory.h"
#include "common/engine/sampling/sampler.h"
#include "common/tokenizer/incremental_decoder.h"
#include "common/tokenizer/tokenizer.h"

namespace weft::engine {

struct SequenceRequest {
  SequenceId id;
  std::vector<int32_t> prompt;  // not empty
  SamplingOptions sampling;
  StopConditions stop;
  // Prefix-cache isolation: sequences share cached blocks only with the same
  // salt (e.g. a tenant). Empty: shared with every empty-salt sequence.
  std::string cache_salt;
  // Keep the KV blocks when the sequence finishes, until Release (prefill:
  // the blocks are read and sent to decode after the first token).
  bool hold_kv = false;
};

struct ExecutorOptions {
  int32_t num_blocks = 0;   // KV blocks in the pool
  int32_t block_size = 16;  // tokens per block
  bool prefix_caching = true;
  // Identity of the model in block hashes (the served model name): blocks
  // are only shared between equal ids.
  std::string model_id;
};

struct ScheduledChunk {
  SequenceId id;
  int32_t num_tokens = 0;  // > 0, at most the sequence's uncomputed tokens
};

struct StepPlan {
  std::vector<ScheduledChunk> chunks;  // each sequence at most once
};

struct SequenceOutput {
  SequenceId id;
  SampledToken token;                  // the token generated this step
  std::string text;                    // newly stable output text
  std::optional<FinishReason> finish;  // set when the sequence ended
  int32_t cached_prompt_tokens = 0;    // prompt tokens taken from the prefix cache
};

struct StepResult {
  // One entry per scheduled sequence that generated a token this step (the
  // ones whose chunk reached the end of their known tokens).
  std::vector<SequenceOutput> outputs;
};

class ModelExecutor {
 public:
  // `model` and `tokenizer` outlive the executor; `tokenizer` may be null,
  // then outputs carry no text and stop strings are refused.
  ModelExecutor(const CausalLm& model, const tokenizer::Tokenizer* tokenizer,
                const ExecutorOptions& options);
  // Prefix caching on, empty model id.
  ModelExecutor(const CausalLm& model, const tokenizer::Tokenizer* tokenizer, int32_t num_blocks,
                int32_t block_size);

  // InvalidArgument for an empty prompt, token ids outside the vocabulary,
  // invalid sampling options, max_tokens < 1, prompt + max_tokens beyond the
  // model's max_position_embeddings, or stop strings without a tokenizer;
  // AlreadyExists for a known id.
  absl::Status AddSequence(SequenceRequest request);

  // Runs one step. InvalidArgument for a bad plan, ResourceExhausted when
  // the KV pool cannot hold it: nothing changes. Internal if the model fails
  // on a valid plan (a bug): the scheduled sequences are aborted.
  absl::StatusOr<StepResult> Step(const StepPlan& plan);

  // Drops a sequence (cancel or failure) and releases its blocks, whatever
  // its state (running, holding its KV after finishing, or reserved).
  absl::Status Abort(SequenceId id);

  // --- Prefix KV from elsewhere (the kvcache pool).

  // The hashes of the prompt blocks a new sequence with `prompt` and
  // `cache_salt` could take from a cache (its full blocks except one
  // holding the last token), and how many of them lead the local cache.
  struct PrefixProbe {
    std::vector<BlockHash> hashes;
    int32_t cached_locally = 0;
  };
  PrefixProbe ProbePrefix(absl::Span<const int32_t> prompt, absl::string_view cache_salt) const;

  // Puts blocks fetched from elsewhere into the prefix cache under their
  // hashes (serialized as KvMemory::ReadBlock writes them), so that
  // AddSequence attaches them. Stops at the first block that does not fit
  // (the rest is computed instead). Returns the number imported.
  // InvalidArgument for data of the wrong size.
  absl::StatusOr<int32_t> ImportPrefix(absl::Span<const BlockHash> hashes,
                                       absl::Span<const std::string> blocks);

  // --- Disaggregated serving: KV leaves one executor and enters another.

  // Prefill side. The serialized KV blocks (KvMemory::ReadBlock) of a
  // finished sequence that holds its KV, covering `num_tokens` tokens (its
  // prompt). NotFound unless `id` finished with hold_kv; OutOfRange if it
  // has fewer tokens computed.
  absl::StatusOr<std::vector<std::string>> ReadKv(SequenceId id, int32_t num_tokens) const;
  // Frees the KV a finished sequence held. NotFound if none.
  absl::Status Release(SequenceId id);

  // Decode side. Takes blocks for `num_tokens` tokens of a sequence whose
  // KV will be written by WriteKv before StartWithKv. ResourceExhausted when
  // the pool is short (nothing changes), AlreadyExists for a known id.
  absl::Status ReserveKv(SequenceId id, int32_t num_tokens);
  // Fills block `index` of a reservation from serialized `data`.
  // InvalidArgument for an index outside the reservation or data of the
  // wrong size; NotFound for an unknown reservation.
  absl::Status WriteKv(SequenceId id, int32_t index, absl::string_view data);
  // Starts the reserved sequence, its prompt's KV written, with
  // `first` already sampled (by prefill): the output for that token
  // (text, and finish if it already ends the sequence, which then releases
  // its blocks). The request is validated as AddSequence does, and its
  // prompt must have the reserved length.
  absl::StatusOr<SequenceOutput> StartWithKv(SequenceRequest request, SampledToken first);

  // Creates `child` as a copy of `parent` in its current state (tokens, text,
  // stop state; KV blocks shared, copied on write) that samples with
  // `sampling`. For n completions of one prompt: schedule all but the
  // prompt's last token, fork n - 1 times, then schedule each. NotFound for
  // an unknown parent, AlreadyExists for a known child, InvalidArgument for
  // invalid sampling options.
  absl::Status Fork(SequenceId parent, SequenceId child, const SamplingOptions& sampling);

  // Tokens of `id` not computed yet (prompt remainder, or the last sampled
  // token); NotFound if unknown.
  absl::StatusOr<int32_t> PendingTokens(SequenceId id) const;
  // Whether running sequence `id` has generated a token (it is decoding).
  bool HasGenerated(SequenceId id) const;
  // KV blocks running `n` more tokens of `id` would take from the pool now
  // (0 for an unknown sequence).
  int32_t BlocksNeeded(SequenceId id, int32_t n) const;

  // Blocks available to new work: free, or cached and used by no sequence.
  int32_t num_free_blocks() const { return blocks_.num_free_blocks(); }
  int32_t num_blocks() const { return blocks_.num_blocks(); }
  int32_t block_size() const { return blocks_.block_size(); }
  int32_t num_cached_blocks() const { return blocks_.num_cached_blocks(); }
  const PrefixCacheStats& prefix_cache_stats() const { return blocks_.prefix_cache_stats(); }
  // Prompt tokens taken from the prefix cache, over all sequences added.
  int64_t cached_prompt_tokens_total() const { return cached_prompt_tokens_total_; }
  // KV bookkeeping consistency (tests and debug checks).
  absl::Status CheckInvariants() const { return blocks_.CheckInvariants(); }

  // OK unless the backend could not create the KV memory (e.g. the GPU has
  // no room for num_blocks); then that error, and every request fails with it.
  const absl::Status& kv_status() const { return kv_status_; }
  // Running sequences (not counting held or reserved KV).
  int32_t num_sequences() const { return static_cast<int32_t>(sequences_.size()); }
  int32_t num_held() const { return static_cast<int32_t>(held_.size()); }
  int32_t num_reserved() const { return static_cast<int32_t>(reserved_.size()); }
  // Blocks in use by sequences (running, held or reserved).
  int32_t num_used_blocks() const { return num_blocks() - num_free_blocks(); }

 private:
  struct Sequence {
    std::vector<int32_t> tokens;  // prompt, then generated tokens
    int32_t prompt_len = 0;
    int32_t computed = 0;  // tokens whose KV is in the cache
    std::unique_ptr<Sampler> sampler;
    StopChecker stop;
    std::unique_ptr<tokenizer::IncrementalDecoder> decoder;
    size_t emitted_text = 0;  // bytes of stop.StableText() already returned
    int32_t cached_prompt_tokens = 0;
    // Hashes of the sequence's full blocks: the prompt's from the start,
    // generated ones as they fill. The first `registered` are in the cache.
    BlockHash root;
    std::vector<BlockHash> block_hashes;
    int32_t registered = 0;
    bool hold_kv = false;
  };

  bool KnownId(SequenceId id) const;
  absl::Status ValidateRequest(const SequenceRequest& r) const;
  // The state of a new sequence (sampler, stop checker, decoder).
  Sequence NewSequence(SequenceRequest r) const;
  // Records `token` as generated by `id`: text, stop conditions; a finished
  // sequence releases (or holds) its KV.
  SequenceOutput Emit(SequenceId id, SampledToken token);

  absl::Status ValidatePlan(const StepPlan& plan) const;
  // Registers the full blocks of `id` computed since the last call.
  void CacheComputedBlocks(SequenceId id, Sequence& seq);

  const CausalLm& model_;
  const tokenizer::Tokenizer* tokenizer_;
  const bool prefix_caching_;
  const std::string model_id_;
  KvBlockManager blocks_;
  std::unique_ptr<KvMemory> kv_;  // null when kv_status_ is an error
  absl::Status kv_status_;
  absl::flat_hash_map<SequenceId, Sequence> sequences_;
  // Finished sequences whose KV is held: their computed token counts.
  absl::flat_hash_map<SequenceId, int32_t> held_;
  // Reservations: their token counts.
  absl::flat_hash_map<SequenceId, int32_t> reserved_;
  int64_t cached_prompt_tokens_total_ = 0;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_EXECUTOR_MODEL_EXECUTOR_H_
