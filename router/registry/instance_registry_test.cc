// InstanceRegistry: registration, heartbeats, expiry, re-registration,
// unreachable marking and static instances, on a test-driven clock.
#include "router/registry/instance_registry.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'000'000);

weft::v1::InstanceDescriptor Descriptor(const std::string& id, weft::v1::InstanceRole role,
                                        const std::string& address,
                                        const std::string& model = "llama") {
  weft::v1::InstanceDescriptor descriptor;
  descriptor.set_instance_id(id);
  descriptor.set_role(role);
  descriptor.set_grpc_address(address);
  descriptor.set_model(model);
  descriptor.set_kv_block_size_tokens(16);
  return descriptor;
}

weft::v1::LoadReport Load(uint32_t running) {
  weft::v1::LoadReport load;
  load.set_running_sequences(running);
  load.set_kv_blocks_total(100);
  return load;
}

std::vector<std::string> Ids(const std::vector<InstanceView>& views) {
  std::vector<std::string> ids;
  for (const InstanceView& view : views) ids.push_back(view.descriptor.instance_id());
  return ids;
}

class InstanceRegistryTest : public ::testing::Test {
 protected:
  InstanceRegistry registry_{InstanceRegistry::Options{.heartbeat_timeout = absl::Seconds(3)}};
};

TEST_F(InstanceRegistryTest, RegisterAndSnapshotByRoleAndModel) {
  ASSERT_TRUE(
      registry_.Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), kT0).ok());
  ASSERT_TRUE(
      registry_.Register(Descriptor("p1", weft::v1::INSTANCE_ROLE_PREFILL, "h:2"), kT0).ok());
  ASSERT_TRUE(
      registry_.Register(Descriptor("d0", weft::v1::INSTANCE_ROLE_DECODE, "h:3"), kT0).ok());
  ASSERT_TRUE(
      registry_.Register(Descriptor("d2", weft::v1::INSTANCE_ROLE_DECODE, "h:4", "qwen"), kT0)
          .ok());

  EXPECT_THAT(Ids(registry_.Snapshot(weft::v1::INSTANCE_ROLE_DECODE, "llama")),
              ElementsAre("d0", "d1"));
  EXPECT_THAT(Ids(registry_.Snapshot(weft::v1::INSTANCE_ROLE_DECODE, "")),
              ElementsAre("d0", "d1", "d2"));
  EXPECT_THAT(Ids(registry_.Snapshot(weft::v1::INSTANCE_ROLE_PREFILL, "llama")), ElementsAre("p1"));
  EXPECT_THAT(registry_.Snapshot(weft::v1::INSTANCE_ROLE_PREFILL, "qwen"), IsEmpty());

  const InstanceView view = registry_.Snapshot(weft::v1::INSTANCE_ROLE_PREFILL, "llama")[0];
  EXPECT_EQ(view.descriptor.grpc_address(), "h:2");
  EXPECT_EQ(view.descriptor.kv_block_size_tokens(), 16u);
  EXPECT_EQ(view.last_seen, kT0);
  EXPECT_TRUE(view.healthy);
  EXPECT_FALSE(view.is_static);
  EXPECT_EQ(registry_.size(), 4u);
}

