// The BPE model of a Hugging Face tokenizer.json ("model": {"type": "BPE"}):
// turns one pre-tokenized word into token ids by applying merges in rank
// order, exactly as tokenizers' `Word::merge_all` does (a min-heap on
// (rank, position)).
//
// Thread-safety: immutable after Create() except for the word cache, which is
// guarded by a mutex; every method may be called concurrently.
#ifndef WEFT_COMMON_TOKENIZER_BPE_MODEL_H_
#define WEFT_COMMON_TOKENIZER_BPE_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/base/mutex.h"

namespace weft::tokenizer {

class BpeModel {
 public:
  struct Options {
    // Characters missing from the vocabulary become their "<0xXX>" byte
    // tokens (when all of them exist); otherwise such characters are dropped,
    // as tokenizers does without an unk_token.
    bool byte_fallback = false;
    // A word that is itself in the vocabulary is one token, merges unused.
    bool ignore_merges = false;
    // Id of the unk_token, used for characters that neither the vocabulary
    // nor byte fallback covers; -1 for none. fuse_unk makes a run of them one.
    int32_t unk_id = -1;
    bool fuse_unk = false;
    // Words of at most this many bytes are cached, up to cache_capacity of
    // them (0 disables the cache).
    size_t cache_max_word_bytes = 256;
    size_t cache_capacity = 10000;
  };

  // `vocab` maps token strings to ids (>= 0, distinct). `merges` are pairs of
  // tokens in rank order; both tokens and their concatenation must be in the
  // vocabulary. Errors: InvalidArgument naming the offending merge (by index)
  // or token.
  static absl::StatusOr<std::unique_ptr<BpeModel>> Create(
      absl::flat_hash_map<std::string, int32_t> vocab,
      const std::vector<std::pair<std::string, std::string>>& merges, const Options& options);

  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids for `word` (UTF-8; for byte-level tokenizers, already
  // mapped to the byte-level alphabet) to `ids`. An empty word adds nothing.
  void Tokenize(absl::string_view word, std::vector<int32_t>* ids) const;

  const absl::flat_hash_map<std::string, int32_t>& vocab() const { return vocab_; }
  std::optional<int32_t> TokenToId(absl::string_view token) const;

 private:
  struct MergeTarget {
    int32_t rank;
    int32_t new_id;
  };

  BpeModel(absl::flat_hash_map<std::string, int32_t> vocab, const Options& options);

  void MergeWord(absl::string_view word, std::vector<int32_t>* ids) const;

  static uint64_t PairKey(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  const absl::flat_hash_map<std::string, int32_t> vocab_;
  absl::flat_hash_map<uint64_t, MergeTarget> merges_;
  // Ids of the "<0xXX>" tokens, -1 where absent (byte_fallback only).
  int32_t byte_tokens_[256];
  const Options options_;

  mutable Mutex cache_mu_;
  mutable absl::flat_hash_map<std::string, std::vector<int32_t>> cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_BPE_MODEL_H_
