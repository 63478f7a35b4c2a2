#include "router/serving/request_session.h"

#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/mutex.h"
#include "router/http/sse.h"
#include "router/serving/http_replies.h"
#include "router/serving/response_format.h"
#include "router/serving/sequence_call.h"

namespace weft::router {
namespace {

using openai::FinishReason;

std::optional<FinishReason> FromProto(weft::v1::FinishReason reason) {
  switch (reason) {
    case weft::v1::FINISH_REASON_STOP:
      return FinishReason::kStop;
    case weft::v1::FINISH_REASON_LENGTH:
      return FinishReason::kLength;
    case weft::v1::FINISH_REASON_ABORT:
      return FinishReason::kAbort;
    default:
      return std::nullopt;
  }
}

weft::v1::SamplingParams ToProto(const openai::GenerationRequest& r, int32_t max_tokens,
                                 int32_t choice) {
  weft::v1::SamplingParams p;
  p.set_temperature(r.sampling.temperature);
  p.set_top_p(r.sampling.top_p);
  p.set_top_k(r.sampling.top_k);
  p.set_min_p(r.sampling.min_p);
  p.set_repetition_penalty(r.sampling.repetition_penalty);
  p.set_presence_penalty(r.sampling.presence_penalty);
  p.set_frequency_penalty(r.sampling.frequency_penalty);
  // n > 1: each choice draws its own tokens, reproducibly for a given seed.
  if (r.sampling.seed.has_value()) p.set_seed(*r.sampling.seed + static_cast<uint64_t>(choice));
  p.set_max_tokens(static_cast<uint32_t>(max_tokens));
  for (int32_t id : r.stop.stop_token_ids) p.add_stop_token_ids(static_cast<uint32_t>(id));
  for (const std::string& s : r.stop.stop_strings) p.add_stop_strings(s);
  p.set_ignore_eos(r.stop.ignore_eos);
  p.set_logprobs(r.logprobs.enabled ? static_cast<uint32_t>(r.logprobs.top_logprobs) : 0);
  return p;
}

class Session;

LiveWork::Token Enter(LiveWork* live) {
  return live != nullptr ? live->Enter() : LiveWork::Token();
}

// Forwards one sequence's reports to the session with its choice index.
class ChoiceObserver final : public SequenceObserver {
 public:
  ChoiceObserver(std::shared_ptr<Session> session, int32_t index)
      : session_(std::move(session)), index_(index) {}
  void OnReserved() override;
  void OnPrefilled(const weft::v1::PrefillResponse& response) override;
  void OnEvent(const weft::v1::TokenEvent& event) override;
  void OnDone(const absl::Status& status) override;

 private:
  std::shared_ptr<Session> session_;  // dropped at OnDone (breaks the cycle)
  const int32_t index_;
};

class Session final : public std::enable_shared_from_this<Session> {
 public:
  Session(PreparedRequest request, std::shared_ptr<http::HttpResponder> responder,
          const SessionContext& context)
      : token_(Enter(context.live)),
        request_(std::move(request)),
        responder_(std::move(responder)),
        context_(context),
        metrics_(context.metrics->ForModel(request_.model->name)),
        stream_(request_.request.stream) {
    openai::ResponseMeta meta{
        .id = openai::NewResponseId(request_.request.is_chat() ? "chatcmpl-" : "cmpl-"),
        .created = absl::ToUnixSeconds(absl::Now()),
        .model = request_.request.model};
    format_ = MakeResponseFormat(request_.request.is_chat(), std::move(meta),
                                 request_.request.include_usage);
    const int32_t n = request_.request.n;
    for (size_t p = 0; p < request_.prompts.size(); ++p) {
      usage_.prompt_tokens += static_cast<int64_t>(request_.prompts[p].tokens.size());
      for (int32_t i = 0; i < n; ++i) {
        Choice c;
        c.prompt = static_cast<int32_t>(p);
        c.choice = i;
        if (request_.request.logprobs.enabled) c.logprobs.emplace();
        choices_.push_back(std::move(c));
      }
    }
    usage_.cached_tokens = 0;
  }

