#include "common/kv_transfer/auto_kv_sender.h"

#include <utility>

#include "common/kv_transfer/shm_probe.h"
#include "common/logging/log.h"

namespace weft::kv_transfer {

absl::StatusOr<KvTransport> AutoKvSender::Send(
    const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
    const std::vector<std::string>& blocks, const std::vector<std::string>& keys,
    absl::Time deadline,
    const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) {
  if (ShmProbeMatches(destination.shm)) {
    absl::StatusOr<ShmKvSender::Staged> staged = ShmKvSender::Stage(layout, blocks, keys);
    if (staged.ok()) {
      absl::Status pushed =
          shm_.Push(destination, layout, keys, std::move(*staged), deadline, on_started);
      if (!pushed.ok()) return pushed;
      return KvTransport::kShm;
    }
    if (absl::IsInvalidArgument(staged.status())) return staged.status();
    WEFT_LOG(WARNING) << "KV of request " << destination.request_id
                      << " goes over gRPC: shared memory cannot take it: " << staged.status();
  }
  return grpc_.Send(destination, layout, blocks, keys, deadline, on_started);
}

}  // namespace weft::kv_transfer
