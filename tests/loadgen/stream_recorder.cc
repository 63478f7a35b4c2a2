#include "tests/loadgen/stream_recorder.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/loadgen/stream_chunk.h"

namespace weft::loadgen {

StreamRecorder::StreamRecorder(ApiKind kind, int prompt_len, Clock::time_point start)
    : kind_(kind), start_(start) {
  result_.prompt_len = prompt_len;
}

double StreamRecorder::SecondsSinceStart(Clock::time_point t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void StreamRecorder::Fail(std::string error) {
  if (done_) return;
  done_ = true;
  result_.success = false;
  result_.error = std::move(error);
}

void StreamRecorder::OnBytes(absl::string_view bytes, Clock::time_point now) {
  if (done_) return;
  if (absl::Status status = http_.Feed(bytes, &body_); !status.ok()) {
    Fail(std::string(status.message()));
    return;
  }
  if (!http_.headers_complete()) return;
  if (http_.status() != 200) {
    if (body_.size() > kMaxErrorBodyBytes) body_.resize(kMaxErrorBodyBytes);
    if (http_.complete()) OnResponseComplete();
    return;
  }
  if (!body_.empty()) {
    absl::Status status = sse_.Feed(body_, &events_);
    body_.clear();
    if (!status.ok()) {
      Fail(std::string(status.message()));
      return;
    }
    for (const std::string& event : events_) {
      OnEvent(event, now);
      if (done_) return;
    }
    events_.clear();
  }
  if (http_.complete()) OnResponseComplete();
}

void StreamRecorder::OnEof(Clock::time_point now) {
  if (done_) return;
  if (absl::Status status = http_.FinishAtEof(); !status.ok()) {
    Fail(std::string(status.message()));
    return;
  }
  OnResponseComplete();
}

void StreamRecorder::OnEvent(const std::string& data, Clock::time_point now) {
  if (data == "[DONE]") {
    saw_done_event_ = true;
    return;
  }
  if (saw_done_event_) {
    Fail("event after data: [DONE]");
    return;
  }
  absl::StatusOr<StreamChunk> chunk = ParseStreamChunk(data, kind_);
  if (!chunk.ok()) {
    Fail(std::string(chunk.status().message()));
    return;
  }
  if (chunk->error.has_value()) {
    Fail(absl::StrCat("error in stream: ", *chunk->error));
    return;
  }
  if (chunk->prompt_tokens.has_value()) result_.usage_prompt_tokens = chunk->prompt_tokens;
  if (chunk->completion_tokens.has_value()) {
    result_.usage_completion_tokens = chunk->completion_tokens;
  }
  if (chunk->content.empty()) return;
  if (!have_content_) {
    result_.ttft_s = SecondsSinceStart(now);
    have_content_ = true;
  } else {
    result_.itl_s.push_back(std::chrono::duration<double>(now - last_content_).count());
  }
  last_content_ = now;
  ++result_.content_chunks;
}

void StreamRecorder::OnResponseComplete() {
  if (done_) return;
  if (http_.status() != 200) {
    Fail(absl::StrCat("HTTP ", http_.status(), ": ", body_));
    return;
  }
  if (sse_.has_partial_event()) {
    Fail("stream ended in the middle of an event");
    return;
  }
  if (!saw_done_event_) {
    Fail("stream ended without data: [DONE]");
    return;
  }
  if (!have_content_) {
    Fail("no chunk carried text");
    return;
  }
  done_ = true;
  result_.success = true;
  result_.e2e_s = SecondsSinceStart(last_content_);
  result_.output_tokens = result_.usage_completion_tokens.value_or(result_.content_chunks);
}

RequestResult StreamRecorder::TakeResult() {
  if (!done_) Fail("response incomplete");
  return std::move(result_);
}

}  // namespace weft::loadgen
