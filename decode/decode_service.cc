#include "decode/decode_service.h"

#include <atomic>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/engine/serving/request_conversion.h"
#include "common/kv_transfer/block_assembler.h"
#include "common/kv_transfer/kv_layout_proto.h"
#include "common/kv_transfer/shm_kv_blocks.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"

namespace weft::decode {
namespace {

using engine::SequenceId;
using engine::SequenceOutput;

grpc::Status Error(grpc::StatusCode code, const std::string& message) {
  return grpc::Status(code, message);
}

prometheus::Counter& Counter(prometheus::Registry& r, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

weft::v1::TokenEvent ToEvent(const SequenceOutput& out, bool first) {
  weft::v1::TokenEvent ev;
  if (out.token.token >= 0) *ev.add_tokens() = engine::ToProto(out.token);
  ev.set_text(out.text);
  if (out.finish.has_value()) ev.set_finish_reason(engine::ToProto(*out.finish));
  if (first) ev.set_cached_prompt_tokens(static_cast<uint32_t>(out.cached_prompt_tokens));
  return ev;
}

}  // namespace

// One Generate call: engine outputs (on the loop thread) queue up here and
// are written one at a time. Owns itself until gRPC calls OnDone.
class GenerateStream final : public grpc::ServerWriteReactor<weft::v1::TokenEvent> {
 public:
  GenerateStream(DecodeService* service, uint64_t reservation)
      : service_(service), reservation_(reservation) {}

  void Begin(std::shared_ptr<GenerateStream> self) { self_ = std::move(self); }
  // The stream runs its reservation's sequence: ending it frees both.
  void Own() { owns_reservation_ = true; }

  // Queues an event; `last` ends the stream after it. Thread-safe; ignored
  // once the stream is over.
  void Push(weft::v1::TokenEvent event, bool last) {
    MutexLock lock(&mu_);
    if (over_) return;
    queue_.push_back(std::move(event));
    if (last) over_ = true;
    if (!writing_) WriteNextLocked();
  }

  // Ends the stream with an error (no more events). Thread-safe.
  void Fail(grpc::Status status) {
    MutexLock lock(&mu_);
    if (over_) return;
    over_ = true;
    final_ = std::move(status);
    if (!writing_) WriteNextLocked();
  }

  // Cancel RPC or client gone: the engine drops the sequence.
  void Abort(grpc::Status status) {
    service_->engine_.loop->AbortLater(SequenceId(static_cast<int64_t>(reservation_)));
    Fail(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    MutexLock lock(&mu_);
    queue_.pop_front();
    writing_ = false;
    if (!ok) {  // the client is gone
      if (!over_) {
        over_ = true;
        service_->engine_.loop->AbortLater(SequenceId(static_cast<int64_t>(reservation_)));
      }
      queue_.clear();
      final_ = Error(grpc::StatusCode::CANCELLED, "client gone");
    }
    WriteNextLocked();
  }

  void OnCancel() override { Abort(Error(grpc::StatusCode::CANCELLED, "cancelled")); }

  void OnDone() override {
    if (owns_reservation_) service_->StreamDone(reservation_);
    std::shared_ptr<GenerateStream> keep = std::move(self_);  // may destroy this on return
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if (!queue_.empty()) {
      writing_ = true;
      StartWrite(&queue_.front());
    } else if (over_) {
      finished_ = true;
      Finish(final_);
    }
  }

  DecodeService* const service_;
  const uint64_t reservation_;
  std::shared_ptr<GenerateStream> self_;
  std::atomic<bool> owns_reservation_{false};
  Mutex mu_;
  std::deque<weft::v1::TokenEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool over_ ABSL_GUARDED_BY(mu_) = false;      // no more events will be queued
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish called
  grpc::Status final_ ABSL_GUARDED_BY(mu_) = grpc::Status::OK;
};

// One PushKv call: chunks are reassembled and checked block by block; each
// complete block is written into its reservation on the engine's thread.
class PushKvStream final : public grpc::ServerReadReactor<weft::v1::KvBlockChunk> {
 public:
  PushKvStream(DecodeService* service, weft::v1::KvTransferAck* ack)
      : service_(service),
        ack_(ack),
        assembler_(&service->assembly_budget_, service->layout_.bytes_per_block()) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the sender closed its side
      if (assembler_.in_block()) {
        Finish(Error(grpc::StatusCode::DATA_LOSS,
                     absl::StrCat("stream ended inside ", assembler_.DescribeBlockInProgress())));
      } else {
        Finish(grpc::Status::OK);
      }
      return;
    }
    if (grpc::Status s = Take(); !s.ok()) {
      assembler_.Abandon();
      Finish(s);
      return;
    }
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  grpc::Status Take() {
    const uint64_t reservation = chunk_.reservation_id();
    absl::StatusOr<ReservationInfo> info = service_->reservations_.Get(reservation);
    if (!info.ok()) return ToGrpcStatus(info.status());
    if (chunk_.has_layout()) {
      if (absl::Status s = service_->kv_writer_.CheckLayout(chunk_.layout()); !s.ok()) {
        return ToGrpcStatus(s);
      }
    }
    absl::StatusOr<std::optional<kv_transfer::BlockAssembler::Block>> block =
        assembler_.Add(chunk_);
    if (!block.ok()) return ToGrpcStatus(block.status());
    if (!block->has_value()) return grpc::Status::OK;
    kv_transfer::BlockAssembler::Block& b = **block;
    const uint64_t bytes = b.data.size();
    const absl::Status written = service_->kv_writer_.Write(*info, b.block_index, std::move(b.data),
                                                            kv_transfer::KvTransport::kGrpc);
    if (!written.ok()) return ToGrpcStatus(written);
    ack_->set_blocks_received(ack_->blocks_received() + 1);
    ack_->set_bytes_received(ack_->bytes_received() + bytes);
    return grpc::Status::OK;
  }

