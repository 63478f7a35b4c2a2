#include "common/tokenizer/unicode_props.h"

#include "gtest/gtest.h"

namespace weft::tokenizer {
namespace {

TEST(UnicodePropsTest, Letters) {
  for (char32_t c : {U'a', U'Z', U'\u00e9', U'\u00df', U'\u03a9', U'\u65e5', U'\u30c6', U'\u017f',
                     U'\U00020000'}) {
    EXPECT_TRUE(IsLetter(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'0', U' ', U'_', U'\'', U'\u0301', U'\u00b2', U'\U0001F642', U'\u200d'}) {
    EXPECT_FALSE(IsLetter(c)) << static_cast<uint32_t>(c);
  }
}

TEST(UnicodePropsTest, Numbers) {
  for (char32_t c : {U'0', U'9', U'\u00b2', U'\u00bd', U'\u0663', U'\u2167', U'\U0001D7CE'}) {
    EXPECT_TRUE(IsNumber(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'a', U' ', U'.', U'\u65e5'}) {
    EXPECT_FALSE(IsNumber(c)) << static_cast<uint32_t>(c);
  }
}

TEST(UnicodePropsTest, WhiteSpace) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\v', U'\f', U'\r', U'\u0085', U'\u00a0', U'\u1680',
                     U'\u2000', U'\u200a', U'\u2028', U'\u2029', U'\u202f', U'\u205f', U'\u3000'}) {
    EXPECT_TRUE(IsWhiteSpace(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'a', U'\x1c', U'\x1f', U'\u200b', U'\u180e', U'\ufeff', U'\u0000'}) {
    EXPECT_FALSE(IsWhiteSpace(c)) << static_cast<uint32_t>(c);
  }
}

TEST(UnicodePropsTest, WordChars) {
  for (char32_t c : {U'a', U'0', U'_', U'\u00e9', U'\u0301', U'\u0663', U'\u200d', U'\u24b6'}) {
    EXPECT_TRUE(IsWordChar(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U' ', U'-', U'\u00b2', U'\U0001F642'}) {
    EXPECT_FALSE(IsWordChar(c)) << static_cast<uint32_t>(c);
  }
}

}  // namespace
}  // namespace weft::tokenizer
