// Renders every kustomization under k8s/ with `kubectl kustomize`, validates
// every object against the Kubernetes OpenAPI schema (kubernetes-models, a
// current release's schema, offline) and checks what weft's deployment
// relies on: probes, security context, resources and GPUs, PDBs, autoscalers
// reading metrics the services export, and labels that agree between
// Deployments, Services, PDBs and NetworkPolicies.
//
//   node k8s/tests/validate_manifests.mjs <k8s dir> [kubectl]
//
// Prints one line per problem and exits 1 if there is any.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const k8sDir = path.resolve(process.argv[2] ?? "k8s");
const kubectl = process.argv[3] ?? "kubectl";
const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

// --- rendering and schema validation ---------------------------------------

function render(dir) {
  const out = execFileSync(kubectl, ["kustomize", path.join(k8sDir, dir)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 << 20,
  });
  const objects = [];
  for (const doc of parseAllDocuments(out)) {
    if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors[0].message}`);
    const o = doc.toJS();
    if (o !== null) objects.push(o);
  }
  return objects;
}

// apiVersion/kind -> the kubernetes-models class, whose validate() checks the
// object against the schema of that kind.
async function modelClass(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  const module = group === null ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
  try {
    const m = await import(module);
    return m[kind] ?? null;
  } catch {
    return null;
  }
}

async function validateSchema(where, o) {
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
    problem(where, "no apiVersion or kind");
    return;
  }
  const Model = await modelClass(o.apiVersion, o.kind);
  if (Model === null) {
    problem(where, `${o.apiVersion} ${o.kind} is not a kind of the Kubernetes API`);
    return;
  }
  try {
    new Model(o).validate();
  } catch (e) {
    problem(where, `schema: ${e.message}`);
  }
}

// --- helpers -----------------------------------------------------------------

const name = (o) => `${o.kind}/${o.metadata?.name}`;
const byKind = (objects, kind) => objects.filter((o) => o.kind === kind);
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const podLabels = (d) => d.spec?.template?.metadata?.labels ?? {};

// "drain_timeout_ms: 30000" and the like from a text-format config.
function textprotoField(text, field) {
  const m = text.match(new RegExp(`^\\s*${field}:\\s*"?([^"\\s]+)"?`, "m"));
  return m ? m[1] : null;
}

function configOf(objects, deployment) {
  const volume = (deployment.spec.template.spec.volumes ?? []).find((v) => v.name === "config");
  const cm = byKind(objects, "ConfigMap").find((c) => c.metadata.name === volume?.configMap?.name);
  if (!cm) return null;
  return Object.values(cm.data ?? {})[0] ?? null;
}

// --- checks ------------------------------------------------------------------