  DecodeService* const service_;
  weft::v1::KvTransferAck* const ack_;
  weft::v1::KvBlockChunk chunk_;
  kv_transfer::BlockAssembler assembler_;
};

DecodeService::DecodeService(engine::EngineInstance& engine, const DecodeServiceOptions& options,
                             prometheus::Registry& registry)
    : engine_(engine),
      options_(options),
      layout_(kv_transfer::LayoutProto(engine.model->kv_layout(), engine.block_size)),
      assembly_budget_(options.max_assembly_bytes),
      kv_writer_(engine, reservations_, layout_, registry),
      reservations_expired_(Counter(registry, "weft_kv_reservations_expired_total",
                                    "KV reservations freed because the request never started")) {
  if (absl::StatusOr<std::unique_ptr<kv_transfer::ShmProbe>> probe =
          kv_transfer::ShmProbe::Create();
      probe.ok()) {
    shm_probe_ = std::move(*probe);
  } else {
    WEFT_LOG(WARNING) << "no shared-memory KV transfer (prefill pushes over gRPC): "
                      << probe.status();
  }
  reaper_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(reaper_mu_);
    while (
        !reaper_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
      lock.unlock();
      ReapExpired();
      lock.lock();
    }
  });
}

DecodeService::~DecodeService() {
  {
    std::lock_guard<std::mutex> lock(reaper_mu_);
    stopping_ = true;
  }
  reaper_cv_.notify_all();
  reaper_.join();
}

void DecodeService::ReapExpired() {
  for (const ReservationInfo& info : reservations_.TakeExpired(absl::Now())) {
    WEFT_LOG(WARNING) << "KV reservation " << info.id << " of request " << info.request_id
                      << " expired";
    engine_.loop->AbortLater(SequenceId(static_cast<int64_t>(info.id)));
    reservations_expired_.Increment();
  }
}

void DecodeService::StreamDone(uint64_t reservation_id) {
  {
    MutexLock lock(&mu_);
    streams_.erase(reservation_id);
  }
  reservations_.Remove(reservation_id);
}

