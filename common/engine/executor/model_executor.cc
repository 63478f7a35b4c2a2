#include "common/engine/executor/model_executor.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace weft::engine {

ModelExecutor::ModelExecutor(const CausalLm& model, const tokenizer::Tokenizer* tokenizer,
                             const ExecutorOptions& options)
    : model_(model),
      tokenizer_(tokenizer),
      prefix_caching_(options.prefix_caching),
      model_id_(options.model_id),
      blocks_(options.num_blocks, options.block_size),
      kv_status_(absl::OkStatus()) {
  absl::StatusOr<std::unique_ptr<KvMemory>> kv =
      model.CreateKvMemory(options.num_blocks, options.block_size);
  if (kv.ok()) {
    kv_ = *std::move(kv);
  } else {
    kv_status_ = kv.status();
  }
}

ModelExecutor::ModelExecutor(const CausalLm& model, const tokenizer::Tokenizer* tokenizer,
                             int32_t num_blocks, int32_t block_size)
    : ModelExecutor(model, tokenizer,
                    ExecutorOptions{.num_blocks = num_blocks, .block_size = block_size}) {}

bool ModelExecutor::KnownId(SequenceId id) const {
  return sequences_.contains(id) || held_.contains(id) || reserved_.contains(id);
}

absl::Status ModelExecutor::ValidateRequest(const SequenceRequest& r) const {
  if (!kv_status_.ok()) return kv_status_;
  if (KnownId(r.id)) {
    return absl::AlreadyExistsError(absl::StrCat("sequence ", r.id.value(), " exists"));
  }
  if (r.prompt.empty()) return absl::InvalidArgumentError("empty prompt");
  const int64_t vocab = model_.config().vocab_size;
  for (int32_t t : r.prompt) {
    if (t < 0 || t >= vocab) {
      return absl::InvalidArgumentError(
          absl::StrCat("prompt token ", t, " outside the vocabulary"));
    }
  }
  if (absl::Status s = ValidateSamplingOptions(r.sampling); !s.ok()) return s;
  if (r.stop.max_tokens < 1) return absl::InvalidArgumentError("max_tokens must be at least 1");
  const int64_t limit = model_.config().max_position_embeddings;
  if (limit > 0 && static_cast<int64_t>(r.prompt.size()) + r.stop.max_tokens > limit) {
    return absl::InvalidArgumentError(absl::StrCat("prompt (", r.prompt.size(), ") + max_tokens (",
                                                   r.stop.max_tokens, ") exceeds the context of ",
                                                   limit));
  }
  if (!r.stop.stop_strings.empty() && tokenizer_ == nullptr) {
    return absl::InvalidArgumentError("stop strings need a tokenizer");
  }
  return absl::OkStatus();
}

ModelExecutor::Sequence ModelExecutor::NewSequence(SequenceRequest r) const {
  Sequence seq{.tokens = std::move(r.prompt), .stop = StopChecker(std::move(r.stop))};
  seq.prompt_len = static_cast<int32_t>(seq.tokens.size());
  seq.sampler = std::make_unique<Sampler>(r.sampling);
  if (tokenizer_ != nullptr) {
    // Special tokens (eos, chat markers) are not part of the output text.
    seq.decoder =
        std::make_unique<tokenizer::IncrementalDecoder>(tokenizer_, /*skip_special_tokens=*/true);
  }
  seq.hold_kv = r.hold_kv;
  if (prefix_caching_) {
    seq.root = RootBlockHash(model_id_, r.cache_salt);
    seq.block_hashes = HashFullBlocks(seq.root, seq.tokens, blocks_.block_size());
  }
  return seq;
}

absl::Status ModelExecutor::AddSequence(SequenceRequest r) {
  if (absl::Status s = ValidateRequest(r); !s.ok()) return s;
  const SequenceId id = r.id;
  Sequence seq = NewSequence(std::move(r));
  if (prefix_caching_) {
    const int32_t block_size = blocks_.block_size();
    // At least the prompt's last token is computed: its logits are needed.
    const size_t usable =
        std::min(seq.block_hashes.size(), static_cast<size_t>((seq.prompt_len - 1) / block_size));
    absl::StatusOr<int32_t> attached = blocks_.AddSequenceWithPrefix(
        id, absl::Span<const BlockHash>(seq.block_hashes).first(usable));
    if (!attached.ok()) return attached.status();
    seq.registered = *attached;
    seq.computed = *attached * block_size;
    seq.cached_prompt_tokens = seq.computed;
    cached_prompt_tokens_total_ += seq.computed;
  } else if (absl::Status s = blocks_.AddSequence(id); !s.ok()) {
    return s;
  }
  sequences_.emplace(id, std::move(seq));
  return absl::OkStatus();
}

