// Tests for Jinja values: truthiness, Python str()/repr(), equality and
// ordering, dict keys, JSON conversion and json.dumps formatting, limits.
#include "common/chat/jinja_value.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::chat::jinja {
namespace {

Value List(std::vector<Value> items) { return *Value::List(std::move(items)); }
Value S(const char* s) { return Value::String(s); }

TEST(JinjaValueTest, Truthiness) {
  EXPECT_FALSE(Value().Truthy());
  EXPECT_FALSE(Value::None().Truthy());
  EXPECT_FALSE(Value::Int(0).Truthy());
  EXPECT_FALSE(Value::Float(0.0).Truthy());
  EXPECT_FALSE(S("").Truthy());
  EXPECT_FALSE(List({}).Truthy());
  EXPECT_TRUE(S("x").Truthy());
  EXPECT_TRUE(List({Value::None()}).Truthy());
}

TEST(JinjaValueTest, StrAndRepr) {
  EXPECT_EQ(Value().Str(), "");
  EXPECT_EQ(Value::None().Str(), "None");
  EXPECT_EQ(Value::Bool(true).Str(), "True");
  EXPECT_EQ(Value::Float(2.0).Str(), "2.0");
  EXPECT_EQ(S("it's").Repr(), "\"it's\"");
  EXPECT_EQ(List({Value::Int(1), S("a"), Value::None()}).Str(), "[1, 'a', None]");
  EXPECT_EQ(Value::Tuple({Value::Int(1)})->Str(), "(1,)");
  EXPECT_EQ(Value::Dict({{S("a"), Value::Bool(false)}})->Str(), "{'a': False}");
  std::string out;
  EXPECT_EQ(List({S("0123456789"), S("0123456789")}).AppendStr(&out, 10).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(JinjaValueTest, EqualityAndOrder) {
  EXPECT_TRUE(Equals(Value::Int(1), Value::Float(1.0)));
  EXPECT_TRUE(Equals(Value::Bool(true), Value::Int(1)));
  EXPECT_FALSE(Equals(S("1"), Value::Int(1)));
  EXPECT_FALSE(Equals(List({Value::Int(1)}), *Value::Tuple({Value::Int(1)})));
  EXPECT_TRUE(Equals(*Value::Dict({{S("a"), Value::Int(1)}, {S("b"), Value::Int(2)}}),
                     *Value::Dict({{S("b"), Value::Int(2)}, {S("a"), Value::Int(1)}})));
  EXPECT_TRUE(Equals(Value(), Value()));
  EXPECT_EQ(*Compare(S("a"), S("b")), -1);
  EXPECT_EQ(*Compare(List({Value::Int(1), Value::Int(2)}), List({Value::Int(1)})), 1);
  EXPECT_EQ(Compare(S("a"), Value::Int(1)).status().message(),
            "'<' not supported between instances of 'str' and 'int'");
}

TEST(JinjaValueTest, DictKeysFollowPythonEquality) {
  absl::StatusOr<Value> d = Value::Dict({{Value::Int(1), S("a")},
                                         {Value::Bool(true), S("b")},
                                         {Value::Float(1.0), S("c")},
                                         {S("1"), S("d")}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->Str(), "{1: 'c', '1': 'd'}");
  EXPECT_FALSE(Value::Dict({{List({}), S("x")}}).ok());
}

TEST(JinjaValueTest, FromJson) {
  const auto json = nlohmann::ordered_json::parse(
      R"({"z": [1, 2.5, "s", null, true], "a": {"n": 18446744073709551615}})");
  absl::StatusOr<Value> v = ValueFromJson(json);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Str(), "{'z': [1, 2.5, 's', None, True], 'a': {'n': 1.8446744073709552e+19}}");
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "[";
  for (int i = 0; i < 300; ++i) deep += "]";
  EXPECT_EQ(ValueFromJson(nlohmann::ordered_json::parse(deep)).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(JinjaValueTest, JsonDumps) {
  const Value v = *ValueFromJson(nlohmann::ordered_json::parse(
      R"({"b": [1, {"c": "x\"\n\u00e9"}], "a": 1.0, "e": [], "f": {}})"));
  JsonDumpOptions options;
  EXPECT_EQ(*JsonDumps(v, options),
            "{\"b\": [1, {\"c\": \"x\\\"\\n\xC3\xA9\"}], \"a\": 1.0, \"e\": [], \"f\": {}}");
  options.ensure_ascii = true;
  options.sort_keys = true;
  options.indent = "  ";
  EXPECT_EQ(*JsonDumps(v, options),
            "{\n  \"a\": 1.0,\n  \"b\": [\n    1,\n    {\n      \"c\": \"x\\\"\\n\\u00e9\"\n"
            "    }\n  ],\n  \"e\": [],\n  \"f\": {}\n}");
  EXPECT_EQ(JsonDumps(Value(), JsonDumpOptions()).status().message(),
            "Object of type Undefined is not JSON serializable");
}

TEST(JinjaValueTest, Limits) {
  std::vector<Value> items(1000, S("0123456789"));
  Value big = List(items);
  std::vector<Value> many(kMaxWeight / big.weight() + 1, big);
  EXPECT_EQ(Value::List(many).status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace weft::chat::jinja
