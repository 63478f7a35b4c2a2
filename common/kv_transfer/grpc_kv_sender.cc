#include "common/kv_transfer/grpc_kv_sender.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/kv_transfer/block_chunker.h"
#include "common/kv_transfer/context_cancellation.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "grpcpp/client_context.h"
#include "proto/decode.grpc.pb.h"

namespace weft::kv_transfer {

absl::StatusOr<KvTransport> GrpcKvSender::Send(
    const KvDestination& destination, const weft::v1::KvBlockLayout& layout,
    const std::vector<std::string>& blocks, const std::vector<std::string>& keys,
    absl::Time deadline,
    const std::function<void(std::shared_ptr<TransferCancellation>)>& on_started) {
  WEFT_RETURN_IF_ERROR(CheckSendArguments(layout, blocks, keys));
  auto stub = weft::v1::Decode::NewStub(channels_.ChannelTo(destination.grpc_address));
  auto context = std::make_shared<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(deadline));
  if (on_started) on_started(std::make_shared<ContextCancellation>(context));
  weft::v1::KvTransferAck ack;
  std::unique_ptr<grpc::ClientWriter<weft::v1::KvBlockChunk>> writer =
      stub->PushKv(context.get(), &ack);
  bool first = true;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const bool written = ChunkBlock(blocks[i], static_cast<uint32_t>(i), chunk_bytes_,
                                    [&](weft::v1::KvBlockChunk& chunk) {
                                      chunk.set_request_id(destination.request_id);
                                      chunk.set_reservation_id(destination.reservation_id);
                                      chunk.mutable_key()->set_hash(keys[i]);
                                      if (first) *chunk.mutable_layout() = layout;
                                      first = false;
                                      return writer->Write(chunk);
                                    });
    if (!written) break;  // the stream broke: Finish says why
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) {
    return absl::Status(
        FromGrpcCode(status.error_code()),
        absl::StrCat("KV push to ", destination.grpc_address, ": ", status.error_message()));
  }
  if (ack.blocks_received() != blocks.size()) {
    return absl::DataLossError(absl::StrCat("KV push to ", destination.grpc_address, ": ",
                                            ack.blocks_received(), " of ", blocks.size(),
                                            " blocks acknowledged"));
  }
  return KvTransport::kGrpc;
}

}  // namespace weft::kv_transfer
