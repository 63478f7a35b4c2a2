#include "common/tokenizer/added_vocabulary.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::vector<std::pair<std::string, int>> Split(const AddedVocabulary& v, absl::string_view text) {
  std::vector<AddedVocabulary::Segment> segments;
  v.Split(text, &segments);
  std::vector<std::pair<std::string, int>> out;
  for (const auto& s : segments) out.emplace_back(std::string(s.text), s.id);
  return out;
}

AddedToken Token(int id, std::string content) {
  AddedToken t;
  t.id = id;
  t.content = std::move(content);
  t.normalized = false;
  t.special = true;
  return t;
}

TEST(AddedVocabularyTest, LeftmostLongest) {
  AddedVocabulary v({Token(0, "<a>"), Token(1, "<a><b>"), Token(2, "b>")});
  EXPECT_THAT(Split(v, "x<a><b>y<a>b>"), ElementsAre(Pair("x", -1), Pair("<a><b>", 1),
                                                     Pair("y", -1), Pair("<a>", 0), Pair("b>", 2)));
  EXPECT_THAT(Split(v, ""), ElementsAre());
  EXPECT_THAT(Split(v, "plain"), ElementsAre(Pair("plain", -1)));
}

TEST(AddedVocabularyTest, LstripRstrip) {
  AddedToken t = Token(5, "<m>");
  t.lstrip = true;
  t.rstrip = true;
  AddedVocabulary v({t});
  EXPECT_THAT(Split(v, "a \t<m>\n b"),
              ElementsAre(Pair("a", -1), Pair(" \t<m>\n ", 5), Pair("b", -1)));
  // Unicode spaces count (\s).
  EXPECT_THAT(Split(v, "a\u3000<m>"), ElementsAre(Pair("a", -1), Pair("\u3000<m>", 5)));
}

TEST(AddedVocabularyTest, SingleWord) {
  AddedToken t = Token(7, "ok");
  t.single_word = true;
  AddedVocabulary v({t});
  EXPECT_THAT(Split(v, "ok go"), ElementsAre(Pair("ok", 7), Pair(" go", -1)));
  EXPECT_THAT(Split(v, "book"), ElementsAre(Pair("book", -1)));
  EXPECT_THAT(Split(v, "oks"), ElementsAre(Pair("oks", -1)));
  EXPECT_THAT(Split(v, "(ok)"), ElementsAre(Pair("(", -1), Pair("ok", 7), Pair(")", -1)));
  EXPECT_THAT(Split(v, "\u00e9ok"), ElementsAre(Pair("\u00e9ok", -1)));
}

TEST(AddedVocabularyTest, NonNormalizedFirstThenNormalized) {
  AddedToken normalized = Token(1, "<ab>");
  normalized.normalized = true;
  // "b>c" is matched first (non-normalized pass), so "<ab>" cannot match.
  AddedVocabulary v({normalized, Token(2, "b>c")});
  EXPECT_THAT(Split(v, "<ab>c"), ElementsAre(Pair("<a", -1), Pair("b>c", 2)));
  EXPECT_THAT(Split(v, "<ab>x"), ElementsAre(Pair("<ab>", 1), Pair("x", -1)));
}

}  // namespace
}  // namespace weft::tokenizer