  void Start() {
    // What each choice runs (fixed at construction), read once under the lock.
    std::vector<std::pair<int32_t, int32_t>> plan;  // prompt, choice within it
    int64_t prompt_tokens = 0;
    {
      MutexLock lock(&mu_);
      prompt_tokens = usage_.prompt_tokens;
      for (const Choice& c : choices_) plan.emplace_back(c.prompt, c.choice);
    }
    metrics_.waiting->Increment();
    metrics_.prompt_tokens->Increment(static_cast<double>(prompt_tokens));
    std::weak_ptr<Session> weak = weak_from_this();
    responder_->OnClose([weak] {
      if (auto s = weak.lock()) s->ClientGone();
    });
    const absl::Time deadline = request_.received + context_.request_timeout;
    const std::string base_id = openai::NewResponseId("");
    for (size_t i = 0; i < plan.size(); ++i) {
      const PreparedPrompt& prompt = request_.prompts[plan[i].first];
      SloRejection rejection;
      absl::StatusOr<RouteDecision> decision = context_.picker->Pick({.model = request_.model->name,
                                                                      .tenant = request_.tenant,
                                                                      .prompt = prompt.tokens,
                                                                      .slo = request_.slo},
                                                                     &rejection);
      if (!decision.ok()) {
        if (absl::IsResourceExhausted(decision.status())) {
          MutexLock lock(&mu_);
          if (!retry_after_.has_value()) {
            retry_after_ = rejection.retry_after;
            (std::string(rejection.target) == "ttft" ? metrics_.slo_rejections_ttft
                                                     : metrics_.slo_rejections_tpot)
                ->Increment();
          }
        }
        // Nothing started for this choice: end the request with the error.
        OnSequenceDone(static_cast<int32_t>(i), decision.status(), /*started=*/false);
        continue;
      }
      const SequenceRoute* route = &decision->route;
      if (decision->predicted_ttft.has_value()) {
        metrics_.predicted_ttft->Observe(absl::ToDoubleSeconds(*decision->predicted_ttft));
      }
      if (decision->predicted_tpot.has_value()) {
        metrics_.predicted_tpot->Observe(absl::ToDoubleSeconds(*decision->predicted_tpot));
      }
      SequenceSpec spec{.request_id = absl::StrCat(base_id, "-", i),
                        .model = request_.model->name,
                        .tenant = request_.tenant,
                        .prompt = prompt.tokens,
                        .sampling = ToProto(request_.request, prompt.max_tokens, plan[i].second),
                        .deadline = deadline,
                        .reserve_timeout = context_.reserve_timeout};
      const InstanceWork work{.prefill_tokens = static_cast<int64_t>(prompt.tokens.size()),
                              .sequences = 1};
      context_.work->Add(route->prefill.instance_id(), work);
      context_.work->Add(route->decode.instance_id(), {.prefill_tokens = 0, .sequences = 1});
      {
        MutexLock lock(&mu_);  // before any report of the call can arrive
        choices_[i].route = *route;
        choices_[i].predicted_ttft = decision->predicted_ttft;
        choices_[i].predicted_tpot = decision->predicted_tpot;
      }
      InstanceRegistry* registry = context_.registry;
      std::shared_ptr<SequenceCall> call = SequenceCall::Start(
          std::move(spec), *route, *context_.stubs,
          std::make_shared<ChoiceObserver>(shared_from_this(), static_cast<int32_t>(i)),
          SequenceCall::Hooks{
              .on_unreachable =
                  [registry](const std::string& id) { registry->MarkUnreachable(id); }},
          Enter(context_.live));
      MutexLock lock(&mu_);
      Choice& c = choices_[i];
      if (c.done) continue;  // finished already (it failed at once)
      c.call = std::move(call);
      if (failed_ || client_gone_) c.call->Cancel();
    }
  }

