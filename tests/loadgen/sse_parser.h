// SseParser: splits a text/event-stream body, received in pieces split
// anywhere, into events (the WHATWG server-sent events format): lines end in
// LF or CRLF, "data:" lines (one leading space dropped) accumulate, joined by
// LF, and a blank line dispatches the event; comment lines (":...") and other
// fields (event, id, retry) are ignored, and an event without data is not
// dispatched. An OpenAI stream is "data: {json}\n\n" events ending with
// "data: [DONE]\n\n".
//
// Not thread-safe.
#ifndef WEFT_TESTS_LOADGEN_SSE_PARSER_H_
#define WEFT_TESTS_LOADGEN_SSE_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::loadgen {

class SseParser {
 public:
  // Longest event (its data) or line accepted.
  static constexpr size_t kMaxEventBytes = 16 << 20;

  // Consumes the next body bytes and appends the data of every event they
  // complete to `*events`. ResourceExhausted if a line or an event exceeds
  // kMaxEventBytes.
  absl::Status Feed(absl::string_view bytes, std::vector<std::string>* events);

  // Whether bytes of an unfinished event are pending (a stream that ends
  // here was cut off mid-event).
  bool has_partial_event() const { return !line_.empty() || has_data_; }

 private:
  void OnLine(absl::string_view line, std::vector<std::string>* events);

  std::string line_;  // the line being assembled, without its line end
  std::string data_;  // the event being assembled
  bool has_data_ = false;
};

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_SSE_PARSER_H_
