#include "common/logging/log.h"

#include <string>

#include "gtest/gtest.h"

namespace weft {
namespace {

TEST(Log, WritesFormattedLineToStderr) {
  testing::internal::CaptureStderr();
  WEFT_LOG(WARNING) << "disk at " << 93 << "%";
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out[0], 'W');
  EXPECT_NE(out.find("log_test.cc:"), std::string::npos) << out;
  EXPECT_NE(out.find("] disk at 93%\n"), std::string::npos) << out;
}

TEST(Log, DropsBelowMinimumSeverityWithoutEvaluating) {
  SetMinLogSeverity(LogSeverity::kError);
  int evaluated = 0;
  auto count = [&] { return ++evaluated; };
  testing::internal::CaptureStderr();
  WEFT_LOG(INFO) << count();
  const std::string out = testing::internal::GetCapturedStderr();
  SetMinLogSeverity(LogSeverity::kInfo);
  EXPECT_EQ(out, "");
  EXPECT_EQ(evaluated, 0);
}

TEST(Log, ParsesSeverityNames) {
  LogSeverity s;
  ASSERT_TRUE(ParseLogSeverity("Warning", &s));
  EXPECT_EQ(s, LogSeverity::kWarning);
  EXPECT_FALSE(ParseLogSeverity("verbose", &s));
}

TEST(LogDeathTest, CheckFailureAborts) {
  EXPECT_DEATH(WEFT_CHECK(1 + 1 == 3) << "arithmetic", "Check failed: 1 \\+ 1 == 3 arithmetic");
}

}  // namespace
}  // namespace weft
