// KV transfer over gRPC: blocks stream as checksummed chunks on a
// Decode.PushKv call to the receiving instance, from any host to any host.
// Channels are kept per address and shared by concurrent transfers.
#ifndef WEFT_COMMON_KV_TRANSFER_GRPC_KV_SENDER_H_
#define WEFT_COMMON_KV_TRANSFER_GRPC_KV_SENDER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "common/kv_transfer/channel_cache.h"
#include "common/kv_transfer/kv_sender.h"

namespace weft::kv_transfer {

class GrpcKvSender final : public KvSender {
 public:
  explicit GrpcKvSender(size_t chunk_bytes = 1 << 20) : chunk_bytes_(chunk_bytes) {}

  // Always KvTransport::kGrpc on success.
  absl::StatusOr<KvTransport> Send(
      const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
      const std::vector<std::string>& blocks, const std::vector<std::string>& keys,
      absl::Time deadline,
      const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) override;

 private:
  const size_t chunk_bytes_;
  ChannelCache channels_;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_GRPC_KV_SENDER_H_
