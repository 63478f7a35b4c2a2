#include "common/kv_transfer/block_layout.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace weft::kv_transfer {

absl::Status ValidateLayout(const weft::v1::KvBlockLayout& layout, uint64_t max_block_bytes,
                            absl::string_view field) {
  std::vector<std::string> problems;
  auto require = [&](uint64_t value, absl::string_view name) {
    if (value == 0) problems.push_back(absl::StrCat(field, ".", name, " is required"));
  };
  require(layout.num_layers(), "num_layers");
  require(layout.block_size_tokens(), "block_size_tokens");
  require(layout.num_kv_heads(), "num_kv_heads");
  require(layout.head_dim(), "head_dim");
  if (layout.dtype() == weft::v1::KV_DTYPE_UNSPECIFIED) {
    problems.push_back(absl::StrCat(field, ".dtype is required"));
  }
  require(layout.bytes_per_block(), "bytes_per_block");
  if (layout.bytes_per_block() > max_block_bytes) {
    problems.push_back(absl::StrCat(field, ".bytes_per_block: ", layout.bytes_per_block(),
                                    " exceeds this cache's largest block, ", max_block_bytes,
                                    " bytes"));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
}

bool SameLayout(const weft::v1::KvBlockLayout& a, const weft::v1::KvBlockLayout& b) {
  return a.num_layers() == b.num_layers() && a.block_size_tokens() == b.block_size_tokens() &&
         a.num_kv_heads() == b.num_kv_heads() && a.head_dim() == b.head_dim() &&
         a.value_head_dim() == b.value_head_dim() && a.dtype() == b.dtype() &&
         a.bytes_per_block() == b.bytes_per_block();
}

std::string LayoutString(const weft::v1::KvBlockLayout& layout) {
  return absl::StrCat("{", layout.ShortDebugString(), "}");
}

}  // namespace weft::kv_transfer
