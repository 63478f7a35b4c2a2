// LoadPoller against fake prefill and decode peers: real gRPC servers on
// loopback whose GetLoad returns a configured LoadReport. The poller marks
// them healthy with their load, unhealthy once a server is gone, and healthy
// again when a server comes back on the same address.
#include "router/registry/load_poller.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/base/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/decode.grpc.pb.h"
#include "proto/prefill.grpc.pb.h"

namespace weft::router {
namespace {

// A peer whose GetLoad answers `running_sequences` = the configured value.
class FakeLoadServices {
 public:
  void set_running(uint32_t running) {
    MutexLock lock(&mu_);
    running_ = running;
  }

  class Prefill final : public weft::v1::Prefill::CallbackService {
   public:
    explicit Prefill(FakeLoadServices* owner) : owner_(owner) {}
    grpc::ServerUnaryReactor* GetLoad(grpc::CallbackServerContext* context,
                                      const weft::v1::GetPrefillLoadRequest* /*request*/,
                                      weft::v1::LoadReport* response) override {
      owner_->Fill(response);
      response->set_prefill_tokens_per_second(1000.0);
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }

   private:
    FakeLoadServices* const owner_;
  };

  class Decode final : public weft::v1::Decode::CallbackService {
   public:
    explicit Decode(FakeLoadServices* owner) : owner_(owner) {}
    grpc::ServerUnaryReactor* GetLoad(grpc::CallbackServerContext* context,
                                      const weft::v1::GetDecodeLoadRequest* /*request*/,
                                      weft::v1::LoadReport* response) override {
      owner_->Fill(response);
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }

   private:
    FakeLoadServices* const owner_;
  };

  // Serves both services on `address` ("127.0.0.1:0" picks a port, written to
  // *port).
  std::unique_ptr<grpc::Server> Serve(const std::string& address, int* port) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), port);
    builder.RegisterService(&prefill_);
    builder.RegisterService(&decode_);
    return builder.BuildAndStart();
  }

 private:
  void Fill(weft::v1::LoadReport* response) {
    MutexLock lock(&mu_);
    response->set_running_sequences(running_);
    response->set_kv_blocks_total(64);
  }

  Mutex mu_;
  uint32_t running_ ABSL_GUARDED_BY(mu_) = 0;
  Prefill prefill_{this};
  Decode decode_{this};
};

void StopServer(grpc::Server* server) {
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
}

weft::v1::InstanceDescriptor Descriptor(const std::string& id, weft::v1::InstanceRole role,
                                        const std::string& address) {
  weft::v1::InstanceDescriptor descriptor;
  descriptor.set_instance_id(id);
  descriptor.set_role(role);
  descriptor.set_grpc_address(address);
  descriptor.set_model("llama");
  return descriptor;
}

// Waits up to 10 s for `predicate`.
template <typename Predicate>
bool Eventually(Predicate predicate) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (predicate()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return predicate();
}

class LoadPollerTest : public ::testing::Test {
 protected:
  InstanceRegistry registry_{InstanceRegistry::Options{.heartbeat_timeout = absl::Seconds(3)}};
  FakeLoadServices fake_;
};

TEST_F(LoadPollerTest, PollOnceReportsLoadOfPrefillAndDecode) {
  int port = 0;
  std::unique_ptr<grpc::Server> server = fake_.Serve("127.0.0.1:0", &port);
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  fake_.set_running(4);
  ASSERT_TRUE(
      registry_.AddStatic(Descriptor("p1", weft::v1::INSTANCE_ROLE_PREFILL, address), absl::Now())
          .ok());
  ASSERT_TRUE(
      registry_.AddStatic(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, address), absl::Now())
          .ok());
  // A dynamic instance that stopped heartbeating long ago is expired by the round.
  ASSERT_TRUE(registry_
                  .Register(Descriptor("old", weft::v1::INSTANCE_ROLE_DECODE, "127.0.0.1:1"),
                            absl::Now() - absl::Minutes(1))
                  .ok());

  LoadPoller poller(&registry_, LoadPoller::Options{.period = absl::Milliseconds(100),
                                                    .rpc_timeout = absl::Seconds(5)});
  poller.PollOnce();

  const InstanceView prefill = *registry_.Get("p1");
  EXPECT_TRUE(prefill.healthy);
  EXPECT_EQ(prefill.load.running_sequences(), 4u);
  EXPECT_EQ(prefill.load.kv_blocks_total(), 64u);
  EXPECT_EQ(prefill.load.prefill_tokens_per_second(), 1000.0);
  const InstanceView decode = *registry_.Get("d1");
  EXPECT_TRUE(decode.healthy);
  EXPECT_EQ(decode.load.running_sequences(), 4u);
  EXPECT_EQ(decode.load.prefill_tokens_per_second(), 0.0);
  EXPECT_FALSE(registry_.Get("old").has_value());

  StopServer(server.get());
}

