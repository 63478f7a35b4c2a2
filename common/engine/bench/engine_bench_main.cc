// weft-engine-bench: CPU benchmark of the engine. For each model (the test
// fixtures and dummy-weights models of a few hundred million parameters) and
// each weight precision, runs a chunked prefill of --batch prompts of
// --prompt_len tokens and then --decode_steps decode steps through the
// ModelExecutor, and prints prefill and decode tokens/s, decode step latency
// and peak memory, next to ceilings measured on this machine in the same run
// (memory read bandwidth, OpenBLAS sgemm peak).
//
//   bazel run -c opt //common/engine/bench:weft-engine-bench --
//       [--models=tiny-llama,dummy-llama-300m] [--precision=float32,int8]
//       [--batch=4] [--prompt_len=64] [--decode_steps=16] [--threads=2]
//
// Each (model, precision) runs in a fresh child process (this binary again,
// with --internal_single), so that each row's peak RSS is its own. Exits 1
// if any row failed, 2 for bad flags.
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/engine/bench/bench_row.h"
#include "common/engine/bench/bench_workload.h"
#include "common/engine/bench/blas_threads.h"
#include "common/engine/bench/ceiling_probe.h"
#include "common/engine/bench/child_process.h"
#include "common/engine/bench/latency_stats.h"
#include "common/engine/bench/model_catalog.h"
#include "common/engine/bench/model_cost.h"
#include "common/engine/bench/peak_memory.h"
#include "common/engine/bench/report_table.h"
#include "common/status/status_macros.h"

ABSL_FLAG(std::string, models, "all",
          "Comma-separated models to run, or 'all' (the fixtures tiny-llama, tiny-qwen3-moe, "
          "tiny-deepseek-v3 and the dummy-weights dummy-llama-300m, dummy-qwen3-moe-400m)");
ABSL_FLAG(std::string, precision, "float32,int8", "Comma-separated weight precisions");
ABSL_FLAG(int, batch, 4, "Sequences run together");
ABSL_FLAG(int, prompt_len, 64, "Prompt tokens per sequence");
ABSL_FLAG(int, prefill_chunk, 32, "Prompt tokens per sequence per prefill step");
ABSL_FLAG(int, decode_steps, 16, "Decode steps (one token per sequence each)");
ABSL_FLAG(int, threads, 0, "OpenBLAS threads (and bandwidth-probe threads); 0: all cores");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the prompts and of the dummy models' weights");
ABSL_FLAG(std::string, fixtures_dir, "tests/data/models",
          "Directory of the fixture checkpoints (relative to the runfiles root under bazel)");
ABSL_FLAG(bool, probe, true, "Measure the bandwidth and sgemm ceilings");
ABSL_FLAG(int, bandwidth_mib, 512, "Buffer of the memory-bandwidth probe, MiB");
ABSL_FLAG(std::string, sgemm_sizes, "512,1024,2048",
          "Comma-separated square sizes of the sgemm probe (the best is the peak)");
ABSL_FLAG(std::string, internal_single, "",
          "Internal: run only 'model,precision' in this process and print its result line");

