// RouterRegistration against the real router control plane: the router's
// RouterControlService over a real InstanceRegistry, served by an in-process
// gRPC server on loopback. Routers are started, stopped and restarted under
// the registration to check that it always finds its way back.
#include "common/registration/router_registration.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/registration/eventually.h"
#include "common/registration/test_router.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "router/registry/instance_registry.h"

namespace weft::registration {
namespace {

weft::v1::InstanceDescriptor Prefill(const std::string& id) {
  weft::v1::InstanceDescriptor instance;
  instance.set_instance_id(id);
  instance.set_role(weft::v1::INSTANCE_ROLE_PREFILL);
  instance.set_grpc_address("127.0.0.1:7001");
  instance.set_metrics_address("127.0.0.1:9001");
  instance.set_model("tiny");
  instance.set_kv_block_size_tokens(16);
  return instance;
}

// Fast retries so that tests wait milliseconds, not seconds.
RouterRegistration::Options FastOptions() {
  RouterRegistration::Options options;
  options.rpc_timeout = absl::Seconds(5);
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(100);
  return options;
}

// A loopback port nothing listens on: one a router bound and released.
int FreePort() {
  TestRouter router;
  return router.ok() ? router.port() : 0;
}

class RouterRegistrationTest : public ::testing::Test {
 protected:
  std::unique_ptr<RouterRegistration> MakeRegistration(
      const std::string& router_address, const weft::v1::InstanceDescriptor& instance,
      RouterRegistration::Options options = FastOptions()) {
    return std::make_unique<RouterRegistration>(
        router_address, instance,
        [this] {
          weft::v1::LoadReport load;
          load.set_running_sequences(running_.load());
          load.set_kv_blocks_total(100);
          return load;
        },
        options);
  }

