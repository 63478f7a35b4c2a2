#include "common/engine/executor/stop_checker.h"

#include "gtest/gtest.h"

namespace weft::engine {
namespace {

TEST(StopChecker, EosStopTokenAndLength) {
  StopChecker eos({.max_tokens = 10, .eos_token_ids = {0}});
  EXPECT_EQ(eos.Add(5, "a"), std::nullopt);
  EXPECT_EQ(eos.Add(0, ""), FinishReason::kStop);

  StopChecker ignore({.max_tokens = 2, .eos_token_ids = {0}, .ignore_eos = true});
  EXPECT_EQ(ignore.Add(0, ""), std::nullopt);
  EXPECT_EQ(ignore.Add(0, ""), FinishReason::kLength);

  StopChecker stop_id({.max_tokens = 10, .ignore_eos = true, .stop_token_ids = {42}});
  EXPECT_EQ(stop_id.Add(42, "x"), FinishReason::kStop);
}

TEST(StopChecker, StopStringAcrossTokensIsCutFromTheText) {
  StopChecker c({.max_tokens = 100, .stop_strings = {"\n\nUser:", "STOP"}});
  EXPECT_EQ(c.Add(1, "Hello"), std::nullopt);
  EXPECT_EQ(c.Add(2, " world\n"), std::nullopt);
  EXPECT_EQ(c.StableText(), "Hello world");  // "\n" may start "\n\nUser:"
  EXPECT_EQ(c.Add(3, "\nUs"), std::nullopt);
  EXPECT_EQ(c.StableText(), "Hello world");
  EXPECT_EQ(c.Add(4, "er: hi"), FinishReason::kStop);
  EXPECT_EQ(c.text(), "Hello world");
}

TEST(StopChecker, EarliestStopStringWinsAndFalseStartsAreReleased) {
  StopChecker c({.max_tokens = 100, .stop_strings = {"abc", "b"}});
  EXPECT_EQ(c.Add(1, "xa"), std::nullopt);
  EXPECT_EQ(c.StableText(), "x");  // "a" may start "abc"
  EXPECT_EQ(c.Add(2, "ac"), std::nullopt);
  EXPECT_EQ(c.StableText(), "xaac");  // "c" starts no stop string
  EXPECT_EQ(c.Add(3, "zb"), FinishReason::kStop);
  EXPECT_EQ(c.text(), "xaacz");
}

}  // namespace
}  // namespace weft::engine
