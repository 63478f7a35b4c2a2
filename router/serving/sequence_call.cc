#include "router/serving/sequence_call.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"

namespace weft::router {
namespace {

constexpr absl::Duration kCancelTimeout = absl::Seconds(2);

absl::Status WithContext(const grpc::Status& status, absl::string_view what,
                         const weft::v1::InstanceDescriptor& instance) {
  const absl::Status s = FromGrpcStatus(status);
  return absl::Status(s.code(), absl::StrCat(what, " on ", instance.instance_id(), " (",
                                             instance.grpc_address(), "): ", s.message()));
}

// Decode.Cancel for `request_id`, fire and forget: frees a reservation (or
// stops a generation) whatever state the request reached there.
void SendDecodeCancel(std::shared_ptr<weft::v1::Decode::Stub> stub, const std::string& request_id) {
  struct Call {
    grpc::ClientContext context;
    weft::v1::CancelDecodeRequest request;
    weft::v1::CancelDecodeResponse response;
    std::shared_ptr<weft::v1::Decode::Stub> stub;
  };
  auto* call = new Call;
  call->stub = std::move(stub);
  call->request.set_request_id(request_id);
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + kCancelTimeout));
  call->stub->async()->Cancel(
      &call->context, &call->request, &call->response, [call](grpc::Status status) {
        // NOT_FOUND: nothing held there any more.
        if (!status.ok() && status.error_code() != grpc::NOT_FOUND) {
          WEFT_LOG(WARNING) << "Decode.Cancel " << call->request.request_id() << ": "
                            << status.error_message();
        }
        delete call;
      });
}

}  // namespace

// Decode.Generate's token stream. Holds the call alive until the stream ends.
class SequenceCall::GenerateReader final : public grpc::ClientReadReactor<weft::v1::TokenEvent> {
 public:
  explicit GenerateReader(std::shared_ptr<SequenceCall> call) : call_(std::move(call)) {}

