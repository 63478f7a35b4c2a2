#include "common/tokenizer/post_processor.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Json = nlohmann::json;

Json Special(const std::string& id, int type_id = 0) {
  return {{"SpecialToken", {{"id", id}, {"type_id", type_id}}}};
}

Json Seq(const std::string& id, int type_id = 0) {
  return {{"Sequence", {{"id", id}, {"type_id", type_id}}}};
}

Json SpecialTokenEntry(const std::string& id, const std::vector<int>& ids) {
  return {{"id", id}, {"ids", ids}, {"tokens", std::vector<std::string>(ids.size(), id)}};
}

// DeepSeek-V3's post_processor: BOS before the text.
Json DeepSeekV3() {
  const std::string bos =
      "<\xEF\xBD\x9C"
      "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
  return {{"type", "TemplateProcessing"},
          {"single", {Special(bos), Seq("A")}},
          {"pair", {Special(bos), Seq("A"), Special(bos, 1), Seq("B", 1)}},
          {"special_tokens", {{bos, SpecialTokenEntry(bos, {0})}}}};
}

// Llama-3's post_processor: a ByteLevel, then BOS before the text.
Json Llama3() {
  Json template_processing = {
      {"type", "TemplateProcessing"},
      {"single", {Special("<|begin_of_text|>"), Seq("A")}},
      {"pair",
       {Special("<|begin_of_text|>"), Seq("A"), Special("<|begin_of_text|>", 1), Seq("B", 1)}},
      {"special_tokens",
       {{"<|begin_of_text|>", SpecialTokenEntry("<|begin_of_text|>", {128000})}}}};
  return {{"type", "Sequence"},
          {"processors",
           {{{"type", "ByteLevel"},
             {"add_prefix_space", true},
             {"trim_offsets", false},
             {"use_regex", true}},
            template_processing}}};
}

PostProcessor Parse(const Json& j) {
  absl::StatusOr<PostProcessor> p = PostProcessor::FromJson(j);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : PostProcessor();
}

std::string ParseError(const Json& j) {
  absl::StatusOr<PostProcessor> p = PostProcessor::FromJson(j);
  if (p.ok()) return "OK";
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

TEST(PostProcessorTest, NoTemplateAddsNothing) {
  for (const Json& j : {Json(nullptr), Json{{"type", "ByteLevel"}, {"trim_offsets", true}},
                        Json{{"type", "Sequence"}, {"processors", Json::array()}},
                        Json{{"type", "Sequence"}, {"processors", {{{"type", "ByteLevel"}}}}}}) {
    const PostProcessor p = Parse(j);
    EXPECT_FALSE(p.has_template()) << j;
    EXPECT_THAT(p.ApplySingle({5, 6}), ElementsAre(5, 6));
    EXPECT_TRUE(p.CheckIds([](int32_t) { return false; }).ok());
  }
  EXPECT_FALSE(PostProcessor().has_template());
}

TEST(PostProcessorTest, Llama3PrependsBeginOfText) {
  const PostProcessor p = Parse(Llama3());
  ASSERT_TRUE(p.has_template());
  EXPECT_EQ(p.field(), "post_processor.processors[1]");
  ASSERT_EQ(p.single().size(), 2u);
  EXPECT_EQ(p.single()[0].kind, TemplatePiece::Kind::kSpecialToken);
  EXPECT_EQ(p.single()[0].id, "<|begin_of_text|>");
  EXPECT_THAT(p.single()[0].ids, ElementsAre(128000));
  EXPECT_EQ(p.single()[1].kind, TemplatePiece::Kind::kSequence);
  EXPECT_EQ(p.single()[1].id, "A");
  EXPECT_EQ(p.pair().size(), 4u);  // Kept, validated, unused.
  EXPECT_THAT(p.ApplySingle({5, 6}), ElementsAre(128000, 5, 6));
  EXPECT_THAT(p.ApplySingle({}), ElementsAre(128000));
}

TEST(PostProcessorTest, DeepSeekV3PrependsBos) {
  const PostProcessor p = Parse(DeepSeekV3());
  EXPECT_EQ(p.field(), "post_processor");
  EXPECT_THAT(p.ApplySingle({9}), ElementsAre(0, 9));
}

TEST(PostProcessorTest, TemplateOrderIsHonoured) {
  Json j = DeepSeekV3();
  j["special_tokens"]["</s>"] = SpecialTokenEntry("</s>", {2});
  j["special_tokens"]["<multi>"] = SpecialTokenEntry("<multi>", {7, 8});
  j["single"] = {Seq("A"), Special("</s>")};
  EXPECT_THAT(Parse(j).ApplySingle({5, 6}), ElementsAre(5, 6, 2));
  j["single"] = {Special("<multi>"), Seq("A"), Special("</s>"), Special("<multi>")};
  EXPECT_THAT(Parse(j).ApplySingle({5}), ElementsAre(7, 8, 5, 2, 7, 8));
  j["single"] = Json::array({Seq("A")});
  j["pair"] = nullptr;
  const PostProcessor bare = Parse(j);
  EXPECT_TRUE(bare.has_template());
  EXPECT_THAT(bare.pair(), IsEmpty());
  EXPECT_THAT(bare.ApplySingle({5}), ElementsAre(5));
}

TEST(PostProcessorTest, FromTemplatesAndCheckIds) {
  auto p = PostProcessor::FromTemplates(
      "post_processor", {TemplatePiece::SpecialToken("<s>", {1}), TemplatePiece::Sequence("A")},
      {});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->ApplySingle({4}), ElementsAre(1, 4));
  EXPECT_TRUE(p->CheckIds([](int32_t id) { return id < 2; }).ok());
  EXPECT_EQ(p->CheckIds([](int32_t id) { return id < 1; }).message(),
            "post_processor.special_tokens[\"<s>\"].ids[0] 1 is not in the vocabulary");

  // Ids of the (unused) pair template are checked too.
  const PostProcessor llama = Parse(Llama3());
  EXPECT_TRUE(llama.CheckIds([](int32_t id) { return id == 128000; }).ok());
  EXPECT_EQ(llama.CheckIds([](int32_t id) { return id < 1000; }).message(),
            "post_processor.processors[1].special_tokens[\"<|begin_of_text|>\"].ids[0] 128000 is "
            "not in the vocabulary");
}