SequenceOutput ModelExecutor::Emit(SequenceId id, SampledToken token) {
  Sequence& seq = sequences_.at(id);
  SequenceOutput out{
      .id = id, .token = std::move(token), .cached_prompt_tokens = seq.cached_prompt_tokens};
  seq.tokens.push_back(out.token.token);
  std::string piece;
  if (seq.decoder != nullptr) {
    // An id the tokenizer does not know (a model vocabulary padded beyond
    // the tokenizer's) has no text.
    absl::StatusOr<std::string> text = seq.decoder->Step(out.token.token);
    if (text.ok()) piece = *std::move(text);
  }
  out.finish = seq.stop.Add(out.token.token, piece);
  if (out.finish.has_value() && seq.decoder != nullptr && !seq.stop.stopped_by_string()) {
    seq.stop.AppendFinalText(seq.decoder->Finish());  // held-back partial UTF-8
  }
  const absl::string_view stable =
      out.finish.has_value() ? absl::string_view(seq.stop.text()) : seq.stop.StableText();
  if (stable.size() > seq.emitted_text) {
    out.text = std::string(stable.substr(seq.emitted_text));
    seq.emitted_text = stable.size();
  }
  if (out.finish.has_value()) {
    if (seq.hold_kv) {
      held_[id] = seq.computed;
    } else {
      (void)blocks_.Free(id);
    }
    sequences_.erase(id);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ModelExecutor::ReadKv(SequenceId id,
                                                               int32_t num_tokens) const {
  auto it = held_.find(id);
  if (it == held_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " holds no KV"));
  }
  if (num_tokens < 0 || num_tokens > it->second) {
    return absl::OutOfRangeError(absl::StrCat("sequence ", id.value(), " has ", it->second,
                                              " tokens of KV, ", num_tokens, " asked"));
  }
  const absl::StatusOr<absl::Span<const BlockId>> table = blocks_.BlockTable(id);
  if (!table.ok()) return table.status();
  const int32_t count = (num_tokens + block_size() - 1) / block_size();
  std::vector<std::string> out(count);
  for (int32_t i = 0; i < count; ++i) kv_->ReadBlock((*table)[i].value(), &out[i]);
  return out;
}

absl::Status ModelExecutor::Release(SequenceId id) {
  if (held_.erase(id) == 0) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " holds no KV"));
  }
  return blocks_.Free(id);
}

absl::Status ModelExecutor::ReserveKv(SequenceId id, int32_t num_tokens) {
  if (!kv_status_.ok()) return kv_status_;
  if (KnownId(id)) {
    return absl::AlreadyExistsError(absl::StrCat("sequence ", id.value(), " exists"));
  }
  if (num_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat("reserve KV for ", num_tokens, " tokens"));
  }
  if (absl::Status s = blocks_.AddSequence(id); !s.ok()) return s;
  std::vector<BlockCopy> copies;
  if (absl::Status s = blocks_.Append(id, num_tokens, &copies); !s.ok()) {
    (void)blocks_.Free(id);
    return s;
  }
  reserved_[id] = num_tokens;
  return absl::OkStatus();
}

absl::Status ModelExecutor::WriteKv(SequenceId id, int32_t index, absl::string_view data) {
  if (!reserved_.contains(id)) {
    return absl::NotFoundError(absl::StrCat("no KV reservation for sequence ", id.value()));
  }
  const absl::StatusOr<absl::Span<const BlockId>> table = blocks_.BlockTable(id);
  if (!table.ok()) return table.status();
  if (index < 0 || index >= static_cast<int32_t>(table->size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("block ", index, " outside the reservation of ", table->size(), " blocks"));
  }
  return kv_->WriteBlock((*table)[index].value(), data);
}

absl::StatusOr<SequenceOutput> ModelExecutor::StartWithKv(SequenceRequest r, SampledToken first) {
  const int32_t first_token = first.token;
  auto it = reserved_.find(r.id);
  if (it == reserved_.end()) {
    return absl::NotFoundError(absl::StrCat("no KV reservation for sequence ", r.id.value()));
  }
  if (static_cast<int32_t>(r.prompt.size()) != it->second) {
    return absl::InvalidArgumentError(
        absl::StrCat("prompt of ", r.prompt.size(), " tokens, KV reserved for ", it->second));
  }
  if (first_token < 0 || first_token >= model_.config().vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("first token ", first_token, " outside the vocabulary"));
  }
  const SequenceId id = r.id;
  reserved_.erase(it);  // ValidateRequest refuses known ids
  if (absl::Status s = ValidateRequest(r); !s.ok()) {
    reserved_[id] = static_cast<int32_t>(r.prompt.size());
    return s;
  }
  r.hold_kv = false;
  Sequence seq = NewSequence(std::move(r));
  seq.computed = seq.prompt_len;
  // The prompt's full blocks are computed: later prompts may share them.
  sequences_.emplace(id, std::move(seq));
  CacheComputedBlocks(id, sequences_.at(id));
  return Emit(id, std::move(first));
}