TEST_F(LoadPollerTest, DownInstanceIsUnhealthyAndRejoinsWhenRestarted) {
  int port = 0;
  std::unique_ptr<grpc::Server> server = fake_.Serve("127.0.0.1:0", &port);
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  ASSERT_TRUE(
      registry_.AddStatic(Descriptor("d1", weft::v1::INSTANCE_ROLE_DECODE, address), absl::Now())
          .ok());
  // Another instance that never answers: its failures do not affect d1.
  ASSERT_TRUE(
      registry_
          .AddStatic(Descriptor("d2", weft::v1::INSTANCE_ROLE_DECODE, "127.0.0.1:1"), absl::Now())
          .ok());

  LoadPoller poller(&registry_, LoadPoller::Options{.period = absl::Milliseconds(100),
                                                    .rpc_timeout = absl::Seconds(5)});
  poller.Start();

  fake_.set_running(2);
  EXPECT_TRUE(Eventually([&] {
    const InstanceView view = *registry_.Get("d1");
    return view.healthy && view.load.running_sequences() == 2;
  }));
  EXPECT_TRUE(Eventually([&] { return !registry_.Get("d2")->healthy; }));

  // The instance dies: the poller takes it out of routing.
  StopServer(server.get());
  server.reset();
  EXPECT_TRUE(Eventually([&] { return !registry_.Get("d1")->healthy; }));

  // It restarts on the same address, with other load: healthy again.
  fake_.set_running(6);
  int same_port = 0;
  server = fake_.Serve(address, &same_port);
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(same_port, port);
  EXPECT_TRUE(Eventually([&] {
    const InstanceView view = *registry_.Get("d1");
    return view.healthy && view.load.running_sequences() == 6;
  }));
  EXPECT_FALSE(registry_.Get("d2")->healthy);
  EXPECT_EQ(registry_.size(), 2u);  // static instances never expire

  poller.Stop();
  StopServer(server.get());
}

TEST_F(LoadPollerTest, InstanceMovedToNewAddressIsPolledThere) {
  ASSERT_TRUE(
      registry_
          .AddStatic(Descriptor("p1", weft::v1::INSTANCE_ROLE_PREFILL, "127.0.0.1:1"), absl::Now())
          .ok());
  LoadPoller poller(&registry_, LoadPoller::Options{.period = absl::Milliseconds(100),
                                                    .rpc_timeout = absl::Seconds(5)});
  poller.PollOnce();
  EXPECT_FALSE(registry_.Get("p1")->healthy);

  int port = 0;
  std::unique_ptr<grpc::Server> server = fake_.Serve("127.0.0.1:0", &port);
  ASSERT_NE(server, nullptr);
  fake_.set_running(3);
  ASSERT_TRUE(registry_
                  .Register(Descriptor("p1", weft::v1::INSTANCE_ROLE_PREFILL,
                                       absl::StrCat("127.0.0.1:", port)),
                            absl::Now())
                  .ok());
  registry_.MarkUnreachable("p1");
  // The first connection to the new address may outlast a round's deadline on
  // a loaded machine, so poll until it answers.
  EXPECT_TRUE(Eventually([&] {
    poller.PollOnce();
    const InstanceView view = *registry_.Get("p1");
    return view.healthy && view.load.running_sequences() == 3;
  }));

  StopServer(server.get());
}

}  // namespace
}  // namespace weft::router
