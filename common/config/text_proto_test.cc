#include "common/config/text_proto.h"

#include <fstream>
#include <string>

#include "common/config/server_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/config.pb.h"

namespace weft {
namespace {

using ::testing::HasSubstr;

constexpr char kValid[] = R"pb(
  server { grpc_address: "127.0.0.1:0" metrics_address: "[::1]:9464" drain_timeout_ms: 5000 }
)pb";

TEST(TextProto, ParsesValidConfig) {
  v1::RouterConfig config;
  ASSERT_TRUE(ParseTextProto(kValid, "router.textproto", &config).ok());
  EXPECT_EQ(config.server().grpc_address(), "127.0.0.1:0");
  EXPECT_EQ(config.server().metrics_address(), "[::1]:9464");
  EXPECT_EQ(config.server().drain_timeout_ms(), 5000u);
  EXPECT_TRUE(ValidateServerConfig(config.server(), "server").ok());
}

TEST(TextProto, UnknownFieldNamesFieldLineAndColumn) {
  v1::PrefillConfig config;
  const absl::Status s = ParseTextProto("server {\n  grpc_adress: \"x:1\"\n}\n", "p.conf", &config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("p.conf:2:"));
  EXPECT_THAT(s.message(), HasSubstr("grpc_adress"));
  EXPECT_THAT(s.message(), HasSubstr("weft.v1.ServerConfig"));
}

TEST(TextProto, WrongTypeIsPreciseError) {
  v1::DecodeConfig config;
  const absl::Status s = ParseTextProto("server { drain_timeout_ms: \"soon\" }", "d.conf", &config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("d.conf:1:"));
  EXPECT_THAT(s.message(), HasSubstr("drain_timeout_ms"));
}

TEST(TextProto, NegativeForUnsignedIsError) {
  v1::DecodeConfig config;
  const absl::Status s = ParseTextProto("server { drain_timeout_ms: -5 }", "d.conf", &config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("d.conf:1:"));
}

TEST(TextProto, SyntaxErrorAndRepeatedSingularField) {
  v1::KvCacheConfig config;
  EXPECT_THAT(ParseTextProto("server {", "k.conf", &config).message(), HasSubstr("k.conf:1:"));
  const absl::Status s = ParseTextProto(
      "server { grpc_address: \"a:1\" }\nserver { grpc_address: \"b:1\" }", "k.conf", &config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("k.conf:2:"));
}

TEST(TextProto, OversizedInputIsRejected) {
  v1::RouterConfig config;
  const std::string big(kMaxConfigFileBytes + 1, ' ');
  EXPECT_THAT(ParseTextProto(big, "big.conf", &config).message(), HasSubstr("exceeds the limit"));
}

TEST(ServerConfigValidation, MissingFieldsAreAllNamed) {
  v1::RouterConfig config;
  ASSERT_TRUE(ParseTextProto("server { grpc_address: \"127.0.0.1:0\" }", "r", &config).ok());
  const absl::Status s = ValidateServerConfig(config.server(), "server");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("server.metrics_address is required"));
  EXPECT_THAT(s.message(), HasSubstr("server.drain_timeout_ms is required"));
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("grpc_address")));
}

TEST(ServerConfigValidation, BadValues) {
  v1::ServerConfig c;
  c.set_grpc_address("localhost");
  c.set_metrics_address("127.0.0.1:70000");
  c.set_drain_timeout_ms(kMaxDrainTimeoutMs + 1);
  c.set_max_receive_message_bytes(10);
  const std::string msg(ValidateServerConfig(c, "server").message());
  EXPECT_THAT(msg, HasSubstr("server.grpc_address: \"localhost\" is not host:port"));
  EXPECT_THAT(msg, HasSubstr("server.metrics_address: \"127.0.0.1:70000\" has no valid port"));
  EXPECT_THAT(msg, HasSubstr("server.drain_timeout_ms: 600001 exceeds 600000"));
  EXPECT_THAT(msg, HasSubstr("max_receive_message_bytes: 10 is outside 1024..1073741824"));
  c.set_drain_timeout_ms(1000);
  c.set_not_serving_grace_ms(2000);
  c.set_max_receive_message_bytes(4000000000u);
  const std::string msg2(ValidateServerConfig(c, "server").message());
  EXPECT_THAT(msg2, HasSubstr("not_serving_grace_ms: 2000 exceeds drain_timeout_ms (1000)"));
  EXPECT_THAT(msg2, HasSubstr("max_receive_message_bytes: 4000000000 is outside"));
}

TEST(ServerConfigValidation, ListenAddresses) {
  EXPECT_TRUE(ValidateListenAddress("0.0.0.0:8080", "a").ok());
  EXPECT_TRUE(ValidateListenAddress("[::]:0", "a").ok());
  EXPECT_TRUE(ValidateListenAddress("localhost:1", "a").ok());
  EXPECT_FALSE(ValidateListenAddress("::1:80", "a").ok());
  EXPECT_FALSE(ValidateListenAddress("[::1:80", "a").ok());
  EXPECT_FALSE(ValidateListenAddress(":80", "a").ok());
  EXPECT_FALSE(ValidateListenAddress("host:", "a").ok());
  EXPECT_FALSE(ValidateListenAddress("host:-1", "a").ok());
}

TEST(TextProto, OverrideReplacesSingularFieldsAndKeepsTheRest) {
  v1::PrefillConfig config;
  ASSERT_TRUE(ParseTextProto(R"pb(
                               server { grpc_address: "0.0.0.0:50052" drain_timeout_ms: 5000 }
                               advertise_host: "from-file"
                               instance_id: "file-id"
                             )pb",
                             "p.conf", &config)
                  .ok());
  ASSERT_TRUE(MergeTextProtoOverride(R"pb(advertise_host: "10.1.2.3"
                                          server { drain_timeout_ms: 9000 })pb",
                                     "--config_override", &config)
                  .ok());
  EXPECT_EQ(config.advertise_host(), "10.1.2.3");
  EXPECT_EQ(config.instance_id(), "file-id");
  EXPECT_EQ(config.server().grpc_address(), "0.0.0.0:50052");
  EXPECT_EQ(config.server().drain_timeout_ms(), 9000u);

  const v1::PrefillConfig before = config;
  const absl::Status s =
      MergeTextProtoOverride("advertise_hots: \"x\"", "--config_override", &config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--config_override:1:"));
  EXPECT_THAT(s.message(), HasSubstr("advertise_hots"));
  EXPECT_EQ(config.advertise_host(), before.advertise_host());
}

TEST(TextProto, LoadsFileAndReportsMissingFile) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/router.textproto";
  {
    std::ofstream out(path);
    out << kValid;
  }
  v1::RouterConfig config;
  ASSERT_TRUE(LoadTextProtoFile(path, &config).ok());
  EXPECT_EQ(config.server().drain_timeout_ms(), 5000u);
  const absl::Status s = LoadTextProtoFile(path + ".missing", &config);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("router.textproto.missing: no such file"));
  const absl::Status dir = LoadTextProtoFile(getenv("TEST_TMPDIR"), &config);
  EXPECT_EQ(dir.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dir.message(), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace weft
