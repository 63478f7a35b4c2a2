#include "router/http/http_responder.h"

#include <utility>

#include "router/http/response_channel.h"

namespace weft::router::http {

HttpResponder::HttpResponder(std::shared_ptr<ResponseChannel> channel)
    : channel_(std::move(channel)) {}

HttpResponder::~HttpResponder() { channel_->Abandon(); }

bool HttpResponder::Respond(int status, HttpHeaders headers, std::string body) {
  return channel_->Respond(status, std::move(headers), std::move(body));
}

bool HttpResponder::StartStream(int status, HttpHeaders headers) {
  return channel_->StartStream(status, std::move(headers));
}

bool HttpResponder::Write(absl::string_view data) { return channel_->Write(data); }

bool HttpResponder::Finish() { return channel_->Finish(); }

void HttpResponder::OnClose(std::function<void()> callback) {
  channel_->OnClose(std::move(callback));
}

bool HttpResponder::closed() const { return channel_->closed(); }

}  // namespace weft::router::http
