// The weft.v1.Prefill gRPC service: prompts computed in batches (chunked
// prefill, shared with other prompts in the same engine steps), the first
// token sampled, and the prompt's KV blocks pushed straight to the decode
// instance the router chose, before the call returns.
//
//   Prefill  one prompt: engine (prefix cache, chunking), then the KV push
//            (KvSender) to decode's reservation; answers with the first
//            token once decode has every block.
//   Cancel   aborts a prompt in the engine or its transfer.
//   GetLoad  waiting prompt tokens and measured prefill rate, for the
//            router's TTFT prediction.
#ifndef WEFT_PREFILL_PREFILL_SERVICE_H_
#define WEFT_PREFILL_PREFILL_SERVICE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "common/base/task_runner.h"
#include "common/engine/serving/engine_instance.h"
#include "common/kv_transfer/kv_sender.h"
#include "common/kv_transfer/kv_transport.h"
#include "common/kv_transfer/kvcache_client.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "proto/prefill.grpc.pb.h"

namespace weft::prefill {

struct PrefillServiceOptions {
  absl::Duration kv_transfer_timeout = absl::Seconds(10);
};

class PrefillService final : public weft::v1::Prefill::CallbackService {
 public:
  // `engine`, `sender`, `registry` and `kvcache` (may be null: no pool)
  // outlive the service.
  PrefillService(engine::EngineInstance& engine, kv_transfer::KvSender& sender,
                 const PrefillServiceOptions& options, prometheus::Registry& registry,
                 kv_transfer::KvCacheClient* kvcache = nullptr);

  grpc::ServerUnaryReactor* Prefill(grpc::CallbackServerContext* context,
                                    const weft::v1::PrefillRequest* request,
                                    weft::v1::PrefillResponse* response) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* context,
                                   const weft::v1::CancelPrefillRequest* request,
                                   weft::v1::CancelPrefillResponse* response) override;
  grpc::ServerUnaryReactor* GetLoad(grpc::CallbackServerContext* context,
                                    const weft::v1::GetPrefillLoadRequest* request,
                                    weft::v1::LoadReport* response) override;

  // The load GetLoad reports (also heartbeated to the router). Thread-safe.
  weft::v1::LoadReport CurrentLoad() const;

  // Requests in flight (tests).
  int32_t num_active() const;

 private:
  class Call;

  // Ends a call's bookkeeping.
  void Forget(const std::string& request_id);
  // Imports the blocks of `seq`'s prompt prefix that the pool holds and the
  // local prefix cache lacks. Failures only mean more to compute.
  void LoadPrefix(const engine::SequenceRequest& seq, const std::vector<std::string>& keys);
  // Stores blocks [first, end) of a prompt in the pool.
  void Publish(const std::vector<std::string>& keys, const std::vector<std::string>& blocks,
               int32_t first, int32_t end);

  engine::EngineInstance& engine_;
  kv_transfer::KvSender& sender_;
  kv_transfer::KvCacheClient* const kvcache_;
  const PrefillServiceOptions options_;
  const weft::v1::KvBlockLayout layout_;
  // Of successful KV pushes, by KvTransport (the `transport` label).
  struct TransferMetrics {
    prometheus::Counter* bytes = nullptr;
    prometheus::Histogram* seconds = nullptr;
  };
  std::array<TransferMetrics, kv_transfer::kKvTransports.size()> transfer_metrics_;
  std::atomic<int64_t> next_sequence_{1};
  TaskRunner transfers_{4};  // KV pushes leave the engine's thread

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::prefill

#endif  // WEFT_PREFILL_PREFILL_SERVICE_H_
