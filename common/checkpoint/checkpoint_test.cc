#include "common/checkpoint/checkpoint.h"

#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/checkpoint/model_config.h"
#include "common/checkpoint/safetensors_writer.h"
#include "common/checkpoint/tensor_expectations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string ModelDir(absl::string_view model) { return absl::StrCat("tests/data/models/", model); }

// A fresh directory under $TEST_TMPDIR.
std::string MakeTmpDir(absl::string_view name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

std::vector<float> FirstValues(const TensorView& tensor, size_t n) {
  std::vector<float> out(n);
  EXPECT_TRUE(ConvertToFloat(tensor.dtype, tensor.data, n, out.data()).ok());
  return out;
}

struct Fixture {
  const char* name;
  const char* tensor;
  std::vector<float> first_values;  // From Python, reading the bf16 bits.
  size_t num_tensors;
};

class FixtureTest : public testing::TestWithParam<Fixture> {};

TEST_P(FixtureTest, OpensParsesAndValidates) {
  const Fixture& fixture = GetParam();
  const std::string dir = ModelDir(fixture.name);
  absl::StatusOr<ModelConfig> config = LoadModelConfig(dir + "/config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::Open(dir);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ((*checkpoint)->tensor_names().size(), fixture.num_tensors);
  EXPECT_THAT(FindCheckpointProblems(**checkpoint, *config), IsEmpty());
  EXPECT_TRUE(ValidateCheckpoint(**checkpoint, *config).ok());
  EXPECT_EQ(ExpectedTensors(*config).size(), fixture.num_tensors);
  const TensorView* tensor = (*checkpoint)->Find(fixture.tensor);
  ASSERT_NE(tensor, nullptr);
  EXPECT_EQ(tensor->dtype, DType::kBF16);
  EXPECT_EQ(FirstValues(*tensor, fixture.first_values.size()), fixture.first_values);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureTest,
    testing::Values(Fixture{"tiny-llama",
                            "model.layers.0.self_attn.q_proj.weight",
                            {0.04443359375f, -0.0439453125f, -0.04443359375f, -0.10986328125f},
                            21},
                    Fixture{"tiny-qwen3-moe",
                            "model.layers.1.mlp.experts.3.down_proj.weight",
                            {-0.0859375f, -0.051025390625f, 0.049072265625f, 0.11083984375f},
                            174},
                    Fixture{"tiny-deepseek-v3",
                            "model.layers.0.self_attn.kv_b_proj.weight",
                            {0.099609375f, 0.0169677734375f, -0.022705078125f, -0.00689697265625f},
                            139}));

TEST(CheckpointTest, ConcurrentReads) {
  absl::StatusOr<std::unique_ptr<Checkpoint>> checkpoint =
      Checkpoint::Open(ModelDir("tiny-qwen3-moe"));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  const Checkpoint& ckpt = **checkpoint;
  std::vector<double> sums(4, 0.0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ckpt, &sums, t] {
      for (const std::string& name : ckpt.tensor_names()) {
        const TensorView* tensor = ckpt.Find(name);
        std::vector<float> values(tensor->num_elements());
        if (!ConvertToFloat(tensor->dtype, tensor->data, values.size(), values.data()).ok()) {
          return;
        }
        for (float v : values) sums[t] += v;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(sums[t], sums[0]);
}

TEST(CheckpointTest, MissingDirectoryAndFiles) {
  absl::Status status = Checkpoint::Open("tests/data/models/no-such-model").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("tests/data/models/no-such-model"));
  const std::string empty = MakeTmpDir("empty_model");
  status = Checkpoint::Open(empty).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr(empty + "/model.safetensors"),
                    HasSubstr(empty + "/model.safetensors.index.json")));
}

// Splits the tiny-llama fixture into two shards plus an index.
class ShardedTest : public testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::Open(ModelDir("tiny-llama") + "/model.safetensors");
    ASSERT_TRUE(file.ok()) << file.status();
    for (const TensorView& t : (*file)->tensors()) {
      (absl::StrContains(t.name, "layers.1.") || t.name == "lm_head.weight" ? second_ : first_)
          .push_back(CopyTensor(t));
    }
    ASSERT_FALSE(first_.empty());
    ASSERT_FALSE(second_.empty());
    for (const TensorData& t : first_) weight_map_[t.name] = kShard1;
    for (const TensorData& t : second_) weight_map_[t.name] = kShard2;
  }

  // Writes shards and index into a new directory and opens it.
  absl::StatusOr<std::unique_ptr<Checkpoint>> WriteAndOpen(absl::string_view name) {
    dir_ = MakeTmpDir(name);
    EXPECT_TRUE(WriteSafetensors(dir_ + "/" + kShard1, first_).ok());
    EXPECT_TRUE(WriteSafetensors(dir_ + "/" + kShard2, second_).ok());
    const nlohmann::json index = {{"metadata", {{"total_size", 1115392}}},
                                  {"weight_map", weight_map_}};
    EXPECT_TRUE(WriteStringToFile(dir_ + "/model.safetensors.index.json", index.dump(2)).ok());
    return Checkpoint::Open(dir_);
  }

  static constexpr char kShard1[] = "model-00001-of-00002.safetensors";
  static constexpr char kShard2[] = "model-00002-of-00002.safetensors";
  std::vector<TensorData> first_;
  std::vector<TensorData> second_;
  std::map<std::string, std::string> weight_map_;
  std::string dir_;
};

