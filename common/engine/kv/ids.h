// Ids of the paged KV cache.
#ifndef WEFT_COMMON_ENGINE_KV_IDS_H_
#define WEFT_COMMON_ENGINE_KV_IDS_H_

#include <cstdint>

#include "common/base/strong_id.h"

namespace weft::engine {

struct BlockIdTag {};
// A KV block of one instance's pool: 0 .. num_blocks-1.
using BlockId = StrongId<BlockIdTag, int32_t>;

struct SequenceIdTag {};
// A sequence (one request's one completion) known to the KV cache.
using SequenceId = StrongId<SequenceIdTag, int64_t>;

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_KV_IDS_H_
