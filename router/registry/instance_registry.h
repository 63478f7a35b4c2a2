// The router's live view of every prefill and decode instance.
//
// An instance enters the registry in one of two ways:
//  - dynamically: it calls Router.RegisterInstance and then heartbeats with
//    its load. One that stops heartbeating for longer than
//    `heartbeat_timeout` is dropped by Expire() and must register again (a
//    restarted instance simply re-registers under the same id, replacing the
//    old entry and its address);
//  - statically: it is listed in the router's configuration. Static instances
//    never expire; LoadPoller polls their GetLoad and reports each result
//    here, which marks them healthy (with the fresh load) or unhealthy.
//
// Independently of heartbeats, the router marks an instance unreachable when
// one of its RPCs fails with UNAVAILABLE; it is then left out of routing
// (`healthy` false) until its next successful heartbeat or poll.
//
// Time is passed in by the caller (`now`), so tests drive the clock.
// Thread-safe: every method may be called from any thread.
#ifndef WEFT_ROUTER_REGISTRY_INSTANCE_REGISTRY_H_
#define WEFT_ROUTER_REGISTRY_INSTANCE_REGISTRY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "proto/types.pb.h"

namespace weft::router {

// One instance as routing sees it.
struct InstanceView {
  weft::v1::InstanceDescriptor descriptor;
  weft::v1::LoadReport load;  // latest heartbeat or poll; empty until the first
  // Time of the registration or of the latest successful heartbeat or poll.
  absl::Time last_seen = absl::InfinitePast();
  // False while the instance is marked unreachable (failed RPC or poll).
  bool healthy = true;
  bool is_static = false;  // from configuration: polled, never expires
};

class InstanceRegistry {
 public:
  struct Options {
    // A dynamic instance whose last heartbeat is older than this is dropped
    // by Expire(). Typically 3 x the heartbeat interval.
    absl::Duration heartbeat_timeout = absl::Seconds(3);
  };

  explicit InstanceRegistry(Options options);
  InstanceRegistry(const InstanceRegistry&) = delete;
  InstanceRegistry& operator=(const InstanceRegistry&) = delete;

  // OK if `descriptor` can be routed to: instance_id non-empty, role PREFILL or
  // DECODE, grpc_address of the form host:port, model non-empty. Otherwise
  // InvalidArgument naming the offending field.
  static absl::Status ValidateDescriptor(const weft::v1::InstanceDescriptor& descriptor);

  // Registers a dynamic instance, healthy, last seen `now`, with an empty
  // load. Registering an id again replaces its descriptor (a restarted
  // instance may come back on another address) and resets its load; an id
  // that is static stays static. InvalidArgument for a bad descriptor.
  absl::Status Register(const weft::v1::InstanceDescriptor& descriptor, absl::Time now);

  // Adds (or replaces) a static instance from configuration. It is healthy
  // until a poll fails. InvalidArgument for a bad descriptor.
  absl::Status AddStatic(const weft::v1::InstanceDescriptor& descriptor, absl::Time now);

  // Records a heartbeat: the load, last seen `now`, healthy again.
  // NotFound for an unknown (never registered, expired or deregistered) id:
  // the instance must register again.
  absl::Status Heartbeat(absl::string_view instance_id, const weft::v1::LoadReport& load,
                         absl::Time now);

  // Removes the instance, static or not. NotFound for an unknown id.
  absl::Status Deregister(absl::string_view instance_id);

  // Drops every dynamic instance last seen before `now - heartbeat_timeout`
  // and returns their ids. Static instances never expire.
  std::vector<std::string> Expire(absl::Time now);

  // The router saw an RPC to this instance fail with UNAVAILABLE: leave it out
  // of routing until its next successful heartbeat or poll. Unknown ids are
  // ignored (the caller's view may be older than the registry's).
  void MarkUnreachable(absl::string_view instance_id);

  // Records the result of polling the instance's GetLoad: on success its load,
  // last seen `now` and healthy; on failure unhealthy. Unknown ids are ignored
  // (the instance may have been removed while the poll was in flight).
  // Returns true if this changed whether the instance is healthy.
  bool ReportPoll(absl::string_view instance_id, const absl::StatusOr<weft::v1::LoadReport>& load,
                  absl::Time now);

  // Every instance of `role` serving `model` (any model if `model` is empty),
  // healthy or not, ordered by instance id. Routing should skip those with
  // `healthy` false.
  std::vector<InstanceView> Snapshot(weft::v1::InstanceRole role, absl::string_view model) const;

  // The descriptors of all static instances, ordered by instance id.
  std::vector<weft::v1::InstanceDescriptor> StaticInstances() const;

  std::optional<InstanceView> Get(absl::string_view instance_id) const;
  size_t size() const;

  const Options& options() const { return options_; }

 private:
  const Options options_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, InstanceView> instances_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_REGISTRY_INSTANCE_REGISTRY_H_
