// Tests of the /v1/models bodies.
#include "router/openai/model_list.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "router/openai/json_body.h"

namespace weft::router::openai {
namespace {

TEST(ModelListTest, List) {
  const std::string body =
      ModelListJson({{.id = "qwen3-moe", .created = 1700000000, .max_model_len = 32768},
                     {.id = "llama", .created = 1700000001}});
  EXPECT_EQ(Json::parse(body), Json::parse(R"({"object": "list", "data": [
      {"id": "qwen3-moe", "object": "model", "created": 1700000000, "owned_by": "weft",
       "max_model_len": 32768},
      {"id": "llama", "object": "model", "created": 1700000001, "owned_by": "weft"}]})"));
}

TEST(ModelListTest, EmptyList) {
  EXPECT_EQ(Json::parse(ModelListJson({})), Json::parse(R"({"object": "list", "data": []})"));
}

TEST(ModelListTest, OneModel) {
  EXPECT_EQ(Json::parse(ModelJson({.id = "m", .created = 5})),
            Json::parse(R"({"id": "m", "object": "model", "created": 5, "owned_by": "weft"})"));
}

}  // namespace
}  // namespace weft::router::openai
