// Tests of /v1/chat/completions request parsing: messages and content forms,
// max_completion_tokens, logprobs, response_format, tools, the template
// options, and the shared parameters through this endpoint.
#include "router/openai/chat_request.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router::openai {
namespace {

using ::testing::HasSubstr;

constexpr char kUserHi[] = R"([{"role": "user", "content": "hi"}])";

// A body with "model", the given messages and extra members ("" for none).
std::string Body(const std::string& extra, const std::string& messages = kUserHi) {
  return R"({"model": "m", "messages": )" + messages + (extra.empty() ? "" : ", " + extra) + "}";
}

GenerationRequest ParseOk(const std::string& body, const RequestLimits& limits = {}) {
  ApiResult<GenerationRequest> request = ParseChatRequest(body, limits);
  EXPECT_TRUE(request.ok()) << body << ": " << (request.ok() ? "" : request.error().message);
  return request.ok() ? std::move(request).value() : GenerationRequest{};
}

ApiError ParseError(const std::string& body, const RequestLimits& limits = {}) {
  ApiResult<GenerationRequest> request = ParseChatRequest(body, limits);
  EXPECT_FALSE(request.ok()) << body;
  return request.ok() ? ApiError{} : request.error();
}

ChatInput Input(const GenerationRequest& request) {
  EXPECT_TRUE(request.is_chat());
  return request.is_chat() ? std::get<ChatInput>(request.input) : ChatInput{};
}

TEST(ChatRequestTest, Defaults) {
  const GenerationRequest r = ParseOk(Body(""));
  EXPECT_EQ(r.model, "m");
  const ChatInput input = Input(r);
  EXPECT_EQ(input.messages, Json::parse(kUserHi));
  EXPECT_EQ(input.tools, std::nullopt);
  EXPECT_EQ(input.chat_template_kwargs, Json::object());
  EXPECT_TRUE(input.add_generation_prompt);
  EXPECT_FALSE(input.continue_final_message);
  EXPECT_EQ(r.stop.max_tokens, std::nullopt);  // what the context window leaves
  EXPECT_EQ(r.n, 1);
  EXPECT_FALSE(r.logprobs.enabled);
  EXPECT_FALSE(r.stream);
}

TEST(ChatRequestTest, SharedParameters) {
  const GenerationRequest r = ParseOk(Body(R"("temperature": 0, "top_p": 0.5, "top_k": 5,
      "min_p": 0.1, "repetition_penalty": 1.2, "presence_penalty": 1, "frequency_penalty": 1,
      "seed": 7, "stop": "END", "stop_token_ids": [9], "ignore_eos": true, "n": 3,
      "return_tokens_as_token_ids": true, "user": "u", "stream": true, "stream_options": {"include_usage": true})"));
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.5f);
  EXPECT_EQ(r.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.1f);
  EXPECT_FLOAT_EQ(r.sampling.repetition_penalty, 1.2f);
  EXPECT_EQ(r.sampling.seed, 7u);
  EXPECT_EQ(r.stop.stop_strings, std::vector<std::string>{"END"});
  EXPECT_EQ(r.stop.stop_token_ids, std::vector<int32_t>{9});
  EXPECT_TRUE(r.stop.ignore_eos);
  EXPECT_TRUE(r.logprobs.tokens_as_ids);
  EXPECT_EQ(r.n, 3);
  EXPECT_EQ(r.user, "u");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(ParseError(Body(R"("temperature": "1")")).param, "temperature");
  EXPECT_EQ(ParseError(Body(R"("n": 100)")).param, "n");
  EXPECT_EQ(ParseError(Body(R"("logit_bias": {"1": 5})")).param, "logit_bias");
  EXPECT_EQ(ParseError(Body(R"("stream_options": {})")).param, "stream_options");
  EXPECT_EQ(ParseError(R"({"messages": [{"role": "user", "content": "x"}]})").param, "model");
}

TEST(ChatRequestTest, MaxCompletionTokensIsPreferred) {
  EXPECT_EQ(ParseOk(Body(R"("max_tokens": 10)")).stop.max_tokens, 10);
  EXPECT_EQ(ParseOk(Body(R"("max_completion_tokens": 7)")).stop.max_tokens, 7);
  EXPECT_EQ(ParseOk(Body(R"("max_tokens": 10, "max_completion_tokens": 5)")).stop.max_tokens, 5);
  EXPECT_EQ(ParseOk(Body(R"("max_tokens": null, "max_completion_tokens": 5)")).stop.max_tokens, 5);
  EXPECT_EQ(ParseOk(Body(R"("max_tokens": 10, "max_completion_tokens": null)")).stop.max_tokens,
            10);
  EXPECT_EQ(ParseError(Body(R"("max_completion_tokens": "5")")).param, "max_completion_tokens");
  EXPECT_EQ(ParseError(Body(R"("max_completion_tokens": 0)")).param, "max_completion_tokens");
  // Each is validated even when the other wins.
  EXPECT_EQ(ParseError(Body(R"("max_tokens": 0, "max_completion_tokens": 5)")).param, "max_tokens");
}

TEST(ChatRequestTest, Logprobs) {
  const GenerationRequest r = ParseOk(Body(R"("logprobs": true, "top_logprobs": 5)"));
  EXPECT_TRUE(r.logprobs.enabled);
  EXPECT_EQ(r.logprobs.top_logprobs, 5);
  const GenerationRequest only = ParseOk(Body(R"("logprobs": true)"));
  EXPECT_TRUE(only.logprobs.enabled);
  EXPECT_EQ(only.logprobs.top_logprobs, 0);
  const GenerationRequest zero = ParseOk(Body(R"("logprobs": false, "top_logprobs": 0)"));
  EXPECT_FALSE(zero.logprobs.enabled);

  const ApiError without = ParseError(Body(R"("top_logprobs": 2)"));
  EXPECT_EQ(without.param, "top_logprobs");
  EXPECT_THAT(without.message, HasSubstr("'logprobs' must be set to true"));
  EXPECT_EQ(ParseError(Body(R"("logprobs": false, "top_logprobs": 2)")).param, "top_logprobs");
  EXPECT_EQ(ParseError(Body(R"("logprobs": true, "top_logprobs": 21)")).param, "top_logprobs");
  EXPECT_EQ(ParseError(Body(R"("logprobs": true, "top_logprobs": -1)")).param, "top_logprobs");
  EXPECT_EQ(ParseError(Body(R"("logprobs": true, "top_logprobs": "3")")).param, "top_logprobs");
  const ApiError integer = ParseError(Body(R"("logprobs": 1)"));
  EXPECT_EQ(integer.param, "logprobs");
  EXPECT_THAT(integer.message, HasSubstr("expected a boolean"));
  RequestLimits limits;
  limits.max_top_logprobs = 3;
  EXPECT_EQ(ParseError(Body(R"("logprobs": true, "top_logprobs": 4)"), limits).param,
            "top_logprobs");
}

TEST(ChatRequestTest, EveryRole) {
  const std::string messages = R"([
      {"role": "system", "content": "s"}, {"role": "developer", "content": "d"},
      {"role": "user", "content": "u", "name": "alice"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
       "function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "content": "42", "tool_call_id": "c1"},
      {"role": "assistant", "content": "done"}])";
  EXPECT_EQ(Input(ParseOk(Body("", messages))).messages, Json::parse(messages));
}

