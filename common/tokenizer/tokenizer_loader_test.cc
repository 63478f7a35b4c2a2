#include "common/tokenizer/tokenizer_loader.h"

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

using ::testing::ElementsAre;
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
  j["post_processor"] = {{"type", "BertProcessing"}};
  EXPECT_EQ(LoadError(j),
            "tokenizer.json: post_processor type \"BertProcessing\" is not supported");
  j["post_processor"] = {
      {"type", "Sequence"},
      {"processors", {{{"type", "ByteLevel"}}, {{"type", "RobertaProcessing"}}}}};
  EXPECT_EQ(LoadError(j),
            "tokenizer.json: post_processor.processors[1] type \"RobertaProcessing\" is not "
            "supported");

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

// Post-processors (TemplateProcessing) on the tiny-llama tokenizer.json, whose
// own post_processor is null. Its added tokens: <|endoftext|> 0,
// <|im_start|> 1, <|im_end|> 2.
class PostProcessorTest : public testing::Test {
 protected:
  static constexpr char kPath[] = "tests/data/models/tiny-llama/tokenizer.json";

  void SetUp() override {
    std::ifstream in(kPath, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    json_ = Json::parse(buffer.str(), nullptr, false);
    ASSERT_TRUE(json_.is_object()) << kPath;
    ASSERT_TRUE(json_["post_processor"].is_null());
    auto t = LoadTokenizerFromJson(json_.dump());
    ASSERT_TRUE(t.ok()) << t.status();
    plain_ = *std::move(t);
  }

  // The tiny-llama tokenizer with `post_processor`.
  std::unique_ptr<Tokenizer> With(const Json& post_processor) {
    Json j = json_;
    j["post_processor"] = post_processor;
    auto t = LoadTokenizerFromJson(j.dump());
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *std::move(t) : nullptr;
  }

  std::string ErrorWith(const Json& post_processor) {
    Json j = json_;
    j["post_processor"] = post_processor;
    auto t = LoadTokenizerFromJson(j.dump());
    return t.ok() ? "OK" : std::string(t.status().message());
  }

  // Encode(text) and Encode(text, false) are the plain tokenizer's ids;
  // Encode(text, true) is them with `prefix` before and `suffix` after.
  void ExpectTemplate(const Tokenizer& t, const std::vector<int32_t>& prefix,
                      const std::vector<int32_t>& suffix) {
    for (const char* text : {"Hello world's 123 !!\n\n  x", "<|im_start|>hi<|im_end|>", ""}) {
      const std::vector<int32_t> plain = *plain_->Encode(text);
      EXPECT_EQ(*t.Encode(text), plain) << text;
      EXPECT_EQ(*t.Encode(text, /*add_special_tokens=*/false), plain) << text;
      std::vector<int32_t> expected = prefix;
      expected.insert(expected.end(), plain.begin(), plain.end());
      expected.insert(expected.end(), suffix.begin(), suffix.end());
      const auto with_special = t.Encode(text, /*add_special_tokens=*/true);
      ASSERT_TRUE(with_special.ok()) << with_special.status();
      EXPECT_EQ(*with_special, expected) << text;
      // The added tokens are special: skipped when decoding.
      EXPECT_EQ(*t.Decode(*with_special, /*skip_special_tokens=*/true),
                *t.Decode(plain, /*skip_special_tokens=*/true));
    }
    EXPECT_FALSE(t.Encode("ok\xFF", /*add_special_tokens=*/true).ok());
  }

  static Json Special(const std::string& id) {
    return {{"SpecialToken", {{"id", id}, {"type_id", 0}}}};
  }
  static Json Seq(const std::string& id, int type_id = 0) {
    return {{"Sequence", {{"id", id}, {"type_id", type_id}}}};
  }
  static Json Entry(const std::string& id, int token_id) {
    return {{"id", id}, {"ids", {token_id}}, {"tokens", {id}}};
  }

  // Llama-3's post_processor shape, with <|endoftext|> (id 0) as BOS.
  static Json Llama3Style() {
    return {
        {"type", "Sequence"},
        {"processors",
         {{{"type", "ByteLevel"},
           {"add_prefix_space", true},
           {"trim_offsets", false},
           {"use_regex", true}},
          {{"type", "TemplateProcessing"},
           {"single", {Special("<|endoftext|>"), Seq("A")}},
           {"pair", {Special("<|endoftext|>"), Seq("A"), Special("<|endoftext|>"), Seq("B", 1)}},
           {"special_tokens", {{"<|endoftext|>", Entry("<|endoftext|>", 0)}}}}}}};
  }

  // DeepSeek-V3's post_processor shape (a TemplateProcessing alone), with
  // `single` and <|im_start|> (1) as BOS, <|im_end|> (2) as EOS.
  static Json DeepSeekV3Style(const Json& single) {
    return {{"type", "TemplateProcessing"},
            {"single", single},
            {"pair", {Special("<|im_start|>"), Seq("A"), Special("<|im_start|>"), Seq("B", 1)}},
            {"special_tokens",
             {{"<|im_start|>", Entry("<|im_start|>", 1)}, {"<|im_end|>", Entry("<|im_end|>", 2)}}}};
  }

  Json json_;
  std::unique_ptr<Tokenizer> plain_;
};

TEST_F(PostProcessorTest, NoPostProcessorAddsNothing) {
  EXPECT_FALSE(plain_->post_processor().has_template());
  ExpectTemplate(*plain_, {}, {});
  const std::unique_ptr<Tokenizer> byte_level =
      With({{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}});
  ASSERT_NE(byte_level, nullptr);
  ExpectTemplate(*byte_level, {}, {});
}

TEST_F(PostProcessorTest, Llama3SequencePrependsBos) {
  const std::unique_ptr<Tokenizer> t = With(Llama3Style());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->post_processor().field(), "post_processor.processors[1]");
  ExpectTemplate(*t, {0}, {});
  EXPECT_THAT(*t->Encode("", /*add_special_tokens=*/true), ElementsAre(0));
}