grpc::ServerUnaryReactor* DecodeService::ReserveKv(grpc::CallbackServerContext* context,
                                                   const weft::v1::ReserveKvRequest* request,
                                                   weft::v1::ReserveKvResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->request_id().empty()) {
    reactor->Finish(Error(grpc::StatusCode::INVALID_ARGUMENT, "request_id is required"));
    return reactor;
  }
  if (request->model() != engine_.model_name) {
    reactor->Finish(Error(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("model \"", request->model(), "\" is not served here (",
                                       engine_.model_name, ")")));
    return reactor;
  }
  const int64_t prompt = request->prompt_tokens();
  const int64_t context_limit = engine_.model->config().max_position_embeddings;
  if (prompt < 1 || (context_limit > 0 && prompt + request->max_new_tokens() > context_limit)) {
    reactor->Finish(Error(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("prompt_tokens ", prompt, " + max_new_tokens ",
                                       request->max_new_tokens(), " outside 1..", context_limit)));
    return reactor;
  }
  const int32_t num_blocks =
      static_cast<int32_t>((prompt + engine_.block_size - 1) / engine_.block_size);
  absl::StatusOr<ReservationInfo> info =
      reservations_.Add(request->request_id(), static_cast<int32_t>(prompt), num_blocks,
                        absl::Now() + options_.reservation_timeout);
  if (!info.ok()) {
    reactor->Finish(ToGrpcStatus(info.status()));
    return reactor;
  }
  const absl::Status reserved = engine_.loop->Run([&](engine::ModelExecutor& ex) {
    return ex.ReserveKv(SequenceId(static_cast<int64_t>(info->id)), static_cast<int32_t>(prompt));
  });
  if (!reserved.ok()) {
    reservations_.Remove(info->id);
    reactor->Finish(ToGrpcStatus(reserved));
    return reactor;
  }
  response->set_reservation_id(info->id);
  *response->mutable_layout() = layout_;
  response->set_num_blocks(static_cast<uint32_t>(num_blocks));
  if (shm_probe_ != nullptr) *response->mutable_shm() = shm_probe_->endpoint();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerReadReactor<weft::v1::KvBlockChunk>* DecodeService::PushKv(
    grpc::CallbackServerContext* /*context*/, weft::v1::KvTransferAck* response) {
  return new PushKvStream(this, response);
}

grpc::ServerUnaryReactor* DecodeService::PushKvShm(grpc::CallbackServerContext* context,
                                                   const weft::v1::KvShmTransfer* request,
                                                   weft::v1::KvTransferAck* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Checking and copying a request's KV takes a while: off the gRPC thread.
  // `request` and `response` live until Finish.
  shm_receivers_.Submit([this, reactor, request, response] {
    reactor->Finish(ToGrpcStatus(ReceiveShm(*request, *response)));
  });
  return reactor;
}

