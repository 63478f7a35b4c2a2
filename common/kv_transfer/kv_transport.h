// The ways KV blocks travel from prefill to decode; each is a `transport`
// label value of the KV transfer metrics.
#ifndef WEFT_COMMON_KV_TRANSFER_KV_TRANSPORT_H_
#define WEFT_COMMON_KV_TRANSFER_KV_TRANSPORT_H_

#include <array>

#include "absl/strings/string_view.h"

namespace weft::kv_transfer {

enum class KvTransport {
  kGrpc,  // Decode.PushKv: a stream of checksummed chunks, any host to any host
  kShm,   // Decode.PushKvShm: a shared-memory segment on the decode's host
};

inline constexpr std::array<KvTransport, 2> kKvTransports = {KvTransport::kGrpc, KvTransport::kShm};

// "grpc" or "shm".
inline absl::string_view KvTransportName(KvTransport transport) {
  switch (transport) {
    case KvTransport::kGrpc:
      return "grpc";
    case KvTransport::kShm:
      return "shm";
  }
  return "unknown";
}

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_KV_TRANSPORT_H_