TEST(PostProcessorTest, UnsupportedTypesNameTheField) {
  EXPECT_EQ(ParseError({{"type", "BertProcessing"}, {"sep", {"[SEP]", 102}}}),
            "post_processor type \"BertProcessing\" is not supported");
  EXPECT_EQ(ParseError({{"type", "RobertaProcessing"}}),
            "post_processor type \"RobertaProcessing\" is not supported");
  EXPECT_EQ(
      ParseError({{"type", "Sequence"},
                  {"processors", {{{"type", "ByteLevel"}}, {{"type", "RobertaProcessing"}}}}}),
      "post_processor.processors[1] type \"RobertaProcessing\" is not supported");
  EXPECT_EQ(ParseError({{"type", "Sequence"}, {"processors", Json::array({Llama3()})}}),
            "post_processor.processors[0] type \"Sequence\" is not supported");
  Json twice = Llama3();
  twice["processors"].push_back(DeepSeekV3());
  EXPECT_EQ(ParseError(twice),
            "post_processor.processors[2]: a second TemplateProcessing (after "
            "post_processor.processors[1]) is not supported");
  EXPECT_EQ(ParseError("ByteLevel"), "post_processor must be an object or null");
  EXPECT_EQ(ParseError({{"type", 3}}), "post_processor.type must be a string");
  EXPECT_EQ(ParseError({{"type", "Sequence"}}), "post_processor.processors must be an array");
  EXPECT_EQ(ParseError({{"type", "Sequence"}, {"processors", {1}}}),
            "post_processor.processors[0] must be an object");
}

