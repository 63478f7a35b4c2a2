#include "common/tokenizer/byte_level.h"

#include <array>

#include "common/tokenizer/utf8.h"

namespace weft::tokenizer {
namespace {

struct Tables {
  std::array<char32_t, 256> byte_to_char;
  // Code points of the alphabet are all below 0x144; -1 means "not mapped".
  std::array<int16_t, 0x144> char_to_byte;
  // UTF-8 encodings of byte_to_char, for fast appends.
  std::array<std::string, 256> byte_to_utf8;
};

const Tables& GetTables() {
  static const Tables* const tables = [] {
    auto* t = new Tables;
    t->char_to_byte.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      t->byte_to_char[b] = printable ? b : 256 + next++;
    }
    for (int b = 0; b < 256; ++b) {
      t->char_to_byte[t->byte_to_char[b]] = static_cast<int16_t>(b);
      AppendUtf8(t->byte_to_char[b], &t->byte_to_utf8[b]);
    }
    return t;
  }();
  return *tables;
}

}  // namespace

char32_t ByteToChar(uint8_t byte) { return GetTables().byte_to_char[byte]; }

void AppendByteLevel(absl::string_view bytes, std::string* out) {
  const Tables& t = GetTables();
  for (const char c : bytes) out->append(t.byte_to_utf8[static_cast<uint8_t>(c)]);
}

bool AppendBytesFromByteLevel(absl::string_view token, std::string* out) {
  const Tables& t = GetTables();
  const size_t original_size = out->size();
  size_t pos = 0;
  while (pos < token.size()) {
    char32_t cp;
    size_t len;
    if (ScanUtf8(token, pos, &cp, &len) != Utf8Scan::kComplete || cp >= t.char_to_byte.size() ||
        t.char_to_byte[cp] < 0) {
      out->resize(original_size);
      return false;
    }
    out->push_back(static_cast<char>(t.char_to_byte[cp]));
    pos += len;
  }
  return true;
}

}  // namespace weft::tokenizer
