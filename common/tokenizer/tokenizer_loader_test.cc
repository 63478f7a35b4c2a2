#include "common/tokenizer/tokenizer_loader.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

// A minimal valid byte-level tokenizer.json: "a", "b", "ab" plus one merge.
Json Minimal() {
  return Json{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens",
       {{{"id", 3},
         {"content", "<s>"},
         {"single_word", false},
         {"lstrip", false},
         {"rstrip", false},
         {"normalized", false},
         {"special", true}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "ByteLevel"},
        {"add_prefix_space", false},
        {"trim_offsets", true},
        {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}},
        {"merges", {"a b"}}}},
  };
}

std::string LoadError(const Json& j) {
  auto t = LoadTokenizerFromJson(j.dump());
  if (t.ok()) return "OK";
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(t.status().message());
}

TEST(TokenizerLoaderTest, MinimalLoadsAndEncodes) {
  auto t = LoadTokenizerFromJson(Minimal().dump());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*(*t)->Encode("ab<s>ba"), (std::vector<int32_t>{2, 3, 1, 0}));
}

TEST(TokenizerLoaderTest, MergesAsPairsAndSupportedSequences) {
  Json j = Minimal();
  j["model"]["merges"] = Json::array({Json::array({"a", "b"})});
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", Json::array()}};
  j["decoder"] = {{"type", "Sequence"}, {"decoders", {{{"type", "ByteLevel"}}}}};
  j["post_processor"] = {{"type", "Sequence"}, {"processors", {{{"type", "ByteLevel"}}}}};
  auto t = LoadTokenizerFromJson(j.dump());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*(*t)->Encode("ab"), (std::vector<int32_t>{2}));
}

