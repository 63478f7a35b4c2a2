// One sequence through the disaggregated pipeline, driven by the router with
// asynchronous gRPC calls (no thread per request):
//
//   Decode.ReserveKv   the decode instance sets KV blocks aside for the prompt;
//   Prefill.Prefill    the prefill instance computes the prompt, pushes its KV
//                      straight to that reservation and returns the first token;
//   Decode.Generate    the decode instance continues from the first token and
//                      streams token events back.
//
// Cancel() (client gone, another choice failed, shutdown) stops whichever
// call is in flight; every failure or cancellation after ReserveKv was sent
// also sends Decode.Cancel for the request id, so that no KV block stays
// reserved on the decode instance. Every call carries the request's deadline.
// A call that fails with UNAVAILABLE reports the instance (on_unreachable), so
// that routing leaves it out.
#ifndef WEFT_ROUTER_SERVING_SEQUENCE_CALL_H_
#define WEFT_ROUTER_SERVING_SEQUENCE_CALL_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "proto/decode.grpc.pb.h"
#include "proto/prefill.grpc.pb.h"
#include "proto/types.pb.h"
#include "router/serving/backend_stubs.h"
#include "router/serving/live_work.h"

namespace weft::router {

struct SequenceSpec {
  std::string request_id;  // unique among the router's requests in flight
  std::string model;
  std::string tenant;  // the prefix cache's salt (server-side, never the client's)
  std::vector<uint32_t> prompt;
  weft::v1::SamplingParams sampling;  // max_tokens resolved (> 0)
  absl::Time deadline = absl::InfiniteFuture();
  absl::Duration reserve_timeout = absl::Seconds(5);
};

struct SequenceRoute {
  weft::v1::InstanceDescriptor prefill;
  weft::v1::InstanceDescriptor decode;
};

// What a sequence call reports, in this order: OnReserved, OnPrefilled, then
// OnEvent for each token event, and OnDone exactly once, last (any of the
// others may be skipped when the call fails early). Called on gRPC threads,
// never two at once for one call; must not block.
class SequenceObserver {
 public:
  virtual ~SequenceObserver() = default;
  virtual void OnReserved() {}
  virtual void OnPrefilled(const weft::v1::PrefillResponse& response) = 0;
  virtual void OnEvent(const weft::v1::TokenEvent& event) = 0;
  // OK once the event with a finish reason has been delivered; otherwise the
  // error (CANCELLED after Cancel()).
  virtual void OnDone(const absl::Status& status) = 0;
};

class SequenceCall : public std::enable_shared_from_this<SequenceCall> {
 public:
  struct Hooks {
    // An instance failed a call with UNAVAILABLE.
    std::function<void(const std::string& instance_id)> on_unreachable;
  };

  // Starts the pipeline. `stubs` must outlive the call.
  static std::shared_ptr<SequenceCall> Start(SequenceSpec spec, SequenceRoute route,
                                             BackendStubs& stubs,
                                             std::shared_ptr<SequenceObserver> observer,
                                             Hooks hooks, LiveWork::Token token = {});

  SequenceCall(const SequenceCall&) = delete;
  SequenceCall& operator=(const SequenceCall&) = delete;
  ~SequenceCall();

  // Aborts the sequence wherever it is. Thread-safe, idempotent; OnDone
  // follows (unless it already ran).
  void Cancel();

  const SequenceRoute& route() const { return route_; }

 private:
  class GenerateReader;
  enum class Stage { kReserve, kPrefill, kGenerate, kDone };

  SequenceCall(SequenceSpec spec, SequenceRoute route, BackendStubs& stubs,
               std::shared_ptr<SequenceObserver> observer, Hooks hooks, LiveWork::Token token);

  void Reserve();
  void OnReserveDone(const grpc::Status& status);
  void Prefill();
  void OnPrefillDone(const grpc::Status& status);
  void Generate();
  void OnGenerateDone(const grpc::Status& status, bool finished);
  // Reports `status` (OnDone) and, on failure, frees decode's reservation.
  void Finish(absl::Status status);
  // Whether the call was cancelled; if not, enters `next`.
  bool CancelledOrEnter(Stage next);
  void ReportFailure(const grpc::Status& status, const weft::v1::InstanceDescriptor& instance);
  void SetDeadline(grpc::ClientContext& context, absl::Time deadline) const;

  LiveWork::Token token_;  // first: released last, once nothing else runs
  const SequenceSpec spec_;
  const SequenceRoute route_;
  BackendStubs& stubs_;
  const std::shared_ptr<SequenceObserver> observer_;
  const Hooks hooks_;
  std::shared_ptr<weft::v1::Decode::Stub> decode_;
  std::shared_ptr<weft::v1::Prefill::Stub> prefill_;

  grpc::ClientContext reserve_context_;
  weft::v1::ReserveKvRequest reserve_request_;
  weft::v1::ReserveKvResponse reserve_response_;
  grpc::ClientContext prefill_context_;
  weft::v1::PrefillRequest prefill_request_;
  weft::v1::PrefillResponse prefill_response_;
  std::unique_ptr<GenerateReader> reader_;

  Mutex mu_;
  Stage stage_ ABSL_GUARDED_BY(mu_) = Stage::kReserve;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_SEQUENCE_CALL_H_
