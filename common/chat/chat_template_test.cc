// Tests for ChatTemplate: golden renders of real chat templates (produced by
// jinja2 as transformers uses it, see testdata/gen_chat_goldens.py), loading
// from a checkpoint directory, and the start-up check.
#include "common/chat/chat_template.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::chat {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::ordered_json;

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The instant gen_chat_goldens.py pins strftime_now() to.
jinja::RenderOptions FixedClock() {
  jinja::RenderOptions options;
  options.time_zone = absl::UTCTimeZone();
  options.now = [] {
    return absl::FromCivil(absl::CivilSecond(2024, 7, 26, 12, 0, 0), absl::UTCTimeZone());
  };
  return options;
}

std::optional<std::string> Token(const json& tokens, const char* name) {
  if (!tokens.contains(name)) return std::nullopt;
  return tokens[name].get<std::string>();
}

TEST(ChatTemplateGoldenTest, RealTemplatesMatchTransformers) {
  const json goldens =
      json::parse(ReadTestFile("common/chat/testdata/chat_goldens.json"), nullptr, false);
  ASSERT_TRUE(goldens.is_array());
  const std::string fixture = json::parse(ReadTestFile(
      "tests/data/models/tiny-qwen3-moe/tokenizer_config.json"))["chat_template"]
                                  .get<std::string>();
  int checked = 0;
  for (const json& c : goldens) {
    const std::string file = c["template"].get<std::string>();
    SCOPED_TRACE(file + " / " + c["name"].get<std::string>());
    const std::string source = absl::StartsWith(file, "fixture:")
                                   ? fixture
                                   : ReadTestFile("common/chat/testdata/templates/" + file);
    SpecialTokens tokens;
    tokens.bos_token = Token(c["special_tokens"], "bos_token");
    tokens.eos_token = Token(c["special_tokens"], "eos_token");
    tokens.unk_token = Token(c["special_tokens"], "unk_token");
    tokens.pad_token = Token(c["special_tokens"], "pad_token");
    absl::StatusOr<ChatTemplate> t = ChatTemplate::Parse(source, tokens);
    ASSERT_TRUE(t.ok()) << t.status();
    t->set_render_options(FixedClock());

    RenderInput input;
    input.messages = c["messages"];
    input.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    if (c.contains("tools")) input.tools = c["tools"];
    input.extra_context = c["extra_context"];
    const absl::StatusOr<std::string> out = t->Render(input);
    if (c.contains("output")) {
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_EQ(*out, c["output"].get<std::string>());
    } else {
      const std::string error = c["error"].get<std::string>();
      ASSERT_FALSE(out.ok()) << "jinja2 failed with " << error << "; weft rendered " << *out;
      if (absl::StartsWith(error, "TemplateError: ")) {
        EXPECT_TRUE(IsTemplateException(out.status())) << out.status();
        EXPECT_THAT(Msg(out.status()), HasSubstr(error.substr(strlen("TemplateError: "))));
      } else {
        EXPECT_FALSE(IsTemplateException(out.status())) << out.status();
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

TEST(ChatTemplateTest, RendersTheFixtureTemplate) {
  absl::StatusOr<ChatTemplate> t = LoadChatTemplate("tests/data/models/tiny-qwen3-moe");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->special_tokens().eos_token, "<|im_end|>");
  EXPECT_FALSE(t->special_tokens().bos_token.has_value());
  EXPECT_TRUE(t->Check().ok());
  RenderInput input;
  input.messages = json::parse(R"([{"role": "user", "content": "Hi"}])");
  EXPECT_EQ(*t->Render(input), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  input.add_generation_prompt = false;
  EXPECT_EQ(*t->Render(input), "<|im_start|>user\nHi<|im_end|>\n");
}

TEST(ChatTemplateTest, ParseErrorsNameTheLocation) {
  const auto t =
      ChatTemplate::Parse("{% for m in messages %}\n{{ m|groupby('role') }}{% endfor %}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Msg(t.status()), "chat template line 2:6: the 'groupby' filter is not supported");
}

TEST(ChatTemplateTest, RenderErrors) {
  absl::StatusOr<ChatTemplate> t = ChatTemplate::Parse(
      "{% if messages|length > 2 %}{{ raise_exception('Too many messages') }}{% endif %}"
      "{{ messages[0].content + 1 }}");
  ASSERT_TRUE(t.ok());
  RenderInput input;
  input.messages = json::parse(R"([{"role": "user", "content": "a"}, {"role": "user"}, {}])");
  absl::StatusOr<std::string> out = t->Render(input);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(IsTemplateException(out.status()));
  EXPECT_EQ(Msg(out.status()), "chat template line 1:32: Too many messages");

  input.messages = json::parse(R"([{"role": "user", "content": "a"}])");
  out = t->Render(input);
  ASSERT_FALSE(out.ok());
  EXPECT_FALSE(IsTemplateException(out.status()));
  EXPECT_THAT(Msg(out.status()), HasSubstr("can only concatenate str (not \"int\") to str"));

  input.messages = json::object();
  EXPECT_THAT(Msg(t->Render(input).status()), HasSubstr("must be a JSON array"));
}

TEST(ChatTemplateTest, ContextVariables) {
  absl::StatusOr<ChatTemplate> t = ChatTemplate::Parse(
      "{{ bos_token }}|{{ eos_token }}|{{ unk_token is defined }}|{{ tools }}|{{ documents }}|"
      "{{ add_generation_prompt }}|{{ enable_thinking }}|{{ tools is none }}",
      SpecialTokens{.bos_token = "<s>", .eos_token = "</s>"});
  ASSERT_TRUE(t.ok());
  RenderInput input;
  input.extra_context = json::parse(R"({"enable_thinking": false})");
  EXPECT_EQ(*t->Render(input), "<s>|</s>|False|None|None|True|False|True");
  input.tools = json::parse(R"([{"type": "function"}])");
  input.extra_context = json::parse(R"({"add_generation_prompt": false})");
  EXPECT_EQ(*t->Render(input), "<s>|</s>|False|[{'type': 'function'}]|None|False||False");
}

TEST(ChatTemplateTest, CheckFallsBackWithoutTheSystemMessage) {
  const std::string gemma = ReadTestFile("common/chat/testdata/templates/gemma2.jinja");
  absl::StatusOr<ChatTemplate> t = ChatTemplate::Parse(gemma, SpecialTokens{.bos_token = "<bos>"});
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->Check().ok()) << t->Check();
}

TEST(ChatTemplateTest, CheckFails) {
  absl::StatusOr<ChatTemplate> raises =
      ChatTemplate::Parse("{{ raise_exception('This template renders nothing') }}");
  ASSERT_TRUE(raises.ok());
  EXPECT_THAT(Msg(raises->Check()), HasSubstr("This template renders nothing"));

  absl::StatusOr<ChatTemplate> unsupported =
      ChatTemplate::Parse("{% for m in messages %}{{ m.content.zfill(3) }}{% endfor %}");
  ASSERT_TRUE(unsupported.ok());
  EXPECT_THAT(Msg(unsupported->Check()),
              HasSubstr("chat template cannot render a sample conversation: line 1:36: "
                        "str.zfill() is not supported"));

  absl::StatusOr<ChatTemplate> empty = ChatTemplate::Parse("{# nothing #}");
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(Msg(empty->Check()), HasSubstr("empty"));
}

TEST(ChatTemplateTest, FlattenTextContent) {
  const json messages = json::parse(R"([
    {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
    {"role": "assistant", "content": "c"}
  ])");
  const json flat = FlattenTextContent(messages);
  EXPECT_EQ(flat[0]["content"], "a\nb");
  EXPECT_EQ(flat[1], messages[1]);
  EXPECT_EQ(flat[2], messages[2]);
}

// --- Loading ------------------------------------------------------------------------

class LoadChatTemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  std::filesystem::path dir_;
};

TEST_F(LoadChatTemplateTest, StringTemplateAndTokenObjects) {
  Write("tokenizer_config.json", R"({
    "bos_token": {"content": "<s>", "lstrip": false},
    "eos_token": "</s>",
    "unk_token": null,
    "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}"
  })");
  absl::StatusOr<ChatTemplate> t = LoadChatTemplate(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->special_tokens().bos_token, "<s>");
  EXPECT_EQ(t->special_tokens().eos_token, "</s>");
  EXPECT_FALSE(t->special_tokens().unk_token.has_value());
  RenderInput input;
  input.messages = json::parse(R"([{"role": "user", "content": "x"}])");
  EXPECT_EQ(*t->Render(input), "<s>x");
}

TEST_F(LoadChatTemplateTest, NamedTemplatesUseDefault) {
  Write("tokenizer_config.json", R"({"chat_template": [
    {"name": "tool_use", "template": "tools"}, {"name": "default", "template": "default"}]})");
  absl::StatusOr<ChatTemplate> t = LoadChatTemplate(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->source(), "default");

  Write("tokenizer_config.json", R"({"chat_template": [{"name": "rag", "template": "x"}]})");
  const auto missing = LoadChatTemplate(dir_.string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(missing.status()), HasSubstr("no template named \"default\" (it has: rag)"));
}

