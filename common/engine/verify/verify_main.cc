// weft-verify: checks the engine against a model directory's reference.json
// (reference outputs of Hugging Face transformers, see reference_file.h).
// Every prompt runs through the CPU engine; one line per prompt gives the
// relative error of the last-position logits and how many greedy tokens agree
// up to the first near-tie, then a summary line.
//
//   weft-verify --model=DIR [--precision=float32|int8] [--max_rel_err=X] [--near_tie=X]
//
// Exit status: 0 every prompt passes, 1 verification failed, 2 usage or load
// error (bad flags, a missing directory, a malformed reference.json or
// checkpoint, a forward step the engine cannot run; the error goes to
// stderr; --help also exits with 2).
//
// With --precision=int8 the relative error and the greedy agreement are
// reported, and each is enforced only when its threshold (--max_rel_err,
// --near_tie) is given: W8A8 moves logits by percents, more where a
// quantization-sized change flips an MoE expert choice, so no default limit
// would separate a correct INT8 path from a broken one. A text prompt that
// does not re-encode fails with either precision.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/checkpoint/model_config.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/model/linear_weight.h"
#include "common/engine/model/model_loader.h"
#include "common/engine/verify/reference_check.h"
#include "common/engine/verify/reference_file.h"
#include "common/tokenizer/tokenizer.h"
#include "common/tokenizer/tokenizer_loader.h"

ABSL_FLAG(std::string, model, "",
          "Model directory (required): config.json, model.safetensors and reference.json; "
          "with a tokenizer.json, `text` prompts must also re-encode to their input_ids");
ABSL_FLAG(std::string, precision, "float32",
          "Weight precision of the engine: float32, or int8 (W8A8 attention projections, MLPs "
          "and experts)");
ABSL_FLAG(std::optional<double>, max_rel_err, std::nullopt,
          "Largest relative L2 error ||logits - ref|| / ||ref|| of the last-position logits a "
          "prompt may have. Default: 1e-4 with float32; with int8 the error is reported and "
          "enforced only if this flag is given (INT8 moves logits by percents, more where a "
          "quantization-sized change flips an expert choice)");
ABSL_FLAG(std::optional<double>, near_tie, std::nullopt,
          "Reference greedy margin (top-1 minus top-2 logit) below which a step is a near-tie: "
          "greedy tokens are compared up to the first one, and one that differs before it fails "
          "the prompt. Default: 1e-3. With int8, greedy agreement is reported and enforced only "
          "if this flag is given");
ABSL_FLAG(int32_t, block_size, 16, "Tokens per block of the paged KV cache (1 to 1024)");
ABSL_FLAG(bool, mla_expanded_prefill, false,
          "MLA models: run prompts in the expanded (non-absorbed) form; decode stays absorbed");