  void OnReserved(int32_t index) {
    MutexLock lock(&mu_);
    if (!reserved_) {
      reserved_ = true;
      metrics_.queue_time->Observe(absl::ToDoubleSeconds(absl::Now() - request_.received));
    }
    (void)index;
  }

  void OnPrefilled(int32_t index, const weft::v1::PrefillResponse& response) {
    MutexLock lock(&mu_);
    Choice& c = choices_[index];
    context_.work->Remove(
        c.route.prefill.instance_id(),
        {.prefill_tokens = static_cast<int64_t>(request_.prompts[c.prompt].tokens.size()),
         .sequences = 1});
    c.prefilled = true;
    if (c.choice == 0) *usage_.cached_tokens += response.prompt_tokens_from_cache();
    if (!running_) {
      running_ = true;
      metrics_.waiting->Decrement();
      metrics_.running->Increment();
    }
  }

  void OnEvent(int32_t index, const weft::v1::TokenEvent& event) {
    MutexLock lock(&mu_);
    Choice& c = choices_[index];
    const absl::Time now = absl::Now();
    ChoiceDelta delta;
    delta.index = index;
    delta.first = !c.started;
    if (!c.started && Echo()) {
      delta.text = request_.prompts[c.prompt].text;
    }
    c.started = true;
    delta.text += event.text();
    delta.text_offset = c.chars;
    c.chars += openai::Utf8Length(delta.text);
    c.text += delta.text;
    const int64_t tokens = event.tokens_size();
    c.tokens += tokens;
    usage_.completion_tokens += tokens;
    metrics_.generation_tokens->Increment(static_cast<double>(tokens));
    if (c.logprobs.has_value()) {
      delta.logprobs.emplace();
      for (const weft::v1::GeneratedToken& t : event.tokens()) {
        openai::TokenLogprob lp{.token = TokenText(t.token_id()), .logprob = t.logprob()};
        for (const weft::v1::TopLogprob& top : t.top_logprobs()) {
          lp.top_logprobs.push_back({.token = TokenText(top.token_id()), .logprob = top.logprob()});
        }
        delta.logprobs->push_back(lp);
        c.logprobs->push_back(std::move(lp));
      }
    }
    delta.finish = FromProto(event.finish_reason());
    if (delta.finish.has_value()) c.finish = delta.finish;
    if (tokens > 0) {
      if (!c.first_token.has_value()) {
        c.first_token = now;
        if (c.predicted_ttft.has_value() && *c.predicted_ttft > absl::ZeroDuration()) {
          metrics_.ttft_prediction_ratio->Observe(
              absl::FDivDuration(now - request_.received, *c.predicted_ttft));
        }
      }
      c.last_token = now;
      if (!first_token_.has_value()) {
        first_token_ = now;
        metrics_.ttft->Observe(absl::ToDoubleSeconds(now - request_.received));
      } else {
        metrics_.itl->Observe(absl::ToDoubleSeconds(now - last_token_));
      }
      last_token_ = now;
    }
    if (stream_ && !failed_ && !client_gone_) {
      if (!started_stream_) {
        started_stream_ = true;
        StartEventStream(*responder_);
      }
      for (const std::string& chunk : format_->StreamChunks(delta)) {
        responder_->Write(http::SseEvent(chunk));
      }
    }
  }

