// reference.json parsing: a valid document, and every kind of malformed input
// rejected with an error naming the file and the field.
#include "common/engine/verify/reference_file.h"

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

nlohmann::json ValidPrompt() {
  return nlohmann::json::parse(R"({
    "source": "text", "input_ids": [1, 2], "text": "ab",
    "last_logits": [0.5, -1.25, 3, 0], "greedy_ids": [2, 3], "greedy_margins": [0.5, 0],
    "greedy_text": "cd"})",
                               nullptr, /*allow_exceptions=*/false);
}

nlohmann::json ValidReference() {
  nlohmann::json j = {{"model", "tiny"},
                      {"architecture", "LlamaForCausalLM"},
                      {"seed", 11},
                      {"prompts", nlohmann::json::array({ValidPrompt()})}};
  return j;
}

absl::Status ParseError(const nlohmann::json& j) {
  return ParseReference(j.dump(), "ref.json").status();
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

checkpoint::ModelConfig Config(int64_t vocab) {
  checkpoint::ModelConfig config;
  config.architecture = checkpoint::Architecture::kLlama;
  config.vocab_size = vocab;
  return config;
}

TEST(ParseReference, ReadsEveryField) {
  nlohmann::json j = ValidReference();
  j["prompts"].push_back(ValidPrompt());
  j["prompts"][1]["source"] = "random_ids";
  j["prompts"][1].erase("text");
  const absl::StatusOr<Reference> ref = ParseReference(j.dump(), "ref.json");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->model, "tiny");
  EXPECT_EQ(ref->architecture, "LlamaForCausalLM");
  ASSERT_EQ(ref->prompts.size(), 2u);
  const ReferencePrompt& p = ref->prompts[0];
  EXPECT_EQ(p.source, ReferencePrompt::Source::kText);
  EXPECT_THAT(p.input_ids, ElementsAre(1, 2));
  EXPECT_EQ(p.text, "ab");
  EXPECT_THAT(p.last_logits, ElementsAre(0.5, -1.25, 3, 0));
  EXPECT_THAT(p.greedy_ids, ElementsAre(2, 3));
  EXPECT_THAT(p.greedy_margins, ElementsAre(0.5, 0));
  EXPECT_EQ(ref->prompts[1].source, ReferencePrompt::Source::kRandomIds);
  EXPECT_EQ(ref->prompts[1].text, "");
  EXPECT_TRUE(CheckReferenceFitsModel(*ref, Config(4), "ref.json").ok());
}

