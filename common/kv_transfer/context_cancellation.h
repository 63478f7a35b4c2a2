// A TransferCancellation that cancels a gRPC call: the handle KV senders
// give out for the call carrying a transfer.
#ifndef WEFT_COMMON_KV_TRANSFER_CONTEXT_CANCELLATION_H_
#define WEFT_COMMON_KV_TRANSFER_CONTEXT_CANCELLATION_H_

#include <memory>
#include <utility>

#include "common/kv_transfer/kv_sender.h"
#include "grpcpp/client_context.h"

namespace weft::kv_transfer {

class ContextCancellation final : public TransferCancellation {
 public:
  // Shared with the sender, which owns the call: a caller may still hold the
  // handle after the call is over, when TryCancel does nothing.
  explicit ContextCancellation(std::shared_ptr<grpc::ClientContext> context)
      : context_(std::move(context)) {}
  void Cancel() override { context_->TryCancel(); }

 private:
  std::shared_ptr<grpc::ClientContext> context_;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_CONTEXT_CANCELLATION_H_
