// RouterRegistration: one background thread runs register -> heartbeat
// rounds with blocking RPCs; Stop() wakes it through the condition variable
// and cancels the RPC in flight through its published ClientContext.
#include "common/registration/router_registration.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace weft::registration {
namespace {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const RouterRegistration::Options& options) {
  // The channel's own reconnect backoff would otherwise grow to 120 s and
  // keep a router that has come up unreached (calls fail fast meanwhile).
  // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is left alone: it is also the connect
  // timeout.
  const int64_t max_ms =
      std::clamp<int64_t>(absl::ToInt64Milliseconds(options.max_backoff), 10, INT32_MAX);
  const int64_t initial_ms =
      std::clamp<int64_t>(absl::ToInt64Milliseconds(options.initial_backoff), 10, max_ms);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, static_cast<int>(initial_ms));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(max_ms));
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

RouterRegistration::RouterRegistration(std::string router_address,
                                       weft::v1::InstanceDescriptor instance, LoadSource load,
                                       Options options)
    : router_address_(std::move(router_address)),
      instance_(std::move(instance)),
      load_(std::move(load)),
      options_(std::move(options)),
      stub_(weft::v1::Router::NewStub(MakeChannel(router_address_, options_))),
      rng_(std::random_device()()) {}

RouterRegistration::~RouterRegistration() { Stop(absl::Now() + options_.rpc_timeout); }

void RouterRegistration::Start() {
  WEFT_CHECK(!thread_.joinable() && !stopped_) << "RouterRegistration started twice or after Stop";
  WEFT_LOG(INFO) << "registering instance " << instance_.instance_id() << " ("
                 << weft::v1::InstanceRole_Name(instance_.role()) << " at "
                 << instance_.grpc_address() << ") with router " << router_address_;
  thread_ = std::thread([this] { Run(); });
}

void RouterRegistration::Stop(absl::Time deadline) {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  registered_.store(false, std::memory_order_release);
  if (!register_sent_) return;

  weft::v1::DeregisterInstanceRequest request;
  request.set_instance_id(instance_.instance_id());
  weft::v1::DeregisterInstanceResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(std::min(deadline, absl::Now() + options_.rpc_timeout)));
  const grpc::Status status = stub_->DeregisterInstance(&context, request, &response);
  if (status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND) {
    WEFT_LOG(INFO) << "instance " << instance_.instance_id() << " deregistered from router "
                   << router_address_;
  } else {
    WEFT_LOG(WARNING) << "cannot deregister instance " << instance_.instance_id() << " from router "
                      << router_address_ << ": " << FromGrpcStatus(status)
                      << "; the router drops it when its heartbeats stop";
  }
}

void RouterRegistration::Run() {
  absl::Duration backoff = options_.initial_backoff;
  int64_t failed_attempts = 0;  // of the current registration streak
  while (true) {
    absl::StatusOr<absl::Duration> interval = Register();
    if (!interval.ok()) {
      if (WaitForStop(absl::ZeroDuration())) return;
      registration_failures_.fetch_add(1, std::memory_order_relaxed);
      // Logged once per streak: an absent router would log every backoff.
      if (failed_attempts++ == 0) {
        WEFT_LOG(WARNING) << "cannot register instance " << instance_.instance_id()
                          << " with router " << router_address_ << ": " << interval.status()
                          << "; retrying";
      }
      if (WaitForStop(Jittered(backoff))) return;
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    registrations_.fetch_add(1, std::memory_order_relaxed);
    registered_.store(true, std::memory_order_release);
    WEFT_LOG(INFO) << "instance " << instance_.instance_id() << " registered with router "
                   << router_address_
                   << (failed_attempts > 0 ? absl::StrCat(" after ", failed_attempts, " failures")
                                           : "")
                   << "; heartbeat every " << absl::FormatDuration(*interval);
    backoff = options_.initial_backoff;
    failed_attempts = 0;

    // Heartbeat at once (so the router has the load without waiting an
    // interval), then every interval, until the router forgets us.
    bool heartbeat_failing = false;
    while (true) {
      const absl::Time next = absl::Now() + *interval;
      const absl::Status status = Heartbeat();
      if (status.ok()) {
        heartbeats_.fetch_add(1, std::memory_order_relaxed);
        registered_.store(true, std::memory_order_release);
        if (heartbeat_failing) {
          WEFT_LOG(INFO) << "heartbeats of instance " << instance_.instance_id() << " reach router "
                         << router_address_ << " again";
        }
        heartbeat_failing = false;
      } else {
        if (WaitForStop(absl::ZeroDuration())) return;
        heartbeat_failures_.fetch_add(1, std::memory_order_relaxed);
        registered_.store(false, std::memory_order_release);
        if (status.code() == absl::StatusCode::kNotFound) {
          WEFT_LOG(INFO) << "router " << router_address_ << " does not know instance "
                         << instance_.instance_id() << " (restarted or expired it); registering "
                         << "again";
          break;
        }
        if (!heartbeat_failing) {
          WEFT_LOG(WARNING) << "heartbeat of instance " << instance_.instance_id() << " to router "
                            << router_address_ << " failed: " << status << "; still trying";
        }
        heartbeat_failing = true;
      }
      if (WaitForStop(next - absl::Now())) return;
    }
  }
}

absl::StatusOr<absl::Duration> RouterRegistration::Register() {
  weft::v1::RegisterInstanceRequest request;
  *request.mutable_instance() = instance_;
  weft::v1::RegisterInstanceResponse response;
  const absl::Status status = Call([&](grpc::ClientContext* context) {
    register_sent_ = true;
    return stub_->RegisterInstance(context, request, &response);
  });
  if (!status.ok()) return status;
  if (response.heartbeat_interval_ms() == 0) return options_.default_heartbeat_interval;
  return std::max(absl::Milliseconds(response.heartbeat_interval_ms()),
                  options_.min_heartbeat_interval);
}

absl::Status RouterRegistration::Heartbeat() {
  weft::v1::HeartbeatRequest request;
  request.set_instance_id(instance_.instance_id());
  *request.mutable_load() = load_();
  weft::v1::HeartbeatResponse response;
  return Call(
      [&](grpc::ClientContext* context) { return stub_->Heartbeat(context, request, &response); });
}

absl::Status RouterRegistration::Call(
    const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_timeout));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return absl::CancelledError("registration stopping");
    in_flight_ = &context;
  }
  const grpc::Status status = rpc(&context);
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_ = nullptr;
  }
  return FromGrpcStatus(status);
}

bool RouterRegistration::WaitForStop(absl::Duration duration) {
  std::unique_lock<std::mutex> lock(mu_);
  if (duration <= absl::ZeroDuration()) return stop_;
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(duration), [this] { return stop_; });
}

absl::Duration RouterRegistration::Jittered(absl::Duration duration) {
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return duration * factor(rng_);
}

}  // namespace weft::registration
