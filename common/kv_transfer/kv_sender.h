// Sends a request's KV blocks to the decode instance holding its
// reservation: one interface, a transport per case (gRPC streaming between
// any two hosts, GrpcKvSender; shared memory on one host, ShmKvSender;
// AutoKvSender picks per destination). Every block travels with a crc32c;
// the receiver acknowledges once it has them all.
#ifndef WEFT_COMMON_KV_TRANSFER_KV_SENDER_H_
#define WEFT_COMMON_KV_TRANSFER_KV_SENDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/kv_transfer/kv_transport.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

struct KvDestination {
  std::string grpc_address;  // the decode instance
  uint64_t reservation_id = 0;
  std::string request_id;
  // The decode instance's same-host probe (DecodeTarget.shm); empty when it
  // offers no shared memory.
  weft::v1::KvShmEndpoint shm;
};

// Lets a caller abort a transfer in progress from another thread.
class TransferCancellation {
 public:
  virtual ~TransferCancellation() = default;
  virtual void Cancel() = 0;
};

class KvSender {
 public:
  virtual ~KvSender() = default;

  // Sends `blocks` (serialized KvMemory blocks, in sequence order, each
  // layout.bytes_per_block long) under their content `keys` (16-byte chained
  // block hashes, one per block) and waits for the receiver's
  // acknowledgement; returns the transport that carried them. `on_started`,
  // if set, receives a handle that cancels the transfer from another thread.
  // Errors: InvalidArgument when blocks, keys and layout disagree
  // (CheckSendArguments), the receiver's status (NotFound for an unknown
  // reservation, DataLoss, ...), DeadlineExceeded past `deadline`,
  // Unavailable when the receiver is unreachable, Cancelled. Thread-safe.
  virtual absl::StatusOr<KvTransport> Send(
      const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
      const std::vector<std::string>& blocks, const std::vector<std::string>& keys,
      absl::Time deadline,
      const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) = 0;
};

// InvalidArgument unless there is one key per block and every block is
// layout.bytes_per_block long; what every KvSender checks first.
absl::Status CheckSendArguments(const weft::v1::KvBlockLayout& layout,
                                const std::vector<std::string>& blocks,
                                const std::vector<std::string>& keys);

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_KV_SENDER_H_