TEST_F(PostProcessorTest, DeepSeekV3TemplatePrependsBos) {
  const std::unique_ptr<Tokenizer> t = With(DeepSeekV3Style({Special("<|im_start|>"), Seq("A")}));
  ASSERT_NE(t, nullptr);
  ExpectTemplate(*t, {1}, {});
}

TEST_F(PostProcessorTest, TemplateOrderIsHonoured) {
  std::unique_ptr<Tokenizer> t = With(DeepSeekV3Style({Seq("A"), Special("<|im_end|>")}));
  ASSERT_NE(t, nullptr);
  ExpectTemplate(*t, {}, {2});
  t = With(DeepSeekV3Style({Special("<|im_start|>"), Seq("A"), Special("<|im_end|>")}));
  ASSERT_NE(t, nullptr);
  ExpectTemplate(*t, {1}, {2});
  t = With(DeepSeekV3Style({Special("<|im_end|>"), Special("<|im_start|>"), Seq("A")}));
  ASSERT_NE(t, nullptr);
  ExpectTemplate(*t, {2, 1}, {});
}

TEST_F(PostProcessorTest, MalformedTemplatesAreLoadErrors) {
  Json j = Llama3Style();
  Json& tp = j["processors"][1];
  tp["special_tokens"]["<|endoftext|>"]["ids"] = {5000};
  EXPECT_EQ(ErrorWith(j),
            "tokenizer.json: post_processor.processors[1].special_tokens[\"<|endoftext|>\"].ids[0] "
            "5000 is not in the vocabulary");

  j = Llama3Style();
  j["processors"][1]["single"][0] = Special("<|begin_of_text|>");
  EXPECT_EQ(ErrorWith(j),
            "tokenizer.json: post_processor.processors[1].single[0].SpecialToken.id "
            "\"<|begin_of_text|>\" is not in post_processor.processors[1].special_tokens");

  j = Llama3Style();
  j["processors"][1]["single"][1] = Seq("B");
  EXPECT_EQ(ErrorWith(j),
            "tokenizer.json: post_processor.processors[1].single[1].Sequence.id \"B\" is not "
            "supported (only \"A\" in a single template)");

  j = Llama3Style();
  j["processors"][1]["single"][1] = {{"Text", {{"id", "A"}}}};
  EXPECT_EQ(ErrorWith(j),
            "tokenizer.json: post_processor.processors[1].single[1] piece \"Text\" is not "
            "supported (only \"SpecialToken\" and \"Sequence\" are)");

  EXPECT_EQ(ErrorWith(DeepSeekV3Style(Json::array({Special("<|im_start|>")}))),
            "tokenizer.json: post_processor.single must contain Sequence \"A\" exactly once (has "
            "0 A)");
  // A special token id for a pair only is checked too.
  j = DeepSeekV3Style(Json::array({Seq("A")}));
  j["special_tokens"]["<|im_start|>"]["ids"] = {1024};
  EXPECT_EQ(ErrorWith(j),
            "tokenizer.json: post_processor.special_tokens[\"<|im_start|>\"].ids[0] 1024 is not in "
            "the vocabulary");
}

TEST(TokenizerLoaderTest, MissingFile) {
  auto t = LoadTokenizerFromFile("/nonexistent/tokenizer.json");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace weft::tokenizer
