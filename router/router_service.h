// The weft.v1.Router gRPC service of weft-router: the OpenAI-compatible front door; routes each
// request to a prefill and a decode instance under TTFT/TPOT SLOs.
//
// Its RPCs arrive with the serving stack (issue #4). Until an RPC is
// implemented here, the generated base class answers it with UNIMPLEMENTED;
// nothing pretends to work.
#ifndef WEFT_ROUTER_ROUTER_SERVICE_H_
#define WEFT_ROUTER_ROUTER_SERVICE_H_

#include "proto/router.grpc.pb.h"

namespace weft::router {

class RouterService final : public weft::v1::Router::CallbackService {};

}  // namespace weft::router

#endif  // WEFT_ROUTER_ROUTER_SERVICE_H_