namespace weft::engine::bench {
namespace {

absl::StatusOr<WeightPrecision> ParsePrecision(const std::string& name) {
  if (name == "float32") return WeightPrecision::kFloat32;
  if (name == "int8") return WeightPrecision::kInt8;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown precision '", name, "' (float32 or int8)"));
}

// The first three fields of /proc/loadavg ("1.02 0.87 0.55"), to show
// whether other work shared the machine during the run.
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return absl::StrCat(one, " ", five, " ", fifteen);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

WorkloadOptions WorkloadFromFlags() {
  WorkloadOptions o;
  o.batch = absl::GetFlag(FLAGS_batch);
  o.prompt_len = absl::GetFlag(FLAGS_prompt_len);
  o.prefill_chunk = absl::GetFlag(FLAGS_prefill_chunk);
  o.decode_steps = absl::GetFlag(FLAGS_decode_steps);
  o.seed = absl::GetFlag(FLAGS_seed);
  return o;
}

// Child mode: one (model, precision), measured in this process.
absl::StatusOr<BenchRow> RunSingle(const std::string& model_name,
                                   const std::string& precision_name) {
  WEFT_ASSIGN_OR_RETURN(const WeightPrecision precision, ParsePrecision(precision_name));
  const std::string fixtures = absl::GetFlag(FLAGS_fixtures_dir);
  WEFT_ASSIGN_OR_RETURN(const checkpoint::ModelConfig config,
                        BenchModelConfig(model_name, fixtures));
  const auto load_start = std::chrono::steady_clock::now();
  WEFT_ASSIGN_OR_RETURN(
      std::unique_ptr<CausalLm> model,
      LoadBenchModel(model_name, fixtures, absl::GetFlag(FLAGS_seed), {.precision = precision}));
  BenchRow row;
  row.load_seconds = SecondsSince(load_start);
  row.rss_after_load_bytes = ReadMemoryUsage().vm_rss_bytes;

  const WorkloadOptions o = WorkloadFromFlags();
  WEFT_ASSIGN_OR_RETURN(const WorkloadResult r, RunWorkload(*model, o));

  const ModelCost cost = ComputeModelCost(config, precision);
  const KvLayout kv = model->kv_layout();
  // Decode step i runs position prompt_len + i, so it attends to
  // prompt_len + i + 1 tokens; bytes are linear in that, so the mean step
  // is the one at the mean context.
  const double mean_context = o.prompt_len + (o.decode_steps + 1) / 2.0;
  const LatencyStats steps = Summarize(r.decode_step_seconds);
  const MemoryUsage memory = ReadMemoryUsage();

  row.model = model_name;
  row.precision = precision_name;
  row.parameters = cost.parameters;
  row.weight_bytes = cost.weight_bytes;
  row.blas_threads = BlasThreads();
  row.batch = o.batch;
  row.prompt_len = o.prompt_len;
  row.decode_steps = o.decode_steps;
  row.prefill_tokens = r.prefill_tokens;
  row.prefill_seconds = r.prefill_seconds;
  row.prefill_flops = PrefillFlops(config, cost, kv, o.batch, o.prompt_len);
  row.decode_tokens = r.decode_tokens;
  row.decode_seconds = r.decode_seconds;
  row.decode_step_mean_s = steps.mean;
  row.decode_step_p50_s = steps.p50;
  row.decode_step_p99_s = steps.p99;
  row.decode_bytes_per_step = DecodeStepBytes(config, cost, kv, o.batch, mean_context);
  row.peak_rss_bytes = memory.vm_hwm_bytes;
  row.ru_maxrss_bytes = memory.ru_maxrss_bytes;
  return row;
}

int ChildMain(const std::string& spec) {
  const std::vector<std::string> parts = absl::StrSplit(spec, ',');
  if (parts.size() != 2) {
    std::fprintf(stderr, "--internal_single wants 'model,precision', got '%s'\n", spec.c_str());
    return 2;
  }
  absl::StatusOr<BenchRow> row = RunSingle(parts[0], parts[1]);
  if (!row.ok()) {
    std::fprintf(stderr, "%s %s: %s\n", parts[0].c_str(), parts[1].c_str(),
                 row.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", EncodeRowLine(*row).c_str());
  return 0;
}

std::string SelfPath() {
  char buffer[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buffer, static_cast<size_t>(n));
}

// The flags a child needs to run one row as this process would.
std::vector<std::string> ChildArgv(const std::string& self, const std::string& model,
                                   const std::string& precision) {
  return {self,
          absl::StrCat("--internal_single=", model, ",", precision),
          absl::StrCat("--batch=", absl::GetFlag(FLAGS_batch)),
          absl::StrCat("--prompt_len=", absl::GetFlag(FLAGS_prompt_len)),
          absl::StrCat("--prefill_chunk=", absl::GetFlag(FLAGS_prefill_chunk)),
          absl::StrCat("--decode_steps=", absl::GetFlag(FLAGS_decode_steps)),
          absl::StrCat("--threads=", absl::GetFlag(FLAGS_threads)),
          absl::StrCat("--seed=", absl::GetFlag(FLAGS_seed)),
          absl::StrCat("--fixtures_dir=", absl::GetFlag(FLAGS_fixtures_dir))};
}

// Runs one row in a fresh process and collects its result line.
absl::StatusOr<BenchRow> RunRowInChild(const std::string& self, const std::string& model,
                                       const std::string& precision) {
  WEFT_ASSIGN_OR_RETURN(const ChildResult child, RunChild(ChildArgv(self, model, precision)));
  if (!child.Succeeded()) return absl::InternalError(child.Describe());
  return FindRowLine(child.stdout_text);
}

std::vector<std::string> SplitList(const std::string& list) {
  return absl::StrSplit(list, ',', absl::SkipWhitespace());
}

// Measures the ceilings, prints them with `label`, and returns the higher of
// each and `so_far`'s (the ratios then use the best the machine showed).
Ceilings ProbeCeilings(const char* label, const std::vector<int64_t>& sgemm_sizes,
                       const Ceilings& so_far) {
  const BandwidthResult bw =
      MeasureReadBandwidth(int64_t{absl::GetFlag(FLAGS_bandwidth_mib)} << 20, BlasThreads(), 5);
  const GemmResult gemm = MeasureSgemmPeak(sgemm_sizes, 3);
  std::printf(
      "ceilings %s: memory read %.2f GB/s (%lld MiB, %d threads, best of 5); sgemm %.1f GFLOP/s "
      "(best n=%lld, %d threads, best of 3 per size)\n",
      label, bw.bytes_per_second / 1e9, static_cast<long long>(bw.buffer_bytes >> 20), bw.threads,
      gemm.flops_per_second / 1e9, static_cast<long long>(gemm.n), gemm.threads);
  std::fflush(stdout);
  return Ceilings{
      .read_bytes_per_second = std::max(so_far.read_bytes_per_second, bw.bytes_per_second),
      .sgemm_flops_per_second = std::max(so_far.sgemm_flops_per_second, gemm.flops_per_second)};
}

int ParentMain() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> models = SplitList(absl::GetFlag(FLAGS_models));
  if (models.size() == 1 && models[0] == "all") models = AllModelNames();
  const std::vector<std::string> precisions = SplitList(absl::GetFlag(FLAGS_precision));
  const std::vector<std::string> known = AllModelNames();
  for (const std::string& m : models) {
    if (std::find(known.begin(), known.end(), m) == known.end()) {
      std::fprintf(stderr, "unknown model '%s'; known: %s\n", m.c_str(),
                   absl::StrJoin(known, ", ").c_str());
      return 2;
    }
  }
  for (const std::string& p : precisions) {
    if (!ParsePrecision(p).ok()) {
      std::fprintf(stderr, "unknown precision '%s' (float32 or int8)\n", p.c_str());
      return 2;
    }
  }
  if (models.empty() || precisions.empty()) {
    std::fprintf(stderr, "--models and --precision must name at least one each\n");
    return 2;
  }

  std::vector<int64_t> sgemm_sizes;
  for (const std::string& size : SplitList(absl::GetFlag(FLAGS_sgemm_sizes))) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(size, &n) || n < 16) {
      std::fprintf(stderr, "bad --sgemm_sizes entry '%s' (integers >= 16)\n", size.c_str());
      return 2;
    }
    sgemm_sizes.push_back(n);
  }
  if (sgemm_sizes.empty()) sgemm_sizes.push_back(1024);
  const bool probe = absl::GetFlag(FLAGS_probe);
  if (probe && absl::GetFlag(FLAGS_bandwidth_mib) < 1) {
    std::fprintf(stderr, "--bandwidth_mib must be at least 1\n");
    return 2;
  }

