#include "prefill/prefill_service.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/engine/kv/block_hash.h"
#include "common/engine/serving/request_conversion.h"
#include "common/kv_transfer/kv_layout_proto.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"

namespace weft::prefill {

using engine::SequenceId;
using engine::SequenceOutput;

// One Prefill call, from the engine through the KV push to its answer. The
// reactor owns itself (shared) until gRPC calls OnDone; the engine and the
// transfer hold it weakly.
class PrefillService::Call final : public grpc::ServerUnaryReactor {
 public:
  Call(PrefillService* service, std::string request_id, SequenceId sequence,
       weft::v1::PrefillResponse* response)
      : service_(service),
        request_id_(std::move(request_id)),
        sequence_(sequence),
        response_(response) {}

  void Begin(std::shared_ptr<Call> self) { self_ = std::move(self); }
  const std::string& request_id() const { return request_id_; }
  SequenceId sequence() const { return sequence_; }

  // Ends the call once. Thread-safe.
  void Complete(grpc::Status status) {
    {
      MutexLock lock(&mu_);
      if (completed_) return;
      completed_ = true;
    }
    service_->Forget(request_id_);
    Finish(status);
  }

  // Stops whatever runs for the call: the engine's sequence, a transfer.
  void Abort(grpc::Status status) {
    std::shared_ptr<kv_transfer::TransferCancellation> transfer;
    {
      MutexLock lock(&mu_);
      transfer = transfer_;
    }
    service_->engine_.loop->AbortLater(sequence_);
    if (transfer != nullptr) transfer->Cancel();
    Complete(std::move(status));
  }

  // The running transfer; cancelled at once if the call already ended.
  void set_transfer(std::shared_ptr<kv_transfer::TransferCancellation> transfer) {
    {
      MutexLock lock(&mu_);
      if (!completed_) {
        transfer_ = std::move(transfer);
        return;
      }
    }
    transfer->Cancel();
  }

  weft::v1::PrefillResponse* response() { return response_; }

