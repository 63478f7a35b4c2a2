#include "common/tokenizer/bpe_model.h"

#include <queue>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/tokenizer/utf8.h"

namespace weft::tokenizer {

BpeModel::BpeModel(absl::flat_hash_map<std::string, int32_t> vocab, const Options& options)
    : vocab_(std::move(vocab)), options_(options) {
  for (int b = 0; b < 256; ++b) {
    const auto it = vocab_.find(absl::StrFormat("<0x%02X>", b));
    byte_tokens_[b] = it == vocab_.end() ? -1 : it->second;
  }
}

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::Create(
    absl::flat_hash_map<std::string, int32_t> vocab,
    const std::vector<std::pair<std::string, std::string>>& merges, const Options& options) {
  for (const auto& [token, id] : vocab) {
    if (id < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("model.vocab: token \"", token, "\" has negative id ", id));
    }
  }
  auto model = std::unique_ptr<BpeModel>(new BpeModel(std::move(vocab), options));
  model->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    const auto ia = model->vocab_.find(a);
    const auto ib = model->vocab_.find(b);
    const auto merged = model->vocab_.find(absl::StrCat(a, b));
    const char* missing = ia == model->vocab_.end()       ? "first token"
                          : ib == model->vocab_.end()     ? "second token"
                          : merged == model->vocab_.end() ? "merged token"
                                                          : nullptr;
    if (missing != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("model.merges[", rank, "] (\"", a, "\", \"", b,
                                                     "\"): ", missing,
                                                     " is not in the vocabulary"));
    }
    // A repeated pair keeps its last rank, as tokenizers' HashMap collect does.
    model->merges_[PairKey(ia->second, ib->second)] =
        MergeTarget{static_cast<int32_t>(rank), merged->second};
  }
  return model;
}

std::optional<int32_t> BpeModel::TokenToId(absl::string_view token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::Tokenize(absl::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    const auto it = vocab_.find(word);
    if (it != vocab_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  const bool cacheable =
      options_.cache_capacity > 0 && word.size() <= options_.cache_max_word_bytes;
  if (cacheable) {
    ReaderMutexLock lock(&cache_mu_);
    const auto it = cache_.find(word);
    if (it != cache_.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = ids->size();
  MergeWord(word, ids);
  if (cacheable) {
    MutexLock lock(&cache_mu_);
    if (cache_.size() < options_.cache_capacity) {
      cache_.try_emplace(std::string(word), ids->begin() + first, ids->end());
    }
  }
}

void BpeModel::MergeWord(absl::string_view word, std::vector<int32_t>* ids) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    bool alive;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  const auto add = [&symbols](int32_t id) {
    const int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id, index - 1, index + 1, true});
  };
  // A pending run of unknown characters (tokenizers' `unk`).
  bool unk_pending = false;
  const auto flush_unk = [&] {
    if (unk_pending) add(options_.unk_id);
    unk_pending = false;
  };
  size_t pos = 0;
  while (pos < word.size()) {
    char32_t cp;
    size_t len;
    ScanUtf8(word, pos, &cp, &len);
    const absl::string_view ch = word.substr(pos, len);
    pos += len;
    const auto it = vocab_.find(ch);
    if (it != vocab_.end()) {
      flush_unk();
      add(it->second);
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (const char c : ch) all = all && byte_tokens_[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        flush_unk();
        for (const char c : ch) add(byte_tokens_[static_cast<uint8_t>(c)]);
        continue;
      }
    }
    if (options_.unk_id >= 0) {
      if (!options_.fuse_unk) flush_unk();
      unk_pending = true;
    }
    // Without an unk_token, tokenizers drops the character.
  }
  flush_unk();
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto find_merge = [this](int32_t a, int32_t b) -> const MergeTarget* {
    const auto it = merges_.find(PairKey(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const MergeTarget* m = find_merge(symbols[i].id, symbols[i + 1].id)) {
      queue.push(Candidate{m->rank, static_cast<int32_t>(i), m->new_id});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    const int32_t right_pos = left.next;
    Symbol& right = symbols[right_pos];
    // Skip entries made stale by an earlier merge.
    const MergeTarget* current = find_merge(left.id, right.id);
    if (current == nullptr || current->new_id != top.new_id) continue;
    left.id = top.new_id;
    left.next = right.next;
    right.alive = false;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) {
      if (const MergeTarget* m = find_merge(symbols[left.prev].id, left.id)) {
        queue.push(Candidate{m->rank, left.prev, m->new_id});
      }
    }
    if (left.next >= 0) {
      if (const MergeTarget* m = find_merge(left.id, symbols[left.next].id)) {
        queue.push(Candidate{m->rank, top.pos, m->new_id});
      }
    }
  }
  for (const Symbol& s : symbols) {
    if (s.alive) ids->push_back(s.id);
  }
}

}  // namespace weft::tokenizer
