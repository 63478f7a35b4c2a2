#include "common/tokenizer/incremental_decoder.h"

#include "absl/strings/str_cat.h"
#include "common/tokenizer/utf8.h"

namespace weft::tokenizer {

absl::StatusOr<std::string> IncrementalDecoder::Step(int32_t id) {
  const absl::StatusOr<absl::string_view> bytes = tokenizer_->TokenBytes(id);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("IncrementalDecoder: ", bytes.status().message()));
  }
  if (skip_special_tokens_ && tokenizer_->IsSpecial(id)) return std::string();
  pending_.append(bytes->data(), bytes->size());
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    char32_t cp;
    size_t len;
    const Utf8Scan scan = ScanUtf8(pending_, pos, &cp, &len);
    if (scan == Utf8Scan::kTruncated) break;  // May still complete.
    if (scan == Utf8Scan::kComplete) {
      out.append(pending_, pos, len);
    } else {
      out.append(kReplacementChar.data(), kReplacementChar.size());
    }
    pos += len;
  }
  pending_.erase(0, pos);
  return out;
}

std::string IncrementalDecoder::Finish() {
  std::string out = Utf8Lossy(pending_);
  pending_.clear();
  return out;
}

}  // namespace weft::tokenizer
