// Same-host detection for the shared-memory KV transport. A decode instance
// creates a probe at start-up: a small POSIX shared-memory object holding a
// random 16-byte token, advertised as a KvShmEndpoint {probe_name, token}.
// A sender shares the decode's host — more precisely its /dev/shm, which is
// what the transport needs; two containers on one machine each with their
// own /dev/shm do not — exactly when it can open the probe and read the same
// token. Comparing hostnames or addresses would get containers wrong.
#ifndef WEFT_COMMON_KV_TRANSFER_SHM_PROBE_H_
#define WEFT_COMMON_KV_TRANSFER_SHM_PROBE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/kv_transfer/shm_object.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

inline constexpr size_t kShmProbeTokenBytes = 16;

// The receiving side's probe; unlinked when destroyed. Thread-safe (const).
class ShmProbe {
 public:
  // Creates "/weft-probe-<32 hex digits>" with a fresh token. Errors: those
  // of OwnedShmObject (no usable /dev/shm), with which the instance should
  // simply not offer the transport.
  static absl::StatusOr<std::unique_ptr<ShmProbe>> Create();

  // What to advertise (ReserveKvResponse.shm).
  const weft::v1::KvShmEndpoint& endpoint() const { return endpoint_; }

 private:
  ShmProbe(OwnedShmObject object, weft::v1::KvShmEndpoint endpoint)
      : object_(std::move(object)), endpoint_(std::move(endpoint)) {}

  OwnedShmObject object_;
  const weft::v1::KvShmEndpoint endpoint_;
};

// The sending side: whether `endpoint` names a well-formed probe that this
// process can open and that holds endpoint.token. False for an empty
// endpoint, a malformed one, a probe that is not there (another host or
// another /dev/shm) or that holds another token.
bool ShmProbeMatches(const weft::v1::KvShmEndpoint& endpoint);

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_SHM_PROBE_H_
