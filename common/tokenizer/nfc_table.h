// Generated Unicode normalization tables (see gen_nfc_table.py). Internal to
// the nfc library; use NfcNormalize() in nfc.h instead.
#ifndef WEFT_COMMON_TOKENIZER_NFC_TABLE_H_
#define WEFT_COMMON_TOKENIZER_NFC_TABLE_H_

#include <cstddef>
#include <cstdint>

namespace weft::tokenizer::internal {

struct CombiningClassRange {
  char32_t first;
  char32_t last;
  uint8_t combining_class;
};

struct Decomposition {
  char32_t code_point;
  uint16_t offset;  // Into kDecompositionData.
  uint8_t length;
};

struct Composition {
  char32_t first;
  char32_t second;
  char32_t composite;
};

extern const CombiningClassRange kCombiningClasses[];  // Sorted, disjoint.
extern const size_t kCombiningClassesSize;
extern const char32_t kDecompositionData[];
extern const Decomposition kDecompositions[];  // Sorted by code_point.
extern const size_t kDecompositionsSize;
extern const Composition kCompositions[];  // Sorted by (first, second).
extern const size_t kCompositionsSize;

}  // namespace weft::tokenizer::internal

#endif  // WEFT_COMMON_TOKENIZER_NFC_TABLE_H_
