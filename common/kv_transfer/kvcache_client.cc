#include "common/kv_transfer/kvcache_client.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/kv_transfer/block_assembler.h"
#include "common/kv_transfer/block_chunker.h"
#include "common/kv_transfer/block_layout.h"
#include "common/kv_transfer/buffer_budget.h"
#include "common/status/grpc_status.h"
#include "grpcpp/client_context.h"

namespace weft::kv_transfer {

KvCacheClient::KvCacheClient(std::shared_ptr<grpc::Channel> channel, std::string model,
                             size_t chunk_bytes)
    : stub_(weft::v1::KvCache::NewStub(std::move(channel))),
      model_(std::move(model)),
      chunk_bytes_(chunk_bytes) {}

absl::StatusOr<std::vector<std::string>> KvCacheClient::GetPrefix(
    const std::vector<std::string>& keys, const weft::v1::KvBlockLayout& layout,
    absl::Time deadline) {
  std::vector<std::string> blocks;
  if (keys.empty()) return blocks;
  weft::v1::GetBlocksRequest request;
  request.set_model(model_);
  for (const std::string& key : keys) request.add_keys()->set_hash(key);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  std::unique_ptr<grpc::ClientReader<weft::v1::GetBlocksResponse>> reader =
      stub_->GetBlocks(&context, request);
  BufferBudget budget(layout.bytes_per_block());  // one block in flight
  BlockAssembler assembler(&budget, layout.bytes_per_block());
  weft::v1::GetBlocksResponse response;
  uint32_t expected = 0;
  absl::Status failure;
  while (reader->Read(&response)) {  // read to the end before Finish
    if (!failure.ok()) continue;
    if (response.has_header()) {
      expected = response.header().blocks();
      if (expected > 0 && !SameLayout(response.header().layout(), layout)) {
        failure = absl::FailedPreconditionError(absl::StrCat(
            "kvcache holds ", model_, " blocks of layout ",
            LayoutString(response.header().layout()), ", this engine's is ", LayoutString(layout)));
        context.TryCancel();
      }
      continue;
    }
    absl::StatusOr<std::optional<BlockAssembler::Block>> block = assembler.Add(response.chunk());
    if (!block.ok()) {
      failure = block.status();
      context.TryCancel();
    } else if (block->has_value()) {
      blocks.push_back(std::move((*block)->data));
    }
  }
  const grpc::Status status = reader->Finish();
  if (!failure.ok()) return failure;
  if (!status.ok()) return FromGrpcStatus(status);
  if (blocks.size() != expected) {
    return absl::DataLossError(
        absl::StrCat("kvcache announced ", expected, " blocks, sent ", blocks.size()));
  }
  return blocks;
}

absl::StatusOr<int32_t> KvCacheClient::Put(const std::vector<std::string>& keys,
                                           const std::vector<std::string>& blocks,
                                           const weft::v1::KvBlockLayout& layout,
                                           absl::Time deadline) {
  if (keys.size() != blocks.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(keys.size(), " keys for ", blocks.size(), " blocks"));
  }
  if (blocks.empty()) return 0;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  weft::v1::PutBlocksResponse response;
  std::unique_ptr<grpc::ClientWriter<weft::v1::PutBlocksRequest>> writer =
      stub_->PutBlocks(&context, &response);
  bool first = true;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const bool ok = ChunkBlock(blocks[i], static_cast<uint32_t>(i), chunk_bytes_,
                               [&](weft::v1::KvBlockChunk& chunk) {
                                 weft::v1::PutBlocksRequest request;
                                 request.set_model(model_);
                                 chunk.mutable_key()->set_hash(keys[i]);
                                 if (first) *chunk.mutable_layout() = layout;
                                 first = false;
                                 *request.mutable_chunk() = std::move(chunk);
                                 return writer->Write(request);
                               });
    if (!ok) break;
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return static_cast<int32_t>(response.blocks_added());
}

}  // namespace weft::kv_transfer
