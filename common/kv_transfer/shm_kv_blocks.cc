#include "common/kv_transfer/shm_kv_blocks.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/checksum/crc32c.h"
#include "common/kv_transfer/block_layout.h"
#include "common/status/status_macros.h"

namespace weft::kv_transfer {
namespace {

absl::StatusOr<ShmView> OpenSegment(const weft::v1::KvShmTransfer& transfer) {
  absl::StatusOr<ShmView> view = ShmView::Open(transfer.segment_name());
  if (view.ok()) return view;
  if (absl::IsNotFound(view.status())) {
    return absl::DataLossError(absl::StrCat("KV segment ", transfer.segment_name(),
                                            " of reservation ", transfer.reservation_id(),
                                            " is not there: ", view.status().message()));
  }
  return view.status();
}

}  // namespace

absl::StatusOr<ShmKvBlocks> ShmKvBlocks::Open(const weft::v1::KvShmTransfer& transfer,
                                              const weft::v1::KvBlockLayout& layout) {
  WEFT_RETURN_IF_ERROR(CheckShmName(transfer.segment_name(), kShmKvSegmentPrefix, "segment_name"));
  // Mapped or not, the name goes: nobody else will open it.
  struct UnlinkOnReturn {
    const std::string& name;
    ~UnlinkOnReturn() { (void)UnlinkShm(name); }
  } unlink{transfer.segment_name()};

  WEFT_RETURN_IF_ERROR(ValidateLayout(transfer.layout(), layout.bytes_per_block(), "layout"));
  if (!SameLayout(transfer.layout(), layout)) {
    return absl::InvalidArgumentError(absl::StrCat("KV layout ", LayoutString(transfer.layout()),
                                                   " differs from this instance's ",
                                                   LayoutString(layout)));
  }
  const uint32_t n = transfer.num_blocks();
  if (static_cast<uint32_t>(transfer.keys_size()) != n ||
      static_cast<uint32_t>(transfer.block_crc32c_size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(n, " blocks with ", transfer.keys_size(),
                                                   " keys and ", transfer.block_crc32c_size(),
                                                   " checksums (one each per block)"));
  }
  std::vector<BlockHash> keys;
  keys.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    WEFT_ASSIGN_OR_RETURN(BlockHash hash,
                          ParseBlockKey(transfer.keys(i), absl::StrCat("keys[", i, "]")));
    keys.push_back(hash);
  }
  WEFT_ASSIGN_OR_RETURN(ShmView view, OpenSegment(transfer));
  const uint64_t block_bytes = layout.bytes_per_block();
  const uint64_t expected = static_cast<uint64_t>(n) * block_bytes;
  if (view.bytes().size() != expected) {
    return absl::DataLossError(absl::StrCat("KV segment ", transfer.segment_name(), " holds ",
                                            view.bytes().size(), " bytes; ", n, " blocks of ",
                                            block_bytes, " bytes are ", expected));
  }
  ShmKvBlocks blocks(std::move(view), block_bytes, std::move(keys));
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t crc = Crc32c(blocks.block(i));
    if (crc != transfer.block_crc32c(i)) {
      return absl::DataLossError(absl::StrFormat(
          "KV block %d (key %s) of reservation %d: crc32c mismatch: the transfer says 0x%08x, "
          "its %d bytes in segment %s have 0x%08x",
          i, BlockHashHex(blocks.key(i)), transfer.reservation_id(), transfer.block_crc32c(i),
          block_bytes, transfer.segment_name(), crc));
    }
  }
  return blocks;
}

}  // namespace weft::kv_transfer