  void OnSequenceDone(int32_t index, const absl::Status& status, bool started) {
    std::vector<std::shared_ptr<SequenceCall>> to_cancel;
    {
      MutexLock lock(&mu_);
      Choice& c = choices_[index];
      if (c.done) return;
      c.done = true;
      std::shared_ptr<SequenceCall> call = std::move(c.call);
      if (started) {
        if (!c.prefilled) {
          context_.work->Remove(
              c.route.prefill.instance_id(),
              {.prefill_tokens = static_cast<int64_t>(request_.prompts[c.prompt].tokens.size()),
               .sequences = 1});
        }
        context_.work->Remove(c.route.decode.instance_id(), {.prefill_tokens = 0, .sequences = 1});
      }
      if (status.ok() && c.tokens > 1 && c.predicted_tpot.has_value() &&
          *c.predicted_tpot > absl::ZeroDuration()) {
        const absl::Duration tpot = (*c.last_token - *c.first_token) / (c.tokens - 1);
        metrics_.tpot_prediction_ratio->Observe(absl::FDivDuration(tpot, *c.predicted_tpot));
      }
      if (status.ok() || absl::IsDeadlineExceeded(status)) {
        if (!c.finish.has_value()) c.finish = FinishReason::kAbort;
        if (!status.ok() && stream_ && started_stream_ && !failed_ && !client_gone_) {
          ChoiceDelta d{.index = index, .first = !c.started, .text_offset = c.chars};
          d.finish = FinishReason::kAbort;
          for (const std::string& chunk : format_->StreamChunks(d)) {
            responder_->Write(http::SseEvent(chunk));
          }
        }
      } else if (!failed_ && !client_gone_) {
        failed_ = true;
        error_ = openai::ApiErrorFromStatus(status);
        if (absl::IsUnavailable(status)) error_->http_status = 503;
        for (Choice& other : choices_) {
          if (other.call != nullptr) to_cancel.push_back(other.call);
        }
      }
      ++finished_;
      if (finished_ == static_cast<int32_t>(choices_.size())) Complete();
    }
    for (const std::shared_ptr<SequenceCall>& call : to_cancel) call->Cancel();
  }

  void ClientGone() {
    std::vector<std::shared_ptr<SequenceCall>> to_cancel;
    {
      MutexLock lock(&mu_);
      if (client_gone_ || completed_) return;
      client_gone_ = true;
      for (Choice& c : choices_) {
        if (c.call != nullptr) to_cancel.push_back(c.call);
      }
    }
    for (const std::shared_ptr<SequenceCall>& call : to_cancel) call->Cancel();
  }

 private:
  struct Choice {
    int32_t prompt = 0;
    int32_t choice = 0;  // within its prompt
    SequenceRoute route;
    std::shared_ptr<SequenceCall> call;
    bool prefilled = false;
    bool started = false;  // a delta was produced
    bool done = false;
    std::string text;
    int64_t chars = 0;
    int64_t tokens = 0;
    std::optional<std::vector<openai::TokenLogprob>> logprobs;
    std::optional<FinishReason> finish;
    std::optional<absl::Duration> predicted_ttft;
    std::optional<absl::Duration> predicted_tpot;
    std::optional<absl::Time> first_token;
    std::optional<absl::Time> last_token;
  };

  bool Echo() const {
    const auto* input = std::get_if<openai::CompletionInput>(&request_.request.input);
    return input != nullptr && input->echo;
  }

  std::string TokenText(uint32_t id) const {
    if (request_.request.logprobs.tokens_as_ids) return absl::StrCat("token_id:", id);
    absl::StatusOr<absl::string_view> bytes =
        request_.model->tokenizer->TokenBytes(static_cast<int32_t>(id));
    return bytes.ok() ? std::string(*bytes) : std::string();
  }

