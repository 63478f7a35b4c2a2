#include "common/registration/instance_descriptor.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/config.pb.h"

namespace weft::registration {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Errors(const RegistrationConfig& config) {
  std::vector<std::string> errors;
  CheckRegistrationConfig(config, &errors);
  return errors;
}

TEST(CheckRegistrationConfig, AcceptsEmptyAndWellFormedFields) {
  EXPECT_THAT(Errors({}), IsEmpty());
  EXPECT_THAT(Errors({.router_address = "router:50051", .advertise_host = "prefill-0.svc"}),
              IsEmpty());
  EXPECT_THAT(Errors({.router_address = "[::1]:50051", .advertise_host = "[fd00::1]"}), IsEmpty());
  EXPECT_THAT(Errors({.router_address = "10.0.0.1:1", .advertise_host = "10.0.0.2"}), IsEmpty());
}

TEST(CheckRegistrationConfig, NamesEachBadField) {
  EXPECT_THAT(Errors({.router_address = "router"}),
              ElementsAre(HasSubstr("router_address: \"router\" is not host:port")));
  EXPECT_THAT(Errors({.router_address = "router:0"}),
              ElementsAre(HasSubstr("router_address: \"router:0\" needs a port")));
  EXPECT_THAT(Errors({.router_address = "::1:50051"}), ElementsAre(HasSubstr("router_address")));
  EXPECT_THAT(Errors({.router_address = "router:99999"}), ElementsAre(HasSubstr("router_address")));
  EXPECT_THAT(Errors({.advertise_host = "host:80"}), ElementsAre(HasSubstr("advertise_host")));
  EXPECT_THAT(Errors({.advertise_host = "fd00::1"}), ElementsAre(HasSubstr("IPv6 as [addr]")));
  EXPECT_THAT(Errors({.advertise_host = "a b"}), ElementsAre(HasSubstr("advertise_host")));
  EXPECT_THAT(Errors({.advertise_host = "0.0.0.0"}), ElementsAre(HasSubstr("wildcard")));
  EXPECT_THAT(Errors({.advertise_host = "[::]"}), ElementsAre(HasSubstr("wildcard")));
  EXPECT_THAT(Errors({.router_address = "x", .advertise_host = "*"}),
              ElementsAre(HasSubstr("router_address"), HasSubstr("advertise_host")));
}

TEST(AdvertisedAddress, ListenHostUnlessWildcardOrOverridden) {
  EXPECT_EQ(AdvertisedAddress("127.0.0.1:0", 5001, "", "node1"), "127.0.0.1:5001");
  EXPECT_EQ(AdvertisedAddress("[::1]:0", 5001, "", "node1"), "[::1]:5001");
  EXPECT_EQ(AdvertisedAddress("prefill-0:7000", 7000, "", "node1"), "prefill-0:7000");
  EXPECT_EQ(AdvertisedAddress("0.0.0.0:0", 5001, "", "node1"), "node1:5001");
  EXPECT_EQ(AdvertisedAddress("[::]:0", 5001, "", "node1"), "node1:5001");
  EXPECT_EQ(AdvertisedAddress(":0", 5001, "", "node1"), "node1:5001");
  EXPECT_EQ(AdvertisedAddress("0.0.0.0:0", 5001, "10.1.2.3", "node1"), "10.1.2.3:5001");
  EXPECT_EQ(AdvertisedAddress("127.0.0.1:0", 5001, "pod.svc", "node1"), "pod.svc:5001");
}

TEST(IsWildcardHost, BindsEveryInterface) {
  for (const char* host : {"", "0.0.0.0", "[::]", "::", "*"}) EXPECT_TRUE(IsWildcardHost(host));
  for (const char* host : {"127.0.0.1", "[::1]", "localhost"}) EXPECT_FALSE(IsWildcardHost(host));
}

TEST(MakeInstanceDescriptor, FromConfigPortsAndEngine) {
  RegistrationConfig config;
  config.router_address = "router:50051";
  config.server.set_grpc_address("0.0.0.0:0");
  config.server.set_metrics_address("127.0.0.1:0");
  const weft::v1::InstanceDescriptor descriptor =
      MakeInstanceDescriptor(config, ServingPorts{.grpc_port = 5001, .metrics_port = 9001},
                             weft::v1::INSTANCE_ROLE_DECODE, "tiny-qwen3-moe", 16);
  const std::string hostname = Hostname();
  EXPECT_FALSE(hostname.empty());
  EXPECT_EQ(descriptor.instance_id(), absl::StrCat(hostname, ":5001"));
  EXPECT_EQ(descriptor.role(), weft::v1::INSTANCE_ROLE_DECODE);
  EXPECT_EQ(descriptor.grpc_address(), absl::StrCat(hostname, ":5001"));
  EXPECT_EQ(descriptor.metrics_address(), "127.0.0.1:9001");
  EXPECT_EQ(descriptor.model(), "tiny-qwen3-moe");
  EXPECT_EQ(descriptor.kv_block_size_tokens(), 16u);

  config.instance_id = "decode-7";
  config.advertise_host = "decode-7.svc";
  const weft::v1::InstanceDescriptor named =
      MakeInstanceDescriptor(config, ServingPorts{.grpc_port = 5001, .metrics_port = 9001},
                             weft::v1::INSTANCE_ROLE_PREFILL, "m", 32);
  EXPECT_EQ(named.instance_id(), "decode-7");
  EXPECT_EQ(named.role(), weft::v1::INSTANCE_ROLE_PREFILL);
  EXPECT_EQ(named.grpc_address(), "decode-7.svc:5001");
  EXPECT_EQ(named.metrics_address(), "decode-7.svc:9001");
}

TEST(RegistrationConfigOf, ReadsPrefillAndDecodeConfigs) {
  weft::v1::PrefillConfig prefill;
  prefill.set_router_address("router:1");
  prefill.set_instance_id("p");
  prefill.set_advertise_host("h");
  prefill.mutable_server()->set_grpc_address("127.0.0.1:0");
  const RegistrationConfig from_prefill = RegistrationConfigOf(prefill);
  EXPECT_EQ(from_prefill.router_address, "router:1");
  EXPECT_EQ(from_prefill.instance_id, "p");
  EXPECT_EQ(from_prefill.advertise_host, "h");
  EXPECT_EQ(from_prefill.server.grpc_address(), "127.0.0.1:0");

  weft::v1::DecodeConfig decode;
  decode.set_advertise_host("d");
  EXPECT_EQ(RegistrationConfigOf(decode).advertise_host, "d");
}

}  // namespace
}  // namespace weft::registration
