#include "common/engine/verify/paged_runner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/engine/model/decoder_model.h"
#include "common/engine/model/forward_batch.h"
#include "common/status/status_macros.h"

namespace weft::engine {

absl::StatusOr<std::unique_ptr<PagedRunner>> PagedRunner::Create(const CausalLm& model,
                                                                 int32_t num_blocks,
                                                                 int32_t block_size) {
  if (num_blocks < 0 || block_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("paged runner: ", num_blocks,
                                                   " blocks of block size ", block_size,
                                                   " (need blocks >= 0, block size > 0)"));
  }
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<KvMemory> kv, model.CreateKvMemory(num_blocks, block_size));
  return std::unique_ptr<PagedRunner>(
      new PagedRunner(model, num_blocks, block_size, std::move(kv)));
}

int32_t PagedRunner::BlocksFor(int64_t num_tokens, int32_t block_size) {
  return static_cast<int32_t>((num_tokens + block_size - 1) / block_size);
}

PagedRunner::PagedRunner(const CausalLm& model, int32_t num_blocks, int32_t block_size,
                         std::unique_ptr<KvMemory> kv)
    : model_(model), block_size_(block_size), blocks_(num_blocks, block_size), kv_(std::move(kv)) {}

absl::StatusOr<std::vector<float>> PagedRunner::Extend(SequenceId seq,
                                                       absl::Span<const int32_t> tokens,
                                                       float* routing_margin) {
  if (tokens.empty()) return absl::InvalidArgumentError("paged runner: no tokens to run");
  const auto* reference = dynamic_cast<const DecoderModel*>(&model_);
  if (routing_margin != nullptr && reference == nullptr) {
    return absl::FailedPreconditionError(
        "paged runner: routing margins come only from the CPU backend's model");
  }
  if (!blocks_.NumTokens(seq).ok()) WEFT_RETURN_IF_ERROR(blocks_.AddSequence(seq));
  WEFT_ASSIGN_OR_RETURN(const int32_t start, blocks_.NumTokens(seq));
  std::vector<BlockCopy> copies;
  WEFT_RETURN_IF_ERROR(blocks_.Append(seq, static_cast<int32_t>(tokens.size()), &copies));
  for (const BlockCopy& copy : copies) kv_->CopyBlock(copy.src.value(), copy.dst.value());

  const absl::StatusOr<absl::Span<const BlockId>> table = blocks_.BlockTable(seq);
  WEFT_RETURN_IF_ERROR(table.status());
  ForwardBatch batch;
  batch.max_blocks_per_sequence = static_cast<int32_t>(table->size());
  for (const BlockId block : *table) batch.block_tables.push_back(block.value());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int32_t pos = start + static_cast<int32_t>(i);
    batch.token_ids.push_back(tokens[i]);
    batch.positions.push_back(pos);
    batch.sequence_of_token.push_back(0);
    batch.slots.push_back(int64_t{(*table)[pos / block_size_].value()} * block_size_ +
                          pos % block_size_);
    batch.context_len.push_back(pos + 1);
  }
  batch.logit_indices.push_back(static_cast<int32_t>(tokens.size()) - 1);

  std::vector<float> logits;
  if (routing_margin != nullptr) {
    std::vector<float> margins;
    WEFT_RETURN_IF_ERROR(reference->ForwardWithRoutingMargins(batch, *kv_, &logits, &margins));
    *routing_margin = *std::min_element(margins.begin(), margins.end());
  } else {
    WEFT_RETURN_IF_ERROR(model_.Forward(batch, *kv_, &logits));
  }
  const int64_t vocab = model_.config().vocab_size;
  if (static_cast<int64_t>(logits.size()) != vocab) {
    return absl::InternalError(absl::StrCat("paged runner: the model returned ", logits.size(),
                                            " logits, expected vocab_size ", vocab));
  }
  return logits;
}

absl::Status PagedRunner::Free(SequenceId seq) { return blocks_.Free(seq); }

}  // namespace weft::engine
