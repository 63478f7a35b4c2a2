// Keeps a prefill or decode instance registered with the router's control
// plane (weft.v1.Router) for as long as it serves.
//
// Start() begins a background thread that
//  - registers the instance (RegisterInstance). While the router is
//    unreachable or refuses, it retries with capped exponential backoff
//    (jittered), so a router that starts after the instance is still joined;
//    Start() itself never blocks on the router;
//  - once registered, heartbeats at once and then every heartbeat_interval_ms
//    the router asked for, each time with a fresh LoadReport from `load`;
//  - re-registers at once when a heartbeat is answered NOT_FOUND (the router
//    restarted with an empty registry, or expired the instance). Other
//    heartbeat failures (router down, deadline exceeded) are counted and the
//    heartbeats go on at the same interval: a router that comes back with
//    its registry answers NOT_FOUND, and the instance registers again.
// Every RPC carries a deadline (`rpc_timeout`). Stop() wakes the thread at
// once (cancelling an RPC in flight), joins it and deregisters the instance,
// best effort, by the caller's deadline.
//
// Thread-safety: Start() and Stop() are called by the owner, from one thread;
// the accessors may be called from any thread. `load` is called on the
// background thread and must be thread-safe.
#ifndef WEFT_COMMON_REGISTRATION_ROUTER_REGISTRATION_H_
#define WEFT_COMMON_REGISTRATION_ROUTER_REGISTRATION_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "proto/router.grpc.pb.h"
#include "proto/types.pb.h"

namespace weft::registration {

class RouterRegistration {
 public:
  using LoadSource = std::function<weft::v1::LoadReport()>;

  struct Options {
    // Deadline of each RPC to the router.
    absl::Duration rpc_timeout = absl::Seconds(1);
    // Backoff between failed registrations: doubles from `initial_backoff`
    // up to `max_backoff`, each wait jittered by +-20%. `max_backoff` also
    // caps the channel's reconnect backoff, so a router that comes up is
    // reached within about that long.
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    // Heartbeat interval when the router's response names none (0); a
    // router's interval is never taken below `min_heartbeat_interval`.
    absl::Duration default_heartbeat_interval = absl::Seconds(1);
    absl::Duration min_heartbeat_interval = absl::Milliseconds(10);
  };

  // `router_address` is host:port of the router's gRPC server; `instance`
  // is what is registered (its instance_id names it in heartbeats).
  RouterRegistration(std::string router_address, weft::v1::InstanceDescriptor instance,
                     LoadSource load, Options options);
  RouterRegistration(std::string router_address, weft::v1::InstanceDescriptor instance,
                     LoadSource load)
      : RouterRegistration(std::move(router_address), std::move(instance), std::move(load),
                           Options()) {}
  // Stop()s with a deadline of `rpc_timeout` from now unless Stop() was
  // called.
  ~RouterRegistration();
  RouterRegistration(const RouterRegistration&) = delete;
  RouterRegistration& operator=(const RouterRegistration&) = delete;

  // Starts the background thread and returns at once. Call at most once.
  void Start();

  // Stops the thread (promptly: an RPC in flight is cancelled) and, if a
  // RegisterInstance was ever sent (the router may have recorded it even if
  // its reply never arrived), sends DeregisterInstance with a deadline of
  // min(`deadline`, now + rpc_timeout); its failure is only logged. Blocks
  // until done. Idempotent; a Stop() without Start() deregisters nothing.
  void Stop(absl::Time deadline);

  // True while the latest RegisterInstance or Heartbeat succeeded.
  bool registered() const { return registered_.load(std::memory_order_acquire); }
  // Successful RegisterInstance calls (the first and every re-registration).
  int64_t registrations() const { return registrations_.load(std::memory_order_relaxed); }
  int64_t registration_failures() const {
    return registration_failures_.load(std::memory_order_relaxed);
  }
  int64_t heartbeats() const { return heartbeats_.load(std::memory_order_relaxed); }
  // Failed Heartbeat calls, NOT_FOUND included.
  int64_t heartbeat_failures() const { return heartbeat_failures_.load(std::memory_order_relaxed); }

  const weft::v1::InstanceDescriptor& instance() const { return instance_; }

 private:
  void Run();
  // RegisterInstance; on success the heartbeat interval to use.
  absl::StatusOr<absl::Duration> Register();
  absl::Status Heartbeat();
  // Runs one RPC with a fresh context carrying the deadline, published so
  // that Stop() can cancel it. CANCELLED without calling if stopping.
  absl::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& rpc);
  // Waits `duration` or until Stop(); true if stopping.
  bool WaitForStop(absl::Duration duration);
  absl::Duration Jittered(absl::Duration duration);

  // Constant after construction.
  const std::string router_address_;
  const weft::v1::InstanceDescriptor instance_;
  const LoadSource load_;
  const Options options_;
  const std::unique_ptr<weft::v1::Router::Stub> stub_;

  std::atomic<bool> registered_{false};
  std::atomic<int64_t> registrations_{0};
  std::atomic<int64_t> registration_failures_{0};
  std::atomic<int64_t> heartbeats_{0};
  std::atomic<int64_t> heartbeat_failures_{0};

  // Condition wait for Stop(); std::mutex because it waits on a condition.
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                         // guarded by mu_
  grpc::ClientContext* in_flight_ = nullptr;  // guarded by mu_
  // Written by the background thread, read by Stop() once it is joined.
  bool register_sent_ = false;
  bool stopped_ = false;  // Stop() ran; owner's thread only
  std::thread thread_;    // owner's thread only
  std::minstd_rand rng_;  // background thread only
};

}  // namespace weft::registration

#endif  // WEFT_COMMON_REGISTRATION_ROUTER_REGISTRATION_H_