TEST_F(InstanceRegistryTest, RejectsBadDescriptorsNamingTheField) {
  struct Case {
    weft::v1::InstanceDescriptor descriptor;
    std::string field;
  };
  const Case cases[] = {
      {Descriptor("", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), "instance_id"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_UNSPECIFIED, "h:1"), "role"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_KVCACHE, "h:1"), "role"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_DECODE, ""), "grpc_address"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_DECODE, "host"), "grpc_address"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_DECODE, ":50051"), "grpc_address"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_DECODE, "host:"), "grpc_address"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_DECODE, "host:70000"), "grpc_address"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_DECODE, "host:5x"), "grpc_address"},
      {Descriptor("x", weft::v1::INSTANCE_ROLE_DECODE, "h:1", ""), "model"},
  };
  for (const Case& c : cases) {
    const absl::Status status = registry_.Register(c.descriptor, kT0);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.descriptor.DebugString();
    EXPECT_THAT(status.message(), HasSubstr(c.field)) << c.descriptor.DebugString();
    EXPECT_EQ(registry_.AddStatic(c.descriptor, kT0).code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(registry_.size(), 0u);
  EXPECT_TRUE(InstanceRegistry::ValidateDescriptor(
                  Descriptor("x", weft::v1::INSTANCE_ROLE_PREFILL, "[::1]:50051"))
                  .ok());
}

TEST_F(InstanceRegistryTest, HeartbeatRecordsLoadAndUnknownIdIsNotFound) {
  ASSERT_TRUE(
      registry_.Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), kT0).ok());
  ASSERT_TRUE(registry_.Heartbeat("d1", Load(7), kT0 + absl::Seconds(1)).ok());
  const InstanceView view = *registry_.Get("d1");
  EXPECT_EQ(view.load.running_sequences(), 7u);
  EXPECT_EQ(view.last_seen, kT0 + absl::Seconds(1));

  const absl::Status unknown = registry_.Heartbeat("nope", Load(1), kT0);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("nope"));
}

TEST_F(InstanceRegistryTest, ExpireDropsSilentInstancesWhichMustReRegister) {
  ASSERT_TRUE(
      registry_.Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), kT0).ok());
  ASSERT_TRUE(
      registry_.Register(Descriptor("d2", weft::v1::INSTANCE_ROLE_DECODE, "h:2"), kT0).ok());
  ASSERT_TRUE(registry_.Heartbeat("d2", Load(1), kT0 + absl::Seconds(2)).ok());

  // Exactly at the timeout nothing expires yet.
  EXPECT_THAT(registry_.Expire(kT0 + absl::Seconds(3)), IsEmpty());
  EXPECT_THAT(registry_.Expire(kT0 + absl::Seconds(4)), ElementsAre("d1"));
  EXPECT_THAT(Ids(registry_.Snapshot(weft::v1::INSTANCE_ROLE_DECODE, "llama")), ElementsAre("d2"));

  // The expired instance's heartbeat is refused; it registers again.
  EXPECT_EQ(registry_.Heartbeat("d1", Load(1), kT0 + absl::Seconds(5)).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(
      registry_
          .Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), kT0 + absl::Seconds(5))
          .ok());
  EXPECT_THAT(registry_.Expire(kT0 + absl::Seconds(6)), ElementsAre("d2"));
  EXPECT_THAT(Ids(registry_.Snapshot(weft::v1::INSTANCE_ROLE_DECODE, "llama")), ElementsAre("d1"));
}

TEST_F(InstanceRegistryTest, ReRegisterReplacesAddressAndResetsLoad) {
  ASSERT_TRUE(
      registry_.Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), kT0).ok());
  ASSERT_TRUE(registry_.Heartbeat("d1", Load(9), kT0).ok());
  registry_.MarkUnreachable("d1");

  // The process restarts on another port.
  ASSERT_TRUE(
      registry_
          .Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:2"), kT0 + absl::Seconds(1))
          .ok());
  const InstanceView view = *registry_.Get("d1");
  EXPECT_EQ(view.descriptor.grpc_address(), "h:2");
  EXPECT_EQ(view.load.running_sequences(), 0u);
  EXPECT_TRUE(view.healthy);
  EXPECT_EQ(view.last_seen, kT0 + absl::Seconds(1));
  EXPECT_EQ(registry_.size(), 1u);
}