  const WorkloadOptions o = WorkloadFromFlags();
  std::printf("weft-engine-bench: %u hardware threads; OpenBLAS %s, %d threads\n",
              std::thread::hardware_concurrency(), BlasDescription().c_str(), BlasThreads());
  std::printf("load average before: %s\n", LoadAverage().c_str());
  std::printf(
      "workload: batch %d, prompt %d tokens (prefill chunks of %d), %d decode steps, greedy, "
      "seed %llu\n",
      o.batch, o.prompt_len, o.prefill_chunk, o.decode_steps,
      static_cast<unsigned long long>(o.seed));
  std::fflush(stdout);

  Ceilings ceilings;
  if (probe) ceilings = ProbeCeilings("before", sgemm_sizes, ceilings);

  // Rows are collected and printed together after the second probe (their
  // ratios use both); progress goes to stderr meanwhile.
  const std::string self = SelfPath();
  std::vector<absl::StatusOr<BenchRow>> rows;
  std::vector<std::pair<std::string, std::string>> labels;
  const size_t total = models.size() * precisions.size();
  for (const std::string& model : models) {
    for (const std::string& precision : precisions) {
      const auto row_start = std::chrono::steady_clock::now();
      rows.push_back(RunRowInChild(self, model, precision));
      labels.emplace_back(model, precision);
      std::fprintf(stderr, "[%zu/%zu] %s %s: %s in %.1f s\n", rows.size(), total, model.c_str(),
                   precision.c_str(), rows.back().ok() ? "done" : "FAILED",
                   SecondsSince(row_start));
    }
  }
  if (probe) ceilings = ProbeCeilings("after", sgemm_sizes, ceilings);

  std::printf("\n%s", TableHeader().c_str());
  bool all_ok = true;
  for (size_t i = 0; i < rows.size(); ++i) {
    all_ok = all_ok && rows[i].ok();
    const std::string line =
        rows[i].ok() ? TableRow(*rows[i], ceilings)
                     : FailedRow(labels[i].first, labels[i].second, rows[i].status().ToString());
    std::printf("%s", line.c_str());
  }
  std::printf("\n%s", TableNotes().c_str());
  std::printf("load average after: %s; total wall time: %.1f s\n", LoadAverage().c_str(),
              SecondsSince(start));
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace weft::engine::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "weft-engine-bench [--models=a,b] [--precision=float32,int8] [--batch=N] "
      "[--prompt_len=N] [--decode_steps=N] [--threads=N]");
  absl::ParseCommandLine(argc, argv);
  weft::engine::bench::SetBlasThreads(absl::GetFlag(FLAGS_threads));
  const std::string single = absl::GetFlag(FLAGS_internal_single);
  if (!single.empty()) return weft::engine::bench::ChildMain(single);
  return weft::engine::bench::ParentMain();
}