TEST(ParseReference, InvalidJsonNamesTheFileAndPosition) {
  const absl::Status s = ParseReference(R"({"prompts": [)", "dir/reference.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("dir/reference.json: invalid JSON: byte"));
  EXPECT_THAT(Message(ParseReference("[1, 2]", "r.json").status()),
              HasSubstr("r.json: is an array, expected an object"));
}

TEST(ParseReference, TopLevelFields) {
  nlohmann::json j = ValidReference();
  j.erase("prompts");
  EXPECT_THAT(Message(ParseError(j)), HasSubstr("ref.json: field 'prompts' is missing"));
  j["prompts"] = nlohmann::json::array();
  EXPECT_THAT(Message(ParseError(j)), HasSubstr("field 'prompts' is empty"));
  j["prompts"] = {{"source", "text"}};
  EXPECT_THAT(Message(ParseError(j)), HasSubstr("field 'prompts' is an object, expected an array"));
  j = ValidReference();
  j["model"] = 3;
  EXPECT_THAT(Message(ParseError(j)), HasSubstr("field 'model' is a number, expected a string"));
  j = ValidReference();
  j["prompts"][0] = 7;
  EXPECT_THAT(Message(ParseError(j)), HasSubstr("prompts[0] is a number, expected an object"));
}

// Each prompt mutation and the message it must produce.
struct PromptCase {
  std::string name;
  std::function<void(nlohmann::json&)> mutate;
  std::string message;
};

class PromptFieldTest : public ::testing::TestWithParam<PromptCase> {};

TEST_P(PromptFieldTest, RejectedNamingTheField) {
  nlohmann::json j = ValidReference();
  j["prompts"].push_back(ValidPrompt());
  GetParam().mutate(j["prompts"][1]);
  const absl::Status s = ParseError(j);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr(absl::StrCat("ref.json: prompts[1]: ", GetParam().message)));
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, PromptFieldTest,
    ::testing::Values(
        PromptCase{"MissingLogits", [](auto& p) { p.erase("last_logits"); },
                   "field 'last_logits' is missing"},
        PromptCase{"NullIds", [](auto& p) { p["input_ids"] = nullptr; },
                   "field 'input_ids' is missing"},
        PromptCase{"EmptyIds", [](auto& p) { p["input_ids"] = nlohmann::json::array(); },
                   "field 'input_ids' is empty"},
        PromptCase{"StringId", [](auto& p) { p["input_ids"][1] = "6"; },
                   "field 'input_ids' element 1 is a string, expected a token id"},
        PromptCase{"FractionalId", [](auto& p) { p["greedy_ids"][0] = 2.5; },
                   "field 'greedy_ids' element 0 is a number with a fraction"},
        PromptCase{"NegativeId", [](auto& p) { p["input_ids"][0] = -1; },
                   "field 'input_ids' element 0 (-1) is not a valid token id"},
        PromptCase{"HugeId", [](auto& p) { p["input_ids"][0] = 1ull << 40; },
                   "field 'input_ids' element 0 (1099511627776) is not a valid token id"},
        PromptCase{"LogitNotNumber", [](auto& p) { p["last_logits"][2] = true; },
                   "field 'last_logits' element 2 is a boolean, expected a number"},
        PromptCase{"LogitsNotArray", [](auto& p) { p["last_logits"] = 1.0; },
                   "field 'last_logits' is a number, expected an array"},
        PromptCase{"NegativeMargin", [](auto& p) { p["greedy_margins"][1] = -0.5; },
                   "field 'greedy_margins' element 1 (-0.5) is below 0"},
        PromptCase{"MarginsShort", [](auto& p) { p["greedy_margins"].erase(1); },
                   "field 'greedy_margins' has 1 values, 'greedy_ids' 2"},
        PromptCase{"UnknownSource", [](auto& p) { p["source"] = "chat"; },
                   "field 'source' is \"chat\", expected \"text\" or \"random_ids\""},
        PromptCase{"MissingSource", [](auto& p) { p.erase("source"); },
                   "field 'source' is missing"},
        PromptCase{"TextPromptWithoutText", [](auto& p) { p.erase("text"); },
                   "field 'text' is missing"}),
    [](const auto& info) { return info.param.name; });

TEST(ParseReference, NumbersBeyondDoubleAreRejected) {
  // JSON has no NaN or infinity; a number beyond double's range is an error.
  std::string text = ValidReference().dump();
  const std::string from = "[0.5,-1.25,3,0]";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "[0.5,-1.25,1e999,0]");
  EXPECT_THAT(std::string(ParseReference(text, "ref.json").status().message()),
              HasSubstr("ref.json: invalid JSON"));
}

TEST(CheckReferenceFitsModel, VocabularyAndArchitecture) {
  absl::StatusOr<Reference> ref = ParseReference(ValidReference().dump(), "ref.json");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_THAT(Message(CheckReferenceFitsModel(*ref, Config(5), "ref.json")),
              HasSubstr("ref.json: prompts[0]: field 'last_logits' has 4 values; the model's "
                        "vocab_size is 5"));
  ref->prompts[0].greedy_ids[1] = 4;
  EXPECT_THAT(Message(CheckReferenceFitsModel(*ref, Config(4), "ref.json")),
              HasSubstr("prompts[0]: field 'greedy_ids' element 1 (4) is not below the model's "
                        "vocab_size 4"));
  ref->prompts[0].greedy_ids[1] = 3;
  checkpoint::ModelConfig qwen = Config(4);
  qwen.architecture = checkpoint::Architecture::kQwen3Moe;
  EXPECT_THAT(Message(CheckReferenceFitsModel(*ref, qwen, "ref.json")),
              HasSubstr("field 'architecture' is \"LlamaForCausalLM\" but the model is a "
                        "Qwen3MoeForCausalLM"));
  ref->architecture.clear();  // not named: any model
  EXPECT_TRUE(CheckReferenceFitsModel(*ref, qwen, "ref.json").ok());
}

TEST(LoadReference, MissingFileIsNotFound) {
  const absl::Status s = LoadReference("no/such/reference.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(s), HasSubstr("no/such/reference.json"));
}

}  // namespace
}  // namespace weft::engine