  void OnCancel() override { Abort(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }
  void OnDone() override { std::shared_ptr<Call> keep = std::move(self_); }

 private:
  PrefillService* const service_;
  const std::string request_id_;
  const SequenceId sequence_;
  weft::v1::PrefillResponse* const response_;
  std::shared_ptr<Call> self_;
  Mutex mu_;
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<kv_transfer::TransferCancellation> transfer_ ABSL_GUARDED_BY(mu_);
};

PrefillService::PrefillService(engine::EngineInstance& engine, kv_transfer::KvSender& sender,
                               const PrefillServiceOptions& options, prometheus::Registry& registry,
                               kv_transfer::KvCacheClient* kvcache)
    : engine_(engine),
      sender_(sender),
      kvcache_(kvcache),
      options_(options),
      layout_(kv_transfer::LayoutProto(engine.model->kv_layout(), engine.block_size)) {
  auto& bytes = prometheus::BuildCounter()
                    .Name("weft_kv_transfer_sent_bytes_total")
                    .Help("KV bytes pushed to decode instances, by transport")
                    .Register(registry);
  auto& seconds = prometheus::BuildHistogram()
                      .Name("weft_kv_transfer_seconds")
                      .Help("Time to push one request's KV to its decode instance, by transport")
                      .Register(registry);
  for (kv_transfer::KvTransport transport : kv_transfer::kKvTransports) {
    const std::map<std::string, std::string> labels = {
        {"transport", std::string(kv_transfer::KvTransportName(transport))}};
    transfer_metrics_[static_cast<size_t>(transport)] = {
        .bytes = &bytes.Add(labels),
        .seconds = &seconds.Add(labels, prometheus::Histogram::BucketBoundaries{
                                            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})};
  }
}

int32_t PrefillService::num_active() const {
  MutexLock lock(&mu_);
  return static_cast<int32_t>(calls_.size());
}

void PrefillService::Forget(const std::string& request_id) {
  MutexLock lock(&mu_);
  calls_.erase(request_id);
}

grpc::ServerUnaryReactor* PrefillService::Prefill(grpc::CallbackServerContext* /*context*/,
                                                  const weft::v1::PrefillRequest* request,
                                                  weft::v1::PrefillResponse* response) {
  const SequenceId sequence(next_sequence_.fetch_add(1));
  auto call = std::make_shared<Call>(this, request->request_id(), sequence, response);
  call->Begin(call);
  auto fail = [&](grpc::StatusCode code, std::string message) {
    call->Finish(grpc::Status(code, std::move(message)));
    return call.get();
  };
  if (request->request_id().empty()) {
    return fail(grpc::StatusCode::INVALID_ARGUMENT, "request_id is required");
  }
  if (request->model() != engine_.model_name) {
    return fail(grpc::StatusCode::NOT_FOUND,
                absl::StrCat("model \"", request->model(), "\" is not served here (",
                             engine_.model_name, ")"));
  }
  if (request->prompt_token_ids().empty()) {
    return fail(grpc::StatusCode::INVALID_ARGUMENT, "prompt_token_ids is empty");
  }
  if (request->decode().grpc_address().empty()) {
    return fail(grpc::StatusCode::INVALID_ARGUMENT, "decode.grpc_address is required");
  }
  // Only the first token is sampled here; decode applies the stop conditions.
  weft::v1::SamplingParams sampling = request->sampling();
  sampling.set_max_tokens(1);
  absl::StatusOr<engine::GenerationParams> params = engine::FromSamplingParams(sampling, {});
  if (!params.ok()) return fail(grpc::StatusCode::INVALID_ARGUMENT, params.status().ToString());
  engine::SequenceRequest seq{.id = sequence,
                              .sampling = params->sampling,
                              .stop = params->stop,
                              .cache_salt = request->tenant(),
                              .hold_kv = true};
  seq.stop.ignore_eos = true;
  seq.stop.stop_strings.clear();
  seq.prompt.assign(request->prompt_token_ids().begin(), request->prompt_token_ids().end());
  const int32_t prompt_len = static_cast<int32_t>(seq.prompt.size());
  // Each block travels under the chained hash of the tokens up to its end
  // (the last, partial block's too): its content identity.
  auto keys = std::make_shared<std::vector<std::string>>();
  {
    engine::BlockHash chain = engine::RootBlockHash(engine_.model_name, request->tenant());
    const absl::Span<const int32_t> tokens(seq.prompt);
    for (int32_t begin = 0; begin < prompt_len; begin += engine_.block_size) {
      chain = engine::ChainBlockHash(
          chain, tokens.subspan(begin, std::min(engine_.block_size, prompt_len - begin)));
      keys->emplace_back(reinterpret_cast<const char*>(chain.bytes.data()), chain.bytes.size());
    }
  }
  {
    MutexLock lock(&mu_);
    if (!calls_.emplace(request->request_id(), call).second) {
      return fail(grpc::StatusCode::ALREADY_EXISTS,
                  absl::StrCat("request ", request->request_id(), " is already prefilling"));
    }
  }
  const kv_transfer::KvDestination destination{.grpc_address = request->decode().grpc_address(),
                                               .reservation_id = request->decode().reservation_id(),
                                               .request_id = request->request_id(),
                                               .shm = request->decode().shm()};
  std::weak_ptr<Call> weak = call;
  engine::OutputCallback on_output = [this, weak, prompt_len, destination,
                                      keys](const SequenceOutput& out) {
    std::shared_ptr<Call> c = weak.lock();
    if (c == nullptr) return;
    if (out.token.token < 0) {  // dropped by the engine
      c->Complete(grpc::Status(grpc::StatusCode::ABORTED, "the engine dropped the prompt"));
      return;
    }
    weft::v1::PrefillResponse* r = c->response();
    r->set_prompt_tokens(static_cast<uint32_t>(prompt_len));
    r->set_prompt_tokens_from_cache(static_cast<uint32_t>(out.cached_prompt_tokens));
    *r->mutable_first_token() = engine::ToProto(out.token);
    // On the loop thread, after this step: copy the KV out, free it, and
    // push it from a transfer thread.
    const SequenceId id = c->sequence();
    // Blocks this request computed (not taken from a cache) are new.
    const int32_t first_new = out.cached_prompt_tokens / engine_.block_size;
    engine_.loop->Post([this, weak, id, prompt_len, destination, keys,
                        first_new](engine::ModelExecutor& ex) {
      absl::StatusOr<std::vector<std::string>> blocks = ex.ReadKv(id, prompt_len);
      (void)ex.Release(id);
      std::shared_ptr<Call> c = weak.lock();
      if (c == nullptr) return;
      if (!blocks.ok()) {
        c->Complete(ToGrpcStatus(blocks.status()));
        return;
      }
      transfers_.Submit([this, weak, destination, keys, first_new, prompt_len,
                         blocks = std::make_shared<std::vector<std::string>>(std::move(*blocks))] {
        std::shared_ptr<Call> c = weak.lock();
        if (c == nullptr) return;
        const absl::Time start = absl::Now();
        const absl::StatusOr<kv_transfer::KvTransport> sent =
            sender_.Send(destination, layout_, *blocks, *keys, start + options_.kv_transfer_timeout,
                         [c](std::shared_ptr<kv_transfer::TransferCancellation> t) {
                           c->set_transfer(std::move(t));
                         });
        if (!sent.ok()) {
          c->Complete(ToGrpcStatus(sent.status()));
          return;
        }
        uint64_t bytes = 0;
        for (const std::string& b : *blocks) bytes += b.size();
        const TransferMetrics& metrics = transfer_metrics_[static_cast<size_t>(*sent)];
        metrics.bytes->Increment(static_cast<double>(bytes));
        metrics.seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start));
        c->Complete(grpc::Status::OK);
        c.reset();
        // After the answer: the new full blocks go to the pool.
        Publish(*keys, *blocks, first_new, prompt_len / engine_.block_size);
      });
    });
  };
  if (kvcache_ == nullptr) {
    if (absl::Status added = engine_.loop->Add(std::move(seq), std::move(on_output)); !added.ok()) {
      Forget(request->request_id());
      return fail(ToGrpcCode(added.code()), std::string(added.message()));
    }
    return call.get();
  }
  // With a pool: first fetch what of the prompt's prefix the local cache
  // lacks (off the gRPC thread), then start.
  auto shared_seq = std::make_shared<engine::SequenceRequest>(std::move(seq));
  transfers_.Submit([this, weak, shared_seq, keys, on_output = std::move(on_output)]() mutable {
    std::shared_ptr<Call> c = weak.lock();
    if (c == nullptr) return;
    LoadPrefix(*shared_seq, *keys);
    if (absl::Status added = engine_.loop->Add(std::move(*shared_seq), std::move(on_output));
        !added.ok()) {
      c->Complete(ToGrpcStatus(added));
    }
  });
  return call.get();
}

