#include "common/tokenizer/split_pattern.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Split(SplitPattern pattern, absl::string_view text) {
  std::vector<absl::string_view> pieces;
  SplitWithPattern(pattern, text, &pieces);
  return std::vector<std::string>(pieces.begin(), pieces.end());
}

TEST(SplitPatternTest, RecognizesExactPatternsOnly) {
  EXPECT_EQ(RecognizeSplitPattern(SplitPatternRegex(SplitPattern::kGpt2)), SplitPattern::kGpt2);
  EXPECT_EQ(RecognizeSplitPattern(SplitPatternRegex(SplitPattern::kQwen2)), SplitPattern::kQwen2);
  EXPECT_EQ(RecognizeSplitPattern(SplitPatternRegex(SplitPattern::kLlama3)), SplitPattern::kLlama3);
  EXPECT_EQ(RecognizeSplitPattern("\\s+"), std::nullopt);
  EXPECT_EQ(RecognizeSplitPattern(std::string(SplitPatternRegex(SplitPattern::kGpt2)) + " "),
            std::nullopt);
}

// Hand-checked against the regexes.
TEST(SplitPatternTest, Qwen2HandChecked) {
  EXPECT_THAT(Split(SplitPattern::kQwen2, "Hello world's 123 !!\n\n  x"),
              ElementsAre("Hello", " world", "'s", " ", "1", "2", "3", " !!\n\n", " ", " x"));
  EXPECT_THAT(Split(SplitPattern::kQwen2, "I'M fine\r\n\tok"),
              ElementsAre("I", "'M", " fine", "\r\n", "\tok"));
  EXPECT_THAT(Split(SplitPattern::kQwen2, "(x)  = 42;\n"),
              ElementsAre("(x", ")", " ", " =", " ", "4", "2", ";\n"));
  EXPECT_THAT(Split(SplitPattern::kLlama3, "12345 x"), ElementsAre("123", "45", " x"));
}

TEST(SplitPatternTest, Gpt2HandChecked) {
  EXPECT_THAT(Split(SplitPattern::kGpt2, "Hello world's 123 !!\n\n  x"),
              ElementsAre("Hello", " world", "'s", " 123", " !!", "\n\n ", " x"));
  EXPECT_THAT(Split(SplitPattern::kGpt2, "I'M fine\r\n\tok"),
              ElementsAre("I", "'", "M", " fine", "\r\n", "\t", "ok"));
  EXPECT_THAT(Split(SplitPattern::kGpt2, "trailing   "), ElementsAre("trailing", "   "));
  EXPECT_THAT(Split(SplitPattern::kGpt2, ""), ElementsAre());
}

// testdata/split_golden.json: hand-picked and random strings split by the
// real regexes (Python's `regex` module; see gen_split_golden.py).
TEST(SplitPatternTest, MatchesRegexGolden) {
  std::ifstream in("common/tokenizer/testdata/split_golden.json");
  ASSERT_TRUE(in) << "missing golden file";
  std::stringstream buffer;
  buffer << in.rdbuf();
  const nlohmann::json golden = nlohmann::json::parse(buffer.str(), nullptr, false);
  ASSERT_FALSE(golden.is_discarded());
  const std::pair<const char*, SplitPattern> patterns[] = {
      {"gpt2", SplitPattern::kGpt2},
      {"qwen2", SplitPattern::kQwen2},
      {"llama3", SplitPattern::kLlama3},
  };
  int checked = 0;
  for (const auto& [name, pattern] : patterns) {
    ASSERT_TRUE(golden.contains(name) && golden[name].is_array()) << name;
    for (const nlohmann::json& c : golden[name]) {
      ASSERT_TRUE(c.is_object() && c.contains("text") && c["text"].is_string());
      const std::string text = c["text"].get<std::string>();
      std::vector<std::string> expected;
      for (const nlohmann::json& p : c["pieces"]) expected.push_back(p.get<std::string>());
      EXPECT_EQ(Split(pattern, text), expected) << name << " on \"" << text << "\"";
      ++checked;
    }
  }
  EXPECT_GT(checked, 900);
}

}  // namespace
}  // namespace weft::tokenizer
