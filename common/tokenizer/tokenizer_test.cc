#include "common/tokenizer/tokenizer.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/tokenizer/byte_level.h"
#include "common/tokenizer/incremental_decoder.h"
#include "common/tokenizer/tokenizer_loader.h"
#include "common/tokenizer/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kTokenizerPath[] = "tests/data/models/tiny-llama/tokenizer.json";
constexpr char kCasesPath[] = "tests/data/tokenizer_cases.json";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Case {
  std::string text;
  std::vector<int32_t> ids;
  std::string decoded;
};

std::vector<Case> LoadCases() {
  const Json root = Json::parse(ReadFile(kCasesPath), nullptr, false);
  std::vector<Case> cases;
  if (root.is_discarded() || !root.contains("cases") || !root["cases"].is_array()) return cases;
  for (const Json& c : root["cases"]) {
    Case k;
    k.text = c["text"].get<std::string>();
    for (const Json& id : c["ids"]) k.ids.push_back(id.get<int32_t>());
    k.decoded = c["decoded"].get<std::string>();
    cases.push_back(std::move(k));
  }
  return cases;
}

class FixtureTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t = LoadTokenizerFromFile(kTokenizerPath);
    ASSERT_TRUE(t.ok()) << t.status();
    tokenizer_ = t->release();
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  static const Tokenizer* tokenizer_;
};
const Tokenizer* FixtureTest::tokenizer_ = nullptr;

TEST_F(FixtureTest, EveryCaseEncodesAndDecodesExactly) {
  const std::vector<Case> cases = LoadCases();
  ASSERT_EQ(cases.size(), 20u);
  for (const Case& c : cases) {
    const auto ids = tokenizer_->Encode(c.text);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, c.ids) << "encode \"" << c.text << "\"";
    const auto decoded = tokenizer_->Decode(c.ids);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, c.decoded) << "decode of \"" << c.text << "\"";
  }
}

TEST_F(FixtureTest, IncrementalDecodingMatchesDecodeAndIsValidUtf8) {
  for (const Case& c : LoadCases()) {
    IncrementalDecoder decoder(tokenizer_);
    std::string streamed;
    for (const int32_t id : c.ids) {
      const auto chunk = decoder.Step(id);
      ASSERT_TRUE(chunk.ok()) << chunk.status();
      EXPECT_TRUE(ValidateUtf8(*chunk).ok()) << "chunk of \"" << c.text << "\"";
      streamed += *chunk;
    }
    const std::string rest = decoder.Finish();
    EXPECT_TRUE(ValidateUtf8(rest).ok());
    streamed += rest;
    EXPECT_EQ(streamed, c.decoded);
  }
}

TEST_F(FixtureTest, ReferencePromptsEncodeToTheirIds) {
  const Json ref =
      Json::parse(ReadFile("tests/data/models/tiny-llama/reference.json"), nullptr, false);
  ASSERT_FALSE(ref.is_discarded());
  int checked = 0;
  for (const Json& p : ref["prompts"]) {
    if (p["source"] != "text") continue;
    std::vector<int32_t> expected;
    for (const Json& id : p["input_ids"]) expected.push_back(id.get<int32_t>());
    const auto ids = tokenizer_->Encode(p["text"].get<std::string>());
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, expected);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST_F(FixtureTest, SpecialTokens) {
  EXPECT_EQ(tokenizer_->TokenToId("<|im_start|>"), 1);
  EXPECT_TRUE(tokenizer_->IsSpecial(2));
  EXPECT_FALSE(tokenizer_->IsSpecial(100));
  EXPECT_EQ(tokenizer_->vocab_size(), 1024);
  const auto ids = tokenizer_->Encode("<|im_start|>hi<|im_end|>");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->front(), 1);
  EXPECT_EQ(ids->back(), 2);
  EXPECT_EQ(*tokenizer_->Decode(*ids, /*skip_special_tokens=*/true), "hi");
  EXPECT_EQ(*tokenizer_->Decode(*ids), "<|im_start|>hi<|im_end|>");
}

