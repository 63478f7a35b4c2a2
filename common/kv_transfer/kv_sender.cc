#include "common/kv_transfer/kv_sender.h"

#include "absl/strings/str_cat.h"

namespace weft::kv_transfer {

absl::Status CheckSendArguments(const weft::v1::KvBlockLayout& layout,
                                const std::vector<std::string>& blocks,
                                const std::vector<std::string>& keys) {
  if (keys.size() != blocks.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(keys.size(), " keys for ", blocks.size(), " blocks"));
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].size() != layout.bytes_per_block()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "block ", i, " has ", blocks[i].size(), " bytes, the layout ", layout.bytes_per_block()));
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::kv_transfer
