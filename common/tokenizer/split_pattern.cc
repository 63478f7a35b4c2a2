#include "common/tokenizer/split_pattern.h"

#include <cstddef>

#include "common/tokenizer/unicode_props.h"
#include "common/tokenizer/utf8.h"

namespace weft::tokenizer {
namespace {

constexpr absl::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr absl::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr absl::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Code points of the text with their byte offsets (offsets has one more entry).
struct Decoded {
  std::vector<char32_t> cps;
  std::vector<size_t> offsets;
};

void Decode(absl::string_view text, Decoded* d) {
  d->cps.clear();
  d->offsets.clear();
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp;
    size_t len;
    if (ScanUtf8(text, pos, &cp, &len) != Utf8Scan::kComplete) {
      cp = 0xFFFD;  // Neither a letter, a number nor a space.
    }
    d->cps.push_back(cp);
    d->offsets.push_back(pos);
    pos += len;
  }
  d->offsets.push_back(text.size());
}

bool IsNewline(char32_t c) { return c == '\r' || c == '\n'; }

// [^\s\p{L}\p{N}]
bool IsOther(char32_t c) { return !IsWhiteSpace(c) && !IsLetter(c) && !IsNumber(c); }

// Simple case folding for the letters of the contractions: only 's' has a
// non-ASCII fold partner (U+017F LATIN SMALL LETTER LONG S).
char32_t FoldContractionLetter(char32_t c, bool ignore_case) {
  if (!ignore_case) return c;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 'a';
  if (c == 0x017F) return 's';
  return c;
}

// 's|'t|'re|'ve|'m|'ll|'d at i: the end of the match, or 0.
size_t MatchContraction(const std::vector<char32_t>& cps, size_t i, bool ignore_case) {
  const size_t n = cps.size();
  if (cps[i] != '\'' || i + 1 >= n) return 0;
  const char32_t a = FoldContractionLetter(cps[i + 1], ignore_case);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
  if (i + 2 >= n) return 0;
  const char32_t b = FoldContractionLetter(cps[i + 2], ignore_case);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
  return 0;
}

// \s+(?!\S)|\s+ at i, where cps[i] is a space.
size_t MatchTrailingSpace(const std::vector<char32_t>& cps, size_t i) {
  size_t j = i;
  while (j < cps.size() && IsWhiteSpace(cps[j])) ++j;
  if (j == cps.size()) return j;  // (?!\S) holds at the end.
  // Followed by a non-space: \s+(?!\S) backs off one space if it can.
  if (j - 1 > i) return j - 1;
  return j;  // \s+
}

size_t MatchGpt2(const std::vector<char32_t>& cps, size_t i) {
  const size_t n = cps.size();
  if (size_t end = MatchContraction(cps, i, /*ignore_case=*/false)) return end;
  const char32_t c = cps[i];
  // Start of the class run after an optional leading ' '.
  const size_t s = (c == ' ' && i + 1 < n) ? i + 1 : i;
  // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': the optional space is taken
  // only if the class matches after it; without it the class would have to
  // match ' ', which only [^\s...] could and it does not.
  for (bool (*pred)(char32_t) : {&IsLetter, &IsNumber, &IsOther}) {
    size_t start = i;
    if (pred(c)) {
      start = i;
    } else if (s != i && pred(cps[s])) {
      start = s;
    } else {
      continue;
    }
    size_t j = start;
    while (j < n && pred(cps[j])) ++j;
    return j;
  }
  // Every character is a letter, number, other or space.
  return MatchTrailingSpace(cps, i);
}

size_t MatchQwen(const std::vector<char32_t>& cps, size_t i, size_t max_digits) {
  const size_t n = cps.size();
  if (size_t end = MatchContraction(cps, i, /*ignore_case=*/true)) return end;
  const char32_t c = cps[i];
  // [^\r\n\p{L}\p{N}]?\p{L}+
  {
    size_t start = n;
    if (IsLetter(c)) {
      start = i;
    } else if (!IsNewline(c) && !IsNumber(c) && i + 1 < n && IsLetter(cps[i + 1])) {
      start = i + 1;
    }
    if (start < n) {
      size_t j = start;
      while (j < n && IsLetter(cps[j])) ++j;
      return j;
    }
  }
  // \p{N} or \p{N}{1,3}
  if (IsNumber(c)) {
    size_t j = i;
    while (j < n && j - i < max_digits && IsNumber(cps[j])) ++j;
    return j;
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  {
    size_t start = n;
    if (IsOther(c)) {
      start = i;
    } else if (c == ' ' && i + 1 < n && IsOther(cps[i + 1])) {
      start = i + 1;
    }
    if (start < n) {
      size_t j = start;
      while (j < n && IsOther(cps[j])) ++j;
      while (j < n && IsNewline(cps[j])) ++j;
      return j;
    }
  }
  // c is a space. \s*[\r\n]+: the run of spaces up to and including its last
  // newline, if it has one.
  size_t j = i;
  size_t last_newline = n;
  while (j < n && IsWhiteSpace(cps[j])) {
    if (IsNewline(cps[j])) last_newline = j;
    ++j;
  }
  if (last_newline < n) return last_newline + 1;
  return MatchTrailingSpace(cps, i);
}

}  // namespace

absl::string_view SplitPatternRegex(SplitPattern pattern) {
  switch (pattern) {
    case SplitPattern::kGpt2:
      return kGpt2Regex;
    case SplitPattern::kQwen2:
      return kQwen2Regex;
    case SplitPattern::kLlama3:
      return kLlama3Regex;
  }
  return "";
}

std::optional<SplitPattern> RecognizeSplitPattern(absl::string_view regex) {
  for (SplitPattern p : {SplitPattern::kGpt2, SplitPattern::kQwen2, SplitPattern::kLlama3}) {
    if (regex == SplitPatternRegex(p)) return p;
  }
  return std::nullopt;
}

void SplitWithPattern(SplitPattern pattern, absl::string_view text,
                      std::vector<absl::string_view>* pieces) {
  if (text.empty()) return;
  thread_local Decoded d;
  Decode(text, &d);
  const size_t n = d.cps.size();
  size_t i = 0;
  while (i < n) {
    size_t end;
    switch (pattern) {
      case SplitPattern::kGpt2:
        end = MatchGpt2(d.cps, i);
        break;
      case SplitPattern::kQwen2:
        end = MatchQwen(d.cps, i, 1);
        break;
      case SplitPattern::kLlama3:
      default:
        end = MatchQwen(d.cps, i, 3);
        break;
    }
    if (end <= i) end = i + 1;  // Defensive: the patterns match every character.
    pieces->push_back(text.substr(d.offsets[i], d.offsets[end] - d.offsets[i]));
    i = end;
  }
}

}  // namespace weft::tokenizer
