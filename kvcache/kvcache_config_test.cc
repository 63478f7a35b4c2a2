#include "kvcache/kvcache_config.h"

#include <string>

#include "common/config/text_proto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/config.pb.h"

namespace weft::kvcache {
namespace {

using ::testing::HasSubstr;

weft::v1::KvCacheConfig Parse(const std::string& text) {
  weft::v1::KvCacheConfig config;
  const absl::Status s = ParseTextProto(text, "test.textproto", &config);
  EXPECT_TRUE(s.ok()) << s;
  return config;
}

constexpr char kServer[] =
    "server { grpc_address: \"127.0.0.1:0\" metrics_address: \"127.0.0.1:0\" "
    "drain_timeout_ms: 1000 }\n";

TEST(KvCacheConfig, TheLocalConfigIsValid) {
  weft::v1::KvCacheConfig config;
  ASSERT_TRUE(LoadTextProtoFile("kvcache/config/local.textproto", &config).ok());
  EXPECT_TRUE(ValidateKvCacheConfig(config).ok()) << ValidateKvCacheConfig(config);
}

TEST(KvCacheConfig, DefaultsApply) {
  const weft::v1::KvCacheConfig config = Parse(std::string(kServer) + "capacity_bytes: 1000000");
  ASSERT_TRUE(ValidateKvCacheConfig(config).ok()) << ValidateKvCacheConfig(config);
  const KvCacheOptions options = KvCacheOptionsFromConfig(config);
  EXPECT_EQ(options.capacity_bytes, 1000000u);
  EXPECT_EQ(options.max_block_bytes, 1000000u);  // min(64 MiB, capacity)
  EXPECT_EQ(options.max_put_buffer_bytes, kDefaultMaxPutBufferBytes);
  EXPECT_EQ(options.chunk_bytes, 1u << 20);
  EXPECT_EQ(options.max_keys_per_request, 8192u);
  EXPECT_EQ(options.max_stream_duration, absl::Seconds(60));

  const KvCacheOptions big = KvCacheOptionsFromConfig(
      Parse(std::string(kServer) + "capacity_bytes: 10000000000 chunk_bytes: 65536 "
                                   "max_keys_per_request: 10 max_stream_duration_ms: 500"));
  EXPECT_EQ(big.max_block_bytes, kDefaultMaxBlockBytes);
  EXPECT_EQ(big.chunk_bytes, 65536u);
  EXPECT_EQ(big.max_keys_per_request, 10u);
  EXPECT_EQ(big.max_stream_duration, absl::Milliseconds(500));
}

TEST(KvCacheConfig, EveryBadFieldIsNamed) {
  absl::Status s = ValidateKvCacheConfig(Parse("server { grpc_address: \"127.0.0.1:0\" }"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("weft.v1.KvCacheConfig: "));
  EXPECT_THAT(s.message(), HasSubstr("server.metrics_address is required"));
  EXPECT_THAT(s.message(), HasSubstr("capacity_bytes is required"));

  s = ValidateKvCacheConfig(Parse("capacity_bytes: 100"));
  EXPECT_THAT(s.message(), HasSubstr("server is required"));

  s = ValidateKvCacheConfig(
      Parse(std::string(kServer) +
            "capacity_bytes: 1000 max_block_bytes: 2000 max_put_buffer_bytes: 10 chunk_bytes: 5 "
            "max_keys_per_request: 2000000 max_stream_duration_ms: 4000000"));
  EXPECT_THAT(s.message(), HasSubstr("max_block_bytes: 2000 exceeds capacity_bytes (1000)"));
  EXPECT_THAT(s.message(), HasSubstr("max_put_buffer_bytes: 10 is less than max_block_bytes"));
  EXPECT_THAT(s.message(), HasSubstr("chunk_bytes: 5 is outside 1024..4128768"));
  EXPECT_THAT(s.message(), HasSubstr("max_keys_per_request: 2000000 exceeds 1048576"));
  EXPECT_THAT(s.message(), HasSubstr("max_stream_duration_ms: 4000000 exceeds 3600000"));

  s = ValidateKvCacheConfig(Parse(std::string(kServer) + "capacity_bytes: 2000000000000000"));
  EXPECT_THAT(s.message(), HasSubstr("capacity_bytes: 2000000000000000 exceeds"));
}

}  // namespace
}  // namespace weft::kvcache