TEST_F(FixtureTest, Errors) {
  const auto bad_text = tokenizer_->Encode("ok\xFF");
  EXPECT_EQ(bad_text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_text.status().message()), HasSubstr("byte offset 2"));
  const auto bad_id = tokenizer_->Decode({5, 99999});
  EXPECT_EQ(bad_id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_id.status().message()),
              HasSubstr("unknown token id 99999 at position 1"));
  EXPECT_FALSE(tokenizer_->Decode({-1}).ok());
  IncrementalDecoder decoder(tokenizer_);
  EXPECT_FALSE(decoder.Step(1 << 30).ok());
}

// A tokenizer.json whose tokens are the 256 byte-level characters plus, for
// each expected piece, a chain of merges that builds it as one token, and
// "trap" merges joining neighbouring pieces (applied after the chains): a
// pre-tokenizer that wrongly joined two pieces would produce a trap token, one
// that wrongly split a piece would produce more than one token per piece.
std::string PiecesTokenizerJson(const Json& pre_tokenizer, const std::vector<std::string>& pieces) {
  Json vocab = Json::object();
  Json merges = Json::array();
  const auto add = [&vocab](const std::string& token) {
    if (!vocab.contains(token)) vocab[token] = static_cast<int>(vocab.size());
  };
  for (int b = 0; b < 256; ++b) {
    std::string c;
    AppendUtf8(ByteToChar(static_cast<uint8_t>(b)), &c);
    add(c);
  }
  std::vector<std::string> mapped;
  for (const std::string& p : pieces) {
    std::string m;
    AppendByteLevel(p, &m);
    mapped.push_back(m);
    // Chain: split m into byte-level characters and merge left to right.
    std::vector<std::string> chars;
    for (size_t pos = 0; pos < m.size();) {
      char32_t cp;
      size_t len;
      ScanUtf8(m, pos, &cp, &len);
      chars.push_back(m.substr(pos, len));
      pos += len;
    }
    std::string prefix = chars[0];
    for (size_t i = 1; i < chars.size(); ++i) {
      merges.push_back(Json::array({prefix, chars[i]}));
      prefix += chars[i];
      add(prefix);
    }
  }
  for (size_t i = 0; i + 1 < mapped.size(); ++i) {
    merges.push_back(absl::StrCat(mapped[i], " ", mapped[i + 1]));  // "a b" form.
    add(mapped[i] + mapped[i + 1]);
  }
  Json root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", Json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", pre_tokenizer},
      {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
  return root.dump();
}

// Encodes `text` with a pieces tokenizer and expects one token per piece.
void ExpectPieces(const Json& pre_tokenizer, const std::string& text,
                  const std::vector<std::string>& pieces) {
  auto t = LoadTokenizerFromJson(PiecesTokenizerJson(pre_tokenizer, pieces));
  ASSERT_TRUE(t.ok()) << t.status();
  const auto ids = (*t)->Encode(text);
  ASSERT_TRUE(ids.ok()) << ids.status();
  std::vector<int32_t> expected;
  for (const std::string& p : pieces) {
    std::string m;
    AppendByteLevel(p, &m);
    expected.push_back(*(*t)->TokenToId(m));
  }
  EXPECT_EQ(*ids, expected) << "on \"" << text << "\"";
  EXPECT_EQ(*(*t)->Decode(*ids), text);
}

