// weft-verify as a real process: every fixture model passes in float32, the
// INT8 path runs and reports, and a fixture directory copied with a tampered
// reference.json fails with the documented exit status and a message naming
// the problem (1: verification failed, 2: usage or load error).
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::engine {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::Subprocess;

constexpr char kBinary[] = "common/engine/verify/weft-verify";
constexpr char kModels[] = "tests/data/models";

struct Result {
  int exit_code = -1;  // -1: did not exit normally
  std::string output;  // stdout and stderr
};

Result RunVerify(const std::vector<std::string>& args) {
  static int runs = 0;
  std::vector<std::string> argv = {kBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = absl::StrCat(std::getenv("TEST_TMPDIR"), "/verify-", runs++, ".log");
  auto process = Subprocess::Start(argv, log);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  const absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(60));
  EXPECT_TRUE(status.ok()) << status.status();
  Result result;
  result.output = (*process)->Log();
  if (status.ok() && WIFEXITED(*status)) result.exit_code = WEXITSTATUS(*status);
  return result;
}

int CountLinesStartingWith(const std::string& text, absl::string_view prefix) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, prefix)) ++n;
  }
  return n;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

class FixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTest, PassesInFloat32) {
  const std::string dir = absl::StrCat(kModels, "/", GetParam());
  const nlohmann::json reference = ReadJson(dir + "/reference.json");
  ASSERT_TRUE(reference.is_object());
  const int prompts = static_cast<int>(reference["prompts"].size());
  const Result r = RunVerify({"--model=" + dir});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountLinesStartingWith(r.output, "prompt "), prompts) << r.output;
  EXPECT_EQ(CountLinesStartingWith(r.output, "prompt "),
            CountLinesStartingWith(r.output, "prompt ") - CountLinesStartingWith(r.output, "FAIL"));
  EXPECT_THAT(r.output, HasSubstr("prompt 0 (text, "));
  EXPECT_THAT(r.output, HasSubstr("greedy 16/16 agree"));
  EXPECT_THAT(r.output, Not(HasSubstr("FAIL")));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat(GetParam(), " float32: PASS, ", prompts, "/",
                                               prompts, " prompts pass")));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest,
                         ::testing::Values("tiny-llama", "tiny-qwen3-moe", "tiny-deepseek-v3"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

TEST(VerifyMla, ExpandedPrefillFormPasses) {
  const Result r =
      RunVerify({absl::StrCat("--model=", kModels, "/tiny-deepseek-v3"), "--mla_expanded_prefill"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tiny-deepseek-v3 float32: PASS, 7/7 prompts pass"));
}

TEST(VerifyInt8, ReportsWithoutEnforcingUnlessAThresholdIsGiven) {
  const std::string model = absl::StrCat("--model=", kModels, "/tiny-qwen3-moe");
  Result r = RunVerify({model, "--precision=int8"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountLinesStartingWith(r.output, "prompt "), 7) << r.output;
  EXPECT_THAT(r.output, AllOf(HasSubstr("(not enforced)"),
                              HasSubstr("tiny-qwen3-moe int8: PASS, 7/7 prompts pass")));
  // An explicit limit is enforced; INT8 logits are nowhere near 1e-6.
  r = RunVerify({model, "--precision=int8", "--max_rel_err=1e-6"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tiny-qwen3-moe int8: FAIL, 0/7 prompts pass"));
}

// A copy of tiny-llama in TEST_TMPDIR whose reference.json a test rewrites.
class TamperedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    const std::string source = absl::StrCat(kModels, "/tiny-llama");
    for (const auto& entry : std::filesystem::directory_iterator(source)) {
      std::filesystem::copy_file(entry.path(), dir_ + "/" + entry.path().filename().string(),
                                 std::filesystem::copy_options::overwrite_existing);
    }
    reference_ = ReadJson(dir_ + "/reference.json");
    ASSERT_TRUE(reference_.is_object());
  }

  void WriteReference(const std::string& text) { std::ofstream(dir_ + "/reference.json") << text; }
  void WriteReference() { WriteReference(reference_.dump()); }
  Result Run() { return RunVerify({"--model=" + dir_}); }

  std::string dir_;
  nlohmann::json reference_;
};

TEST_F(TamperedTest, UntouchedCopyPasses) {
  WriteReference();
  EXPECT_EQ(Run().exit_code, 0);
}

TEST_F(TamperedTest, PerturbedLogitsFail) {
  // Prompt 2's logits moved by 1e-3 relative: ten times the float32 limit.
  nlohmann::json& logits = reference_["prompts"][2]["last_logits"];
  for (auto& value : logits) value = value.get<double>() * (1 + 1e-3);
  WriteReference();
  const Result r = Run();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("exceeds 0.0001"));
  EXPECT_EQ(CountLinesStartingWith(r.output, "prompt 2 "), 1);
  EXPECT_THAT(r.output, HasSubstr("tiny-llama float32: FAIL, 6/7 prompts pass"));
}

TEST_F(TamperedTest, GreedyTokenChangedBeforeANearTieFails) {
  nlohmann::json& prompt = reference_["prompts"][1];
  ASSERT_GT(prompt["greedy_margins"][0].get<double>(), 1e-2);
  const int32_t token = prompt["greedy_ids"][0].get<int32_t>();
  prompt["greedy_ids"][0] = token == 0 ? 1 : token - 1;
  WriteReference();
  Result r = Run();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL: greedy token differs at step 0"));
  // The same step marked as a near-tie is not compared.
  prompt["greedy_margins"][0] = 1e-4;
  WriteReference();
  r = Run();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("prompt 1 (text, 25 ids)"));
  EXPECT_THAT(r.output, HasSubstr("greedy 0/0 agree, near-tie at step 0 (margin 1.00e-04)"));
}

TEST_F(TamperedTest, TextThatDoesNotEncodeToTheIdsFails) {
  reference_["prompts"][0]["text"] = "something else";
  WriteReference();
  const Result r = Run();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("text does not re-encode"));
}

TEST_F(TamperedTest, MalformedJsonIsALoadError) {
  WriteReference(reference_.dump().substr(0, 1000));
  const Result r = Run();
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(dir_ + "/reference.json: invalid JSON"));
}

