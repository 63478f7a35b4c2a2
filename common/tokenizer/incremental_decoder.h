// Streaming detokenization: fed one token id at a time, returns the text that
// is complete so far and never half a UTF-8 character. Bytes that may still
// become a character are held back; ill-formed sequences become U+FFFD as soon
// as they are known to be ill-formed. The concatenation of every Step() result
// and Finish() equals Tokenizer::Decode of all the ids.
//
// Thread-safety: one decoder per stream; not safe for concurrent use. The
// Tokenizer must outlive it.
#ifndef WEFT_COMMON_TOKENIZER_INCREMENTAL_DECODER_H_
#define WEFT_COMMON_TOKENIZER_INCREMENTAL_DECODER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/tokenizer/tokenizer.h"

namespace weft::tokenizer {

class IncrementalDecoder {
 public:
  explicit IncrementalDecoder(const Tokenizer* tokenizer, bool skip_special_tokens = false)
      : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {}

  // Adds `id` and returns the newly completed text (valid UTF-8, possibly
  // empty). InvalidArgument for an unknown id, leaving the state unchanged.
  absl::StatusOr<std::string> Step(int32_t id);

  // Ends the stream: returns the held-back bytes, each ill-formed remainder as
  // U+FFFD (empty if none), and resets the decoder for a new stream.
  std::string Finish();

  // Bytes held back, waiting for the rest of a character (at most 3).
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  std::string pending_;
};

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_INCREMENTAL_DECODER_H_