  // Every choice is done: answer (or record how the request ended).
  void Complete() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    completed_ = true;
    const absl::Time now = absl::Now();
    if (running_) {
      metrics_.running->Decrement();
    } else {
      metrics_.waiting->Decrement();
    }
    if (usage_.cached_tokens.has_value()) {
      metrics_.cached_prompt_tokens->Increment(static_cast<double>(*usage_.cached_tokens));
    }
    if (client_gone_) {
      metrics_.finished_abort->Increment();
      return;
    }
    if (failed_) {
      metrics_.finished_error->Increment();
      context_.metrics->CountRejected(error_->http_status);
      if (started_stream_) {
        responder_->Write(http::SseEvent(error_->ToJson()));
        responder_->Write(http::kSseDone);
        responder_->Finish();
      } else {
        RespondApiError(*responder_, *error_, retry_after_);
      }
      return;
    }
    metrics_.e2e->Observe(absl::ToDoubleSeconds(now - request_.received));
    std::optional<absl::Duration> ttft, tpot;
    if (first_token_.has_value()) ttft = *first_token_ - request_.received;
    if (first_token_.has_value() && choices_.size() == 1 && choices_[0].tokens > 1) {
      tpot = (now - *first_token_) / (choices_[0].tokens - 1);
      metrics_.tpot->Observe(absl::ToDoubleSeconds(*tpot));
    }
    const SloAttainment slo = CheckSlo(request_.slo, ttft, tpot);
    metrics_.slo_checked->Increment();
    if (slo.ttft) metrics_.slo_met_ttft->Increment();
    if (slo.tpot) metrics_.slo_met_tpot->Increment();
    if (slo.all()) metrics_.slo_met_all->Increment();
    // The request's reason: the first choice's (the usual n = 1 case).
    switch (*choices_[0].finish) {
      case FinishReason::kStop:
        metrics_.finished_stop->Increment();
        break;
      case FinishReason::kLength:
        metrics_.finished_length->Increment();
        break;
      case FinishReason::kAbort:
        metrics_.finished_abort->Increment();
        break;
    }
    if (stream_) {
      if (!started_stream_) StartEventStream(*responder_);
      if (request_.request.include_usage) {
        responder_->Write(http::SseEvent(format_->UsageChunk(usage_)));
      }
      responder_->Write(http::kSseDone);
      responder_->Finish();
      return;
    }
    std::vector<ChoiceResult> results;
    results.reserve(choices_.size());
    for (size_t i = 0; i < choices_.size(); ++i) {
      Choice& c = choices_[i];
      std::string text = c.text;
      if (!c.started && Echo()) {
        text = request_.prompts[c.prompt].text;
      }
      results.push_back({.index = static_cast<int32_t>(i),
                         .text = std::move(text),
                         .logprobs = std::move(c.logprobs),
                         .finish = *c.finish});
    }
    RespondJson(*responder_, 200, format_->Body(results, usage_));
  }

  LiveWork::Token token_;  // first: released last
  const PreparedRequest request_;
  const std::shared_ptr<http::HttpResponder> responder_;
  const SessionContext context_;
  ModelMetrics& metrics_;
  const bool stream_;
  std::unique_ptr<ResponseFormat> format_;

  Mutex mu_;
  std::vector<Choice> choices_ ABSL_GUARDED_BY(mu_);
  openai::Usage usage_ ABSL_GUARDED_BY(mu_);
  int32_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  bool reserved_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool started_stream_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool client_gone_ ABSL_GUARDED_BY(mu_) = false;
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<openai::ApiError> error_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Duration> retry_after_ ABSL_GUARDED_BY(mu_);  // a 429 from admission
  std::optional<absl::Time> first_token_ ABSL_GUARDED_BY(mu_);
  absl::Time last_token_ ABSL_GUARDED_BY(mu_);
};

void ChoiceObserver::OnReserved() { session_->OnReserved(index_); }
void ChoiceObserver::OnPrefilled(const weft::v1::PrefillResponse& response) {
  session_->OnPrefilled(index_, response);
}
void ChoiceObserver::OnEvent(const weft::v1::TokenEvent& event) {
  session_->OnEvent(index_, event);
}
void ChoiceObserver::OnDone(const absl::Status& status) {
  std::shared_ptr<Session> session = std::move(session_);
  session->OnSequenceDone(index_, status, /*started=*/true);
}

}  // namespace

void RunRequestSession(PreparedRequest request, std::shared_ptr<http::HttpResponder> responder,
                       const SessionContext& context) {
  auto session = std::make_shared<Session>(std::move(request), std::move(responder), context);
  session->Start();
}

}  // namespace weft::router
