// The router's gRPC stubs for prefill and decode instances, one channel per
// address, created on first use and kept (an instance that comes back on the
// same address reuses its channel; reconnect backoff is capped at one second
// so that a restarted instance is reachable again quickly).
#ifndef WEFT_ROUTER_SERVING_BACKEND_STUBS_H_
#define WEFT_ROUTER_SERVING_BACKEND_STUBS_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/base/mutex.h"
#include "proto/decode.grpc.pb.h"
#include "proto/prefill.grpc.pb.h"

namespace weft::router {

class BackendStubs {
 public:
  BackendStubs() = default;
  BackendStubs(const BackendStubs&) = delete;
  BackendStubs& operator=(const BackendStubs&) = delete;

  // Thread-safe. The stubs stay valid while the caller holds them.
  std::shared_ptr<weft::v1::Prefill::Stub> Prefill(const std::string& address);
  std::shared_ptr<weft::v1::Decode::Stub> Decode(const std::string& address);

 private:
  struct Entry {
    std::shared_ptr<weft::v1::Prefill::Stub> prefill;
    std::shared_ptr<weft::v1::Decode::Stub> decode;
  };
  Entry& EntryFor(const std::string& address) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_BACKEND_STUBS_H_
