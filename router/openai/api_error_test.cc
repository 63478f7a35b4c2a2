// Tests of the API error bodies and the status each kind of failure gets.
#include "router/openai/api_error.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::router::openai {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

TEST(ApiErrorTest, InvalidRequestBodyHasOpenAiShape) {
  const ApiError error = InvalidRequest("Invalid type for 'temperature'.", "temperature");
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(Json::parse(error.ToJson()), Json::parse(R"({"error": {
      "message": "Invalid type for 'temperature'.", "type": "invalid_request_error",
      "param": "temperature", "code": null}})"));
}

TEST(ApiErrorTest, ParamIsNullWithoutOne) {
  EXPECT_EQ(Json::parse(InvalidRequest("bad").ToJson()), Json::parse(R"({"error": {
      "message": "bad", "type": "invalid_request_error", "param": null, "code": null}})"));
}

TEST(ApiErrorTest, ModelNotFound) {
  const ApiError error = ModelNotFound("gpt-9");
  EXPECT_EQ(error.http_status, 404);
  EXPECT_EQ(Json::parse(error.ToJson()), Json::parse(R"({"error": {
      "message": "The model `gpt-9` does not exist or is not served here.",
      "type": "invalid_request_error", "param": null, "code": "model_not_found"}})"));
}

TEST(ApiErrorTest, LongModelNameIsAbbreviated) {
  const ApiError error = ModelNotFound(std::string(10000, 'm'));
  EXPECT_LT(error.message.size(), 200u);
  EXPECT_THAT(error.message, HasSubstr("mmm..."));
}

TEST(ApiErrorTest, StatusTypeAndCodeOfEachKind) {
  struct Case {
    ApiError error;
    int status;
    std::string type;
    std::optional<std::string> code;
  };
  const Case cases[] = {
      {NotSupported("logit_bias is not supported.", "logit_bias"), 400, "invalid_request_error",
       std::nullopt},
      {UnknownUrl("POST", "/v1/nope"), 404, "invalid_request_error", std::nullopt},
      {MethodNotAllowed("GET", "/v1/completions"), 405, "invalid_request_error", std::nullopt},
      {HttpLayerError(413, "request body larger than 1024 bytes"), 413, "invalid_request_error",
       "request_too_large"},
      {HttpLayerError(431, "too many header fields"), 431, "invalid_request_error", std::nullopt},
      {HttpLayerError(503, "too many connections"), 503, "server_error", std::nullopt},
      {RateLimited("over the TTFT SLO"), 429, "requests", "rate_limit_exceeded"},
      {InternalError("bug"), 500, "server_error", std::nullopt},
      {ServiceUnavailable("no healthy decode instance"), 503, "server_error", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.error.http_status, c.status) << c.error.message;
    EXPECT_EQ(c.error.type, c.type) << c.error.message;
    EXPECT_EQ(c.error.code, c.code) << c.error.message;
    const Json body = Json::parse(c.error.ToJson());
    EXPECT_EQ(body["error"]["message"], c.error.message);
  }
  EXPECT_EQ(UnknownUrl("POST", "/v1/nope").message, "Invalid URL (POST /v1/nope)");
}

TEST(ApiErrorTest, FromStatus) {
  EXPECT_EQ(ApiErrorFromStatus(absl::InvalidArgumentError("x")).http_status, 400);
  EXPECT_EQ(ApiErrorFromStatus(absl::OutOfRangeError("x")).http_status, 400);
  EXPECT_EQ(ApiErrorFromStatus(absl::NotFoundError("x")).http_status, 404);
  EXPECT_EQ(ApiErrorFromStatus(absl::ResourceExhaustedError("x")).http_status, 429);
  EXPECT_EQ(ApiErrorFromStatus(absl::UnavailableError("x")).http_status, 503);
  const ApiError internal = ApiErrorFromStatus(absl::InternalError("boom"));
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_EQ(internal.message, "boom");
}

TEST(ApiErrorTest, InvalidUtf8InMessageDoesNotThrow) {
  const ApiError error = InvalidRequest("bad \xff byte");
  const Json body = Json::parse(error.ToJson());
  EXPECT_EQ(body["error"]["message"], "bad \xEF\xBF\xBD byte");
}

TEST(ApiResultTest, HoldsValueOrError) {
  ApiResult<int> value(7);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value.value(), 7);
  ApiResult<int> error(InvalidRequest("no"));
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message, "no");
}

}  // namespace
}  // namespace weft::router::openai
