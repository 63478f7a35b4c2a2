#include "router/serving/backend_stubs.h"

#include <grpcpp/grpcpp.h>

namespace weft::router {

BackendStubs::Entry& BackendStubs::EntryFor(const std::string& address) {
  Entry& entry = entries_[address];
  if (entry.prefill == nullptr) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    entry.prefill = weft::v1::Prefill::NewStub(channel);
    entry.decode = weft::v1::Decode::NewStub(channel);
  }
  return entry;
}

std::shared_ptr<weft::v1::Prefill::Stub> BackendStubs::Prefill(const std::string& address) {
  MutexLock lock(&mu_);
  return EntryFor(address).prefill;
}

std::shared_ptr<weft::v1::Decode::Stub> BackendStubs::Decode(const std::string& address) {
  MutexLock lock(&mu_);
  return EntryFor(address).decode;
}

}  // namespace weft::router
