// The GPT-2 byte-level alphabet (`bytes_to_unicode` in openai/gpt-2 and
// Hugging Face tokenizers): every byte maps to one printable code point, so
// that byte-level BPE vocabularies are made of valid Unicode strings. Pure
// functions over static tables; thread-safe.
#ifndef WEFT_COMMON_TOKENIZER_BYTE_LEVEL_H_
#define WEFT_COMMON_TOKENIZER_BYTE_LEVEL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace weft::tokenizer {

// The code point that stands for `byte`: printable Latin-1 bytes ('!'..'~',
// U+00A1..U+00AC, U+00AE..U+00FF) map to themselves, the other 68 bytes to
// U+0100.. in byte order (so ' ' is U+0120 'Ġ', '\n' is U+010A 'Ċ').
char32_t ByteToChar(uint8_t byte);

// Appends the byte-level form of every byte of `bytes` to `out` (UTF-8).
void AppendByteLevel(absl::string_view bytes, std::string* out);

// The ByteLevel decoder for one token: if every character of `token` (UTF-8)
// is in the byte-level alphabet, appends the bytes they stand for and returns
// true; otherwise appends nothing and returns false (Hugging Face then uses
// the token's own UTF-8 bytes, as Tokenizer does).
bool AppendBytesFromByteLevel(absl::string_view token, std::string* out);

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_BYTE_LEVEL_H_
