// LoadPoller: one round issues every GetLoad through gRPC's callback API and
// waits on a countdown until all have completed.
#include "router/registry/load_poller.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/decode.grpc.pb.h"
#include "proto/prefill.grpc.pb.h"

namespace weft::router {
namespace {

// Counts outstanding calls down to zero.
class Countdown {
 public:
  explicit Countdown(size_t count) : count_(count) {}
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--count_ == 0) cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t count_;  // guarded by mu_
};

// One GetLoad in flight; owned by the round until every call completes.
struct PollCall {
  weft::v1::InstanceDescriptor instance;
  grpc::ClientContext context;
  weft::v1::GetPrefillLoadRequest prefill_request;
  weft::v1::GetDecodeLoadRequest decode_request;
  weft::v1::LoadReport load;
  std::unique_ptr<weft::v1::Prefill::Stub> prefill_stub;
  std::unique_ptr<weft::v1::Decode::Stub> decode_stub;
};

}  // namespace

LoadPoller::LoadPoller(InstanceRegistry* registry, Options options)
    : registry_(registry), options_(std::move(options)) {}

LoadPoller::~LoadPoller() { Stop(); }

void LoadPoller::Start() {
  WEFT_CHECK(!thread_.joinable()) << "LoadPoller started twice";
  thread_ = std::thread([this] { Run(); });
}

void LoadPoller::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LoadPoller::Run() {
  const auto period = absl::ToChronoMilliseconds(options_.period);
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_) {
    lock.unlock();
    PollOnce();
    lock.lock();
    stop_cv_.wait_for(lock, period, [this] { return stop_; });
  }
}

std::shared_ptr<grpc::Channel> LoadPoller::ChannelFor(const std::string& address) {
  MutexLock lock(&channels_mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel == nullptr) {
    // Reconnect no slower than the poll period, so a restarted instance is
    // noticed promptly. (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is left alone: it is
    // also the connect timeout, which must not shrink to the period.)
    const int backoff_ms = static_cast<int>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(options_.period), 100, 10'000));
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, backoff_ms);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
    channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  return channel;
}

void LoadPoller::PollOnce() {
  const std::vector<weft::v1::InstanceDescriptor> instances = registry_->StaticInstances();

  // Forget channels of addresses no static instance uses any more.
  {
    absl::flat_hash_set<std::string> addresses;
    for (const auto& instance : instances) addresses.insert(instance.grpc_address());
    MutexLock lock(&channels_mu_);
    absl::erase_if(channels_, [&](const auto& entry) { return !addresses.contains(entry.first); });
  }

  std::vector<std::unique_ptr<PollCall>> calls;
  calls.reserve(instances.size());
  Countdown countdown(instances.size());
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.rpc_timeout);
  for (const auto& instance : instances) {
    auto call = std::make_unique<PollCall>();
    call->instance = instance;
    call->context.set_deadline(deadline);
    PollCall* raw = call.get();
    auto on_done = [this, raw, &countdown](grpc::Status status) {
      absl::StatusOr<weft::v1::LoadReport> result = raw->load;
      if (!status.ok()) result = FromGrpcStatus(status);
      // Logged on changes only: a dead instance would log every round.
      if (registry_->ReportPoll(raw->instance.instance_id(), result, options_.clock())) {
        if (result.ok()) {
          WEFT_LOG(INFO) << "instance " << raw->instance.instance_id() << " at "
                         << raw->instance.grpc_address() << " answers GetLoad again";
        } else {
          WEFT_LOG(WARNING) << "GetLoad of instance " << raw->instance.instance_id() << " at "
                            << raw->instance.grpc_address() << " failed: " << result.status()
                            << "; not routing there until it answers";
        }
      }
      countdown.Done();
    };
    std::shared_ptr<grpc::Channel> channel = ChannelFor(instance.grpc_address());
    if (instance.role() == weft::v1::INSTANCE_ROLE_PREFILL) {
      call->prefill_stub = weft::v1::Prefill::NewStub(channel);
      call->prefill_stub->async()->GetLoad(&call->context, &call->prefill_request, &call->load,
                                           std::move(on_done));
    } else {
      call->decode_stub = weft::v1::Decode::NewStub(channel);
      call->decode_stub->async()->GetLoad(&call->context, &call->decode_request, &call->load,
                                          std::move(on_done));
    }
    calls.push_back(std::move(call));
  }
  countdown.Wait();

  for (const std::string& id : registry_->Expire(options_.clock())) {
    WEFT_LOG(WARNING) << "instance " << id << " stopped heartbeating; dropped";
  }
}

}  // namespace weft::router
