// The weft.v1.Decode gRPC service: continuous batching of sequences whose
// prompt KV was computed elsewhere.
//
//   ReserveKv  takes the KV blocks of a request's prompt in the engine before
//              prefill sends anything (RESOURCE_EXHAUSTED when the pool is
//              short); the reservation expires if the request never starts.
//   PushKv     receives KV blocks (client stream of checksummed chunks, the
//              same framing kvcache uses) into their reservation.
//   PushKvShm  receives them from a sender on this host through a shared-
//              memory segment (checked whole before anything is written);
//              ReserveKv advertises the instance's same-host probe for it.
//   Generate   starts the sequence once its KV has arrived — waiting for it
//              if needed — with the first token prefill sampled, and streams
//              its tokens until it finishes, is cancelled or the client goes.
//   Cancel     aborts a request wherever it is; GetLoad reports the engine's
//              load for the router.
#ifndef WEFT_DECODE_DECODE_SERVICE_H_
#define WEFT_DECODE_DECODE_SERVICE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "common/base/task_runner.h"
#include "common/engine/serving/engine_instance.h"
#include "common/kv_transfer/buffer_budget.h"
#include "common/kv_transfer/shm_probe.h"
#include "decode/kv_block_writer.h"
#include "decode/reservation_table.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "proto/decode.grpc.pb.h"

namespace weft::decode {

struct DecodeServiceOptions {
  absl::Duration reservation_timeout = absl::Seconds(30);
  // KV bytes buffered at once over all PushKv streams (partial blocks) and
  // PushKvShm calls (the block being copied out of its segment).
  uint64_t max_assembly_bytes = 256ull << 20;
};

class GenerateStream;

class DecodeService final : public weft::v1::Decode::CallbackService {
 public:
  // `engine` and `registry` outlive the service.
  DecodeService(engine::EngineInstance& engine, const DecodeServiceOptions& options,
                prometheus::Registry& registry);
  ~DecodeService() override;

  grpc::ServerUnaryReactor* ReserveKv(grpc::CallbackServerContext* context,
                                      const weft::v1::ReserveKvRequest* request,
                                      weft::v1::ReserveKvResponse* response) override;
  grpc::ServerReadReactor<weft::v1::KvBlockChunk>* PushKv(
      grpc::CallbackServerContext* context, weft::v1::KvTransferAck* response) override;
  grpc::ServerUnaryReactor* PushKvShm(grpc::CallbackServerContext* context,
                                      const weft::v1::KvShmTransfer* request,
                                      weft::v1::KvTransferAck* response) override;
  grpc::ServerWriteReactor<weft::v1::TokenEvent>* Generate(
      grpc::CallbackServerContext* context, const weft::v1::GenerateRequest* request) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* context,
                                   const weft::v1::CancelDecodeRequest* request,
                                   weft::v1::CancelDecodeResponse* response) override;
  grpc::ServerUnaryReactor* GetLoad(grpc::CallbackServerContext* context,
                                    const weft::v1::GetDecodeLoadRequest* request,
                                    weft::v1::LoadReport* response) override;

  // The load GetLoad reports (also heartbeated to the router): the engine's,
  // with live reservations counted as waiting. Thread-safe.
  weft::v1::LoadReport CurrentLoad() const;

  // The layout of this instance's KV blocks on the wire.
  const weft::v1::KvBlockLayout& layout() const { return layout_; }
  // Live reservations (tests and metrics).
  int32_t num_reservations() const { return reservations_.size(); }

 private:
  friend class GenerateStream;
  friend class PushKvStream;

  void ReapExpired();
  // PushKvShm's work, on shm_receivers_.
  absl::Status ReceiveShm(const weft::v1::KvShmTransfer& transfer, weft::v1::KvTransferAck& ack);
  // Forgets a stream and its reservation (the stream ended).
  void StreamDone(uint64_t reservation_id);

  engine::EngineInstance& engine_;
  const DecodeServiceOptions options_;
  weft::v1::KvBlockLayout layout_;
  ReservationTable reservations_;
  kv_transfer::BufferBudget assembly_budget_;
  KvBlockWriter kv_writer_;
  prometheus::Counter& reservations_expired_;
  // Null where this host offers no shared memory: senders then use PushKv.
  // Unlinked when the service goes.
  std::unique_ptr<kv_transfer::ShmProbe> shm_probe_;

  Mutex mu_;
  absl::flat_hash_map<uint64_t, std::weak_ptr<GenerateStream>> streams_ ABSL_GUARDED_BY(mu_);

  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  bool stopping_ = false;  // guarded by reaper_mu_
  std::thread reaper_;

  // Last: destroyed first, finishing the PushKvShm calls still running,
  // which use the members above.
  TaskRunner shm_receivers_{2};
};

}  // namespace weft::decode

#endif  // WEFT_DECODE_DECODE_SERVICE_H_
