#include "common/engine/kv/block_hash.h"

#include <openssl/evp.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "common/logging/log.h"

namespace weft::engine {
namespace {

constexpr char kRootDomain[] = "weft.kv.root.v1";
constexpr char kBlockDomain[] = "weft.kv.block.v1";

void AppendU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void AppendString(std::string* out, absl::string_view s) {
  AppendU64(out, s.size());
  out->append(s.data(), s.size());
}

BlockHash Sha256Truncated(const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  WEFT_CHECK(EVP_Digest(message.data(), message.size(), digest, &length, EVP_sha256(), nullptr) ==
                 1 &&
             length >= 16)
      << "SHA-256 failed";
  BlockHash hash;
  std::memcpy(hash.bytes.data(), digest, hash.bytes.size());
  return hash;
}

}  // namespace

std::string BlockHash::ToHex() const {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

BlockHash RootBlockHash(absl::string_view model, absl::string_view tenant_salt) {
  std::string message;
  AppendString(&message, kRootDomain);
  AppendString(&message, model);
  AppendString(&message, tenant_salt);
  return Sha256Truncated(message);
}

BlockHash ChainBlockHash(const BlockHash& parent, absl::Span<const int32_t> tokens) {
  std::string message;
  message.reserve(64 + 4 * tokens.size());
  AppendString(&message, kBlockDomain);
  message.append(reinterpret_cast<const char*>(parent.bytes.data()), parent.bytes.size());
  AppendU64(&message, tokens.size());
  for (int32_t t : tokens) {
    const uint32_t u = static_cast<uint32_t>(t);
    for (int i = 0; i < 4; ++i) message.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  return Sha256Truncated(message);
}

std::vector<BlockHash> HashFullBlocks(const BlockHash& root, absl::Span<const int32_t> tokens,
                                      int32_t block_size) {
  WEFT_CHECK(block_size > 0);
  std::vector<BlockHash> hashes;
  BlockHash parent = root;
  for (size_t begin = 0; begin + block_size <= tokens.size(); begin += block_size) {
    parent = ChainBlockHash(parent, tokens.subspan(begin, block_size));
    hashes.push_back(parent);
  }
  return hashes;
}

}  // namespace weft::engine