TEST_F(InstanceRegistryTest, UnreachableUntilNextHeartbeat) {
  ASSERT_TRUE(
      registry_.Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), kT0).ok());
  ASSERT_TRUE(
      registry_.Register(Descriptor("d2", weft::v1::INSTANCE_ROLE_DECODE, "h:2"), kT0).ok());
  registry_.MarkUnreachable("d1");
  registry_.MarkUnreachable("unknown");  // ignored

  std::vector<InstanceView> views = registry_.Snapshot(weft::v1::INSTANCE_ROLE_DECODE, "llama");
  ASSERT_EQ(views.size(), 2u);
  EXPECT_FALSE(views[0].healthy);
  EXPECT_TRUE(views[1].healthy);

  ASSERT_TRUE(registry_.Heartbeat("d1", Load(2), kT0 + absl::Seconds(1)).ok());
  EXPECT_TRUE(registry_.Get("d1")->healthy);
}

TEST_F(InstanceRegistryTest, DeregisterRemoves) {
  ASSERT_TRUE(
      registry_.Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:1"), kT0).ok());
  ASSERT_TRUE(registry_.Deregister("d1").ok());
  EXPECT_EQ(registry_.Deregister("d1").code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(registry_.Get("d1").has_value());
  EXPECT_EQ(registry_.Heartbeat("d1", Load(1), kT0).code(), absl::StatusCode::kNotFound);
}

TEST_F(InstanceRegistryTest, StaticInstancesNeverExpireAndFollowPolls) {
  ASSERT_TRUE(
      registry_.AddStatic(Descriptor("p1", weft::v1::INSTANCE_ROLE_PREFILL, "h:1"), kT0).ok());
  ASSERT_TRUE(
      registry_.Register(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, "h:2"), kT0).ok());
  ASSERT_TRUE(
      registry_.AddStatic(Descriptor("d0", weft::v1::INSTANCE_ROLE_DECODE, "h:3"), kT0).ok());

  std::vector<std::string> static_ids;
  for (const auto& descriptor : registry_.StaticInstances()) {
    static_ids.push_back(descriptor.instance_id());
  }
  EXPECT_THAT(static_ids, ElementsAre("d0", "p1"));
  EXPECT_TRUE(registry_.Get("p1")->is_static);

  EXPECT_THAT(registry_.Expire(kT0 + absl::Hours(1)), ElementsAre("d1"));
  EXPECT_EQ(registry_.size(), 2u);

  // A failed poll takes it out of routing, a successful one brings it back.
  EXPECT_TRUE(registry_.ReportPoll("p1", absl::UnavailableError("connection refused"),
                                   kT0 + absl::Hours(1)));
  EXPECT_FALSE(registry_.Get("p1")->healthy);
  EXPECT_FALSE(registry_.ReportPoll("p1", absl::DeadlineExceededError("slow"),
                                    kT0 + absl::Hours(1)));  // no change
  EXPECT_TRUE(registry_.ReportPoll("p1", Load(3), kT0 + absl::Hours(2)));
  const InstanceView view = *registry_.Get("p1");
  EXPECT_TRUE(view.healthy);
  EXPECT_EQ(view.load.running_sequences(), 3u);
  EXPECT_EQ(view.last_seen, kT0 + absl::Hours(2));

  // Unreachable until the next successful poll.
  registry_.MarkUnreachable("p1");
  EXPECT_FALSE(registry_.Get("p1")->healthy);
  EXPECT_TRUE(registry_.ReportPoll("p1", Load(4), kT0 + absl::Hours(3)));
  EXPECT_TRUE(registry_.Get("p1")->healthy);

  // Registering a static id updates its descriptor; it stays static.
  ASSERT_TRUE(
      registry_.Register(Descriptor("p1", weft::v1::INSTANCE_ROLE_PREFILL, "h:9"), kT0).ok());
  EXPECT_TRUE(registry_.Get("p1")->is_static);
  EXPECT_EQ(registry_.Get("p1")->descriptor.grpc_address(), "h:9");
  EXPECT_THAT(registry_.Expire(kT0 + absl::Hours(10)), IsEmpty());

  EXPECT_FALSE(registry_.ReportPoll("gone", Load(1), kT0));  // unknown ids are ignored
  EXPECT_EQ(registry_.size(), 2u);
}

}  // namespace
}  // namespace weft::router
