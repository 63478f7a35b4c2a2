// The weft.v1.Decode gRPC service of weft-decode: continuous batching of running sequences;
// receives KV from prefill, streams tokens.
//
// Its RPCs arrive with the serving stack (issue #4). Until an RPC is
// implemented here, the generated base class answers it with UNIMPLEMENTED;
// nothing pretends to work.
#ifndef WEFT_DECODE_DECODE_SERVICE_H_
#define WEFT_DECODE_DECODE_SERVICE_H_

#include "proto/decode.grpc.pb.h"

namespace weft::decode {

class DecodeService final : public weft::v1::Decode::CallbackService {};

}  // namespace weft::decode

#endif  // WEFT_DECODE_DECODE_SERVICE_H_