TEST_F(ShardedTest, OpensAndValidates) {
  absl::StatusOr<std::unique_ptr<Checkpoint>> checkpoint = WriteAndOpen("sharded_ok");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ((*checkpoint)->files().size(), 2);
  EXPECT_EQ((*checkpoint)->tensor_names().size(), 21);
  absl::StatusOr<ModelConfig> config = LoadModelConfig(ModelDir("tiny-llama") + "/config.json");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(ValidateCheckpoint(**checkpoint, *config).ok());
  const TensorView* q = (*checkpoint)->Find("model.layers.0.self_attn.q_proj.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(FirstValues(*q, 2), (std::vector<float>{0.04443359375f, -0.0439453125f}));
  ASSERT_NE((*checkpoint)->Find("lm_head.weight"), nullptr);
}

TEST_F(ShardedTest, MissingShardIsNotFound) {
  weight_map_["model.norm.weight"] = "model-00003-of-00002.safetensors";
  const absl::Status status = WriteAndOpen("sharded_missing").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("model-00003-of-00002.safetensors"));
}

TEST_F(ShardedTest, TensorNotInItsShard) {
  weight_map_["model.norm.weight"] = kShard2;  // It is written to shard 1.
  const absl::Status status = WriteAndOpen("sharded_wrong").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("model.safetensors.index.json"), HasSubstr("model.norm.weight"),
                    HasSubstr(absl::StrCat("listed in shard ", kShard2))));
}

TEST_F(ShardedTest, TensorInTwoShards) {
  second_.push_back(first_[0]);
  const absl::Status status = WriteAndOpen("sharded_twice").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr(first_[0].name), HasSubstr("is in two shards")));
}

TEST_F(ShardedTest, UnlistedTensorAndBadIndex) {
  weight_map_.erase("model.norm.weight");
  absl::Status status = WriteAndOpen("sharded_unlisted").status();
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("model.norm.weight"), HasSubstr("weight_map does not list")));
  weight_map_["model.norm.weight"] = "../model-00001-of-00002.safetensors";
  status = WriteAndOpen("sharded_escape").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not a plain file name"));
  ASSERT_TRUE(
      WriteStringToFile(dir_ + "/model.safetensors.index.json", R"({"weight_map": 3})").ok());
  EXPECT_THAT(std::string(Checkpoint::Open(dir_).status().message()),
              HasSubstr("field 'weight_map' must be an object"));
  ASSERT_TRUE(WriteStringToFile(dir_ + "/model.safetensors.index.json", "{").ok());
  EXPECT_THAT(std::string(Checkpoint::Open(dir_).status().message()), HasSubstr("invalid JSON"));
}

