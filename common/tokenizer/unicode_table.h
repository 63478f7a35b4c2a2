// Generated Unicode property tables (see gen_unicode_table.py). Internal to
// unicode_props; use the predicates in unicode_props.h instead.
#ifndef WEFT_COMMON_TOKENIZER_UNICODE_TABLE_H_
#define WEFT_COMMON_TOKENIZER_UNICODE_TABLE_H_

#include <cstddef>

namespace weft::tokenizer::internal {

// An inclusive range of code points. Tables are sorted and disjoint.
struct CodePointRange {
  char32_t first;
  char32_t last;
};

extern const CodePointRange kLetterRanges[];  // General category L*.
extern const size_t kLetterRangesSize;
extern const CodePointRange kNumberRanges[];  // General category N*.
extern const size_t kNumberRangesSize;
extern const CodePointRange kWordRanges[];  // Approximately Rust regex `\w`.
extern const size_t kWordRangesSize;

}  // namespace weft::tokenizer::internal

#endif  // WEFT_COMMON_TOKENIZER_UNICODE_TABLE_H_