  std::atomic<uint32_t> running_{0};  // reported by the load source
};

TEST_F(RouterRegistrationTest, RegistersHeartbeatsLoadAndDeregistersOnStop) {
  TestRouter router;
  ASSERT_TRUE(router.ok());
  const weft::v1::InstanceDescriptor instance = Prefill("p1");
  auto registration = MakeRegistration(router.address(), instance);
  registration->Start();

  ASSERT_TRUE(Eventually([&] { return router.Has("p1"); }));
  const router::InstanceView view = *router.registry().Get("p1");
  EXPECT_EQ(view.descriptor.ShortDebugString(), instance.ShortDebugString());
  EXPECT_FALSE(view.is_static);
  ASSERT_TRUE(Eventually([&] { return registration->registered(); }));

  // The first heartbeat follows the registration at once; later ones carry
  // the load of the moment.
  ASSERT_TRUE(
      Eventually([&] { return router.registry().Get("p1")->load.kv_blocks_total() == 100; }));
  running_ = 7;
  ASSERT_TRUE(
      Eventually([&] { return router.registry().Get("p1")->load.running_sequences() == 7; }));
  running_ = 3;
  ASSERT_TRUE(
      Eventually([&] { return router.registry().Get("p1")->load.running_sequences() == 3; }));
  // The registry records a heartbeat before its reply reaches the counter.
  ASSERT_TRUE(Eventually([&] { return registration->heartbeats() >= 3; }));
  EXPECT_EQ(registration->registrations(), 1);
  EXPECT_EQ(registration->heartbeat_failures(), 0);
  EXPECT_EQ(registration->registration_failures(), 0);

  registration->Stop(absl::Now() + absl::Seconds(5));
  EXPECT_FALSE(router.Has("p1"));
  EXPECT_FALSE(registration->registered());
  registration->Stop(absl::Now() + absl::Seconds(5));  // idempotent
}

TEST_F(RouterRegistrationTest, JoinsARouterThatStartsLater) {
  const int port = FreePort();
  ASSERT_GT(port, 0);
  auto registration = MakeRegistration(absl::StrCat("127.0.0.1:", port), Prefill("p1"));
  registration->Start();  // returns although no router is up
  ASSERT_TRUE(Eventually([&] { return registration->registration_failures() >= 3; }));
  EXPECT_FALSE(registration->registered());

  TestRouter router(port);
  ASSERT_TRUE(router.ok());
  ASSERT_TRUE(Eventually([&] { return router.Has("p1"); }));
  ASSERT_TRUE(Eventually([&] { return registration->heartbeats() >= 1; }));
  EXPECT_EQ(registration->registrations(), 1);

  registration->Stop(absl::Now() + absl::Seconds(5));
  EXPECT_FALSE(router.Has("p1"));
}

TEST_F(RouterRegistrationTest, ARestartedRouterGetsTheInstanceBack) {
  auto first = std::make_unique<TestRouter>();
  ASSERT_TRUE(first->ok());
  const int port = first->port();
  auto registration = MakeRegistration(first->address(), Prefill("p1"));
  registration->Start();
  ASSERT_TRUE(Eventually([&] { return first->Has("p1"); }));

  // The router goes away: heartbeats fail, the instance keeps trying.
  first.reset();
  ASSERT_TRUE(Eventually([&] { return registration->heartbeat_failures() >= 2; }));
  EXPECT_FALSE(registration->registered());

  // It comes back on the same port with an empty registry: the next
  // heartbeat is answered NOT_FOUND and the instance registers again.
  TestRouter second(port);
  ASSERT_TRUE(second.ok());
  running_ = 5;
  ASSERT_TRUE(Eventually([&] { return second.Has("p1"); }));
  ASSERT_TRUE(
      Eventually([&] { return second.registry().Get("p1")->load.running_sequences() == 5; }));
  EXPECT_EQ(registration->registrations(), 2);
  EXPECT_TRUE(registration->registered());

  registration->Stop(absl::Now() + absl::Seconds(5));
  EXPECT_FALSE(second.Has("p1"));
}

TEST_F(RouterRegistrationTest, AnInstanceTheRouterForgotRegistersAgainAtOnce) {
  TestRouter router;
  ASSERT_TRUE(router.ok());
  auto registration = MakeRegistration(router.address(), Prefill("p1"));
  registration->Start();
  ASSERT_TRUE(Eventually([&] { return registration->heartbeats() >= 1; }));

  // As when the router expires it: the next heartbeat is NOT_FOUND.
  ASSERT_TRUE(router.registry().Deregister("p1").ok());
  ASSERT_TRUE(Eventually([&] { return registration->registrations() == 2; }));
  EXPECT_TRUE(router.Has("p1"));
  EXPECT_GE(registration->heartbeat_failures(), 1);
  EXPECT_EQ(registration->registration_failures(), 0);
}

TEST_F(RouterRegistrationTest, TwoInstancesRegisterSideBySide) {
  TestRouter router;
  ASSERT_TRUE(router.ok());
  weft::v1::InstanceDescriptor decode = Prefill("d1");
  decode.set_role(weft::v1::INSTANCE_ROLE_DECODE);
  decode.set_grpc_address("127.0.0.1:7002");
  auto prefill_registration = MakeRegistration(router.address(), Prefill("p1"));
  auto decode_registration = MakeRegistration(router.address(), decode);
  prefill_registration->Start();
  decode_registration->Start();
  ASSERT_TRUE(Eventually([&] { return router.Has("p1") && router.Has("d1"); }));
  EXPECT_EQ(router.registry().Snapshot(weft::v1::INSTANCE_ROLE_DECODE, "tiny").size(), 1u);
  EXPECT_EQ(router.registry().Snapshot(weft::v1::INSTANCE_ROLE_PREFILL, "tiny").size(), 1u);

  decode_registration->Stop(absl::Now() + absl::Seconds(5));
  EXPECT_FALSE(router.Has("d1"));
  EXPECT_TRUE(router.Has("p1"));
}

TEST_F(RouterRegistrationTest, StopWakesABackoffWaitAtOnce) {
  const int port = FreePort();
  ASSERT_GT(port, 0);
  RouterRegistration::Options options = FastOptions();
  options.initial_backoff = absl::Hours(1);  // a sleep would hang the test
  options.max_backoff = absl::Hours(1);
  auto registration = MakeRegistration(absl::StrCat("127.0.0.1:", port), Prefill("p1"), options);
  registration->Start();
  ASSERT_TRUE(Eventually([&] { return registration->registration_failures() == 1; }));
  // The deregistration it sends in case is refused at once.
  registration->Stop(absl::Now() + absl::Seconds(1));
  EXPECT_EQ(registration->registrations(), 0);
}

TEST_F(RouterRegistrationTest, StopCancelsAnRpcInFlight) {
  // A listener that accepts connections and never speaks HTTP/2: the
  // registration's RPC hangs until its deadline, an hour away.
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

  RouterRegistration::Options options = FastOptions();
  options.rpc_timeout = absl::Hours(1);
  auto registration =
      MakeRegistration(absl::StrCat("127.0.0.1:", ntohs(address.sin_port)), Prefill("p1"), options);
  registration->Start();
  // The registration's connection arrives: its RPC is waiting on it.
  int connection = -1;
  ASSERT_TRUE(Eventually([&] {
    connection = accept(listener, nullptr, nullptr);
    return connection >= 0;
  }));
  // The deregistration it sends in case waits out this deadline at most.
  registration->Stop(absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(registration->registrations(), 0);
  EXPECT_FALSE(registration->registered());
  close(connection);
  close(listener);
}

TEST_F(RouterRegistrationTest, StopWithoutStartAndDestructionWithoutStop) {
  TestRouter router;
  ASSERT_TRUE(router.ok());
  {
    auto idle = MakeRegistration(router.address(), Prefill("idle"));
    idle->Stop(absl::Now() + absl::Seconds(1));
  }
  {
    auto running = MakeRegistration(router.address(), Prefill("p1"));
    running->Start();
    ASSERT_TRUE(Eventually([&] { return router.Has("p1"); }));
  }  // the destructor stops and deregisters
  EXPECT_FALSE(router.Has("p1"));
  EXPECT_FALSE(router.Has("idle"));
}

}  // namespace
}  // namespace weft::registration
