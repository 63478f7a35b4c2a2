// Tests of /v1/completions request parsing: every parameter with its type,
// range and default, the prompt forms, and the unsupported features.
#include "router/openai/completions_request.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router::openai {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A body with "model" and "prompt" and the given extra members ("" for none).
std::string Body(const std::string& extra) {
  return R"({"model": "m", "prompt": "hi")" + (extra.empty() ? "" : ", " + extra) + "}";
}

GenerationRequest ParseOk(const std::string& body, const RequestLimits& limits = {}) {
  ApiResult<GenerationRequest> request = ParseCompletionsRequest(body, limits);
  EXPECT_TRUE(request.ok()) << body << ": " << (request.ok() ? "" : request.error().message);
  return request.ok() ? std::move(request).value() : GenerationRequest{};
}

ApiError ParseError(const std::string& body, const RequestLimits& limits = {}) {
  ApiResult<GenerationRequest> request = ParseCompletionsRequest(body, limits);
  EXPECT_FALSE(request.ok()) << body;
  return request.ok() ? ApiError{} : request.error();
}

const CompletionInput& Input(const GenerationRequest& request) {
  return std::get<CompletionInput>(request.input);
}

TEST(CompletionsRequestTest, Defaults) {
  const GenerationRequest r = ParseOk(Body(""));
  EXPECT_EQ(r.model, "m");
  EXPECT_FALSE(r.is_chat());
  ASSERT_EQ(Input(r).prompts.size(), 1u);
  EXPECT_EQ(std::get<std::string>(Input(r).prompts[0]), "hi");
  EXPECT_FALSE(Input(r).echo);
  EXPECT_EQ(r.n, 1);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 1.0f);
  EXPECT_EQ(r.sampling.top_k, 0);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.0f);
  EXPECT_FLOAT_EQ(r.sampling.repetition_penalty, 1.0f);
  EXPECT_FLOAT_EQ(r.sampling.presence_penalty, 0.0f);
  EXPECT_FLOAT_EQ(r.sampling.frequency_penalty, 0.0f);
  EXPECT_EQ(r.sampling.seed, std::nullopt);
  EXPECT_EQ(r.stop.max_tokens, 16);  // OpenAI's completions default
  EXPECT_THAT(r.stop.stop_strings, IsEmpty());
  EXPECT_THAT(r.stop.stop_token_ids, IsEmpty());
  EXPECT_FALSE(r.stop.ignore_eos);
  EXPECT_FALSE(r.logprobs.enabled);
  EXPECT_EQ(r.logprobs.top_logprobs, 0);
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_EQ(r.user, "");
}

