#include "common/tokenizer/nfc.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/tokenizer/nfc_table.h"
#include "common/tokenizer/utf8.h"

namespace weft::tokenizer {
namespace {

using internal::kCombiningClasses;
using internal::kCombiningClassesSize;
using internal::kCompositions;
using internal::kCompositionsSize;
using internal::kDecompositionData;
using internal::kDecompositions;
using internal::kDecompositionsSize;

// Hangul syllable arithmetic (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00;
constexpr char32_t kLBase = 0x1100;
constexpr char32_t kVBase = 0x1161;
constexpr char32_t kTBase = 0x11A7;
constexpr int kLCount = 19;
constexpr int kVCount = 21;
constexpr int kTCount = 28;
constexpr int kNCount = kVCount * kTCount;
constexpr int kSCount = kLCount * kNCount;

// Marks ill-formed bytes, which pass through unchanged (above U+10FFFF, so
// they never match a table entry). The low byte is the raw byte.
constexpr char32_t kRawByteTag = 0x200000;

uint8_t CombiningClass(char32_t c) {
  if (c < 0x300) return 0;
  const auto* end = kCombiningClasses + kCombiningClassesSize;
  const auto* it = std::upper_bound(
      kCombiningClasses, end, c,
      [](char32_t v, const internal::CombiningClassRange& r) { return v < r.first; });
  if (it == kCombiningClasses) return 0;
  --it;
  return c <= it->last ? it->combining_class : 0;
}

const internal::Decomposition* FindDecomposition(char32_t c) {
  if (c < 0xC0) return nullptr;
  const auto* end = kDecompositions + kDecompositionsSize;
  const auto* it = std::lower_bound(
      kDecompositions, end, c,
      [](const internal::Decomposition& d, char32_t v) { return d.code_point < v; });
  return it != end && it->code_point == c ? it : nullptr;
}

// The primary composite of (a, b), or 0.
char32_t Compose(char32_t a, char32_t b) {
  // Hangul LV and LVT.
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const auto* end = kCompositions + kCompositionsSize;
  const auto* it =
      std::lower_bound(kCompositions, end, std::make_pair(a, b),
                       [](const internal::Composition& c, const std::pair<char32_t, char32_t>& v) {
                         return std::make_pair(c.first, c.second) < v;
                       });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

// Whether `c` is the second code point of some composition.
bool IsCompositionSecond(char32_t c) {
  static const std::vector<char32_t>* const seconds = [] {
    auto* v = new std::vector<char32_t>;
    for (size_t i = 0; i < kCompositionsSize; ++i) v->push_back(kCompositions[i].second);
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
    return v;
  }();
  if ((c >= kVBase && c < kVBase + kVCount) || (c > kTBase && c < kTBase + kTCount)) return true;
  return std::binary_search(seconds->begin(), seconds->end(), c);
}

void AppendDecomposed(char32_t c, std::vector<char32_t>* out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    const int s = c - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  if (const internal::Decomposition* d = FindDecomposition(c)) {
    out->insert(out->end(), kDecompositionData + d->offset,
                kDecompositionData + d->offset + d->length);
    return;
  }
  out->push_back(c);
}

}  // namespace

bool IsTriviallyNfc(absl::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    char32_t c;
    size_t len;
    if (ScanUtf8(text, pos, &c, &len) == Utf8Scan::kComplete) {
      if ((c >= kSBase && c < kSBase + kSCount) || FindDecomposition(c) != nullptr ||
          CombiningClass(c) != 0 || IsCompositionSecond(c)) {
        return false;
      }
    }
    pos += len;
  }
  return true;
}

std::string NfcNormalize(absl::string_view text) {
  if (IsTriviallyNfc(text)) return std::string(text);
  // 1. Full canonical decomposition.
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t c;
    size_t len;
    if (ScanUtf8(text, pos, &c, &len) == Utf8Scan::kComplete) {
      AppendDecomposed(c, &cps);
    } else {
      for (size_t i = 0; i < len; ++i) {
        cps.push_back(kRawByteTag | static_cast<uint8_t>(text[pos + i]));
      }
    }
    pos += len;
  }
  // 2. Canonical ordering: stable sort of each run of non-starters by class.
  for (size_t i = 0; i < cps.size();) {
    if (CombiningClass(cps[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && CombiningClass(cps[j]) != 0) ++j;
    std::stable_sort(cps.begin() + i, cps.begin() + j,
                     [](char32_t a, char32_t b) { return CombiningClass(a) < CombiningClass(b); });
    i = j;
  }
  // 3. Canonical composition.
  std::vector<char32_t> out;
  out.reserve(cps.size());
  int64_t starter = -1;  // Index in `out` of the last starter.
  for (const char32_t c : cps) {
    const uint8_t cc = CombiningClass(c);
    if (starter >= 0) {
      const bool adjacent = static_cast<int64_t>(out.size()) - 1 == starter;
      // Blocked if a character between the starter and c has class 0 or a
      // class >= c's (after reordering the last one decides).
      const uint8_t last_cc = adjacent ? 0 : CombiningClass(out.back());
      const bool blocked = !adjacent && (last_cc == 0 || last_cc >= cc);
      if (!blocked) {
        if (const char32_t composite = Compose(out[starter], c)) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<int64_t>(out.size());
    out.push_back(c);
  }
  std::string result;
  result.reserve(text.size());
  for (const char32_t c : out) {
    if (c & kRawByteTag) {
      result.push_back(static_cast<char>(c & 0xFF));
    } else {
      AppendUtf8(c, &result);
    }
  }
  return result;
}

}  // namespace weft::tokenizer