TEST_F(TamperedTest, MissingFieldIsALoadErrorNamingIt) {
  reference_["prompts"][3].erase("greedy_margins");
  WriteReference();
  const Result r = Run();
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("reference.json: prompts[3]: field 'greedy_margins' is missing"));
  EXPECT_EQ(CountLinesStartingWith(r.output, "prompt "), 0);
}

TEST_F(TamperedTest, LogitsOfAnotherVocabularyAreALoadError) {
  reference_["prompts"][0]["last_logits"].erase(0);
  WriteReference();
  const Result r = Run();
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("prompts[0]: field 'last_logits' has 1023 values; the model's "
                                  "vocab_size is 1024"));
}

TEST_F(TamperedTest, MissingReferenceIsALoadError) {
  std::filesystem::remove(dir_ + "/reference.json");
  const Result r = Run();
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("reference.json: file not found"));
}

TEST(VerifyUsage, BadInvocationsExitWithTwo) {
  const std::string model = absl::StrCat("--model=", kModels, "/tiny-llama");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "--model=DIR is required"},
      {{"--model=no/such/dir"}, "--model=no/such/dir: not a directory"},
      {{model, "--precision=fp8"}, "--precision=fp8: expected float32 or int8"},
      {{model, "--no_such_flag"}, "no_such_flag"},
      {{model, "--block_size=x"}, "block_size"},
      {{model, "--block_size=0"}, "--block_size=0: expected 1 to 1024"},
      {{model, "--max_rel_err=-1"}, "--max_rel_err=-1: must be a finite number >= 0"},
      {{model, "stray"}, "unexpected argument \"stray\""},
      {{"--help"}, "Exit status: 0 pass, 1 verification failed, 2 usage or load error"},
  };
  for (const auto& [args, message] : cases) {
    const Result r = RunVerify(args);
    EXPECT_EQ(r.exit_code, 2) << message << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr(message));
  }
}

}  // namespace
}  // namespace weft::engine
