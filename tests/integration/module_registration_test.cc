// The prefill and decode modules' part in registration, one typed test for
// both: their config checks, and registering with a real in-process router
// control plane once started (with the engine's model, block size and load)
// until stopped.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/registration/eventually.h"
#include "common/registration/instance_descriptor.h"
#include "common/registration/test_router.h"
#include "decode/decode_module.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prefill/prefill_module.h"
#include "prometheus/registry.h"

namespace weft {
namespace {

using ::testing::HasSubstr;

struct PrefillRole {
  using Config = weft::v1::PrefillConfig;
  static constexpr weft::v1::InstanceRole kRole = weft::v1::INSTANCE_ROLE_PREFILL;
  static absl::Status Validate(const Config& c) { return prefill::ValidatePrefillConfig(c); }
  static auto Create(const Config& c, prometheus::Registry& r) {
    return prefill::PrefillModule::Create(c, r);
  }
};

struct DecodeRole {
  using Config = weft::v1::DecodeConfig;
  static constexpr weft::v1::InstanceRole kRole = weft::v1::INSTANCE_ROLE_DECODE;
  static absl::Status Validate(const Config& c) { return decode::ValidateDecodeConfig(c); }
  static auto Create(const Config& c, prometheus::Registry& r) {
    return decode::DecodeModule::Create(c, r);
  }
};

template <typename Role>
class ModuleRegistrationTest : public ::testing::Test {
 protected:
  static typename Role::Config Config(const std::string& router_address) {
    typename Role::Config config;
    config.mutable_server()->set_grpc_address("127.0.0.1:0");
    config.mutable_server()->set_metrics_address("127.0.0.1:0");
    config.mutable_server()->set_drain_timeout_ms(1000);
    config.mutable_engine()->set_model_dir("tests/data/models/tiny-qwen3-moe");
    config.mutable_engine()->set_kv_blocks(64);
    config.set_router_address(router_address);
    return config;
  }
};

using Roles = ::testing::Types<PrefillRole, DecodeRole>;
TYPED_TEST_SUITE(ModuleRegistrationTest, Roles);

TYPED_TEST(ModuleRegistrationTest, ChecksTheRegistrationFields) {
  EXPECT_TRUE(TypeParam::Validate(this->Config("")).ok());
  EXPECT_TRUE(TypeParam::Validate(this->Config("router:50051")).ok());
  EXPECT_THAT(TypeParam::Validate(this->Config("router")).message(), HasSubstr("router_address"));
  EXPECT_THAT(TypeParam::Validate(this->Config("router:0")).message(), HasSubstr("router_address"));
  auto wildcard = this->Config("router:50051");
  wildcard.set_advertise_host("0.0.0.0");
  EXPECT_THAT(TypeParam::Validate(wildcard).message(), HasSubstr("advertise_host"));
}

TYPED_TEST(ModuleRegistrationTest, RegistersWithTheRouterUntilStopped) {
  registration::TestRouter router;
  ASSERT_TRUE(router.ok());
  const auto config = this->Config(router.address());
  ASSERT_TRUE(TypeParam::Validate(config).ok());
  prometheus::Registry metrics;
  auto module = TypeParam::Create(config, metrics);
  ASSERT_TRUE(module.ok()) << module.status();
  ASSERT_TRUE((*module)->Start(ServingPorts{.grpc_port = 7101, .metrics_port = 9101}).ok());

  const std::string id = absl::StrCat(registration::Hostname(), ":7101");
  ASSERT_TRUE(registration::Eventually([&] { return router.Has(id); }));
  const weft::v1::InstanceDescriptor descriptor = router.registry().Get(id)->descriptor;
  EXPECT_EQ(descriptor.role(), TypeParam::kRole);
  EXPECT_EQ(descriptor.grpc_address(), "127.0.0.1:7101");
  EXPECT_EQ(descriptor.metrics_address(), "127.0.0.1:9101");
  EXPECT_EQ(descriptor.model(), "tiny-qwen3-moe");
  EXPECT_EQ(descriptor.kv_block_size_tokens(), 16u);
  // Heartbeats carry the engine's load (the same report as GetLoad).
  ASSERT_TRUE(registration::Eventually(
      [&] { return router.registry().Get(id)->load.kv_blocks_total() > 0; }));

  (*module)->Stop(absl::Now() + absl::Seconds(5));
  EXPECT_FALSE(router.Has(id));
}

TYPED_TEST(ModuleRegistrationTest, WithoutARouterRegistersNowhere) {
  prometheus::Registry metrics;
  auto module = TypeParam::Create(this->Config(""), metrics);
  ASSERT_TRUE(module.ok()) << module.status();
  EXPECT_TRUE((*module)->Start(ServingPorts{.grpc_port = 7101, .metrics_port = 9101}).ok());
  (*module)->Stop(absl::Now() + absl::Seconds(1));
}

}  // namespace
}  // namespace weft