TEST_F(LoadChatTemplateTest, ChatTemplateJinjaWins) {
  Write("tokenizer_config.json", R"({"chat_template": "from config", "eos_token": "E"})");
  Write("chat_template.jinja", "from file {{ eos_token }}\n");
  absl::StatusOr<ChatTemplate> t = LoadChatTemplate(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->Render(RenderInput()), "from file E");  // Trailing newline dropped.
}

TEST_F(LoadChatTemplateTest, ChatTemplateJson) {
  Write("tokenizer_config.json", R"({"eos_token": "E"})");
  Write("chat_template.json", R"({"chat_template": "json {{ eos_token }}"})");
  absl::StatusOr<ChatTemplate> t = LoadChatTemplate(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->Render(RenderInput()), "json E");
}

TEST_F(LoadChatTemplateTest, Errors) {
  const auto none = LoadChatTemplate(dir_.string());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(none.status()), HasSubstr("no chat template in"));

  Write("tokenizer_config.json", R"({"eos_token": "E"})");
  EXPECT_EQ(LoadChatTemplate(dir_.string()).status().code(), absl::StatusCode::kNotFound);

  Write("tokenizer_config.json", "{not json");
  EXPECT_THAT(Msg(LoadChatTemplate(dir_.string()).status()),
              HasSubstr("tokenizer_config.json: invalid JSON"));

  Write("tokenizer_config.json", R"({"chat_template": 5})");
  EXPECT_THAT(Msg(LoadChatTemplate(dir_.string()).status()),
              HasSubstr("`chat_template` must be a string or a list"));

  Write("tokenizer_config.json", R"({"chat_template": "x", "bos_token": 1})");
  EXPECT_THAT(Msg(LoadChatTemplate(dir_.string()).status()), HasSubstr("`bos_token` must be"));

  Write("tokenizer_config.json",
        R"({"chat_template": "{% if x %}\n{% include 'y' %}{% endif %}"})");
  EXPECT_THAT(Msg(LoadChatTemplate(dir_.string()).status()),
              HasSubstr("tokenizer_config.json: chat template line 2:4: the 'include' tag is not "
                        "supported"));
}

}  // namespace
}  // namespace weft::chat
