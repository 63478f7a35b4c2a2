// The KvSender prefill uses: per destination, shared memory (ShmKvSender)
// when the decode instance advertises a same-host probe that this process
// can verify (ShmProbeMatches), gRPC (GrpcKvSender) otherwise — including
// when shared memory cannot take the blocks (/dev/shm full), since nothing
// has been sent then. A failed transfer is not retried on the other
// transport: the caller sees its error.
#ifndef WEFT_COMMON_KV_TRANSFER_AUTO_KV_SENDER_H_
#define WEFT_COMMON_KV_TRANSFER_AUTO_KV_SENDER_H_

#include <cstddef>

#include "common/kv_transfer/grpc_kv_sender.h"
#include "common/kv_transfer/kv_sender.h"
#include "common/kv_transfer/shm_kv_sender.h"

namespace weft::kv_transfer {

class AutoKvSender final : public KvSender {
 public:
  // `grpc_chunk_bytes`: the chunk size of the gRPC transport.
  explicit AutoKvSender(size_t grpc_chunk_bytes = 1 << 20) : grpc_(grpc_chunk_bytes) {}

  absl::StatusOr<KvTransport> Send(
      const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
      const std::vector<std::string>& blocks, const std::vector<std::string>& keys,
      absl::Time deadline,
      const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) override;

 private:
  GrpcKvSender grpc_;
  ShmKvSender shm_;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_AUTO_KV_SENDER_H_
