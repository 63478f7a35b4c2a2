// CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected: 0x82F63B78), the
// checksum of iSCSI, ext4 and of every KV block chunk weft sends
// (KvBlockChunk.crc32c). Uses the SSE4.2 crc32 instruction where the CPU has
// it, and a portable slicing-by-8 table otherwise; both give the same values.
#ifndef WEFT_COMMON_CHECKSUM_CRC32C_H_
#define WEFT_COMMON_CHECKSUM_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace weft {

// The CRC-32C of the `size` bytes at `data` appended to data whose CRC-32C is
// `crc` (0 for none): Crc32cExtend(Crc32c(a), b) == Crc32c(a + b).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

inline uint32_t Crc32c(const void* data, size_t size) { return Crc32cExtend(0, data, size); }
inline uint32_t Crc32c(absl::string_view data) { return Crc32c(data.data(), data.size()); }

namespace crc32c_internal {
// The portable implementation, whatever the CPU; for tests.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size);
// Whether Crc32cExtend uses the hardware instruction.
bool HasHardwareCrc32c();
}  // namespace crc32c_internal

}  // namespace weft

#endif  // WEFT_COMMON_CHECKSUM_CRC32C_H_
