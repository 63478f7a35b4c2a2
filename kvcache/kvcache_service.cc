#include "kvcache/kvcache_service.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/checksum/crc32c.h"
#include "common/kv_transfer/block_assembler.h"
#include "common/kv_transfer/block_key.h"
#include "common/kv_transfer/buffer_budget.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "kvcache/block_store.h"
#include "kvcache/kvcache_metrics.h"
#include "kvcache/stream_time_limit.h"

namespace weft::kvcache {

using ::weft::kv_transfer::BlockAssembler;
using ::weft::kv_transfer::BlockHash;
using ::weft::kv_transfer::BufferBudget;
using ::weft::kv_transfer::ParseBlockKey;

struct KvCacheService::State {
  State(const KvCacheOptions& options_in, prometheus::Registry& registry)
      : options(options_in),
        metrics(registry),
        store(options.capacity_bytes, &metrics),
        put_buffers(options.max_put_buffer_bytes, &metrics.put_buffered_bytes) {}

  const KvCacheOptions options;
  KvCacheMetrics metrics;
  BlockStore store;
  BufferBudget put_buffers;
  std::atomic<uint64_t> get_bytes{0};
};

namespace {

using weft::v1::GetBlocksRequest;
using weft::v1::GetBlocksResponse;
using weft::v1::KvBlockKey;
using weft::v1::PutBlocksRequest;
using weft::v1::PutBlocksResponse;

absl::Status ValidateModel(const std::string& model, absl::string_view field) {
  if (model.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (model.size() > kMaxModelNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", model.size(), " bytes; the limit is ", kMaxModelNameBytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BlockHash>> ParseKeys(
    const google::protobuf::RepeatedPtrField<KvBlockKey>& keys, uint32_t max_keys) {
  if (static_cast<uint64_t>(keys.size()) > max_keys) {
    return absl::InvalidArgumentError(absl::StrCat(
        "keys: ", keys.size(), " keys exceed this cache's limit of ", max_keys, " per request"));
  }
  std::vector<BlockHash> hashes;
  hashes.reserve(keys.size());
  for (int i = 0; i < keys.size(); ++i) {
    WEFT_ASSIGN_OR_RETURN(BlockHash hash, ParseBlockKey(keys[i], absl::StrCat("keys[", i, "]")));
    hashes.push_back(hash);
  }
  return hashes;
}

// Stores the blocks of one PutBlocks stream as they complete.
class PutBlocksReactor final : public grpc::ServerReadReactor<PutBlocksRequest> {
 public:
  PutBlocksReactor(KvCacheService::State& state, grpc::CallbackServerContext* context,
                   PutBlocksResponse* response)
      : state_(state),
        context_(context),
        response_(response),
        assembler_(&state.put_buffers, state.options.max_block_bytes),
        time_limit_(context, state.options.max_stream_duration) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed, or the call ended (cancelled, deadline,
      // time limit, drain); in the latter case the status goes nowhere.
      Finish(EndOfStream());
      return;
    }
    if (absl::Status s = Take(); !s.ok()) {
      assembler_.Abandon();
      if (s.code() == absl::StatusCode::kDataLoss) {
        WEFT_LOG(WARNING) << "PutBlocks from " << context_->peer() << ": " << s.message();
      }
      Finish(ToGrpcStatus(WithProgress(s)));
      return;
    }
    ++messages_;
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Take() {
    const std::string where = absl::StrCat("message ", messages_);
    if (messages_ == 0) {
      WEFT_RETURN_IF_ERROR(
          ValidateModel(request_.model(), "model (of the stream's first message)"));
      model_ = request_.model();
    } else if (!request_.model().empty() && request_.model() != model_) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": model \"", request_.model(),
                                                     "\" differs from the stream's model \"",
                                                     model_, "\""));
    }
    if (!request_.has_chunk()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": chunk is required"));
    }
    const bool first_chunk = !assembler_.layout().has_value();
    WEFT_ASSIGN_OR_RETURN(std::optional<BlockAssembler::Block> block,
                          assembler_.Add(request_.chunk()));
    // Fail fast, before a whole block has travelled, if the layout cannot be
    // stored; Put checks again.
    if (first_chunk) WEFT_RETURN_IF_ERROR(state_.store.CheckLayout(model_, *assembler_.layout()));
    if (!block.has_value()) return absl::OkStatus();
    const uint64_t bytes = block->data.size();
    WEFT_ASSIGN_OR_RETURN(const bool added, state_.store.Put(model_, *assembler_.layout(),
                                                             block->hash, std::move(block->data)));
    response_->set_blocks_received(response_->blocks_received() + 1);
    response_->set_bytes_received(response_->bytes_received() + bytes);
    if (added) response_->set_blocks_added(response_->blocks_added() + 1);
    return absl::OkStatus();
  }

  grpc::Status EndOfStream() {
    if (!assembler_.in_block()) return grpc::Status::OK;
    const absl::Status s = absl::InvalidArgumentError(
        absl::StrCat("the stream ended within ", assembler_.DescribeBlockInProgress(),
                     "; that block was not stored"));
    assembler_.Abandon();
    return ToGrpcStatus(WithProgress(s));
  }

  absl::Status WithProgress(const absl::Status& s) const {
    return absl::Status(s.code(), absl::StrCat(s.message(), " (", response_->blocks_received(),
                                               " earlier blocks of this stream were stored)"));
  }

  KvCacheService::State& state_;
  grpc::CallbackServerContext* const context_;
  PutBlocksResponse* const response_;
  PutBlocksRequest request_;
  uint64_t messages_ = 0;  // accepted so far
  std::string model_;
  BlockAssembler assembler_;
  StreamTimeLimit time_limit_;
};