TEST(ChatRequestTest, MessagesPassThroughInOrder) {
  const std::string messages =
      R"([{"content": [{"text": "a", "type": "text"}], "role": "user", "x-extra": 1}])";
  const GenerationRequest r = ParseOk(Body("", messages));
  EXPECT_EQ(SerializeJson(Input(r).messages),
            R"([{"content":[{"text":"a","type":"text"}],"role":"user","x-extra":1}])");
}

TEST(ChatRequestTest, ContentForms) {
  EXPECT_TRUE(ParseChatRequest(Body("", R"([{"role": "user", "content": ""}])"), {}).ok());
  EXPECT_TRUE(ParseChatRequest(Body("", R"([{"role": "user", "content": []}])"), {}).ok());
  EXPECT_TRUE(ParseChatRequest(Body("", R"([{"role": "user", "content": [
      {"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}])"),
                               {})
                  .ok());
  EXPECT_TRUE(ParseChatRequest(Body("", R"([{"role": "system", "content": [
      {"type": "text", "text": "a"}]}])"),
                               {})
                  .ok());
}

TEST(ChatRequestTest, BadMessages) {
  struct Case {
    const char* messages;
    const char* param;
    const char* message;
  };
  const Case cases[] = {
      {R"("hi")", "messages", "Invalid type for 'messages'"},
      {R"({"role": "user"})", "messages", "Invalid type for 'messages'"},
      {"[]", "messages", "at least one message"},
      {"[5]", "messages[0]", "expected an object"},
      {R"([{"content": "x"}])", "messages[0].role", "is required"},
      {R"([{"role": 1, "content": "x"}])", "messages[0].role", "expected a string"},
      {R"([{"role": "function", "content": "x"}])", "messages[0].role",
       "'function' is not a supported role"},
      {R"([{"role": "user"}])", "messages[0].content", "is required"},
      {R"([{"role": "user", "content": null}])", "messages[0].content", "is required"},
      {R"([{"role": "assistant"}])", "messages[0].content", "is required"},
      {R"([{"role": "assistant", "tool_calls": []}])", "messages[0].content", "is required"},
      {R"([{"role": "user", "content": 5}])", "messages[0].content",
       "expected a string or an array of content parts"},
      {R"([{"role": "user", "content": "x"}, {"role": "user", "content": ["x"]}])",
       "messages[1].content[0]", "expected an object"},
      {R"([{"role": "user", "content": [{"text": "x"}]}])", "messages[0].content[0].type",
       "is required"},
      {R"([{"role": "user", "content": [{"type": 5}]}])", "messages[0].content[0].type",
       "expected a string"},
      {R"([{"role": "user", "content": [{"type": "text"}]}])", "messages[0].content[0].text",
       "is required"},
      {R"([{"role": "user", "content": [{"type": "text", "text": 5}]}])",
       "messages[0].content[0].text", "expected a string"},
      {R"([{"role": "user", "content": "x", "name": 5}])", "messages[0].name", "expected a string"},
      {R"([{"role": "tool", "content": "x", "tool_call_id": 5}])", "messages[0].tool_call_id",
       "expected a string"},
      {R"([{"role": "assistant", "content": "x", "tool_calls": {}}])", "messages[0].tool_calls",
       "expected an array"},
      {R"([{"role": "assistant", "content": "x", "tool_calls": [1]}])", "messages[0].tool_calls[0]",
       "expected an object"},
  };
  for (const Case& c : cases) {
    const ApiError e = ParseError(Body("", c.messages));
    EXPECT_EQ(e.http_status, 400) << c.messages;
    EXPECT_EQ(e.param, c.param) << c.messages << ": " << e.message;
    EXPECT_THAT(e.message, HasSubstr(c.message)) << c.messages;
  }
  EXPECT_EQ(ParseError(R"({"model": "m"})").message, "You must provide messages.");
  EXPECT_EQ(ParseError(R"({"model": "m", "messages": null})").param, "messages");
}