TEST(CompletionsRequestTest, EveryParameter) {
  const GenerationRequest r = ParseOk(Body(R"(
      "max_tokens": 5, "temperature": 0.5, "top_p": 0.9, "top_k": 40, "min_p": 0.05,
      "presence_penalty": 0.5, "frequency_penalty": -0.5, "repetition_penalty": 1.1,
      "seed": 42, "stop": ["a", "b"], "stop_token_ids": [1, 2], "n": 2, "logprobs": 3,
      "ignore_eos": true, "user": "u", "stream": true, "stream_options": {"include_usage": true},
      "echo": false, "best_of": 2, "suffix": "", "logit_bias": {},
      "some_future_field": {"x": [1]})"));
  EXPECT_EQ(r.stop.max_tokens, 5);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(r.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(r.sampling.repetition_penalty, 1.1f);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_THAT(r.stop.stop_strings, ElementsAre("a", "b"));
  EXPECT_THAT(r.stop.stop_token_ids, ElementsAre(1, 2));
  EXPECT_EQ(r.n, 2);
  EXPECT_TRUE(r.logprobs.enabled);
  EXPECT_EQ(r.logprobs.top_logprobs, 3);
  EXPECT_TRUE(r.stop.ignore_eos);
  EXPECT_EQ(r.user, "u");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
}

TEST(CompletionsRequestTest, NullMeansAbsent) {
  const GenerationRequest r = ParseOk(Body(R"("temperature": null, "max_tokens": null,
      "stop": null, "seed": null, "logprobs": null, "n": null, "stream_options": null,
      "user": null, "echo": null, "suffix": null, "best_of": null, "logit_bias": null)"));
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_EQ(r.stop.max_tokens, 16);
  EXPECT_FALSE(r.logprobs.enabled);
  EXPECT_EQ(r.sampling.seed, std::nullopt);
}

TEST(CompletionsRequestTest, WrongTypesNameTheField) {
  struct Case {
    const char* member;
    const char* param;
  };
  const Case cases[] = {
      {R"("temperature": "0.5")", "temperature"},
      {R"("top_p": true)", "top_p"},
      {R"("top_k": 1.5)", "top_k"},
      {R"("top_k": "4")", "top_k"},
      {R"("min_p": [0])", "min_p"},
      {R"("presence_penalty": "1")", "presence_penalty"},
      {R"("frequency_penalty": {})", "frequency_penalty"},
      {R"("repetition_penalty": false)", "repetition_penalty"},
      {R"("seed": 1.5)", "seed"},
      {R"("seed": "1")", "seed"},
      {R"("n": "2")", "n"},
      {R"("max_tokens": "10")", "max_tokens"},
      {R"("max_tokens": 10.5)", "max_tokens"},
      {R"("stop": 5)", "stop"},
      {R"("stop": {"a": 1})", "stop"},
      {R"("stop": ["a", 1])", "stop[1]"},
      {R"("stop_token_ids": 5)", "stop_token_ids"},
      {R"("stop_token_ids": [1, "2"])", "stop_token_ids[1]"},
      {R"("ignore_eos": 1)", "ignore_eos"},
      {R"("logprobs": true)", "logprobs"},
      {R"("echo": "yes")", "echo"},
      {R"("suffix": 5)", "suffix"},
      {R"("best_of": "1")", "best_of"},
      {R"("user": 5)", "user"},
      {R"("stream": "true")", "stream"},
      {R"("stream": true, "stream_options": "x")", "stream_options"},
      {R"("stream": true, "stream_options": {"include_usage": "yes"})",
       "stream_options.include_usage"},
      {R"("logit_bias": [])", "logit_bias"},
  };
  for (const Case& c : cases) {
    const ApiError e = ParseError(Body(c.member));
    EXPECT_EQ(e.http_status, 400) << c.member;
    EXPECT_EQ(e.type, "invalid_request_error") << c.member;
    EXPECT_EQ(e.param, c.param) << c.member;
    EXPECT_THAT(e.message, HasSubstr(std::string("Invalid type for '") + c.param + "'"))
        << c.member;
  }
}

TEST(CompletionsRequestTest, TypeMessageSaysWhatWasExpected) {
  EXPECT_EQ(ParseError(Body(R"("temperature": "hot")")).message,
            "Invalid type for 'temperature': expected a number, but got a string instead.");
  EXPECT_EQ(ParseError(Body(R"("n": 1.5)")).message,
            "Invalid type for 'n': expected an integer, but got a number instead.");
}

TEST(CompletionsRequestTest, OutOfRangeNamesTheField) {
  struct Case {
    const char* member;
    const char* param;
  };
  const Case cases[] = {
      {R"("temperature": 2.5)", "temperature"},
      {R"("temperature": -0.1)", "temperature"},
      {R"("top_p": 0)", "top_p"},
      {R"("top_p": 1.01)", "top_p"},
      {R"("top_k": -2)", "top_k"},
      {R"("top_k": 2147483648)", "top_k"},
      {R"("min_p": 1.5)", "min_p"},
      {R"("min_p": -0.5)", "min_p"},
      {R"("presence_penalty": 2.5)", "presence_penalty"},
      {R"("presence_penalty": -3)", "presence_penalty"},
      {R"("frequency_penalty": 3)", "frequency_penalty"},
      {R"("repetition_penalty": 0)", "repetition_penalty"},
      {R"("repetition_penalty": -1)", "repetition_penalty"},
      {R"("n": 0)", "n"},
      {R"("n": 17)", "n"},
      {R"("n": -1)", "n"},
      {R"("max_tokens": 0)", "max_tokens"},
      {R"("max_tokens": 2147483648)", "max_tokens"},
      {R"("max_tokens": 18446744073709551615)", "max_tokens"},
      {R"("max_tokens": 1e30)", "max_tokens"},
      {R"("logprobs": 21)", "logprobs"},
      {R"("logprobs": -1)", "logprobs"},
      {R"("seed": 9223372036854775808)", "seed"},
      {R"("seed": -1e19)", "seed"},
      {R"("seed": 1e30)", "seed"},
      {R"("stop_token_ids": [-1])", "stop_token_ids[0]"},
      {R"("stop_token_ids": [2147483648])", "stop_token_ids[0]"},
      {R"("best_of": 0)", "best_of"},
  };
  for (const Case& c : cases) {
    const ApiError e = ParseError(Body(c.member));
    EXPECT_EQ(e.http_status, 400) << c.member;
    EXPECT_EQ(e.param, c.param) << c.member;
    EXPECT_THAT(e.message, HasSubstr(std::string("Invalid value for '") + c.param + "'"))
        << c.member;
  }
}

TEST(CompletionsRequestTest, RangeMessageSaysTheRange) {
  EXPECT_EQ(ParseError(Body(R"("temperature": 3)")).message,
            "Invalid value for 'temperature': expected a value between 0 and 2, but got 3 "
            "instead.");
  EXPECT_EQ(ParseError(Body(R"("top_p": 0)")).message,
            "Invalid value for 'top_p': expected a value > 0 and <= 1, but got 0 instead.");
  EXPECT_EQ(ParseError(Body(R"("n": 20)")).message,
            "Invalid value for 'n': expected a value between 1 and 16, but got 20 instead.");
  // Numbers beyond a double do not parse.
  EXPECT_THAT(ParseError(Body(R"("temperature": 1e400)")).message,
              HasSubstr("We could not parse the JSON body of your request: number overflow"));
}

TEST(CompletionsRequestTest, BoundariesAreAccepted) {
  EXPECT_FLOAT_EQ(ParseOk(Body(R"("temperature": 0)")).sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(ParseOk(Body(R"("temperature": 2)")).sampling.temperature, 2.0f);
  EXPECT_FLOAT_EQ(ParseOk(Body(R"("top_p": 1)")).sampling.top_p, 1.0f);
  EXPECT_FLOAT_EQ(ParseOk(Body(R"("min_p": 1)")).sampling.min_p, 1.0f);
  EXPECT_FLOAT_EQ(ParseOk(Body(R"("presence_penalty": -2)")).sampling.presence_penalty, -2.0f);
  EXPECT_FLOAT_EQ(ParseOk(Body(R"("frequency_penalty": 2)")).sampling.frequency_penalty, 2.0f);
  EXPECT_FLOAT_EQ(ParseOk(Body(R"("repetition_penalty": 5)")).sampling.repetition_penalty, 5.0f);
  EXPECT_EQ(ParseOk(Body(R"("top_k": -1)")).sampling.top_k, 0);  // vLLM's "off"
  EXPECT_EQ(ParseOk(Body(R"("n": 16)")).n, 16);
  EXPECT_EQ(ParseOk(Body(R"("max_tokens": 2147483647)")).stop.max_tokens, 2147483647);
  EXPECT_EQ(ParseOk(Body(R"("logprobs": 0)")).logprobs.enabled, true);
  EXPECT_EQ(ParseOk(Body(R"("logprobs": 20)")).logprobs.top_logprobs, 20);
  EXPECT_EQ(ParseOk(Body(R"("seed": 9223372036854775807)")).sampling.seed,
            uint64_t{9223372036854775807u});
  EXPECT_EQ(ParseOk(Body(R"("seed": -9223372036854775808)")).sampling.seed, uint64_t{1} << 63);
  EXPECT_EQ(ParseOk(Body(R"("seed": -1)")).sampling.seed, ~uint64_t{0});
}

TEST(CompletionsRequestTest, IntegralFloatsAreIntegers) {
  EXPECT_EQ(ParseOk(Body(R"("n": 2.0)")).n, 2);
  EXPECT_EQ(ParseOk(Body(R"("max_tokens": 1e2)")).stop.max_tokens, 100);
  EXPECT_EQ(ParseOk(Body(R"("seed": -3.0)")).sampling.seed, static_cast<uint64_t>(-3));
}

TEST(CompletionsRequestTest, CapsComeFromTheLimits) {
  RequestLimits limits;
  limits.max_n = 4;
  limits.max_top_logprobs = 2;
  EXPECT_EQ(ParseOk(Body(R"("n": 4)"), limits).n, 4);
  EXPECT_THAT(ParseError(Body(R"("n": 5)"), limits).message, HasSubstr("between 1 and 4"));
  EXPECT_EQ(ParseError(Body(R"("logprobs": 3)"), limits).param, "logprobs");
}

TEST(CompletionsRequestTest, StopForms) {
  EXPECT_THAT(ParseOk(Body(R"("stop": "\n")")).stop.stop_strings, ElementsAre("\n"));
  EXPECT_THAT(ParseOk(Body(R"("stop": ["x", "", "y"])")).stop.stop_strings,
              ElementsAre("x", "y"));  // empty strings would stop at once: dropped
  EXPECT_THAT(ParseOk(Body(R"("stop": "")")).stop.stop_strings, IsEmpty());
  EXPECT_THAT(ParseOk(Body(R"("stop": [])")).stop.stop_strings, IsEmpty());
}

TEST(CompletionsRequestTest, StopCaps) {
  RequestLimits limits;
  limits.max_stop_strings = 2;
  limits.max_stop_string_bytes = 3;
  limits.max_stop_token_ids = 2;
  EXPECT_TRUE(ParseCompletionsRequest(Body(R"("stop": ["abc", "d"])"), limits).ok());
  const ApiError too_many = ParseError(Body(R"("stop": ["a", "b", "c"])"), limits);
  EXPECT_EQ(too_many.param, "stop");
  EXPECT_THAT(too_many.message, HasSubstr("at most 2 stop strings"));
  const ApiError too_long = ParseError(Body(R"("stop": ["a", "abcd"])"), limits);
  EXPECT_EQ(too_long.param, "stop[1]");
  EXPECT_THAT(too_long.message, HasSubstr("at most 3 bytes"));
  EXPECT_EQ(ParseError(Body(R"("stop": "abcd")"), limits).param, "stop");
  EXPECT_EQ(ParseError(Body(R"("stop_token_ids": [1, 2, 3])"), limits).param, "stop_token_ids");
}

TEST(CompletionsRequestTest, PromptForms) {
  const GenerationRequest text = ParseOk(R"({"model": "m", "prompt": "once"})");
  EXPECT_THAT(Input(text).prompts, ElementsAre(CompletionPrompt(std::string("once"))));

  const GenerationRequest batch = ParseOk(R"({"model": "m", "prompt": ["a", "b", "c"]})");
  EXPECT_THAT(Input(batch).prompts,
              ElementsAre(CompletionPrompt(std::string("a")), CompletionPrompt(std::string("b")),
                          CompletionPrompt(std::string("c"))));

  const GenerationRequest tokens = ParseOk(R"({"model": "m", "prompt": [1, 2, 3.0]})");
  EXPECT_THAT(Input(tokens).prompts, ElementsAre(CompletionPrompt(std::vector<int32_t>{1, 2, 3})));

  const GenerationRequest token_batch = ParseOk(R"({"model": "m", "prompt": [[1], [2, 3]]})");
  EXPECT_THAT(Input(token_batch).prompts,
              ElementsAre(CompletionPrompt(std::vector<int32_t>{1}),
                          CompletionPrompt(std::vector<int32_t>{2, 3})));

  // The tokenizer may add BOS; ResolveMaxTokens rejects an empty token count.
  const GenerationRequest empty_text = ParseOk(R"({"model": "m", "prompt": ""})");
  EXPECT_THAT(Input(empty_text).prompts, ElementsAre(CompletionPrompt(std::string())));
}

TEST(CompletionsRequestTest, BadPrompts) {
  struct Case {
    const char* prompt;
    const char* param;
  };
  const Case cases[] = {
      {"5", "prompt"},
      {"{}", "prompt"},
      {"true", "prompt"},
      {"[]", "prompt"},
      {"[[]]", "prompt[0]"},
      {"[-1]", "prompt[0]"},
      {"[1, -1]", "prompt[1]"},
      {"[2147483648]", "prompt[0]"},
      {"[1.5]", "prompt[0]"},
      {"[[1], [-5]]", "prompt[1][0]"},
      {"[[1], [2, []]]", "prompt[1][1]"},
      {R"(["a", 1])", "prompt[1]"},
      {R"(["a", ["b"]])", "prompt[1]"},
      {R"([1, "a"])", "prompt[1]"},
      {R"([[1], "a"])", "prompt[1]"},
      {"[true]", "prompt[0]"},
      {"[null]", "prompt[0]"},
      {"[{}]", "prompt[0]"},
  };
  for (const Case& c : cases) {
    const ApiError e = ParseError(std::string(R"({"model": "m", "prompt": )") + c.prompt + "}");
    EXPECT_EQ(e.http_status, 400) << c.prompt;
    EXPECT_EQ(e.param, c.param) << c.prompt << ": " << e.message;
  }
  EXPECT_THAT(ParseError(R"({"model": "m", "prompt": []})").message,
              HasSubstr("must not be empty"));
  EXPECT_THAT(ParseError(R"({"model": "m", "prompt": 5})").message,
              HasSubstr("a string, an array of strings, an array of token ids, or an array of "
                        "token id arrays"));
}

TEST(CompletionsRequestTest, PromptIsRequired) {
  for (const char* body : {R"({"model": "m"})", R"({"model": "m", "prompt": null})"}) {
    const ApiError e = ParseError(body);
    EXPECT_EQ(e.param, "prompt");
    EXPECT_EQ(e.message, "You must provide a prompt.");
  }
}

TEST(CompletionsRequestTest, BatchSizeIsCapped) {
  RequestLimits limits;
  limits.max_prompts = 2;
  EXPECT_TRUE(ParseCompletionsRequest(R"({"model": "m", "prompt": ["a", "b"]})", limits).ok());
  const ApiError e = ParseError(R"({"model": "m", "prompt": [[1], [2], [3]]})", limits);
  EXPECT_EQ(e.param, "prompt");
  EXPECT_THAT(e.message, HasSubstr("at most 2 prompts"));
  // One token prompt is not a batch, however long.
  EXPECT_TRUE(ParseCompletionsRequest(R"({"model": "m", "prompt": [1, 2, 3, 4]})", limits).ok());
}

TEST(CompletionsRequestTest, ModelIsRequired) {
  EXPECT_EQ(ParseError(R"({"prompt": "x"})").param, "model");
  EXPECT_EQ(ParseError(R"({"prompt": "x"})").message, "You must provide a model parameter.");
  EXPECT_EQ(ParseError(R"({"model": "", "prompt": "x"})").param, "model");
  EXPECT_EQ(ParseError(R"({"model": 5, "prompt": "x"})").param, "model");
}

TEST(CompletionsRequestTest, Echo) {
  EXPECT_TRUE(Input(ParseOk(Body(R"("echo": true)"))).echo);
  const ApiError e = ParseError(Body(R"("echo": true, "logprobs": 1)"));
  EXPECT_EQ(e.param, "echo");
  EXPECT_THAT(e.message, HasSubstr("not supported"));
}

TEST(CompletionsRequestTest, SuffixIsNotSupported) {
  const ApiError e = ParseError(Body(R"("suffix": "end")"));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.param, "suffix");
  EXPECT_EQ(e.message, "suffix is not supported.");
}

TEST(CompletionsRequestTest, BestOfOnlyAsN) {
  EXPECT_EQ(ParseOk(Body(R"("best_of": 1)")).n, 1);
  EXPECT_EQ(ParseOk(Body(R"("best_of": 3, "n": 3)")).n, 3);
  const ApiError above = ParseError(Body(R"("best_of": 3, "n": 2)"));
  EXPECT_EQ(above.param, "best_of");
  EXPECT_THAT(above.message, HasSubstr("not supported"));
  const ApiError below = ParseError(Body(R"("best_of": 1, "n": 2)"));
  EXPECT_EQ(below.param, "best_of");
  EXPECT_THAT(below.message, HasSubstr("greater than or equal to n"));
}

TEST(CompletionsRequestTest, LogitBiasIsNotSupported) {
  const ApiError e = ParseError(Body(R"("logit_bias": {"50256": -100})"));
  EXPECT_EQ(e.param, "logit_bias");
  EXPECT_EQ(e.message, "logit_bias is not supported.");
}

TEST(CompletionsRequestTest, StreamOptionsOnlyWhenStreaming) {
  for (const char* member : {R"("stream_options": {"include_usage": true})",
                             R"("stream": false, "stream_options": {})"}) {
    const ApiError e = ParseError(Body(member));
    EXPECT_EQ(e.param, "stream_options") << member;
    EXPECT_THAT(e.message, HasSubstr("only allowed when 'stream' is enabled"));
  }
  const GenerationRequest r = ParseOk(Body(R"("stream": true, "stream_options": {})"));
  EXPECT_TRUE(r.stream);
  EXPECT_FALSE(r.include_usage);
}

TEST(CompletionsRequestTest, BodyErrors) {
  EXPECT_THAT(ParseError(R"({"model": "m", "prompt": })").message,
              HasSubstr("We could not parse the JSON body of your request: parse error at line 1"));
  EXPECT_EQ(ParseError("[]").message, "The request body must be a JSON object.");
  EXPECT_EQ(ParseError(R"("x")").message, "The request body must be a JSON object.");
  RequestLimits limits;
  limits.json.max_depth = 4;
  EXPECT_THAT(ParseError(Body(R"("x": [[[[1]]]])"), limits).message,
              HasSubstr("nested deeper than 4 levels"));
  limits.json.max_object_members = 3;
  EXPECT_THAT(ParseError(Body(R"("a": 1, "b": 2)"), limits).message,
              HasSubstr("more than 3 members"));
}

}  // namespace
}  // namespace weft::router::openai