const Json kQwenPreTokenizer = {
    {"type", "Sequence"},
    {"pretokenizers",
     {{{"type", "Split"},
       {"pattern",
        {{"Regex",
          R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
       {"behavior", "Isolated"},
       {"invert", false}},
      {{"type", "ByteLevel"},
       {"add_prefix_space", false},
       {"trim_offsets", false},
       {"use_regex", false}}}}};

TEST(QwenStyleTest, SplitsLikeTheRegex) {
  ExpectPieces(kQwenPreTokenizer, "Hello world's 123 !!\n\n  x",
               {"Hello", " world", "'s", " ", "1", "2", "3", " !!\n\n", " ", " x"});
  ExpectPieces(kQwenPreTokenizer, "I'M fine\r\n\tok", {"I", "'M", " fine", "\r\n", "\tok"});
  ExpectPieces(kQwenPreTokenizer, "(x)  = 42;\n", {"(x", ")", " ", " =", " ", "4", "2", ";\n"});
}

TEST(QwenStyleTest, Gpt2ByteLevelSplitsDifferently) {
  const Json gpt2 = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  ExpectPieces(gpt2, "Hello world's 123 !!\n\n  x",
               {"Hello", " world", "'s", " 123", " !!", "\n\n ", " x"});
  const Json prefix = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  auto t = LoadTokenizerFromJson(PiecesTokenizerJson(prefix, {" Hi", " there"}));
  ASSERT_TRUE(t.ok()) << t.status();
  // add_prefix_space: "Hi there" is encoded as " Hi there".
  std::string hi;
  AppendByteLevel(" Hi", &hi);
  EXPECT_EQ((*t)->Encode("Hi there")->front(), *(*t)->TokenToId(hi));
}

TEST(AddedTokenFlagsTest, LstripRstripSingleWordInTokenizer) {
  Json root = Json::parse(PiecesTokenizerJson(
      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}, {"a"}));
  root["added_tokens"] = Json::array({{{"id", 300},
                                       {"content", "<m>"},
                                       {"single_word", false},
                                       {"lstrip", true},
                                       {"rstrip", true},
                                       {"normalized", false},
                                       {"special", true}},
                                      {{"id", 301},
                                       {"content", "go"},
                                       {"single_word", true},
                                       {"lstrip", false},
                                       {"rstrip", false},
                                       {"normalized", true},
                                       {"special", false}}});
  auto t = LoadTokenizerFromJson(root.dump());
  ASSERT_TRUE(t.ok()) << t.status();
  const int32_t a = *(*t)->TokenToId("a");
  const int32_t g = *(*t)->TokenToId("g");
  const int32_t o = *(*t)->TokenToId("o");
  EXPECT_THAT(*(*t)->Encode("a  <m>  a"), ElementsAre(a, 300, a));
  EXPECT_THAT(*(*t)->Encode("go"), ElementsAre(301));
  EXPECT_THAT(*(*t)->Encode("ago"), ElementsAre(a, g, o));
  EXPECT_EQ(*(*t)->Decode({a, 300, 301}, /*skip_special_tokens=*/true), "ago");
}

// The Qwen2/Qwen3 normalizer: NFC before pre-tokenization, and before
// matching added tokens with normalized=true (whose content is NFC'd too);
// tokens with normalized=false are matched in the raw text.
TEST(NfcNormalizerTest, NormalizesTextAndNormalizedAddedTokens) {
  Json root = Json::parse(PiecesTokenizerJson(kQwenPreTokenizer, {"caf\u00e9"}));
  root["normalizer"] = {{"type", "NFC"}};
  root["added_tokens"] = Json::array({{{"id", 400},
                                       {"content", "<e\u0301>"},
                                       {"single_word", false},
                                       {"lstrip", false},
                                       {"rstrip", false},
                                       {"normalized", true},
                                       {"special", false}},
                                      {{"id", 401},
                                       {"content", "[o\u0301]"},
                                       {"single_word", false},
                                       {"lstrip", false},
                                       {"rstrip", false},
                                       {"normalized", false},
                                       {"special", false}}});
  auto t = LoadTokenizerFromJson(root.dump());
  ASSERT_TRUE(t.ok()) << t.status();
  std::string cafe;
  AppendByteLevel("caf\u00e9", &cafe);
  const int32_t cafe_id = *(*t)->TokenToId(cafe);
  // Decomposed input composes to the precomposed token.
  EXPECT_THAT(*(*t)->Encode("cafe\u0301"), ElementsAre(cafe_id));
  EXPECT_THAT(*(*t)->Encode("caf\u00e9"), ElementsAre(cafe_id));
  // normalized=true: matches the NFC form of its content in normalized text.
  EXPECT_THAT(*(*t)->Encode("<\u00e9>"), ElementsAre(400));
  EXPECT_THAT(*(*t)->Encode("<e\u0301>"), ElementsAre(400));
  // normalized=false: only its exact raw form matches.
  EXPECT_THAT(*(*t)->Encode("[o\u0301]"), ElementsAre(401));
  EXPECT_THAT(*(*t)->Encode("[\u00f3]"), testing::Not(ElementsAre(401)));
}

}  // namespace
}  // namespace weft::tokenizer