TEST(PostProcessorTest, MalformedTemplatesNameTheField) {
  // Nested in a Sequence, errors name the member.
  Json j = Llama3();
  j["processors"][1]["single"][0] = Special("<|eot_id|>");
  EXPECT_EQ(ParseError(j),
            "post_processor.processors[1].single[0].SpecialToken.id \"<|eot_id|>\" is not in "
            "post_processor.processors[1].special_tokens");

  const auto error_with = [](const char* key, const Json& value) {
    Json t = DeepSeekV3();
    t["special_tokens"]["</s>"] = SpecialTokenEntry("</s>", {2});
    if (value.is_discarded()) {
      t.erase(key);
    } else {
      t[key] = value;
    }
    return ParseError(t);
  };
  const Json erase = Json(Json::value_t::discarded);
  const Json a = Seq("A");
  const Json eos = Special("</s>");

  // single.
  EXPECT_EQ(error_with("single", erase), "post_processor.single must be an array");
  EXPECT_EQ(error_with("single", "$A"), "post_processor.single must be an array");
  EXPECT_EQ(error_with("single", {a, "[SEP]"}),
            "post_processor.single[1] must be an object with one key, \"SpecialToken\" or "
            "\"Sequence\"");
  EXPECT_EQ(error_with("single", {{{"Sequence", {{"id", "A"}}}, {"SpecialToken", {{"id", "x"}}}}}),
            "post_processor.single[0] must be an object with one key, \"SpecialToken\" or "
            "\"Sequence\"");
  EXPECT_EQ(error_with("single", {a, {{"Token", {{"id", "</s>"}}}}}),
            "post_processor.single[1] piece \"Token\" is not supported (only \"SpecialToken\" and "
            "\"Sequence\" are)");
  EXPECT_EQ(error_with("single", {a, {{"SpecialToken", "</s>"}}}),
            "post_processor.single[1].SpecialToken must be an object");
  EXPECT_EQ(error_with("single", {a, {{"SpecialToken", {{"id", 2}}}}}),
            "post_processor.single[1].SpecialToken.id must be a string");
  EXPECT_EQ(error_with("single", {{{"Sequence", {{"type_id", 0}}}}}),
            "post_processor.single[0].Sequence.id must be a string");
  EXPECT_EQ(error_with("single", {a, Special("<eos>")}),
            "post_processor.single[1].SpecialToken.id \"<eos>\" is not in "
            "post_processor.special_tokens");
  EXPECT_EQ(error_with("single", {eos, Seq("B")}),
            "post_processor.single[1].Sequence.id \"B\" is not supported (only \"A\" in a single "
            "template)");
  EXPECT_EQ(error_with("single", Json::array({Seq("C")})),
            "post_processor.single[0].Sequence.id \"C\" is not supported (only \"A\" in a single "
            "template)");
  EXPECT_EQ(error_with("single", Json::array({eos})),
            "post_processor.single must contain Sequence \"A\" exactly once (has 0 A)");
  EXPECT_EQ(error_with("single", Json::array()),
            "post_processor.single must contain Sequence \"A\" exactly once (has 0 A)");
  EXPECT_EQ(error_with("single", {a, eos, a}),
            "post_processor.single must contain Sequence \"A\" exactly once (has 2 A)");

  // pair: validated although unused.
  EXPECT_EQ(error_with("pair", {a, eos}),
            "post_processor.pair must contain Sequence \"A\" and \"B\" exactly once each (has 1 "
            "A, 0 B)");
  EXPECT_EQ(error_with("pair", Json::array()),
            "post_processor.pair must contain Sequence \"A\" and \"B\" exactly once each (has 0 "
            "A, 0 B)");
  EXPECT_EQ(error_with("pair", {a, Seq("C")}),
            "post_processor.pair[1].Sequence.id \"C\" is not supported (only \"A\" and \"B\" in a "
            "pair template)");
  EXPECT_EQ(error_with("pair", {a, Special("<sep>"), Seq("B")}),
            "post_processor.pair[1].SpecialToken.id \"<sep>\" is not in "
            "post_processor.special_tokens");
  EXPECT_EQ(error_with("pair", {{"A", "B"}}), "post_processor.pair must be an array");

  // special_tokens.
  EXPECT_EQ(error_with("special_tokens", erase), "post_processor.special_tokens must be an object");
  EXPECT_EQ(error_with("special_tokens", Json::array()),
            "post_processor.special_tokens must be an object");
  EXPECT_EQ(error_with("special_tokens", {{"</s>", 2}}),
            "post_processor.special_tokens[\"</s>\"] must be an object");
  EXPECT_EQ(error_with("special_tokens", {{"</s>", {{"ids", {2}}, {"tokens", {"</s>"}}}}}),
            "post_processor.special_tokens[\"</s>\"].id must be a string");
  EXPECT_EQ(error_with("special_tokens", {{"</s>", SpecialTokenEntry("<s>", {2})}}),
            "post_processor.special_tokens[\"</s>\"].id \"<s>\" is not its key \"</s>\"");
  EXPECT_EQ(error_with("special_tokens", {{"</s>", {{"id", "</s>"}, {"ids", 2}}}}),
            "post_processor.special_tokens[\"</s>\"].ids must be an array");
  EXPECT_EQ(error_with("special_tokens",
                       {{"</s>", {{"id", "</s>"}, {"ids", {2, "3"}}, {"tokens", {"a", "b"}}}}}),
            "post_processor.special_tokens[\"</s>\"].ids[1] must be an integer");
  EXPECT_EQ(error_with("special_tokens", {{"</s>", SpecialTokenEntry("</s>", {-2})}}),
            "post_processor.special_tokens[\"</s>\"].ids[0] -2 is out of range");
  EXPECT_EQ(error_with("special_tokens", {{"</s>", {{"id", "</s>"}, {"ids", {2}}}}}),
            "post_processor.special_tokens[\"</s>\"].tokens must be an array of 1 strings (one per "
            "id)");
  EXPECT_EQ(error_with("special_tokens",
                       {{"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"a", "b"}}}}}),
            "post_processor.special_tokens[\"</s>\"].tokens must be an array of 1 strings (one per "
            "id)");
  EXPECT_EQ(
      error_with("special_tokens", {{"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {2}}}}}),
      "post_processor.special_tokens[\"</s>\"].tokens must be an array of 1 strings (one per "
      "id)");
}

TEST(PostProcessorTest, LargeIdsParse) {
  // Any id in range parses; Tokenizer::Create checks it against the vocabulary.
  Json j = DeepSeekV3();
  j["special_tokens"].begin().value()["ids"] = Json::array({1 << 30});
  EXPECT_THAT(Parse(j).ApplySingle({}), ElementsAre(1 << 30));
}

TEST(PostProcessorTest, FromTemplatesChecksSequences) {
  EXPECT_EQ(
      PostProcessor::FromTemplates("pp", {TemplatePiece::Sequence("B")}, {}).status().message(),
      "pp.single[0].Sequence.id \"B\" is not supported (only \"A\" in a single template)");
  EXPECT_EQ(PostProcessor::FromTemplates("pp", {TemplatePiece::Sequence("A")},
                                         {TemplatePiece::Sequence("B")})
                .status()
                .message(),
            "pp.pair must contain Sequence \"A\" and \"B\" exactly once each (has 0 A, 1 B)");
}

}  // namespace
}  // namespace weft::tokenizer