function checkDeployment(where, d, objects, overlay) {
  const spec = d.spec.template.spec;
  const labels = podLabels(d);
  if (!matches(d.spec.selector?.matchLabels, labels)) problem(where, "selector does not match its pod labels");
  if (labels["app.kubernetes.io/part-of"] !== "weft") problem(where, "pods lack app.kubernetes.io/part-of=weft");
  const component = labels["app.kubernetes.io/component"];
  if (spec.securityContext?.runAsNonRoot !== true) problem(where, "pod must run as non-root");
  const config = configOf(objects, d);
  if (config === null) problem(where, "its config volume names no ConfigMap of the rendering");
  for (const c of spec.containers) {
    const at = `${where} container ${c.name}`;
    for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      if (!c[p]) problem(at, `no ${p}`);
    }
    const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    if (component === "router") {
      if (c.readinessProbe?.httpGet?.path !== "/ready") problem(at, "readiness must be the router's /ready");
      if (c.livenessProbe?.httpGet?.path !== "/health") problem(at, "liveness must be the router's /health");
    } else {
      for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        if (c[p] && c[p].grpc?.port !== ports.grpc) problem(at, `${p} must be gRPC health on the grpc port`);
      }
    }
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) problem(at, "allowPrivilegeEscalation must be false");
    if (sc.readOnlyRootFilesystem !== true) problem(at, "root filesystem must be read-only");
    if (sc.privileged === true) problem(at, "privileged");
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) problem(at, "capabilities must drop ALL");
    for (const kind of ["requests", "limits"]) {
      for (const r of ["cpu", "memory"]) {
        if (c.resources?.[kind]?.[r] === undefined) problem(at, `no ${r} ${kind}`);
      }
    }
    const gpus = c.resources?.limits?.["nvidia.com/gpu"];
    const wantsGpu = overlay === "h200" && (component === "prefill" || component === "decode");
    if (wantsGpu) {
      if (!(Number(gpus) >= 1)) problem(at, "a GPU pod needs an nvidia.com/gpu limit");
      if (c.resources?.requests?.["nvidia.com/gpu"] !== undefined &&
          c.resources.requests["nvidia.com/gpu"] !== gpus) problem(at, "GPU request differs from limit");
      if (!/-cuda$/.test(c.command?.[0] ?? "")) problem(at, "a GPU pod must run the -cuda binary");
      if (config !== null && textprotoField(config, "backend") !== "cuda") problem(at, "config backend must be cuda");
    } else if (gpus !== undefined || c.resources?.requests?.["nvidia.com/gpu"] !== undefined) {
      problem(at, "asks for a GPU it cannot use");
    }
    if (component === "prefill" || component === "decode") {
      const shm = (c.volumeMounts ?? []).find((m) => m.mountPath === "/dev/shm");
      const vol = (spec.volumes ?? []).find((v) => v.name === shm?.name);
      if (vol?.emptyDir?.medium !== "Memory") problem(at, "/dev/shm must be a memory-backed volume");
      const args = (c.args ?? []).join(" ");
      if (!args.includes('advertise_host: "$(POD_IP)"')) problem(at, "must advertise its pod IP to the router");
      const env = new Set((c.env ?? []).map((e) => e.name));
      if (!env.has("POD_IP") || !env.has("POD_NAME")) problem(at, "needs POD_IP and POD_NAME from the downward API");
    }
    if (config !== null) {
      const grpcPort = Number((textprotoField(config, "grpc_address") ?? "").split(":").pop());
      const metricsPort = Number((textprotoField(config, "metrics_address") ?? "").split(":").pop());
      if (grpcPort !== ports.grpc) problem(at, `port grpc ${ports.grpc} is not the config's ${grpcPort}`);
      if (metricsPort !== ports.metrics) problem(at, `port metrics ${ports.metrics} is not the config's ${metricsPort}`);
      const annotations = d.spec.template.metadata.annotations ?? {};
      if (Number(annotations["prometheus.io/port"]) !== metricsPort) problem(at, "prometheus.io/port is not the metrics port");
      const drainMs = Number(textprotoField(config, "drain_timeout_ms"));
      if (!(spec.terminationGracePeriodSeconds * 1000 > drainMs)) {
        problem(at, `terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} does not cover drain_timeout_ms ${drainMs}`);
      }
    }
  }
  const pdbs = byKind(objects, "PodDisruptionBudget").filter((p) => matches(p.spec.selector?.matchLabels, labels));
  if (pdbs.length !== 1) problem(where, `${pdbs.length} PodDisruptionBudgets select its pods (want 1)`);
  const services = byKind(objects, "Service").filter((s) => matches(s.spec.selector, labels));
  if (services.length === 0) problem(where, "no Service selects its pods");
  if (component === "prefill" || component === "decode") {
    if (!services.some((s) => s.spec.clusterIP === "None")) problem(where, "needs a headless Service");
    const hpa = byKind(objects, "HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef?.name === d.metadata.name);
    if (!hpa) problem(where, "no HorizontalPodAutoscaler");
  }
}

function checkServices(where, objects) {
  const deployments = byKind(objects, "Deployment");
  for (const s of byKind(objects, "Service")) {
    const selected = deployments.filter((d) => matches(s.spec.selector, podLabels(d)));
    if (selected.length !== 1) problem(`${where} ${name(s)}`, `selects ${selected.length} Deployments (want 1)`);
    for (const port of s.spec.ports ?? []) {
      const named = selected.flatMap((d) => d.spec.template.spec.containers.flatMap((c) => c.ports ?? []));
      if (typeof port.targetPort === "string" && !named.some((p) => p.name === port.targetPort)) {
        problem(`${where} ${name(s)}`, `targetPort ${port.targetPort} names no container port`);
      }
    }
  }
  for (const p of byKind(objects, "PodDisruptionBudget")) {
    if (!deployments.some((d) => matches(p.spec.selector?.matchLabels, podLabels(d)))) {
      problem(`${where} ${name(p)}`, "selects no pods");
    }
  }
}