TEST(ChatRequestTest, NonTextContentIsNotSupported) {
  for (const char* type : {"image_url", "input_audio", "file", "refusal", "video"}) {
    const std::string messages = std::string(R"([{"role": "user", "content": [
        {"type": "text", "text": "what is this?"}, {"type": ")") +
                                 type + R"(", "image_url": {"url": "http://x/y.png"}}]}])";
    const ApiError e = ParseError(Body("", messages));
    EXPECT_EQ(e.http_status, 400);
    EXPECT_EQ(e.param, "messages[0].content[1].type");
    EXPECT_EQ(e.message, std::string("Content parts of type '") + type +
                             "' are not supported; only 'text' parts are.");
  }
}

TEST(ChatRequestTest, ResponseFormat) {
  EXPECT_TRUE(ParseChatRequest(Body(R"("response_format": {"type": "text"})"), {}).ok());
  for (const char* type : {"json_object", "json_schema"}) {
    const ApiError e =
        ParseError(Body(std::string(R"("response_format": {"type": ")") + type + R"("})"));
    EXPECT_EQ(e.param, "response_format.type");
    EXPECT_THAT(e.message, HasSubstr("is not supported"));
  }
  EXPECT_EQ(ParseError(Body(R"("response_format": {"type": "xml"})")).param,
            "response_format.type");
  EXPECT_EQ(ParseError(Body(R"("response_format": {})")).param, "response_format.type");
  EXPECT_EQ(ParseError(Body(R"("response_format": "text")")).param, "response_format");
}

constexpr char kTools[] = R"([{"type": "function", "function": {"name": "get_weather",
    "description": "Weather in a city", "parameters": {"type": "object",
    "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])";

TEST(ChatRequestTest, ToolsPassThrough) {
  const ChatInput input = Input(ParseOk(Body(std::string(R"("tools": )") + kTools)));
  ASSERT_TRUE(input.tools.has_value());
  EXPECT_EQ(SerializeJson(*input.tools), SerializeJson(Json::parse(kTools)));
  const ChatInput with_auto =
      Input(ParseOk(Body(std::string(R"("tool_choice": "auto", "tools": )") + kTools)));
  EXPECT_TRUE(with_auto.tools.has_value());
}

TEST(ChatRequestTest, ToolChoiceNoneDropsTheTools) {
  const ChatInput input =
      Input(ParseOk(Body(std::string(R"("tool_choice": "none", "tools": )") + kTools)));
  EXPECT_EQ(input.tools, std::nullopt);
  EXPECT_EQ(Input(ParseOk(Body(R"("tools": [])"))).tools, std::nullopt);
  EXPECT_TRUE(ParseChatRequest(Body(R"("tool_choice": "auto")"), {}).ok());
}

TEST(ChatRequestTest, ForcedToolChoiceIsNotSupported) {
  for (const char* choice :
       {R"("required")", R"({"type": "function", "function": {"name": "get_weather"}})"}) {
    const ApiError e =
        ParseError(Body(std::string(R"("tools": )") + kTools + R"(, "tool_choice": )" + choice));
    EXPECT_EQ(e.param, "tool_choice");
    EXPECT_THAT(e.message, HasSubstr("not supported"));
  }
  EXPECT_EQ(ParseError(Body(R"("tool_choice": "sometimes")")).param, "tool_choice");
  EXPECT_EQ(ParseError(Body(R"("tool_choice": 1)")).param, "tool_choice");
}

TEST(ChatRequestTest, BadTools) {
  struct Case {
    const char* tools;
    const char* param;
  };
  const Case cases[] = {
      {R"({})", "tools"},
      {R"([5])", "tools[0]"},
      {R"([{"type": "retrieval"}])", "tools[0].type"},
      {R"([{"function": {"name": "f"}}])", "tools[0].type"},
      {R"([{"type": "function"}])", "tools[0].function"},
      {R"([{"type": "function", "function": []}])", "tools[0].function"},
      {R"([{"type": "function", "function": {}}])", "tools[0].function.name"},
      {R"([{"type": "function", "function": {"name": ""}}])", "tools[0].function.name"},
      {R"([{"type": "function", "function": {"name": 1}}])", "tools[0].function.name"},
      {R"([{"type": "function", "function": {"name": "f", "description": 1}}])",
       "tools[0].function.description"},
      {R"([{"type": "function", "function": {"name": "f", "parameters": "x"}}])",
       "tools[0].function.parameters"},
  };
  for (const Case& c : cases) {
    const ApiError e = ParseError(Body(std::string(R"("tools": )") + c.tools));
    EXPECT_EQ(e.param, c.param) << c.tools << ": " << e.message;
  }
}

TEST(ChatRequestTest, ChatTemplateKwargs) {
  const ChatInput input = Input(ParseOk(Body(R"("chat_template_kwargs": {
      "enable_thinking": false, "custom": [1, 2]})")));
  EXPECT_EQ(SerializeJson(input.chat_template_kwargs),
            R"({"enable_thinking":false,"custom":[1,2]})");
  EXPECT_EQ(ParseError(Body(R"("chat_template_kwargs": [])")).param, "chat_template_kwargs");
  for (const char* name : {"messages", "tools", "add_generation_prompt", "bos_token"}) {
    const ApiError e =
        ParseError(Body(std::string(R"("chat_template_kwargs": {")") + name + R"(": null})"));
    EXPECT_EQ(e.param, std::string("chat_template_kwargs.") + name);
    EXPECT_THAT(e.message, HasSubstr("cannot be overridden"));
  }
}

TEST(ChatRequestTest, GenerationPromptAndContinuation) {
  EXPECT_FALSE(Input(ParseOk(Body(R"("add_generation_prompt": false)"))).add_generation_prompt);
  const std::string partial =
      R"([{"role": "user", "content": "Count"}, {"role": "assistant", "content": "1, 2,"}])";
  const ChatInput cont = Input(ParseOk(Body(R"("continue_final_message": true)", partial)));
  EXPECT_TRUE(cont.continue_final_message);
  EXPECT_FALSE(cont.add_generation_prompt);
  const ChatInput explicit_false = Input(
      ParseOk(Body(R"("continue_final_message": true, "add_generation_prompt": false)", partial)));
  EXPECT_FALSE(explicit_false.add_generation_prompt);
  const ApiError both =
      ParseError(Body(R"("continue_final_message": true, "add_generation_prompt": true)", partial));
  EXPECT_EQ(both.param, "continue_final_message");
  EXPECT_THAT(both.message, HasSubstr("Cannot set both"));
  EXPECT_EQ(ParseError(Body(R"("add_generation_prompt": "no")")).param, "add_generation_prompt");
  EXPECT_EQ(ParseError(Body(R"("continue_final_message": 1)")).param, "continue_final_message");
}

TEST(ChatRequestTest, UnknownFieldsAreIgnored) {
  EXPECT_TRUE(ParseChatRequest(Body(R"("store": true, "metadata": {"a": "b"},
      "parallel_tool_calls": false, "functions": 5, "reasoning_effort": "low")"),
                               {})
                  .ok());
}

TEST(ChatRequestTest, DeepContentIsRejected) {
  std::string deep = "1";
  for (int i = 0; i < 100; ++i) deep = "[" + deep + "]";
  const ApiError e = ParseError(Body(R"("extra": )" + deep));
  EXPECT_THAT(e.message, HasSubstr("nested deeper than 64 levels"));
}

}  // namespace
}  // namespace weft::router::openai
