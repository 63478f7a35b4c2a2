// Tests for Python str semantics on UTF-8.
#include "common/chat/py_str.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::chat::py {
namespace {

using ::testing::ElementsAre;

TEST(PyStrTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("a\xC3\xA9\xE4\xBD\xA0\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // Overlong.
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // Surrogate.
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // Beyond U+10FFFF.
  EXPECT_EQ(Length("a\xC3\xA9\xF0\x9F\x98\x80"), 3);
  EXPECT_EQ(Encode(Decode("x\xC3\xA9\xF0\x9F\x98\x80")), "x\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(PyStrTest, StripAndSplit) {
  EXPECT_EQ(Strip(" \t\n a b \xE3\x80\x80", std::nullopt, true, true), "a b");  // U+3000.
  EXPECT_EQ(Strip("xxaxx", std::string("x"), true, false), "axx");
  EXPECT_THAT(Split(" a  b ", std::nullopt, -1), ElementsAre("a", "b"));
  EXPECT_THAT(Split("a,,b", std::string(","), -1), ElementsAre("a", "", "b"));
  EXPECT_THAT(Split("a,b,c", std::string(","), 1), ElementsAre("a", "b,c"));
  EXPECT_THAT(Split("  a b ", std::nullopt, 0), ElementsAre("a b "));
  EXPECT_THAT(RSplit("a,b,c", std::string(","), 1), ElementsAre("a,b", "c"));
  EXPECT_THAT(RSplit(" a b c ", std::nullopt, 1), ElementsAre(" a b", "c"));
  EXPECT_THAT(SplitLines("a\nb\r\nc\rd\n", false), ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(SplitLines("a\nb", true), ElementsAre("a\n", "b"));
}

TEST(PyStrTest, ReplaceAndFind) {
  EXPECT_EQ(Replace("aaa", "a", "b", 2), "bba");
  EXPECT_EQ(Replace("ab", "", "-", -1), "-a-b-");
  EXPECT_EQ(Find("h\xC3\xA9llo", "l", false), 2);
  EXPECT_EQ(Find("hello", "l", true), 3);
  EXPECT_EQ(Find("hello", "z", false), -1);
}

TEST(PyStrTest, Case) {
  EXPECT_EQ(Upper("h\xC3\xA9llo \xD0\xB0"), "H\xC3\x89LLO \xD0\x90");
  EXPECT_EQ(Lower("\xC3\x89"), "\xC3\xA9");
  EXPECT_EQ(PyTitle("it's a dOG"), "It'S A Dog");
  EXPECT_EQ(JinjaTitle("it's a dOG-x (y"), "It's A Dog-X (Y");
  EXPECT_EQ(Capitalize("hELLO"), "Hello");
}

TEST(PyStrTest, Repr) {
  EXPECT_EQ(ReprString("a"), "'a'");
  EXPECT_EQ(ReprString("it's"), "\"it's\"");
  EXPECT_EQ(ReprString("'\""), "'\\'\"'");
  EXPECT_EQ(ReprString("a\nb\\\x01\xC3\xA9\xC2\xA0"), "'a\\nb\\\\\\x01\xC3\xA9\\xa0'");
  EXPECT_EQ(ReprFloat(1.0), "1.0");
  EXPECT_EQ(ReprFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(ReprFloat(1e16), "1e+16");
  EXPECT_EQ(ReprFloat(1e15), "1000000000000000.0");
  EXPECT_EQ(ReprFloat(1e-5), "1e-05");
  EXPECT_EQ(ReprFloat(0.0001), "0.0001");
  EXPECT_EQ(ReprFloat(-0.0), "-0.0");
  EXPECT_EQ(ReprFloat(1.5e300), "1.5e+300");
  EXPECT_EQ(ReprFloat(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(ReprFloat(std::nan("")), "nan");
}

}  // namespace
}  // namespace weft::chat::py