// Streams the pinned leading blocks of a GetBlocks request, then unpins them.
class GetBlocksReactor final : public grpc::ServerWriteReactor<GetBlocksResponse> {
 public:
  GetBlocksReactor(KvCacheService::State& state, grpc::CallbackServerContext* context,
                   const GetBlocksRequest& request)
      : state_(state), request_id_(request.request_id()) {
    if (absl::Status s = Start(request); !s.ok()) {
      Finish(ToGrpcStatus(s));
      return;
    }
    time_limit_.emplace(context, state.options.max_stream_duration);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      // The call ended early (cancelled, deadline, time limit, drain).
      pins_.Release();
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke off"));
      return;
    }
    if (response_.has_chunk()) {
      const uint64_t bytes = response_.chunk().payload().size();
      state_.get_bytes.fetch_add(bytes, std::memory_order_relaxed);
      state_.metrics.get_bytes.Increment(static_cast<double>(bytes));
    }
    if (!NextChunk()) {
      pins_.Release();
      Finish(grpc::Status::OK);
      return;
    }
    StartWrite(&response_);
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Start(const GetBlocksRequest& request) {
    WEFT_RETURN_IF_ERROR(ValidateModel(request.model(), "model"));
    WEFT_ASSIGN_OR_RETURN(const std::vector<BlockHash> keys,
                          ParseKeys(request.keys(), state_.options.max_keys_per_request));
    pins_ = state_.store.PinPrefix(request.model(), keys);
    weft::v1::GetBlocksHeader* header = response_.mutable_header();
    header->set_blocks(static_cast<uint32_t>(pins_.size()));
    if (!pins_.empty()) *header->mutable_layout() = pins_.layout();
    return absl::OkStatus();
  }

  // Puts the next chunk into response_; false once every block was sent.
  bool NextChunk() {
    if (block_ >= pins_.size()) return false;
    const absl::string_view data = pins_.data(block_);
    const size_t size = std::min<size_t>(state_.options.chunk_bytes, data.size() - offset_);
    const absl::string_view payload = data.substr(offset_, size);
    weft::v1::KvBlockChunk* chunk = response_.mutable_chunk();
    chunk->Clear();
    chunk->set_request_id(request_id_);
    chunk->set_block_index(static_cast<uint32_t>(block_));
    const BlockHash& hash = pins_.hash(block_);
    chunk->mutable_key()->set_hash(reinterpret_cast<const char*>(hash.data()), hash.size());
    chunk->set_offset(offset_);
    chunk->set_payload(payload.data(), payload.size());
    chunk->set_crc32c(Crc32c(payload));
    if (block_ == 0 && offset_ == 0) *chunk->mutable_layout() = pins_.layout();
    offset_ += size;
    if (offset_ == data.size()) {
      chunk->set_last_chunk_of_block(true);
      ++block_;
      offset_ = 0;
    }
    return true;
  }

  KvCacheService::State& state_;
  const std::string request_id_;
  BlockStore::PinnedBlocks pins_;
  GetBlocksResponse response_;
  size_t block_ = 0;   // the block of the next chunk
  size_t offset_ = 0;  // and its offset
  std::optional<StreamTimeLimit> time_limit_;
};

}  // namespace

KvCacheService::KvCacheService(const KvCacheOptions& options, prometheus::Registry& registry)
    : state_(std::make_unique<State>(options, registry)) {}

KvCacheService::~KvCacheService() = default;

grpc::ServerUnaryReactor* KvCacheService::LookupPrefix(grpc::CallbackServerContext* context,
                                                       const weft::v1::LookupPrefixRequest* request,
                                                       weft::v1::LookupPrefixResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = [&]() -> absl::Status {
    WEFT_RETURN_IF_ERROR(ValidateModel(request->model(), "model"));
    WEFT_ASSIGN_OR_RETURN(const std::vector<BlockHash> keys,
                          ParseKeys(request->keys(), state_->options.max_keys_per_request));
    response->set_matched_blocks(
        static_cast<uint32_t>(state_->store.LookupPrefix(request->model(), keys)));
    return absl::OkStatus();
  }();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerReadReactor<weft::v1::PutBlocksRequest>* KvCacheService::PutBlocks(
    grpc::CallbackServerContext* context, weft::v1::PutBlocksResponse* response) {
  return new PutBlocksReactor(*state_, context, response);
}

grpc::ServerWriteReactor<weft::v1::GetBlocksResponse>* KvCacheService::GetBlocks(
    grpc::CallbackServerContext* context, const weft::v1::GetBlocksRequest* request) {
  return new GetBlocksReactor(*state_, context, *request);
}

grpc::ServerUnaryReactor* KvCacheService::GetStats(grpc::CallbackServerContext* context,
                                                   const weft::v1::GetStatsRequest* /*request*/,
                                                   weft::v1::KvCacheStats* response) {
  const BlockStore::Stats stats = state_->store.GetStats();
  response->set_capacity_bytes(stats.capacity_bytes);
  response->set_used_bytes(stats.used_bytes);
  response->set_blocks(stats.blocks);
  response->set_evictions_total(stats.evictions_total);
  response->set_pinned_blocks(stats.pinned_blocks);
  response->set_pinned_bytes(stats.pinned_bytes);
  response->set_prefix_query_blocks_total(stats.prefix_query_blocks_total);
  response->set_prefix_hit_blocks_total(stats.prefix_hit_blocks_total);
  response->set_put_blocks_total(stats.put_blocks_total);
  response->set_put_bytes_total(stats.put_bytes_total);
  response->set_get_bytes_total(state_->get_bytes.load(std::memory_order_relaxed));
  response->set_put_buffered_bytes(state_->put_buffers.used_bytes());
  response->set_models(stats.models);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace weft::kvcache
