#include "common/tokenizer/utf8.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace weft::tokenizer {

Utf8Scan ScanUtf8(absl::string_view bytes, size_t pos, char32_t* code_point, size_t* length) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  const uint8_t b0 = byte(pos);
  if (b0 < 0x80) {
    *code_point = b0;
    *length = 1;
    return Utf8Scan::kComplete;
  }
  size_t need;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  char32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *length = 1;
    return Utf8Scan::kInvalid;
  }
  size_t i = 1;
  for (; i < need; ++i) {
    if (pos + i >= bytes.size()) {
      *length = i;
      return Utf8Scan::kTruncated;
    }
    const uint8_t b = byte(pos + i);
    // Only the second byte has a restricted range; later ones are 80..BF.
    const uint8_t min = i == 1 ? lo : 0x80;
    const uint8_t max = i == 1 ? hi : 0xBF;
    if (b < min || b > max) {
      *length = i;
      return Utf8Scan::kInvalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *code_point = cp;
  *length = need;
  return Utf8Scan::kComplete;
}

absl::Status ValidateUtf8(absl::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    char32_t cp;
    size_t len;
    if (ScanUtf8(bytes, pos, &cp, &len) != Utf8Scan::kComplete) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid UTF-8 at byte offset ", pos, " of ", bytes.size()));
    }
    pos += len;
  }
  return absl::OkStatus();
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string Utf8Lossy(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    char32_t cp;
    size_t len;
    if (ScanUtf8(bytes, pos, &cp, &len) == Utf8Scan::kComplete) {
      out.append(bytes.data() + pos, len);
    } else {
      out.append(kReplacementChar.data(), kReplacementChar.size());
    }
    pos += len;
  }
  return out;
}

}  // namespace weft::tokenizer
