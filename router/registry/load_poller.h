// Polls the load of statically configured prefill and decode instances.
//
// Instances listed in the router's configuration do not heartbeat, so the
// router asks them: every `period` a background thread calls GetLoad
// (weft.v1.Prefill/GetLoad or weft.v1.Decode/GetLoad, by role) on every
// static instance of the registry, all at once, each with a short deadline.
// A reply marks the instance healthy with the fresh load; a failure (down,
// deadline exceeded, ...) marks it unhealthy, so routing skips it until a
// later poll succeeds again. Each round also runs the registry's Expire(),
// dropping dynamic instances that stopped heartbeating.
//
// Channels are cached per address and dropped when no static instance uses
// the address any more. Their reconnect backoff is capped at `period`, so an
// instance restarted on the same address is seen within about two rounds.
#ifndef WEFT_ROUTER_REGISTRY_LOAD_POLLER_H_
#define WEFT_ROUTER_REGISTRY_LOAD_POLLER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "grpcpp/channel.h"
#include "router/registry/instance_registry.h"

namespace weft::router {

class LoadPoller {
 public:
  struct Options {
    absl::Duration period = absl::Seconds(1);              // between rounds
    absl::Duration rpc_timeout = absl::Milliseconds(500);  // deadline of each GetLoad
    // The time reported to the registry for polls and expiry.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
  };

  // `registry` must outlive the poller.
  LoadPoller(InstanceRegistry* registry, Options options);
  ~LoadPoller();  // Stop()s
  LoadPoller(const LoadPoller&) = delete;
  LoadPoller& operator=(const LoadPoller&) = delete;

  // Starts the background thread; its first round runs at once. Call once.
  void Start();
  // Stops the thread after its current round. Idempotent.
  void Stop();

  // One round, on the calling thread: polls every static instance
  // concurrently, waits for all the replies (at most about `rpc_timeout`),
  // reports them to the registry, then expires stale dynamic instances.
  void PollOnce();

 private:
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& address);
  void Run();

  InstanceRegistry* const registry_;
  const Options options_;

  Mutex channels_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(channels_mu_);

  // Condition wait for Stop(); std::mutex because it waits on a condition.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_REGISTRY_LOAD_POLLER_H_
