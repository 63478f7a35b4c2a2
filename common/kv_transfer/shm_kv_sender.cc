#include "common/kv_transfer/shm_kv_sender.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/checksum/crc32c.h"
#include "common/kv_transfer/context_cancellation.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "grpcpp/client_context.h"
#include "proto/decode.grpc.pb.h"

namespace weft::kv_transfer {

absl::StatusOr<ShmKvSender::Staged> ShmKvSender::Stage(const weft::v1::KvBlockLayout& layout,
                                                       const std::vector<std::string>& blocks,
                                                       const std::vector<std::string>& keys) {
  WEFT_RETURN_IF_ERROR(CheckSendArguments(layout, blocks, keys));
  WEFT_ASSIGN_OR_RETURN(OwnedShmObject segment, OwnedShmObject::Create(kShmKvSegmentPrefix));
  const uint64_t block_bytes = layout.bytes_per_block();
  WEFT_RETURN_IF_ERROR(segment.Allocate(block_bytes * blocks.size()));
  Staged staged{.segment = std::move(segment), .block_crc32c = {}};
  staged.block_crc32c.reserve(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    WEFT_RETURN_IF_ERROR(staged.segment.Write(i * block_bytes, blocks[i]));
    staged.block_crc32c.push_back(Crc32c(blocks[i]));
  }
  return staged;
}

absl::Status ShmKvSender::Push(
    const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
    const std::vector<std::string>& keys, Staged staged, absl::Time deadline,
    const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) {
  weft::v1::KvShmTransfer transfer;
  transfer.set_request_id(destination.request_id);
  transfer.set_reservation_id(destination.reservation_id);
  *transfer.mutable_layout() = layout;
  transfer.set_segment_name(staged.segment.name());
  transfer.set_num_blocks(static_cast<uint32_t>(keys.size()));
  for (const std::string& key : keys) transfer.add_keys()->set_hash(key);
  for (uint32_t crc : staged.block_crc32c) transfer.add_block_crc32c(crc);

  auto stub = weft::v1::Decode::NewStub(channels_.ChannelTo(destination.grpc_address));
  auto context = std::make_shared<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(deadline));
  if (on_started) on_started(std::make_shared<ContextCancellation>(context));
  weft::v1::KvTransferAck ack;
  const grpc::Status status = stub->PushKvShm(context.get(), transfer, &ack);
  // Whatever happened on the other side (answered, failed, died), the
  // segment goes now; the receiver's mapping, if any, stays valid.
  staged.segment.Close();
  if (!status.ok()) {
    return absl::Status(FromGrpcCode(status.error_code()),
                        absl::StrCat("KV push in shared memory to ", destination.grpc_address, ": ",
                                     status.error_message()));
  }
  if (ack.blocks_received() != keys.size()) {
    return absl::DataLossError(absl::StrCat("KV push in shared memory to ",
                                            destination.grpc_address, ": ", ack.blocks_received(),
                                            " of ", keys.size(), " blocks acknowledged"));
  }
  return absl::OkStatus();
}

absl::StatusOr<KvTransport> ShmKvSender::Send(
    const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
    const std::vector<std::string>& blocks, const std::vector<std::string>& keys,
    absl::Time deadline,
    const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) {
  WEFT_ASSIGN_OR_RETURN(Staged staged, Stage(layout, blocks, keys));
  WEFT_RETURN_IF_ERROR(Push(destination, layout, keys, std::move(staged), deadline, on_started));
  return KvTransport::kShm;
}

}  // namespace weft::kv_transfer
