#include "router/serving/readiness_probe.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "router/openai/response_common.h"
#include "router/serving/sequence_call.h"

namespace weft::router {
namespace {

// Gathers the generations of one check: the first failure, or OK once all
// succeeded.
class ProbeRound {
 public:
  ProbeRound(int pending, std::function<void(absl::Status)> done)
      : pending_(pending), done_(std::move(done)) {}

  void Report(absl::Status status) {
    std::function<void(absl::Status)> done;
    absl::Status result;
    {
      MutexLock lock(&mu_);
      if (first_error_.ok() && !status.ok()) first_error_ = status;
      if (--pending_ > 0) return;
      done = std::move(done_);
      result = first_error_;
    }
    done(result);
  }

 private:
  Mutex mu_;
  int pending_ ABSL_GUARDED_BY(mu_);
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  std::function<void(absl::Status)> done_ ABSL_GUARDED_BY(mu_);
};

class ProbeObserver final : public SequenceObserver {
 public:
  ProbeObserver(std::shared_ptr<ProbeRound> round, std::string model)
      : round_(std::move(round)), model_(std::move(model)) {}
  void OnPrefilled(const weft::v1::PrefillResponse&) override {}
  void OnEvent(const weft::v1::TokenEvent& event) override { tokens_ += event.tokens_size(); }
  void OnDone(const absl::Status& status) override {
    if (status.ok() && tokens_ == 0) {
      round_->Report(absl::InternalError(absl::StrCat(model_, ": no token generated")));
    } else if (!status.ok()) {
      round_->Report(absl::Status(status.code(), absl::StrCat(model_, ": ", status.message())));
    } else {
      round_->Report(absl::OkStatus());
    }
  }

 private:
  std::shared_ptr<ProbeRound> round_;
  const std::string model_;
  int tokens_ = 0;
};

}  // namespace

ReadinessProbe::ReadinessProbe(std::vector<std::shared_ptr<const ServedModel>> models,
                               SessionContext context, absl::Duration ttl, absl::Duration timeout)
    : models_(std::move(models)), context_(context), ttl_(ttl), timeout_(timeout) {}

void ReadinessProbe::Check(std::function<void(absl::Status)> done) {
  std::optional<absl::Status> cached;
  {
    MutexLock lock(&mu_);
    if (!running_ && absl::Now() - checked_at_ < ttl_) {
      cached = last_;
    } else {
      waiting_.push_back(std::move(done));
      if (running_) return;
      running_ = true;
    }
  }
  if (cached.has_value()) {
    done(*std::move(cached));
    return;
  }
  auto round = std::make_shared<ProbeRound>(static_cast<int>(models_.size()),
                                            [this](absl::Status s) { Finish(std::move(s)); });
  for (const std::shared_ptr<const ServedModel>& model : models_) {
    absl::StatusOr<std::vector<int32_t>> ids = model->tokenizer->Encode("ready");
    if (!ids.ok() || ids->empty()) {
      round->Report(absl::InternalError(absl::StrCat(model->name, ": cannot tokenize the probe")));
      continue;
    }
    const std::vector<uint32_t> prompt(ids->begin(), ids->end());
    absl::StatusOr<RouteDecision> decision =
        context_.picker->Pick({.model = model->name, .prompt = prompt});
    absl::StatusOr<SequenceRoute> route =
        decision.ok() ? absl::StatusOr<SequenceRoute>(decision->route) : decision.status();
    if (!route.ok()) {
      round->Report(absl::Status(route.status().code(),
                                 absl::StrCat(model->name, ": ", route.status().message())));
      continue;
    }
    SequenceSpec spec;
    spec.request_id = openai::NewResponseId("ready-");
    spec.model = model->name;
    spec.prompt.assign(ids->begin(), ids->end());
    spec.sampling.set_temperature(0.0f);
    spec.sampling.set_top_p(1.0f);
    spec.sampling.set_max_tokens(1);
    spec.sampling.set_ignore_eos(true);
    spec.deadline = absl::Now() + timeout_;
    spec.reserve_timeout = context_.reserve_timeout;
    InstanceRegistry* registry = context_.registry;
    SequenceCall::Start(
        std::move(spec), *std::move(route), *context_.stubs,
        std::make_shared<ProbeObserver>(round, model->name),
        {.on_unreachable = [registry](const std::string& id) { registry->MarkUnreachable(id); }},
        context_.live != nullptr ? context_.live->Enter() : LiveWork::Token());
  }
}

void ReadinessProbe::Finish(absl::Status status) {
  std::vector<std::function<void(absl::Status)>> waiting;
  {
    MutexLock lock(&mu_);
    running_ = false;
    checked_at_ = absl::Now();
    last_ = status;
    waiting.swap(waiting_);
  }
  for (auto& done : waiting) done(status);
}

}  // namespace weft::router