ModelExecutor::PrefixProbe ModelExecutor::ProbePrefix(absl::Span<const int32_t> prompt,
                                                      absl::string_view cache_salt) const {
  PrefixProbe probe;
  if (!prefix_caching_ || prompt.empty()) return probe;
  const int32_t block_size = blocks_.block_size();
  probe.hashes = HashFullBlocks(RootBlockHash(model_id_, cache_salt), prompt, block_size);
  probe.hashes.resize(
      std::min(probe.hashes.size(), static_cast<size_t>((prompt.size() - 1) / block_size)));
  while (probe.cached_locally < static_cast<int32_t>(probe.hashes.size()) &&
         blocks_.IsCached(probe.hashes[probe.cached_locally])) {
    ++probe.cached_locally;
  }
  return probe;
}

absl::StatusOr<int32_t> ModelExecutor::ImportPrefix(absl::Span<const BlockHash> hashes,
                                                    absl::Span<const std::string> blocks) {
  if (!kv_status_.ok()) return kv_status_;
  if (hashes.size() != blocks.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(hashes.size(), " hashes for ", blocks.size(), " blocks"));
  }
  for (const std::string& b : blocks) {
    if (static_cast<int64_t>(b.size()) != kv_->BlockBytes()) {
      return absl::InvalidArgumentError(
          absl::StrCat("block of ", b.size(), " bytes, expected ", kv_->BlockBytes()));
    }
  }
  int32_t imported = 0;
  for (size_t i = 0; i < hashes.size(); ++i) {
    absl::StatusOr<std::pair<BlockId, bool>> block = blocks_.AddCachedBlock(hashes[i]);
    if (!block.ok()) break;  // the pool is full: compute the rest
    if (block->second) WEFT_CHECK(kv_->WriteBlock(block->first.value(), blocks[i]).ok());
    ++imported;
  }
  return imported;
}

absl::Status ModelExecutor::Fork(SequenceId parent, SequenceId child,
                                 const SamplingOptions& sampling) {
  auto it = sequences_.find(parent);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", parent.value(), " unknown"));
  }
  if (KnownId(child)) {
    return absl::AlreadyExistsError(absl::StrCat("sequence ", child.value(), " exists"));
  }
  if (absl::Status s = ValidateSamplingOptions(sampling); !s.ok()) return s;
  if (absl::Status s = blocks_.Fork(parent, child); !s.ok()) return s;
  const Sequence& from = it->second;
  Sequence seq{.tokens = from.tokens,
               .prompt_len = from.prompt_len,
               .computed = from.computed,
               .sampler = std::make_unique<Sampler>(sampling),
               .stop = from.stop,
               .emitted_text = from.emitted_text,
               .cached_prompt_tokens = from.cached_prompt_tokens,
               .root = from.root,
               .block_hashes = from.block_hashes,
               .registered = from.registered,
               .hold_kv = from.hold_kv};
  if (from.decoder != nullptr) {
    seq.decoder = std::make_unique<tokenizer::IncrementalDecoder>(*from.decoder);
  }
  sequences_.emplace(child, std::move(seq));
  return absl::OkStatus();
}

void ModelExecutor::CacheComputedBlocks(SequenceId id, Sequence& seq) {
  if (!prefix_caching_) return;
  const int32_t block_size = blocks_.block_size();
  while (seq.registered < seq.computed / block_size) {
    const size_t index = static_cast<size_t>(seq.registered);
    if (index == seq.block_hashes.size()) {  // a block of generated tokens
      const BlockHash& parent = index == 0 ? seq.root : seq.block_hashes.back();
      seq.block_hashes.push_back(ChainBlockHash(
          parent, absl::Span<const int32_t>(seq.tokens).subspan(index * block_size, block_size)));
    }
    // False when another sequence cached the same content first: fine.
    (void)blocks_.CacheBlock(id, seq.registered, seq.block_hashes[index]);
    ++seq.registered;
  }
}

absl::StatusOr<int32_t> ModelExecutor::PendingTokens(SequenceId id) const {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  return static_cast<int32_t>(it->second.tokens.size()) - it->second.computed;
}

bool ModelExecutor::HasGenerated(SequenceId id) const {
  auto it = sequences_.find(id);
  return it != sequences_.end() &&
         static_cast<int32_t>(it->second.tokens.size()) > it->second.prompt_len;
}

int32_t ModelExecutor::BlocksNeeded(SequenceId id, int32_t n) const {
  const absl::StatusOr<int32_t> needed = blocks_.BlocksNeeded(id, n);
  return needed.ok() ? *needed : 0;
}

