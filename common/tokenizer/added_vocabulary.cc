#include "common/tokenizer/added_vocabulary.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/tokenizer/unicode_props.h"
#include "common/tokenizer/utf8.h"

namespace weft::tokenizer {
namespace {

bool IsContinuationByte(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }

// The code point that ends text[0, end) (end > 0) and where it starts.
char32_t LastCodePoint(absl::string_view text, size_t end, size_t* start) {
  size_t s = end - 1;
  while (s > 0 && end - s < 4 && IsContinuationByte(text[s])) --s;
  char32_t cp;
  size_t len;
  if (ScanUtf8(text, s, &cp, &len) != Utf8Scan::kComplete || s + len != end) {
    *start = end - 1;
    return 0xFFFD;
  }
  *start = s;
  return cp;
}

char32_t FirstCodePoint(absl::string_view text, size_t pos, size_t* length) {
  char32_t cp;
  if (ScanUtf8(text, pos, &cp, length) != Utf8Scan::kComplete) return 0xFFFD;
  return cp;
}

// \w$ on text[0, end).
bool EndsWithWord(absl::string_view text, size_t end) {
  if (end == 0) return false;
  size_t start;
  return IsWordChar(LastCodePoint(text, end, &start));
}

// ^\w on text[pos, ...).
bool StartsWithWord(absl::string_view text, size_t pos) {
  if (pos >= text.size()) return false;
  size_t len;
  return IsWordChar(FirstCodePoint(text, pos, &len));
}

// Start of \s*$ in text[0, end).
size_t SpaceLeftmostAtEnd(absl::string_view text, size_t end) {
  while (end > 0) {
    size_t start;
    if (!IsWhiteSpace(LastCodePoint(text, end, &start))) break;
    end = start;
  }
  return end;
}

// End of ^\s* in text[pos, ...).
size_t SpaceRightmostAtStart(absl::string_view text, size_t pos) {
  while (pos < text.size()) {
    size_t len;
    if (!IsWhiteSpace(FirstCodePoint(text, pos, &len))) break;
    pos += len;
  }
  return pos;
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens,
                                 std::string (*normalize)(absl::string_view))
    : tokens_(std::move(tokens)) {
  for (int i = 0; i < static_cast<int>(tokens_.size()); ++i) {
    const AddedToken& t = tokens_[i];
    match_.push_back(t.normalized && normalize != nullptr ? normalize(t.content) : t.content);
    if (match_[i].empty()) continue;
    Matcher& m = t.normalized ? normalized_ : non_normalized_;
    m.by_first_byte[static_cast<uint8_t>(match_[i][0])].push_back(i);
    m.empty = false;
  }
  for (Matcher* m : {&normalized_, &non_normalized_}) {
    for (auto& bucket : m->by_first_byte) {
      // Longest first; among equal lengths the first declared wins.
      std::stable_sort(bucket.begin(), bucket.end(),
                       [this](int a, int b) { return match_[a].size() > match_[b].size(); });
    }
  }
}

void AddedVocabulary::FindMatches(const Matcher& matcher, absl::string_view text,
                                  std::vector<Segment>* out) const {
  if (matcher.empty) {
    if (!text.empty()) out->push_back(Segment{text, -1});
    return;
  }
  size_t start_offset = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // Leftmost-longest: the longest token that starts at the first position
    // where any does.
    const AddedToken* match = nullptr;
    size_t match_size = 0;
    for (const int index : matcher.by_first_byte[static_cast<uint8_t>(text[pos])]) {
      const std::string& m = match_[index];
      if (m.size() <= text.size() - pos &&
          std::memcmp(text.data() + pos, m.data(), m.size()) == 0) {
        match = &tokens_[index];
        match_size = m.size();
        break;
      }
    }
    if (match == nullptr) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t stop = pos + match_size;
    pos = stop;  // The next match is searched after this one, taken or not.
    if (match->single_word) {
      const bool start_space = start == 0 || !EndsWithWord(text, start);
      const bool stop_space = stop == text.size() || !StartsWithWord(text, stop);
      if (!start_space || !stop_space) continue;
    }
    if (match->lstrip) start = std::max(SpaceLeftmostAtEnd(text, start), start_offset);
    if (match->rstrip) stop = SpaceRightmostAtStart(text, stop);
    if (start_offset < start) {
      out->push_back(Segment{text.substr(start_offset, start - start_offset), -1});
    }
    out->push_back(Segment{text.substr(start, stop - start), match->id});
    // As tokenizers does, the next match is searched right after this one's
    // content even if rstrip swallowed more (only matters for tokens that
    // start with a space).
    start_offset = stop;
  }
  if (start_offset < text.size()) {
    out->push_back(Segment{text.substr(start_offset), -1});
  }
}

void AddedVocabulary::SplitPass(absl::string_view text, bool normalized_tokens,
                                std::vector<Segment>* out) const {
  FindMatches(normalized_tokens ? normalized_ : non_normalized_, text, out);
}

void AddedVocabulary::Split(absl::string_view text, std::vector<Segment>* out) const {
  if (normalized_.empty) {
    FindMatches(non_normalized_, text, out);
    return;
  }
  std::vector<Segment> first;
  FindMatches(non_normalized_, text, &first);
  for (const Segment& s : first) {
    if (s.id >= 0) {
      out->push_back(s);
    } else {
      FindMatches(normalized_, s.text, out);
    }
  }
}

}  // namespace weft::tokenizer
