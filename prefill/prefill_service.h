// The weft.v1.Prefill gRPC service of weft-prefill: batched, chunked prompt processing; sends the
// prompt's KV blocks straight to decode.
//
// Its RPCs arrive with the serving stack (issue #4). Until an RPC is
// implemented here, the generated base class answers it with UNIMPLEMENTED;
// nothing pretends to work.
#ifndef WEFT_PREFILL_PREFILL_SERVICE_H_
#define WEFT_PREFILL_PREFILL_SERVICE_H_

#include "proto/prefill.grpc.pb.h"

namespace weft::prefill {

class PrefillService final : public weft::v1::Prefill::CallbackService {};

}  // namespace weft::prefill

#endif  // WEFT_PREFILL_PREFILL_SERVICE_H_
