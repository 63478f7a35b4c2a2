#include "common/tokenizer/utf8.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::tokenizer {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Test, ValidateAcceptsWellFormed) {
  EXPECT_TRUE(ValidateUtf8("").ok());
  EXPECT_TRUE(ValidateUtf8("abc \xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x99\x82").ok());
}

TEST(Utf8Test, ValidateNamesOffset) {
  const absl::Status s = ValidateUtf8("ab\xC3");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("offset 2"));
  EXPECT_FALSE(ValidateUtf8("\xED\xA0\x80").ok());      // Surrogate.
  EXPECT_FALSE(ValidateUtf8("\xC0\xAF").ok());          // Overlong.
  EXPECT_FALSE(ValidateUtf8("\xF4\x90\x80\x80").ok());  // > U+10FFFF.
}

TEST(Utf8Test, AppendUtf8) {
  std::string s;
  for (char32_t c : {U'a', U'\u00e9', U'\u65e5', U'\U0001F642'}) AppendUtf8(c, &s);
  EXPECT_EQ(s, "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x99\x82");
}

// Expected values are what Python's bytes.decode("utf-8", "replace") gives
// (the same as Rust's String::from_utf8_lossy).
TEST(Utf8Test, LossyReplacesMaximalSubparts) {
  EXPECT_EQ(Utf8Lossy("a\x80z"), "a" + kFffd + "z");
  EXPECT_EQ(Utf8Lossy("\xE6\x97"), kFffd);  // Truncated: one.
  EXPECT_EQ(Utf8Lossy("\xE6\x97z"), kFffd + "z");
  EXPECT_EQ(Utf8Lossy("\xF0\x9F\x99"), kFffd);
  EXPECT_EQ(Utf8Lossy("\xC0\xAF"), kFffd + kFffd);              // Overlong lead.
  EXPECT_EQ(Utf8Lossy("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // Surrogate.
  EXPECT_EQ(Utf8Lossy("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(Utf8Lossy("\xE0\xA0"), kFffd);
  EXPECT_EQ(Utf8Lossy("\xE0\x80"), kFffd + kFffd);
  EXPECT_EQ(Utf8Lossy("\xFF\xC3\xA9"), kFffd + "\xC3\xA9");
}

TEST(Utf8Test, ScanReportsTruncation) {
  char32_t cp;
  size_t len;
  EXPECT_EQ(ScanUtf8("\xF0\x9F\x99", 0, &cp, &len), Utf8Scan::kTruncated);
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(ScanUtf8("\xF0\x9F\x99\x82", 0, &cp, &len), Utf8Scan::kComplete);
  EXPECT_EQ(cp, U'\U0001F642');
  EXPECT_EQ(ScanUtf8("\xF0\x20", 0, &cp, &len), Utf8Scan::kInvalid);
  EXPECT_EQ(len, 1u);
}

}  // namespace
}  // namespace weft::tokenizer
