// Fuzz target: arbitrary bytes as a safetensors file image. The header parser
// may reject them; it must never crash, hang, leak or read out of bounds, and
// whatever it accepts must describe tensors inside the buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "common/checkpoint/dtype.h"
#include "common/checkpoint/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace weft::checkpoint;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto file = SafetensorsFile::FromBuffer(std::string(bytes), "fuzz");
  if (!file.ok()) return 0;
  float sink = 0;
  for (const TensorView& t : (*file)->tensors()) {
    if (t.size_bytes != static_cast<size_t>(t.num_elements()) * DTypeSize(t.dtype)) abort();
    // Touch the first and last byte of every tensor.
    if (t.size_bytes > 0) sink += t.data[0] + t.data[t.size_bytes - 1];
    if ((*file)->Find(t.name) != &t) abort();
  }
  (void)sink;
  return 0;
}
