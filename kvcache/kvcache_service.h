// The weft.v1.KvCache gRPC service of weft-kvcache: the pooled KV block store, addressed by content
// hash, shared by every instance.
//
// Its RPCs arrive with the serving stack (issue #4). Until an RPC is
// implemented here, the generated base class answers it with UNIMPLEMENTED;
// nothing pretends to work.
#ifndef WEFT_KVCACHE_KVCACHE_SERVICE_H_
#define WEFT_KVCACHE_KVCACHE_SERVICE_H_

#include "proto/kvcache.grpc.pb.h"

namespace weft::kvcache {

class KvCacheService final : public weft::v1::KvCache::CallbackService {};

}  // namespace weft::kvcache

#endif  // WEFT_KVCACHE_KVCACHE_SERVICE_H_