// Validation reports every missing, mis-shaped and unexpected tensor.
TEST(ValidateTest, ReportsEveryProblem) {
  absl::StatusOr<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::Open(ModelDir("tiny-qwen3-moe") + "/model.safetensors");
  ASSERT_TRUE(file.ok());
  std::vector<TensorData> tensors;
  for (const TensorView& t : (*file)->tensors()) {
    if (t.name == "model.layers.2.mlp.experts.15.up_proj.weight") continue;  // Missing.
    tensors.push_back(CopyTensor(t));
    if (t.name == "model.layers.0.self_attn.q_norm.weight") {  // Mis-shaped.
      tensors.back().shape = {2, 16};
    }
    if (t.name == "model.norm.weight") {  // Wrong dtype: same bytes as I16.
      tensors.back().dtype = DType::kI16;
    }
  }
  tensors.push_back(
      MakeFloatTensor("model.layers.0.mlp.shared_expert.weight", DType::kBF16, {2}, {1, 2}));
  tensors.push_back(MakeFloatTensor("model.layers.0.self_attn.rotary_emb.inv_freq", DType::kF32,
                                    {16}, std::vector<float>(16, 1.0f)));
  absl::StatusOr<std::string> bytes = SerializeSafetensors(tensors);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<std::unique_ptr<SafetensorsFile>> modified =
      SafetensorsFile::FromBuffer(*std::move(bytes), "modified");
  ASSERT_TRUE(modified.ok()) << modified.status();
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  files.push_back(*std::move(modified));
  absl::StatusOr<std::unique_ptr<Checkpoint>> checkpoint =
      Checkpoint::FromFiles(std::move(files), "modified-qwen");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  absl::StatusOr<ModelConfig> config = LoadModelConfig(ModelDir("tiny-qwen3-moe") + "/config.json");
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(
      FindCheckpointProblems(**checkpoint, *config),
      ElementsAre(
          "tensor model.layers.0.self_attn.q_norm.weight has shape [2, 16], expected [32]",
          "missing tensor model.layers.2.mlp.experts.15.up_proj.weight (expected shape [64, "
          "128])",
          "tensor model.norm.weight has dtype I16, expected BF16, F16 or F32",
          "unexpected tensor model.layers.0.mlp.shared_expert.weight"));
  const absl::Status status = ValidateCheckpoint(**checkpoint, *config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("checkpoint modified-qwen does not match its Qwen3MoeForCausalLM "
                              "config (4 problems)"),
                    HasSubstr("experts.15.up_proj")));
}

TEST(ValidateTest, TiedEmbeddingsAndDuplicateFiles) {
  absl::StatusOr<ModelConfig> config = LoadModelConfig(ModelDir("tiny-llama") + "/config.json");
  ASSERT_TRUE(config.ok());
  config->tie_word_embeddings = true;
  for (const ExpectedTensor& t : ExpectedTensors(*config)) EXPECT_NE(t.name, "lm_head.weight");
  absl::StatusOr<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::Open(ModelDir("tiny-llama"));
  ASSERT_TRUE(checkpoint.ok());
  // A stored lm_head.weight is tolerated when tied.
  EXPECT_TRUE(ValidateCheckpoint(**checkpoint, *config).ok());

  std::vector<std::unique_ptr<SafetensorsFile>> files;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::Open(ModelDir("tiny-llama") + "/model.safetensors");
    ASSERT_TRUE(file.ok());
    files.push_back(*std::move(file));
  }
  const absl::Status status = Checkpoint::FromFiles(std::move(files), "dup").status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("is in two files"));
}

TEST(ExpectationsTest, DeepseekWithoutQLoraAndFp8) {
  absl::StatusOr<ModelConfig> config =
      LoadModelConfig(ModelDir("tiny-deepseek-v3") + "/config.json");
  ASSERT_TRUE(config.ok());
  config->mla->q_lora_rank = std::nullopt;
  config->quantization = QuantizationConfig{"fp8", "e4m3", "dynamic", {128, 128}};
  std::map<std::string, ExpectedTensor> by_name;
  for (ExpectedTensor& t : ExpectedTensors(*config)) by_name[t.name] = t;
  EXPECT_EQ(by_name.count("model.layers.0.self_attn.q_a_proj.weight"), 0);
  ASSERT_EQ(by_name.count("model.layers.0.self_attn.q_proj.weight"), 1);
  EXPECT_THAT(by_name["model.layers.0.self_attn.q_proj.weight"].shape, ElementsAre(192, 128));
  EXPECT_EQ(by_name["model.layers.0.self_attn.q_proj.weight"].dtype, DType::kF8E4M3);
  EXPECT_THAT(by_name["model.layers.0.self_attn.q_proj.weight_scale_inv"].shape, ElementsAre(2, 1));
  EXPECT_EQ(by_name["model.layers.0.self_attn.q_proj.weight_scale_inv"].dtype, DType::kF32);
  // Router gates and norms stay unquantized.
  EXPECT_EQ(by_name["model.layers.1.mlp.gate.weight"].dtype, std::nullopt);
  EXPECT_EQ(by_name.count("model.layers.1.mlp.gate.weight_scale_inv"), 0);
  EXPECT_EQ(by_name.count("lm_head.weight_scale_inv"), 0);
  // The MTP layer after the last decoder layer is ignorable.
  EXPECT_TRUE(IsIgnorableExtraTensor(*config, "model.layers.3.eh_proj.weight"));
  EXPECT_FALSE(IsIgnorableExtraTensor(*config, "model.layers.4.eh_proj.weight"));
}

}  // namespace
}  // namespace weft::checkpoint