namespace weft::engine {
namespace {

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;
constexpr int32_t kMaxBlockSize = 1024;

// Reports an error that keeps verification from running; returns the exit
// status for it.
int ErrorExit(const std::string& message) {
  std::cerr << "weft-verify: " << message << "\n";
  return kExitUsage;
}

// absl::ParseCommandLine exits with status 1 after a flag it cannot parse
// (and after --help). weft-verify reserves 1 for "verification failed", so an
// exit while parsing becomes exit 2.
bool parsing_flags = false;

void ExitWhileParsingIsUsage() {
  if (!parsing_flags) return;
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(kExitUsage);
}

absl::Status CheckThreshold(const char* name, const std::optional<double>& value) {
  if (value.has_value() && !(std::isfinite(*value) && *value >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=", *value, ": must be a finite number >= 0"));
  }
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "weft-verify --model=DIR [--precision=float32|int8] [--max_rel_err=X] [--near_tie=X]\n"
      "Runs every prompt of DIR/reference.json through the engine and compares with the "
      "reference outputs. Exit status: 0 pass, 1 verification failed, 2 usage or load error.");
  // --help lists this file's flags (absl looks for a file named after the
  // program by default).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "verify_main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  parsing_flags = true;
  std::atexit(ExitWhileParsingIsUsage);
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  parsing_flags = false;
  if (positional.size() > 1) {
    return ErrorExit(absl::StrCat("unexpected argument \"", positional[1], "\""));
  }

  const std::string dir = absl::GetFlag(FLAGS_model);
  if (dir.empty()) return ErrorExit("--model=DIR is required");
  const std::string precision = absl::GetFlag(FLAGS_precision);
  ModelOptions model_options;
  model_options.mla_expanded_prefill = absl::GetFlag(FLAGS_mla_expanded_prefill);
  if (precision == "int8") {
    model_options.precision = WeightPrecision::kInt8;
  } else if (precision != "float32") {
    return ErrorExit(absl::StrCat("--precision=", precision, ": expected float32 or int8"));
  }
  const bool int8 = model_options.precision == WeightPrecision::kInt8;
  const std::optional<double> max_rel_err = absl::GetFlag(FLAGS_max_rel_err);
  const std::optional<double> near_tie = absl::GetFlag(FLAGS_near_tie);
  for (const absl::Status& s :
       {CheckThreshold("max_rel_err", max_rel_err), CheckThreshold("near_tie", near_tie)}) {
    if (!s.ok()) return ErrorExit(std::string(s.message()));
  }
  CheckOptions options;
  options.max_rel_err = max_rel_err.value_or(1e-4);
  options.enforce_rel_err = !int8 || max_rel_err.has_value();
  options.near_tie = near_tie.value_or(1e-3);
  options.enforce_greedy = !int8 || near_tie.has_value();
  options.block_size = absl::GetFlag(FLAGS_block_size);
  if (options.block_size < 1 || options.block_size > kMaxBlockSize) {
    return ErrorExit(
        absl::StrCat("--block_size=", options.block_size, ": expected 1 to ", kMaxBlockSize));
  }

  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return ErrorExit(absl::StrCat("--model=", dir, ": not a directory"));
  }
  const absl::StatusOr<Reference> reference = LoadReference(dir + "/reference.json");
  if (!reference.ok()) return ErrorExit(std::string(reference.status().message()));
  const absl::StatusOr<std::unique_ptr<CausalLm>> model = LoadCpuModel(dir, model_options);
  if (!model.ok()) return ErrorExit(std::string(model.status().message()));
  const absl::Status fits =
      CheckReferenceFitsModel(*reference, (*model)->config(), dir + "/reference.json");
  if (!fits.ok()) return ErrorExit(std::string(fits.message()));
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  const std::string tokenizer_path = dir + "/tokenizer.json";
  if (std::filesystem::exists(tokenizer_path, error)) {
    absl::StatusOr<std::unique_ptr<tokenizer::Tokenizer>> loaded =
        tokenizer::LoadTokenizerFromFile(tokenizer_path);
    if (!loaded.ok()) return ErrorExit(std::string(loaded.status().message()));
    tokenizer = *std::move(loaded);
  }

  std::string name = reference->model;
  if (name.empty()) name = std::filesystem::path(dir).filename().string();
  if (name.empty()) name = dir;
  const std::string label = absl::StrCat(name, " ", precision);
  std::cout << "weft-verify: " << name << " ("
            << checkpoint::ArchitectureName((*model)->config().architecture) << "), "
            << reference->prompts.size() << " prompts, " << precision
            << (tokenizer == nullptr ? ", no tokenizer.json" : "") << "\n";
  std::vector<PromptReport> reports;
  for (size_t i = 0; i < reference->prompts.size(); ++i) {
    absl::StatusOr<PromptReport> report = CheckPrompt(
        **model, reference->prompts[i], static_cast<int32_t>(i), tokenizer.get(), options);
    if (!report.ok()) {
      std::cout.flush();
      return ErrorExit(absl::StrCat("prompt ", i, ": ", report.status().message()));
    }
    std::cout << FormatPromptReport(*report, options) << std::endl;
    reports.push_back(*std::move(report));
  }
  const CheckSummary summary = Summarize(reports);
  std::cout << FormatSummary(summary, options, label) << std::endl;
  return summary.all_passed() ? kExitPass : kExitFail;
}

}  // namespace
}  // namespace weft::engine

int main(int argc, char** argv) { return weft::engine::Run(argc, argv); }
