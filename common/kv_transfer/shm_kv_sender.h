// KV transfer through POSIX shared memory, for a decode instance on this
// host (one whose ShmProbe this process can read; AutoKvSender checks): the
// blocks are written back to back into a fresh segment ("/weft-kv-<32 hex
// digits>", mode 0600, created exclusively, memory allocated up front), each
// with its crc32c, and handed over with one unary Decode.PushKvShm call that
// names the segment. The receiver copies the blocks out and unlinks the
// segment; the sender unlinks it too once the call is over, whatever its
// outcome (even when the receiver died mid-call), so a segment outlives a
// transfer only if the sending process itself dies.
#ifndef WEFT_COMMON_KV_TRANSFER_SHM_KV_SENDER_H_
#define WEFT_COMMON_KV_TRANSFER_SHM_KV_SENDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/kv_transfer/channel_cache.h"
#include "common/kv_transfer/kv_sender.h"
#include "common/kv_transfer/shm_object.h"

namespace weft::kv_transfer {

class ShmKvSender final : public KvSender {
 public:
  // A request's blocks in a segment of their own, not handed over yet. The
  // segment is unlinked when this is destroyed.
  struct Staged {
    OwnedShmObject segment;
    std::vector<uint32_t> block_crc32c;
  };

  // Writes `blocks` into a new segment. Errors: those of CheckSendArguments;
  // ResourceExhausted (or Internal, PermissionDenied) when shared memory
  // cannot hold them — nothing has been sent then, and another transport can
  // carry the blocks instead.
  static absl::StatusOr<Staged> Stage(const weft::v1::KvBlockLayout& layout,
                                      const std::vector<std::string>& blocks,
                                      const std::vector<std::string>& keys);

  // Hands `staged` (made by Stage from these `keys`) to the destination's
  // reservation (Decode.PushKvShm) and unlinks the segment. Errors as Send.
  absl::Status Push(const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
                    const std::vector<std::string>& keys, Staged staged, absl::Time deadline,
                    const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started);

  // Stage, then Push: always KvTransport::kShm on success. Does not check
  // that the destination shares this host.
  absl::StatusOr<KvTransport> Send(
      const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
      const std::vector<std::string>& blocks, const std::vector<std::string>& keys,
      absl::Time deadline,
      const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) override;

 private:
  ChannelCache channels_;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_SHM_KV_SENDER_H_
