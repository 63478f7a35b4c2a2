// Fuzz target: arbitrary bytes as a tokenizer.json. Loading may fail but must
// not crash, hang or leak; whatever loads must encode (with and without
// special tokens) and decode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "common/tokenizer/tokenizer.h"
#include "common/tokenizer/tokenizer_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  const auto tokenizer = weft::tokenizer::LoadTokenizerFromJson(json);
  if (!tokenizer.ok()) return 0;
  for (const absl::string_view text :
       {absl::string_view("Hello world's 123 !!\n\n  x"), absl::string_view("<s>\xC3\xA9t\xC3\xA9"),
        absl::string_view("")}) {
    const auto ids = (*tokenizer)->Encode(text);
    if (!ids.ok()) std::abort();  // Valid UTF-8 always encodes.
    if (!(*tokenizer)->Decode(*ids).ok()) std::abort();
    // The post-processor only adds ids, all of them in the vocabulary.
    const auto with_special = (*tokenizer)->Encode(text, /*add_special_tokens=*/true);
    if (!with_special.ok() || with_special->size() < ids->size()) std::abort();
    if (!(*tokenizer)->Decode(*with_special).ok()) std::abort();
  }
  return 0;
}