TEST(TokenizerLoaderTest, UnsupportedFeaturesNameTheFeature) {
  Json j = Minimal();
  j["pre_tokenizer"] = {{"type", "Metaspace"}};
  EXPECT_EQ(LoadError(j), "tokenizer.json: pre_tokenizer type \"Metaspace\" is not supported");

  j = Minimal();
  j["pre_tokenizer"] = nullptr;
  EXPECT_THAT(LoadError(j), HasSubstr("pre_tokenizer null is not supported"));

  j = Minimal();
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers",
                         {{{"type", "Split"},
                           {"pattern", {{"Regex", "\\s+"}}},
                           {"behavior", "Isolated"},
                           {"invert", false}},
                          {{"type", "ByteLevel"}, {"use_regex", false}}}}};
  EXPECT_THAT(LoadError(j),
              HasSubstr("pre_tokenizer.pretokenizers[0].pattern.Regex \"\\s+\" is not supported"));
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"String", " "}};
  EXPECT_THAT(LoadError(j), HasSubstr("only a \"Regex\" pattern is supported"));
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {
      {"Regex", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"}};
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed";
  EXPECT_THAT(LoadError(j), HasSubstr("pretokenizers[0].behavior: only \"Isolated\""));
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Isolated";
  j["pre_tokenizer"]["pretokenizers"][1] = {{"type", "Digits"}};
  EXPECT_EQ(LoadError(j),
            "tokenizer.json: pre_tokenizer.pretokenizers[1] type \"Digits\" is not supported");

  j = Minimal();
  j["normalizer"] = {{"type", "NFKC"}};
  EXPECT_EQ(LoadError(j), "tokenizer.json: normalizer type \"NFKC\" is not supported");
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", {{{"type", "NFC"}}, {{"type", "Prepend"}}}}};
  EXPECT_EQ(LoadError(j),
            "tokenizer.json: normalizer.normalizers[1] type \"Prepend\" is not supported");

  j = Minimal();
  j["model"]["type"] = "WordPiece";
  EXPECT_EQ(LoadError(j), "tokenizer.json: model type \"WordPiece\" is not supported");

  j = Minimal();
  j["model"]["dropout"] = 0.1;
  EXPECT_THAT(LoadError(j), HasSubstr("model.dropout is not supported"));

  j = Minimal();
  j["model"]["unk_token"] = "a";
  EXPECT_THAT(LoadError(j), HasSubstr("model.unk_token with byte_fallback off is not supported"));

  j = Minimal();
  j["model"]["continuing_subword_prefix"] = "##";
  EXPECT_THAT(LoadError(j), HasSubstr("model.continuing_subword_prefix is not supported"));

  j = Minimal();
  j["model"]["end_of_word_suffix"] = "</w>";
  EXPECT_THAT(LoadError(j), HasSubstr("model.end_of_word_suffix is not supported"));

  j = Minimal();
  j["decoder"] = {{"type", "Metaspace"}};
  EXPECT_EQ(LoadError(j), "tokenizer.json: decoder type \"Metaspace\" is not supported");
  j["decoder"] = {{"type", "Sequence"},
                  {"decoders", {{{"type", "ByteLevel"}}, {{"type", "ByteFallback"}}}}};
  EXPECT_EQ(LoadError(j),
            "tokenizer.json: decoder.decoders[1] type \"ByteFallback\" is not supported");
  j["decoder"] = nullptr;
  EXPECT_THAT(LoadError(j), HasSubstr("decoder null is not supported"));

  j = Minimal();
  j["post_processor"] = {{"type", "TemplateProcessing"}};
  EXPECT_EQ(LoadError(j),
            "tokenizer.json: post_processor type \"TemplateProcessing\" is not supported");

  j = Minimal();
  j["truncation"] = {{"max_length", 5}};
  EXPECT_THAT(LoadError(j), HasSubstr("truncation is not supported"));
}

TEST(TokenizerLoaderTest, MalformedInputIsAnErrorNamingTheField) {
  EXPECT_EQ(LoadError(Json()), "tokenizer.json: the top level must be an object");
  EXPECT_EQ(std::string(LoadTokenizerFromJson("{\"model\": ").status().message()),
            "tokenizer.json: not valid JSON");

  Json j = Minimal();
  j.erase("model");
  EXPECT_THAT(LoadError(j), HasSubstr("model is missing"));

  j = Minimal();
  j["model"]["vocab"]["x"] = "7";
  EXPECT_THAT(LoadError(j), HasSubstr("model.vocab[\"x\"] must be an integer"));
  j["model"]["vocab"]["x"] = -4;
  EXPECT_THAT(LoadError(j), HasSubstr("model.vocab[\"x\"] -4 is out of range"));

  j = Minimal();
  j["model"]["merges"] = {"a b c"};
  EXPECT_THAT(LoadError(j), HasSubstr("model.merges[0] \"a b c\" is not two tokens"));
  j["model"]["merges"] = Json::array({Json::array({"a", 1})});
  EXPECT_THAT(LoadError(j), HasSubstr("model.merges[0] must be a string"));
  j["model"]["merges"] = {"a q"};
  EXPECT_THAT(LoadError(j), HasSubstr("second token is not in the vocabulary"));

  j = Minimal();
  j["model"]["byte_fallback"] = "yes";
  EXPECT_THAT(LoadError(j), HasSubstr("model.byte_fallback must be a boolean"));

  j = Minimal();
  j["added_tokens"][0]["content"] = 5;
  EXPECT_THAT(LoadError(j), HasSubstr("added_tokens[0].content must be a string"));
  j = Minimal();
  j["added_tokens"][0]["id"] = 1;
  EXPECT_THAT(LoadError(j), HasSubstr("added_tokens: id 1 of \"<s>\" is already used by \"b\""));
  j = Minimal();
  j["added_tokens"][0]["content"] = "a";
  EXPECT_THAT(LoadError(j), HasSubstr("token \"a\" has id 3 but id 0 in model.vocab"));

  j = Minimal();
  j["model"]["vocab"]["c"] = 0;
  EXPECT_THAT(LoadError(j), HasSubstr("model.vocab: id 0 is used by both"));
}

TEST(TokenizerLoaderTest, ByteFallbackAndUnk) {
  Json j = Minimal();
  j["model"]["byte_fallback"] = true;
  j["model"]["unk_token"] = "<unk>";
  EXPECT_THAT(LoadError(j), HasSubstr("model.unk_token \"<unk>\" is not in model.vocab"));
  j["model"]["vocab"]["<unk>"] = 4;
  j["model"]["vocab"]["<0xC4>"] = 5;
  j["model"]["vocab"]["<0xA0>"] = 6;
  auto t = LoadTokenizerFromJson(j.dump());
  ASSERT_TRUE(t.ok()) << t.status();
  // "a" "c": 'c' is not in the vocabulary, nor is <0x63>: unk. The space
  // becomes U+0120 (bytes C4 A0), covered by byte fallback.
  EXPECT_EQ(*(*t)->Encode("a c"), (std::vector<int32_t>{0, 5, 6, 4}));
}

TEST(TokenizerLoaderTest, MissingFile) {
  auto t = LoadTokenizerFromFile("/nonexistent/tokenizer.json");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace weft::tokenizer