absl::Status DecodeService::ReceiveShm(const weft::v1::KvShmTransfer& transfer,
                                       weft::v1::KvTransferAck& ack) {
  // First, whatever else: every block checked, the segment's name unlinked.
  WEFT_ASSIGN_OR_RETURN(const kv_transfer::ShmKvBlocks blocks,
                        kv_transfer::ShmKvBlocks::Open(transfer, layout_));
  WEFT_ASSIGN_OR_RETURN(const ReservationInfo info, reservations_.Get(transfer.reservation_id()));
  if (!transfer.request_id().empty() && transfer.request_id() != info.request_id) {
    return absl::InvalidArgumentError(absl::StrCat("reservation ", info.id, " belongs to request ",
                                                   info.request_id, ", not ",
                                                   transfer.request_id()));
  }
  if (blocks.num_blocks() > static_cast<uint32_t>(info.num_blocks)) {
    return absl::InvalidArgumentError(absl::StrCat(blocks.num_blocks(), " blocks for reservation ",
                                                   info.id, " of ", info.num_blocks));
  }
  // The block being copied counts against the buffer budget, as a PushKv
  // stream's partial block does; the segment itself is the sender's memory
  // (each prefill has a few transfers in flight at most).
  WEFT_ASSIGN_OR_RETURN(kv_transfer::BufferBudget::Reservation copying,
                        assembly_budget_.Reserve(layout_.bytes_per_block()));
  for (uint32_t i = 0; i < blocks.num_blocks(); ++i) {
    WEFT_RETURN_IF_ERROR(
        kv_writer_.Write(info, i, std::string(blocks.block(i)), kv_transfer::KvTransport::kShm));
    ack.set_blocks_received(ack.blocks_received() + 1);
    ack.set_bytes_received(ack.bytes_received() + layout_.bytes_per_block());
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<weft::v1::TokenEvent>* DecodeService::Generate(
    grpc::CallbackServerContext* /*context*/, const weft::v1::GenerateRequest* request) {
  const uint64_t reservation = request->reservation_id();
  auto stream = std::make_shared<GenerateStream>(this, reservation);
  stream->Begin(stream);
  auto fail = [&](grpc::Status s) {
    stream->Fail(std::move(s));
    return stream.get();
  };
  absl::StatusOr<ReservationInfo> info = reservations_.Get(reservation);
  if (!info.ok()) return fail(ToGrpcStatus(info.status()));
  if (info->request_id != request->request_id()) {
    return fail(
        Error(grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat("reservation ", reservation, " belongs to request ", info->request_id)));
  }
  if (request->prompt_token_ids_size() != info->prompt_tokens) {
    return fail(Error(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("prompt of ", request->prompt_token_ids_size(),
                                   " tokens, KV reserved for ", info->prompt_tokens)));
  }
  absl::StatusOr<engine::GenerationParams> params =
      engine::FromSamplingParams(request->sampling(), engine_.eos_token_ids);
  if (!params.ok()) return fail(ToGrpcStatus(params.status()));
  if (!request->has_first_token()) {
    return fail(Error(grpc::StatusCode::INVALID_ARGUMENT, "first_token is required"));
  }
  engine::SequenceRequest seq{.id = SequenceId(static_cast<int64_t>(reservation)),
                              .sampling = params->sampling,
                              .stop = params->stop};
  seq.prompt.assign(request->prompt_token_ids().begin(), request->prompt_token_ids().end());
  {
    MutexLock lock(&mu_);
    if (streams_.contains(reservation)) {
      return fail(Error(grpc::StatusCode::ALREADY_EXISTS,
                        absl::StrCat("reservation ", reservation, " is already generating")));
    }
    streams_[reservation] = stream;
  }
  stream->Own();
  const engine::SampledToken first = engine::FromProto(request->first_token());
  const uint32_t cached = request->cached_prompt_tokens();
  std::weak_ptr<GenerateStream> weak = stream;
  const absl::Status started = reservations_.StartWhenComplete(
      reservation, [this, weak, seq = std::move(seq), first, cached](absl::Status kv) mutable {
        auto s = weak.lock();
        if (s == nullptr) return;
        if (!kv.ok()) {
          s->Fail(ToGrpcStatus(kv));
          return;
        }
        auto first_event = std::make_shared<bool>(true);
        engine_.loop->StartWithKvLater(
            std::move(seq), first,
            [weak, first_event, cached](const SequenceOutput& out) {
              auto s = weak.lock();
              if (s == nullptr) return;
              weft::v1::TokenEvent ev = ToEvent(out, *first_event);
              if (*first_event) ev.set_cached_prompt_tokens(cached);
              *first_event = false;
              s->Push(std::move(ev), out.finish.has_value());
            },
            [weak](absl::Status st) {
              if (st.ok()) return;
              if (auto s = weak.lock()) s->Fail(ToGrpcStatus(st));
            });
      });
  if (!started.ok()) return fail(ToGrpcStatus(started));
  return stream.get();
}

grpc::ServerUnaryReactor* DecodeService::Cancel(grpc::CallbackServerContext* context,
                                                const weft::v1::CancelDecodeRequest* request,
                                                weft::v1::CancelDecodeResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<uint64_t> id = reservations_.IdOf(request->request_id());
  if (!id.ok()) {
    reactor->Finish(ToGrpcStatus(id.status()));
    return reactor;
  }
  std::shared_ptr<GenerateStream> stream;
  {
    MutexLock lock(&mu_);
    auto it = streams_.find(*id);
    if (it != streams_.end()) stream = it->second.lock();
  }
  if (stream != nullptr) {
    stream->Abort(Error(grpc::StatusCode::CANCELLED, "cancelled by the router"));
  } else {  // reserved, not generating yet
    reservations_.Remove(*id);
    engine_.loop->AbortLater(SequenceId(static_cast<int64_t>(*id)));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

weft::v1::LoadReport DecodeService::CurrentLoad() const {
  const engine::EngineLoad load = engine_.loop->load();
  weft::v1::LoadReport report;
  report.set_running_sequences(static_cast<uint32_t>(load.running));
  report.set_waiting_sequences(static_cast<uint32_t>(load.waiting + reservations_.size()));
  report.set_waiting_prompt_tokens(static_cast<uint64_t>(load.waiting_prompt_tokens));
  report.set_kv_blocks_used(static_cast<uint64_t>(load.kv_blocks_used));
  report.set_kv_blocks_total(static_cast<uint64_t>(load.kv_blocks_total));
  report.set_recent_step_seconds(load.step_seconds_ewma);
  for (const engine::DecodeStepTime& t : load.decode_step_times) {
    if (t.batch_size == 0) continue;
    weft::v1::DecodeStepTime* out = report.add_decode_step_times();
    out->set_batch_size(t.batch_size);
    out->set_seconds(t.seconds);
  }
  return report;
}

grpc::ServerUnaryReactor* DecodeService::GetLoad(grpc::CallbackServerContext* context,
                                                 const weft::v1::GetDecodeLoadRequest* /*request*/,
                                                 weft::v1::LoadReport* response) {
  *response = CurrentLoad();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace weft::decode