function checkNetworkPolicies(where, objects) {
  const deployments = byKind(objects, "Deployment");
  const policies = byKind(objects, "NetworkPolicy");
  for (const d of deployments) {
    if (!policies.some((p) => matches(p.spec.podSelector?.matchLabels, podLabels(d)))) {
      problem(`${where} ${name(d)}`, "no NetworkPolicy selects its pods");
    }
  }
  // From outside weft (no podSelector), only the router's http port is open.
  for (const p of policies) {
    const selected = deployments.filter((d) => matches(p.spec.podSelector?.matchLabels, podLabels(d)));
    if (selected.length === 0) problem(`${where} ${name(p)}`, "selects no pods");
    for (const rule of p.spec.ingress ?? []) {
      const open = !rule.from || rule.from.length === 0;
      if (!open) continue;
      const routerOnly = selected.every((d) => podLabels(d)["app.kubernetes.io/component"] === "router");
      const httpOnly = (rule.ports ?? []).length > 0 && rule.ports.every((x) => x.port === "http" || x.port === 8080);
      if (!routerOnly || !httpOnly) problem(`${where} ${name(p)}`, "opens more than the router's http port to everyone");
    }
  }
}

// HPA metric -> prometheus-adapter rule -> series the services export.
function checkAutoscaling(where, objects, adapterRules, exported) {
  const deployments = byKind(objects, "Deployment");
  for (const h of byKind(objects, "HorizontalPodAutoscaler")) {
    const at = `${where} ${name(h)}`;
    const target = deployments.find((d) => d.metadata.name === h.spec.scaleTargetRef?.name);
    if (!target || h.spec.scaleTargetRef.kind !== "Deployment") {
      problem(at, "scaleTargetRef names no Deployment of the rendering");
      continue;
    }
    const role = podLabels(target)["app.kubernetes.io/component"];
    if (!(h.spec.metrics?.length > 0)) problem(at, "no metrics");
    for (const m of h.spec.metrics ?? []) {
      if (m.type !== "Pods") {
        problem(at, `metric type ${m.type}: weft's autoscalers use per-pod custom metrics`);
        continue;
      }
      const metric = m.pods.metric.name;
      const rule = adapterRules.find((r) => r.name?.as === metric);
      if (!rule) {
        problem(at, `metric ${metric} is served by no prometheus-adapter rule`);
        continue;
      }
      const series = rule.seriesQuery.match(/^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/)?.[1];
      if (!exported.has(series)) problem(at, `metric ${metric} reads ${series}, not in k8s/autoscaling-metrics.txt`);
      if (!rule.seriesQuery.includes(`role="${role}"`)) problem(at, `rule for ${metric} does not select role="${role}"`);
      const res = rule.resources?.overrides ?? {};
      if (res.pod?.resource !== "pod" || res.namespace?.resource !== "namespace") {
        problem(at, `rule for ${metric} does not map pod and namespace labels`);
      }
    }
  }
}

// --- main --------------------------------------------------------------------

const exported = new Set(
  readFileSync(path.join(k8sDir, "autoscaling-metrics.txt"), "utf8")
    .split("\n").map((l) => l.replace(/#.*/, "").trim()).filter((l) => l.length > 0));

const monitoring = render("monitoring");
const adapterCm = monitoring.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("weft-prometheus-adapter"));
const adapterRules = adapterCm ? parseYaml(Object.values(adapterCm.data)[0]).rules ?? [] : [];
if (adapterRules.length === 0) problem("monitoring", "no prometheus-adapter rules");
for (const o of monitoring) await validateSchema(`monitoring ${name(o)}`, o);

for (const overlay of ["cpu", "h200"]) {
  const objects = render(`overlays/${overlay}`);
  const where = `overlays/${overlay}`;
  for (const o of objects) {
    await validateSchema(`${where} ${name(o)}`, o);
    if (o.kind !== "Namespace" && o.metadata?.namespace !== "weft") problem(`${where} ${name(o)}`, "not in namespace weft");
    if (o.metadata?.labels?.["app.kubernetes.io/part-of"] !== "weft") problem(`${where} ${name(o)}`, "lacks app.kubernetes.io/part-of=weft");
  }
  const deployments = byKind(objects, "Deployment");
  const components = deployments.map((d) => podLabels(d)["app.kubernetes.io/component"]).sort();
  if (components.join(",") !== "decode,kvcache,prefill,router") {
    problem(where, `Deployments for ${components.join(",")} (want one each for router, prefill, decode, kvcache)`);
  }
  for (const d of deployments) checkDeployment(`${where} ${name(d)}`, d, objects, overlay);
  checkServices(where, objects);
  checkNetworkPolicies(where, objects);
  checkAutoscaling(where, objects, adapterRules, exported);
  console.log(`${where}: ${objects.length} objects`);
}
console.log(`monitoring: ${monitoring.length} objects`);

for (const p of problems) console.log(`PROBLEM ${p}`);
if (problems.length > 0) {
  console.log(`${problems.length} problems`);
  process.exit(1);
}
console.log("all manifests valid");
