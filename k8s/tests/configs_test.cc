// The services' typed configs in the Kubernetes manifests (the ConfigMaps'
// files, base and overlays) load and pass each service's own validation, as
// they would at the pod's start, with the pod's --config_override applied.
#include <string>

#include "common/config/text_proto.h"
#include "decode/decode_module.h"
#include "gtest/gtest.h"
#include "kvcache/kvcache_module.h"
#include "prefill/prefill_module.h"
#include "router/router_module.h"

namespace weft {
namespace {

// What the pod's args add (Kubernetes expands $(POD_NAME) and $(POD_IP)).
constexpr char kPodOverride[] = R"pb(instance_id: "weft-prefill-7d9f-abcde"
                                     advertise_host: "10.1.2.3")pb";

// `cuda_engine`: the config is for a -cuda binary. Its backend is checked here
// and the rest by this (CPU-only) binary's validation.
template <typename Config>
void ExpectValid(const std::string& path, const ServiceDefinition<Config>& definition,
                 bool pod_override, bool cuda_engine = false) {
  SCOPED_TRACE(path);
  Config config;
  ASSERT_TRUE(LoadTextProtoFile(path, &config).ok()) << LoadTextProtoFile(path, &config);
  if (pod_override) {
    ASSERT_TRUE(MergeTextProtoOverride(kPodOverride, "--config_override", &config).ok());
  }
  if constexpr (requires { config.mutable_engine(); }) {
    EXPECT_EQ(config.engine().backend(), cuda_engine ? "cuda" : "");
    if (cuda_engine) config.mutable_engine()->clear_backend();
  }
  const absl::Status s = definition.validate(config);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(K8sConfigs, BaseConfigsAreValid) {
  ExpectValid("k8s/base/config/router.textproto", router::RouterDefinition(), false);
  ExpectValid("k8s/base/config/prefill.textproto", prefill::PrefillDefinition(), true);
  ExpectValid("k8s/base/config/decode.textproto", decode::DecodeDefinition(), true);
  ExpectValid("k8s/base/config/kvcache.textproto", kvcache::KvCacheDefinition(), false);
}

TEST(K8sConfigs, H200ConfigsAreValid) {
  ExpectValid("k8s/overlays/h200/config/router.textproto", router::RouterDefinition(), false);
  ExpectValid("k8s/overlays/h200/config/prefill.textproto", prefill::PrefillDefinition(), true,
              true);
  ExpectValid("k8s/overlays/h200/config/decode.textproto", decode::DecodeDefinition(), true, true);
}

}  // namespace
}  // namespace weft