absl::Status ModelExecutor::ValidatePlan(const StepPlan& plan) const {
  absl::flat_hash_set<SequenceId> seen;
  int32_t blocks_needed = 0;
  for (const ScheduledChunk& c : plan.chunks) {
    if (!seen.insert(c.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequence ", c.id.value(), " scheduled twice in one step"));
    }
    absl::StatusOr<int32_t> pending = PendingTokens(c.id);
    if (!pending.ok()) return pending.status();
    if (c.num_tokens < 1 || c.num_tokens > *pending) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", c.id.value(), ": ", c.num_tokens,
                                                     " tokens scheduled, ", *pending, " pending"));
    }
    absl::StatusOr<int32_t> needed = blocks_.BlocksNeeded(c.id, c.num_tokens);
    if (!needed.ok()) return needed.status();
    blocks_needed += *needed;
  }
  if (blocks_needed > blocks_.num_free_blocks()) {
    return absl::ResourceExhaustedError(absl::StrCat("step needs ", blocks_needed, " KV blocks, ",
                                                     blocks_.num_free_blocks(), " free"));
  }
  return absl::OkStatus();
}

absl::StatusOr<StepResult> ModelExecutor::Step(const StepPlan& plan) {
  if (absl::Status s = ValidatePlan(plan); !s.ok()) return s;
  ForwardBatch batch;
  std::vector<std::vector<int32_t>> tables;
  std::vector<SequenceId> sampled;  // in logit order
  const int32_t block_size = blocks_.block_size();
  for (const ScheduledChunk& c : plan.chunks) {
    Sequence& seq = sequences_.at(c.id);
    std::vector<BlockCopy> copies;
    if (absl::Status s = blocks_.Append(c.id, c.num_tokens, &copies); !s.ok()) return s;
    for (const BlockCopy& copy : copies) kv_->CopyBlock(copy.src.value(), copy.dst.value());
    std::vector<int32_t> row;
    // Keep the StatusOr alive: the span lives inside it.
    const absl::StatusOr<absl::Span<const BlockId>> table = blocks_.BlockTable(c.id);
    for (BlockId b : *table) row.push_back(b.value());
    const int32_t index = static_cast<int32_t>(tables.size());
    for (int32_t pos = seq.computed; pos < seq.computed + c.num_tokens; ++pos) {
      batch.token_ids.push_back(seq.tokens[pos]);
      batch.positions.push_back(pos);
      batch.sequence_of_token.push_back(index);
      batch.slots.push_back(int64_t{row[pos / block_size]} * block_size + pos % block_size);
      batch.context_len.push_back(pos + 1);
    }
    batch.max_blocks_per_sequence =
        std::max(batch.max_blocks_per_sequence, static_cast<int32_t>(row.size()));
    tables.push_back(std::move(row));
    seq.computed += c.num_tokens;
    if (seq.computed == static_cast<int32_t>(seq.tokens.size())) {
      batch.logit_indices.push_back(static_cast<int32_t>(batch.token_ids.size()) - 1);
      sampled.push_back(c.id);
    }
  }
  for (std::vector<int32_t>& row : tables) {
    row.resize(batch.max_blocks_per_sequence, -1);
    batch.block_tables.insert(batch.block_tables.end(), row.begin(), row.end());
  }
  std::vector<CausalLm::SampleRow> rows;
  for (SequenceId id : sampled) {
    const Sequence& seq = sequences_.at(id);
    rows.push_back({.options = &seq.sampler->options(),
                    .seed = seq.sampler->seed(),
                    .prompt = absl::Span<const int32_t>(seq.tokens.data(), seq.prompt_len),
                    .output = absl::Span<const int32_t>(seq.tokens.data() + seq.prompt_len,
                                                        seq.tokens.size() - seq.prompt_len)});
  }
  std::vector<SampledToken> tokens;
  if (absl::Status s = model_.ForwardAndSample(batch, *kv_, rows, &tokens); !s.ok()) {
    // The plan was validated, so this is a bug; the scheduled sequences'
    // state is no longer trustworthy: drop them and release their blocks.
    for (const ScheduledChunk& c : plan.chunks) (void)Abort(c.id);
    return absl::InternalError(
        absl::StrCat("forward failed, scheduled sequences aborted: ", s.message()));
  }

  for (const ScheduledChunk& c : plan.chunks) CacheComputedBlocks(c.id, sequences_.at(c.id));

  StepResult result;
  for (size_t i = 0; i < sampled.size(); ++i) {
    result.outputs.push_back(Emit(sampled[i], std::move(tokens[i])));
  }
  return result;
}

absl::Status ModelExecutor::Abort(SequenceId id) {
  if (sequences_.erase(id) == 0 && held_.erase(id) == 0 && reserved_.erase(id) == 0) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  return blocks_.Free(id);
}

}  // namespace weft::engine
