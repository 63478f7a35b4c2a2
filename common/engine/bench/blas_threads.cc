#include "common/engine/bench/blas_threads.h"

#include <cblas.h>

#include "absl/strings/str_cat.h"

namespace weft::engine::bench {

void SetBlasThreads(int threads) {
  if (threads > 0) openblas_set_num_threads(threads);
}

int BlasThreads() { return openblas_get_num_threads(); }

std::string BlasDescription() {
  const char* core = openblas_get_corename();
  const char* config = openblas_get_config();
  return absl::StrCat(core != nullptr ? core : "?", " (", config != nullptr ? config : "?", ")");
}

}  // namespace weft::engine::bench
