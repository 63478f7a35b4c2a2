// UTF-8 scanning, validation, encoding and lossy decoding. Pure functions;
// thread-safe.
#ifndef WEFT_COMMON_TOKENIZER_UTF8_H_
#define WEFT_COMMON_TOKENIZER_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::tokenizer {

// U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded.
inline constexpr absl::string_view kReplacementChar = "\xEF\xBF\xBD";

enum class Utf8Scan {
  kComplete,   // A well-formed sequence of *length bytes encoding *code_point.
  kTruncated,  // The input ends inside a sequence whose *length bytes so far are
               // a valid prefix: more bytes may complete it.
  kInvalid,    // An ill-formed maximal subpart of *length (>= 1) bytes, which a
               // lossy decoder replaces with one U+FFFD.
};

// Scans the sequence starting at bytes[pos] (pos < bytes.size()) per the
// Unicode "maximal subpart" rules (no overlongs, no surrogates, <= U+10FFFF),
// which Rust's from_utf8_lossy and Python's errors="replace" follow.
Utf8Scan ScanUtf8(absl::string_view bytes, size_t pos, char32_t* code_point, size_t* length);

// OK if `bytes` is well-formed UTF-8, else InvalidArgument naming the byte
// offset of the first ill-formed sequence.
absl::Status ValidateUtf8(absl::string_view bytes);

// Appends the UTF-8 encoding of `code_point` (must be a scalar value).
void AppendUtf8(char32_t code_point, std::string* out);

// Decodes `bytes` replacing every ill-formed maximal subpart (including a
// truncated sequence at the end) with U+FFFD, as Rust's
// String::from_utf8_lossy does.
std::string Utf8Lossy(absl::string_view bytes);

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_UTF8_H_
