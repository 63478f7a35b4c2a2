#include "router/router_module.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/server_config.h"
#include "common/config/service_config.h"
#include "common/logging/log.h"
#include "common/status/status_macros.h"
#include "router/serving/slo_targets.h"

namespace weft::router {
namespace {

constexpr absl::string_view kDefaultHttpAddress = "127.0.0.1:8080";
constexpr absl::string_view kDefaultInternalAddress = "127.0.0.1:8081";
// Prompt blocks the router remembers for prefix-aware routing (~16 MiB).
constexpr size_t kPrefixIndexBlocks = 1 << 17;

template <typename T>
T Or(T value, T fallback) {
  return value != T{} ? value : fallback;
}

absl::Duration Ms(uint32_t ms, uint32_t fallback) { return absl::Milliseconds(Or(ms, fallback)); }

std::string HttpAddress(const weft::v1::RouterConfig& c) {
  return c.http_address().empty() ? std::string(kDefaultHttpAddress) : c.http_address();
}
std::string InternalAddress(const weft::v1::RouterConfig& c) {
  return c.internal_http_address().empty() ? std::string(kDefaultInternalAddress)
                                           : c.internal_http_address();
}

InstanceRegistry::Options RegistryOptions(const weft::v1::RouterConfig& c) {
  const uint32_t interval = Or(c.heartbeat_interval_ms(), 1000u);
  return {.heartbeat_timeout = Ms(c.heartbeat_timeout_ms(), 3 * interval)};
}

openai::RequestLimits Limits(const weft::v1::ApiLimitsConfig& c) {
  openai::RequestLimits l;
  if (c.max_json_depth() > 0) l.json.max_depth = static_cast<int>(c.max_json_depth());
  if (c.max_n() > 0) l.max_n = static_cast<int32_t>(c.max_n());
  if (c.max_top_logprobs() > 0) l.max_top_logprobs = static_cast<int32_t>(c.max_top_logprobs());
  return l;
}

http::HttpServerOptions ServerOptions(const weft::v1::RouterConfig& c, std::string address) {
  http::HttpServerOptions o;
  o.address = std::move(address);
  o.event_threads = static_cast<int>(Or(c.http_threads(), 2u));
  const weft::v1::ApiLimitsConfig& l = c.limits();
  if (l.max_body_bytes() > 0) o.max_body_bytes = l.max_body_bytes();
  if (l.max_headers() > 0) o.max_headers = static_cast<int>(l.max_headers());
  if (l.max_header_bytes() > 0) o.max_header_bytes = l.max_header_bytes();
  if (l.max_connections() > 0) o.max_connections = static_cast<int>(l.max_connections());
  // Even requests the HTTP layer refuses get OpenAI's error shape.
  o.error_body = [](int status, absl::string_view message) {
    return http::ErrorBody{.content_type = "application/json",
                           .body = openai::HttpLayerError(status, std::string(message)).ToJson()};
  };
  return o;
}

}  // namespace

absl::Status ValidateRouterConfig(const weft::v1::RouterConfig& config) {
  WEFT_RETURN_IF_ERROR(ValidateServiceServerConfig(config));
  std::vector<std::string> errors;
  auto check = [&errors](const absl::Status& s) {
    if (!s.ok()) errors.emplace_back(s.message());
  };
  check(ValidateListenAddress(HttpAddress(config), "http_address"));
  check(ValidateListenAddress(InternalAddress(config), "internal_http_address"));
  if (config.models().empty()) errors.push_back("models: at least one model is required");
  for (int i = 0; i < config.models_size(); ++i) {
    if (config.models(i).model_dir().empty()) {
      errors.push_back(absl::StrCat("models[", i, "].model_dir is required"));
    }
  }
  for (int i = 0; i < config.static_instances_size(); ++i) {
    const absl::Status s = InstanceRegistry::ValidateDescriptor(config.static_instances(i));
    if (!s.ok()) errors.push_back(absl::StrCat("static_instances[", i, "]: ", s.message()));
  }
  if (config.limits().max_top_logprobs() > 20) {
    errors.push_back("limits.max_top_logprobs: at most 20");
  }
  if (config.http_threads() > 64) errors.push_back("http_threads: at most 64");
  if (config.tokenizer_threads() > 64) errors.push_back("tokenizer_threads: at most 64");
  if (errors.empty()) return absl::OkStatus();
  std::string message = absl::StrCat(config.GetTypeName(), ": ");
  for (size_t i = 0; i < errors.size(); ++i) absl::StrAppend(&message, i ? "; " : "", errors[i]);
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::unique_ptr<RouterModule>> RouterModule::Create(
    const weft::v1::RouterConfig& config, prometheus::Registry& registry) {
  std::vector<std::shared_ptr<const ServedModel>> models;
  for (const weft::v1::RouterModelConfig& m : config.models()) {
    WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const ServedModel> model, LoadServedModel(m));
    for (const auto& other : models) {
      if (other->name == model->name) {
        return absl::InvalidArgumentError(absl::StrCat("model ", model->name, " is listed twice"));
      }
    }
    models.push_back(std::move(model));
  }
  WEFT_ASSIGN_OR_RETURN(ApiKeys api_keys, ApiKeys::FromConfig(config));
  return std::unique_ptr<RouterModule>(
      new RouterModule(config, registry, std::move(models), std::move(api_keys)));
}

RouterModule::RouterModule(const weft::v1::RouterConfig& config, prometheus::Registry& registry,
                           std::vector<std::shared_ptr<const ServedModel>> models, ApiKeys api_keys)
    : config_(config),
      instances_(RegistryOptions(config)),
      control_(&instances_, {.heartbeat_interval = Ms(config.heartbeat_interval_ms(), 1000)}),
      poller_(&instances_, {.period = Ms(config.load_poll_interval_ms(), 1000)}),
      prefixes_(kPrefixIndexBlocks),
      picker_(instances_, work_, &prefixes_),
      metrics_(registry),
      workers_(static_cast<int>(Or(config.tokenizer_threads(), 2u))),
      frontend_(models,
                SessionContext{.stubs = &stubs_,
                               .registry = &instances_,
                               .work = &work_,
                               .picker = &picker_,
                               .metrics = &metrics_,
                               .live = &live_,
                               .request_timeout = Ms(config.request_timeout_ms(), 600'000),
                               .reserve_timeout = Ms(config.reserve_timeout_ms(), 5000)},
                &workers_,
                {.limits = Limits(config.limits()),
                 .api_keys = std::move(api_keys),
                 .default_slo = config.slo()}),
      probe_(models, SessionContext{.stubs = &stubs_,
                                    .registry = &instances_,
                                    .work = &work_,
                                    .picker = &picker_,
                                    .metrics = &metrics_,
                                    .live = &live_,
                                    .reserve_timeout = Ms(config.reserve_timeout_ms(), 5000)}),
      internal_(registry, probe_) {
  // Every model's series exist from the start, with its targets.
  for (const auto& model : models) {
    const SloTargets slo = ResolveSlo(config.slo(), model->slo, nullptr);
    ModelMetrics& m = metrics_.ForModel(model->name);
    m.slo_target_ttft->Set(slo.ttft.has_value() ? absl::ToDoubleSeconds(*slo.ttft) : 0.0);
    m.slo_target_tpot->Set(slo.tpot.has_value() ? absl::ToDoubleSeconds(*slo.tpot) : 0.0);
  }
}

RouterModule::~RouterModule() {
  // Stop() normally did this; a start-up failure may leave them running.
  if (public_server_ != nullptr) public_server_->Shutdown(absl::ZeroDuration());
  if (internal_server_ != nullptr) internal_server_->Shutdown(absl::ZeroDuration());
  poller_.Stop();
}

std::vector<GrpcServiceRegistration> RouterModule::GrpcServices() {
  return {{&control_, weft::v1::Router::service_full_name()}};
}

absl::Status RouterModule::Start(const ServingPorts& /*ports*/) {
  const absl::Time now = absl::Now();
  for (const weft::v1::InstanceDescriptor& d : config_.static_instances()) {
    WEFT_RETURN_IF_ERROR(instances_.AddStatic(d, now));
  }
  poller_.Start();
  WEFT_ASSIGN_OR_RETURN(
      public_server_,
      http::HttpServer::Start(
          ServerOptions(config_, HttpAddress(config_)),
          [this](http::HttpRequest request, std::shared_ptr<http::HttpResponder> responder) {
            frontend_.Handle(std::move(request), std::move(responder));
          }));
  http::HttpServerOptions internal_options = ServerOptions(config_, InternalAddress(config_));
  internal_options.event_threads = 1;
  WEFT_ASSIGN_OR_RETURN(
      internal_server_,
      http::HttpServer::Start(
          internal_options,
          [this](http::HttpRequest request, std::shared_ptr<http::HttpResponder> responder) {
            internal_.Handle(std::move(request), std::move(responder));
          }));
  WEFT_LOG(INFO) << "OpenAI API on port " << public_server_->port()
                 << ", /health /ready /metrics on port " << internal_server_->port();
  return absl::OkStatus();
}

std::vector<std::pair<std::string, int>> RouterModule::ExtraPorts() const {
  return {{"http_port", public_server_->port()}, {"internal_http_port", internal_server_->port()}};
}

void RouterModule::Stop(absl::Time deadline) {
  // Responses in flight finish (or are cut at the deadline, which cancels
  // their sequences); then nothing new.
  public_server_->Shutdown(std::max(absl::ZeroDuration(), deadline - absl::Now()));
  internal_server_->Shutdown(absl::ZeroDuration());
  // Cancelled calls end within their gRPC round trips.
  if (!live_.WaitIdle(std::max(deadline, absl::Now()) + absl::Seconds(5))) {
    WEFT_LOG(ERROR) << live_.count() << " request sessions or backend calls did not end";
  }
  poller_.Stop();
}

ServiceDefinition<weft::v1::RouterConfig> RouterDefinition() {
  ServiceDefinition<weft::v1::RouterConfig> definition;
  definition.name = "router";
  definition.validate = ValidateRouterConfig;
  definition.make_module =
      [](const weft::v1::RouterConfig& config,
         prometheus::Registry& registry) -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<RouterModule> module,
                          RouterModule::Create(config, registry));
    return std::unique_ptr<ServiceModule>(std::move(module));
  };
  return definition;
}

}  // namespace weft::router
