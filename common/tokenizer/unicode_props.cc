#include "common/tokenizer/unicode_props.h"

#include <cstddef>

#include "common/tokenizer/unicode_table.h"

namespace weft::tokenizer {
namespace {

using internal::CodePointRange;

bool InRanges(char32_t c, const CodePointRange* ranges, size_t size) {
  size_t lo = 0;
  size_t hi = size;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (c < ranges[mid].first) {
      hi = mid;
    } else if (c > ranges[mid].last) {
      lo = mid + 1;
    } else {
      return true;
    }
  }
  return false;
}

bool IsAsciiLetter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

bool IsLetter(char32_t c) {
  if (c < 0x80) return IsAsciiLetter(c);
  return InRanges(c, internal::kLetterRanges, internal::kLetterRangesSize);
}

bool IsNumber(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return InRanges(c, internal::kNumberRanges, internal::kNumberRangesSize);
}

bool IsWhiteSpace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) return IsAsciiLetter(c) || (c >= '0' && c <= '9') || c == '_';
  return InRanges(c, internal::kWordRanges, internal::kWordRangesSize);
}

}  // namespace weft::tokenizer
