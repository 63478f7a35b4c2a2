#include "common/tokenizer/bpe_model.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::flat_hash_map<std::string, int32_t> Vocab(const std::vector<std::string>& tokens) {
  absl::flat_hash_map<std::string, int32_t> vocab;
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = static_cast<int32_t>(i);
  return vocab;
}

std::vector<int32_t> Tokenize(const BpeModel& model, absl::string_view word) {
  std::vector<int32_t> ids;
  model.Tokenize(word, &ids);
  return ids;
}

TEST(BpeModelTest, MergesByRankThenPosition) {
  //                     0    1    2    3     4     5      6
  auto model = BpeModel::Create(Vocab({"a", "b", "c", "ab", "bc", "abc", "aa"}),
                                {{"b", "c"}, {"a", "b"}, {"a", "bc"}, {"a", "a"}}, {});
  ASSERT_TRUE(model.ok()) << model.status();
  // (b,c) has the best rank, then (a,bc).
  EXPECT_THAT(Tokenize(**model, "abc"), ElementsAre(5));
  EXPECT_THAT(Tokenize(**model, "ab"), ElementsAre(3));
  // Equal ranks merge leftmost first: "aaa" -> "aa" "a".
  EXPECT_THAT(Tokenize(**model, "aaa"), ElementsAre(6, 0));
  EXPECT_THAT(Tokenize(**model, "aaaa"), ElementsAre(6, 6));
  EXPECT_THAT(Tokenize(**model, ""), ElementsAre());
  // Cached result is the same.
  EXPECT_THAT(Tokenize(**model, "abc"), ElementsAre(5));
}

TEST(BpeModelTest, UnknownCharactersAreDroppedWithoutFallback) {
  auto model = BpeModel::Create(Vocab({"a", "b"}), {}, {});
  ASSERT_TRUE(model.ok());
  EXPECT_THAT(Tokenize(**model, "axb"), ElementsAre(0, 1));
}

TEST(BpeModelTest, ByteFallback) {
  BpeModel::Options options;
  options.byte_fallback = true;
  auto model = BpeModel::Create(Vocab({"a", "<0xC3>", "<0xA9>", "<unk>"}), {}, options);
  ASSERT_TRUE(model.ok());
  EXPECT_THAT(Tokenize(**model, "a\xC3\xA9"), ElementsAre(0, 1, 2));
  // No <0x78> token and no unk: dropped.
  EXPECT_THAT(Tokenize(**model, "xa"), ElementsAre(0));
  options.unk_id = 3;
  options.fuse_unk = true;
  auto with_unk = BpeModel::Create(Vocab({"a", "<0xC3>", "<0xA9>", "<unk>"}), {}, options);
  ASSERT_TRUE(with_unk.ok());
  EXPECT_THAT(Tokenize(**with_unk, "xya"), ElementsAre(3, 0));
}

TEST(BpeModelTest, IgnoreMerges) {
  BpeModel::Options options;
  options.ignore_merges = true;
  // "abc" is in the vocabulary but no merge chain builds it.
  auto model = BpeModel::Create(Vocab({"a", "b", "c", "ab", "abc"}), {{"a", "b"}}, options);
  ASSERT_TRUE(model.ok());
  EXPECT_THAT(Tokenize(**model, "abc"), ElementsAre(4));
  options.ignore_merges = false;
  auto strict = BpeModel::Create(Vocab({"a", "b", "c", "ab", "abc"}), {{"a", "b"}}, options);
  ASSERT_TRUE(strict.ok());
  EXPECT_THAT(Tokenize(**strict, "abc"), ElementsAre(3, 2));
}

TEST(BpeModelTest, MergeErrorsNameTheMerge) {
  auto model = BpeModel::Create(Vocab({"a", "b"}), {{"a", "b"}}, {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(std::string(model.status().message()),
              HasSubstr("model.merges[0] (\"a\", \"b\"): merged token is not in the vocabulary"));
  model = BpeModel::Create(Vocab({"a", "b", "ab"}), {{"a", "b"}, {"x", "b"}}, {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("model.merges[1]"));
}

}  // namespace
}  // namespace weft::tokenizer
