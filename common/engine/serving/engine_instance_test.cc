#include "common/engine/serving/engine_instance.h"

#include "common/base/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

using ::testing::HasSubstr;

weft::v1::EngineConfig Config() {
  weft::v1::EngineConfig c;
  c.set_model_dir("tests/data/models/tiny-qwen3-moe/");
  c.set_kv_blocks(64);
  return c;
}

TEST(EngineInstance, ServesTheFixtureModel) {
  auto instance = CreateEngineInstance(Config());
  ASSERT_TRUE(instance.ok()) << instance.status();
  EXPECT_EQ((*instance)->model_name, "tiny-qwen3-moe");
  EXPECT_EQ((*instance)->block_size, 16);
  EXPECT_FALSE((*instance)->eos_token_ids.empty());
  Notification done;
  std::vector<int32_t> tokens;
  SequenceRequest r{.id = SequenceId(1), .prompt = {5, 6, 7}};
  r.stop.max_tokens = 3;
  r.stop.ignore_eos = true;
  ASSERT_TRUE((*instance)
                  ->loop
                  ->Add(r,
                        [&](const SequenceOutput& out) {
                          tokens.push_back(out.token.token);
                          if (out.finish.has_value()) done.Notify();
                        })
                  .ok());
  done.WaitForNotification();
  EXPECT_EQ(tokens.size(), 3u);
}

TEST(EngineInstance, ConfigErrorsNameTheFields) {
  weft::v1::EngineConfig c;
  c.set_backend("tpu");
  c.set_precision("fp4");
  c.set_max_prefill_chunk(4096);
  const absl::Status s = ValidateEngineConfig(c, "engine.");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("engine.model_dir is required"));
  EXPECT_THAT(s.message(), HasSubstr("engine.backend \"tpu\""));
  EXPECT_THAT(s.message(), HasSubstr("engine.precision \"fp4\""));
  EXPECT_THAT(s.message(), HasSubstr("engine.kv_blocks is required"));
  EXPECT_THAT(s.message(), HasSubstr("max_prefill_chunk (4096) exceeds"));
  weft::v1::EngineConfig missing = Config();
  missing.set_model_dir("tests/data/models/none");
  EXPECT_EQ(CreateEngineInstance(missing).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace weft::engine
