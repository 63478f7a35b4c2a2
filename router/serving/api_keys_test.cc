#include "router/serving/api_keys.h"

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace weft::router {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

weft::v1::RouterConfig Config(const std::string& text) {
  weft::v1::RouterConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

const char* FakeEnv(const char* name) {
  if (std::strcmp(name, "WEFT_KEY_B") == 0) return "sk-bravo-123456";
  if (std::strcmp(name, "WEFT_EMPTY") == 0) return "";
  return nullptr;
}

ApiKeys Keys() {
  absl::StatusOr<ApiKeys> keys = ApiKeys::FromConfig(
      Config(R"(api_keys { key: "sk-alpha-123456" tenant: "alpha" slo { ttft_ms: 250 } }
                api_keys { key_env: "WEFT_KEY_B" tenant: "bravo" })"),
      FakeEnv);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return *std::move(keys);
}

http::HttpHeaders Bearer(const std::string& value) { return {{"Authorization", value}}; }

TEST(ApiKeysTest, NoKeysMeansOpenWithTheDefaultTenant) {
  ApiKeys open;
  EXPECT_FALSE(open.enabled());
  EXPECT_EQ(open.Authenticate({}).value().tenant, "default");
  absl::StatusOr<ApiKeys> named = ApiKeys::FromConfig(Config(R"(default_tenant: "shared")"));
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->Authenticate({}).value().tenant, "shared");
}

TEST(ApiKeysTest, EachKeyMapsToItsTenant) {
  const ApiKeys keys = Keys();
  EXPECT_TRUE(keys.enabled());
  EXPECT_EQ(keys.Authenticate(Bearer("Bearer sk-alpha-123456")).value().tenant, "alpha");
  EXPECT_EQ(keys.Authenticate(Bearer("bearer  sk-bravo-123456 ")).value().tenant, "bravo");
  EXPECT_EQ(keys.Authenticate(Bearer("Bearer sk-alpha-123456")).value().slo.ttft_ms(), 250u);
  EXPECT_EQ(keys.Authenticate(Bearer("Bearer sk-bravo-123456")).value().slo.ttft_ms(), 0u);
}

TEST(ApiKeysTest, MissingWrongOrMalformedCredentialsAre401) {
  const ApiKeys keys = Keys();
  for (const http::HttpHeaders& headers :
       {http::HttpHeaders{}, Bearer("Bearer sk-alpha-12345"), Bearer("Bearer sk-alpha-1234567"),
        Bearer("Basic sk-alpha-123456"), Bearer("sk-alpha-123456"), Bearer("Bearer "),
        http::HttpHeaders{{"X-Api-Key", "sk-alpha-123456"}}}) {
    const openai::ApiResult<Caller> r = keys.Authenticate(headers);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().http_status, 401);
    EXPECT_EQ(r.error().code, "invalid_api_key");
    EXPECT_THAT(r.error().message, Not(HasSubstr("sk-")));
  }
}

TEST(ApiKeysTest, BadEntriesAreStartUpErrorsThatNeverShowTheKey) {
  const absl::StatusOr<ApiKeys> bad =
      ApiKeys::FromConfig(Config(R"(api_keys { key: "short" tenant: "a" }
                api_keys { key: "sk-dup-1234567" tenant: "b" }
                api_keys { key: "sk-dup-1234567" tenant: "c" }
                api_keys { key_env: "WEFT_UNSET" tenant: "d" }
                api_keys { key_env: "WEFT_EMPTY" tenant: "e" }
                api_keys { key: "sk-both-1234567" key_env: "WEFT_KEY_B" tenant: "f" }
                api_keys { key: "sk-notenant-1234" })"),
                          FakeEnv);
  ASSERT_FALSE(bad.ok());
  const std::string message(bad.status().message());
  EXPECT_THAT(message, HasSubstr("api_keys[0]: the key is shorter than 8"));
  EXPECT_THAT(message, HasSubstr("api_keys[2]: the key is listed twice"));
  EXPECT_THAT(message, HasSubstr("api_keys[3].key_env: environment variable WEFT_UNSET"));
  EXPECT_THAT(message, HasSubstr("api_keys[4].key_env: environment variable WEFT_EMPTY"));
  EXPECT_THAT(message, HasSubstr("api_keys[5]: set exactly one of key and key_env"));
  EXPECT_THAT(message, HasSubstr("api_keys[6].tenant is required"));
  EXPECT_THAT(message, Not(HasSubstr("sk-")));
}

}  // namespace
}  // namespace weft::router