void PrefillService::LoadPrefix(const engine::SequenceRequest& seq,
                                const std::vector<std::string>& keys) {
  const engine::ModelExecutor::PrefixProbe probe = engine_.loop->Run(
      [&](engine::ModelExecutor& ex) { return ex.ProbePrefix(seq.prompt, seq.cache_salt); });
  const size_t from = static_cast<size_t>(probe.cached_locally);
  if (from >= probe.hashes.size()) return;
  const std::vector<std::string> wanted(keys.begin() + from, keys.begin() + probe.hashes.size());
  absl::StatusOr<std::vector<std::string>> blocks =
      kvcache_->GetPrefix(wanted, layout_, absl::Now() + options_.kv_transfer_timeout);
  if (!blocks.ok()) {
    WEFT_LOG(WARNING) << "prefix from kvcache: " << blocks.status();
    return;
  }
  if (blocks->empty()) return;
  const absl::Span<const engine::BlockHash> hashes =
      absl::Span<const engine::BlockHash>(probe.hashes).subspan(from, blocks->size());
  const absl::StatusOr<int32_t> imported = engine_.loop->Run(
      [&](engine::ModelExecutor& ex) { return ex.ImportPrefix(hashes, *blocks); });
  if (!imported.ok()) WEFT_LOG(WARNING) << "importing kvcache blocks: " << imported.status();
}

void PrefillService::Publish(const std::vector<std::string>& keys,
                             const std::vector<std::string>& blocks, int32_t first, int32_t end) {
  if (kvcache_ == nullptr || first >= end) return;
  const std::vector<std::string> k(keys.begin() + first, keys.begin() + end);
  const std::vector<std::string> b(blocks.begin() + first, blocks.begin() + end);
  const absl::StatusOr<int32_t> added =
      kvcache_->Put(k, b, layout_, absl::Now() + options_.kv_transfer_timeout);
  if (!added.ok()) WEFT_LOG(WARNING) << "publishing blocks to kvcache: " << added.status();
}

grpc::ServerUnaryReactor* PrefillService::Cancel(grpc::CallbackServerContext* context,
                                                 const weft::v1::CancelPrefillRequest* request,
                                                 weft::v1::CancelPrefillResponse* /*response*/) {
  std::shared_ptr<Call> call;
  {
    MutexLock lock(&mu_);
    auto it = calls_.find(request->request_id());
    if (it != calls_.end()) call = it->second;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (call == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 absl::StrCat("request ", request->request_id(), " not found")));
    return reactor;
  }
  call->Abort(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the router"));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

weft::v1::LoadReport PrefillService::CurrentLoad() const {
  const engine::EngineLoad load = engine_.loop->load();
  weft::v1::LoadReport report;
  report.set_running_sequences(static_cast<uint32_t>(load.running));
  report.set_waiting_sequences(static_cast<uint32_t>(load.waiting));
  report.set_waiting_prompt_tokens(static_cast<uint64_t>(load.waiting_prompt_tokens));
  report.set_kv_blocks_used(static_cast<uint64_t>(load.kv_blocks_used));
  report.set_kv_blocks_total(static_cast<uint64_t>(load.kv_blocks_total));
  report.set_recent_step_seconds(load.step_seconds_ewma);
  report.set_prefill_tokens_per_second(load.prefill_tokens_per_second_ewma);
  report.set_prefill_step_overhead_seconds(load.prefill_step_overhead_seconds);
  report.set_prefill_seconds_per_token(load.prefill_seconds_per_token);
  return report;
}

grpc::ServerUnaryReactor* PrefillService::GetLoad(grpc::CallbackServerContext* context,
                                                  const weft::v1::GetPrefillLoadRequest*,
                                                  weft::v1::LoadReport* response) {
  *response = CurrentLoad();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace weft::prefill