  void Begin(weft::v1::Decode::Stub& stub, const weft::v1::GenerateRequest& request,
             absl::Time deadline) {
    request_ = request;
    call_->SetDeadline(context_, deadline);
    stub.async()->Generate(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void TryCancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended: OnDone follows
    if (event_.finish_reason() != weft::v1::FINISH_REASON_UNSPECIFIED) finished_ = true;
    call_->observer_->OnEvent(event_);
    if (finished_) return;  // nothing may follow the last event
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    std::shared_ptr<SequenceCall> call = std::move(call_);
    call->OnGenerateDone(status, finished_);
  }

 private:
  std::shared_ptr<SequenceCall> call_;
  grpc::ClientContext context_;
  weft::v1::GenerateRequest request_;
  weft::v1::TokenEvent event_;
  bool finished_ = false;
};

SequenceCall::SequenceCall(SequenceSpec spec, SequenceRoute route, BackendStubs& stubs,
                           std::shared_ptr<SequenceObserver> observer, Hooks hooks,
                           LiveWork::Token token)
    : token_(std::move(token)),
      spec_(std::move(spec)),
      route_(std::move(route)),
      stubs_(stubs),
      observer_(std::move(observer)),
      hooks_(std::move(hooks)) {}

SequenceCall::~SequenceCall() = default;

std::shared_ptr<SequenceCall> SequenceCall::Start(SequenceSpec spec, SequenceRoute route,
                                                  BackendStubs& stubs,
                                                  std::shared_ptr<SequenceObserver> observer,
                                                  Hooks hooks, LiveWork::Token token) {
  std::shared_ptr<SequenceCall> call(new SequenceCall(std::move(spec), std::move(route), stubs,
                                                      std::move(observer), std::move(hooks),
                                                      std::move(token)));
  call->decode_ = stubs.Decode(call->route_.decode.grpc_address());
  call->prefill_ = stubs.Prefill(call->route_.prefill.grpc_address());
  call->Reserve();
  return call;
}

void SequenceCall::SetDeadline(grpc::ClientContext& context, absl::Time deadline) const {
  deadline = std::min(deadline, spec_.deadline);
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
}

void SequenceCall::Reserve() {
  reserve_request_.set_request_id(spec_.request_id);
  reserve_request_.set_model(spec_.model);
  reserve_request_.set_prompt_tokens(static_cast<uint32_t>(spec_.prompt.size()));
  reserve_request_.set_max_new_tokens(spec_.sampling.max_tokens());
  SetDeadline(reserve_context_, absl::Now() + spec_.reserve_timeout);
  decode_->async()->ReserveKv(
      &reserve_context_, &reserve_request_, &reserve_response_,
      [self = shared_from_this()](grpc::Status status) { self->OnReserveDone(status); });
}

void SequenceCall::OnReserveDone(const grpc::Status& status) {
  if (!status.ok()) {
    ReportFailure(status, route_.decode);
    Finish(WithContext(status, "ReserveKv", route_.decode));
    return;
  }
  if (CancelledOrEnter(Stage::kPrefill)) {
    Finish(absl::CancelledError("cancelled"));
    return;
  }
  observer_->OnReserved();
  Prefill();
}

void SequenceCall::Prefill() {
  prefill_request_.set_request_id(spec_.request_id);
  prefill_request_.set_model(spec_.model);
  prefill_request_.mutable_prompt_token_ids()->Assign(spec_.prompt.begin(), spec_.prompt.end());
  *prefill_request_.mutable_sampling() = spec_.sampling;
  prefill_request_.mutable_decode()->set_grpc_address(route_.decode.grpc_address());
  prefill_request_.mutable_decode()->set_reservation_id(reserve_response_.reservation_id());
  if (reserve_response_.has_shm()) {
    *prefill_request_.mutable_decode()->mutable_shm() = reserve_response_.shm();
  }
  prefill_request_.set_tenant(spec_.tenant);
  SetDeadline(prefill_context_, absl::InfiniteFuture());
  prefill_->async()->Prefill(
      &prefill_context_, &prefill_request_, &prefill_response_,
      [self = shared_from_this()](grpc::Status status) { self->OnPrefillDone(status); });
}

void SequenceCall::OnPrefillDone(const grpc::Status& status) {
  if (!status.ok()) {
    ReportFailure(status, route_.prefill);
    Finish(WithContext(status, "Prefill", route_.prefill));
    return;
  }
  if (CancelledOrEnter(Stage::kGenerate)) {
    Finish(absl::CancelledError("cancelled"));
    return;
  }
  observer_->OnPrefilled(prefill_response_);
  Generate();
}

void SequenceCall::Generate() {
  weft::v1::GenerateRequest request;
  request.set_request_id(spec_.request_id);
  request.set_reservation_id(reserve_response_.reservation_id());
  request.mutable_prompt_token_ids()->Assign(spec_.prompt.begin(), spec_.prompt.end());
  *request.mutable_sampling() = spec_.sampling;
  *request.mutable_first_token() = prefill_response_.first_token();
  request.set_cached_prompt_tokens(prefill_response_.prompt_tokens_from_cache());
  GenerateReader* reader;
  {
    MutexLock lock(&mu_);
    reader_ = std::make_unique<GenerateReader>(shared_from_this());
    reader = reader_.get();
  }
  reader->Begin(*decode_, request, absl::InfiniteFuture());
  // A Cancel() between entering kGenerate and here found no reader.
  bool cancelled;
  {
    MutexLock lock(&mu_);
    cancelled = cancelled_;
  }
  if (cancelled) reader->TryCancel();
}

void SequenceCall::OnGenerateDone(const grpc::Status& status, bool finished) {
  if (!status.ok()) {
    ReportFailure(status, route_.decode);
    Finish(WithContext(status, "Generate", route_.decode));
  } else if (!finished) {
    Finish(absl::InternalError(absl::StrCat("Generate on ", route_.decode.instance_id(),
                                            " ended without a finish reason")));
  } else {
    Finish(absl::OkStatus());
  }
}

bool SequenceCall::CancelledOrEnter(Stage next) {
  MutexLock lock(&mu_);
  if (cancelled_) return true;
  stage_ = next;
  return false;
}

void SequenceCall::ReportFailure(const grpc::Status& status,
                                 const weft::v1::InstanceDescriptor& instance) {
  if (status.error_code() == grpc::UNAVAILABLE && hooks_.on_unreachable) {
    hooks_.on_unreachable(instance.instance_id());
  }
}

void SequenceCall::Finish(absl::Status status) {
  bool cancelled;
  {
    MutexLock lock(&mu_);
    stage_ = Stage::kDone;
    cancelled = cancelled_;
  }
  if (cancelled && !status.ok()) status = absl::CancelledError("cancelled");
  if (!status.ok()) SendDecodeCancel(decode_, spec_.request_id);
  observer_->OnDone(status);
}

void SequenceCall::Cancel() {
  Stage stage;
  {
    MutexLock lock(&mu_);
    if (cancelled_ || stage_ == Stage::kDone) return;
    cancelled_ = true;
    stage = stage_;
  }
  // The contexts live as long as this call, and TryCancel is thread-safe
  // (a call that already completed ignores it).
  switch (stage) {
    case Stage::kReserve:
      reserve_context_.TryCancel();
      break;
    case Stage::kPrefill:
      prefill_context_.TryCancel();
      break;
    case Stage::kGenerate: {
      GenerateReader* reader;
      {
        MutexLock lock(&mu_);
        reader = reader_.get();
      }
      // Null: Generate() has not created it yet and will see cancelled_.
      if (reader != nullptr) reader->TryCancel();
      break;
    }
    case Stage::kDone:
      break;
  }
}

}  // namespace weft::router
