// Rotary position embeddings on the CPU, with the frequency schedules of
// Hugging Face's rope types ("default", "linear", "llama3", "yarn").
//
// Numerics follow transformers: inverse frequencies and angles in float32,
// cos/sin scaled by the type's attention factor (YaRN's mscale).
#ifndef WEFT_KERNELS_CPU_ROPE_H_
#define WEFT_KERNELS_CPU_ROPE_H_

#include <cstdint>
#include <vector>

namespace weft::kernels::cpu {

enum class RopeType { kDefault, kLinear, kLlama3, kYarn };

// How rotated pairs are laid out in a head.
enum class RopeLayout {
  // Pairs (i, i + d/2): Llama, Qwen ("rotate_half").
  kNeox,
  // Pairs (2i, 2i + 1): DeepSeek-V3 with rope_interleave. As in transformers,
  // the output is written de-interleaved (even elements first, then odd);
  // queries and keys get the same permutation, so their dot products are
  // those of interleaved RoPE.
  kInterleaved,
};

struct RopeParams {
  int32_t rotary_dim = 0;  // even, > 0: the rotated part of a head
  double theta = 10000.0;
  RopeType type = RopeType::kDefault;
  double factor = 1.0;                           // linear, llama3, yarn
  double low_freq_factor = 1.0;                  // llama3
  double high_freq_factor = 4.0;                 // llama3
  int64_t original_max_position_embeddings = 0;  // llama3, yarn
  double beta_fast = 32.0;                       // yarn
  double beta_slow = 1.0;                        // yarn
  double mscale = 0.0;                           // yarn; 0 = unset
  double mscale_all_dim = 0.0;                   // yarn; 0 = unset
  double attention_factor = 0.0;                 // yarn; 0 = derive from mscale
  bool truncate = true;                          // yarn
};

class RopeTable {
 public:
  // Precondition: params.rotary_dim is even and positive (the model config
  // validation guarantees it).
  explicit RopeTable(const RopeParams& params);

  const std::vector<float>& inv_freq() const { return inv_freq_; }
  float attention_scaling() const { return attention_scaling_; }
  int32_t rotary_dim() const { return rotary_dim_; }

  // Rotates x in place: `tokens` rows, each `heads` heads of `head_stride`
  // floats, rotating `rotary_dim` elements starting at `offset` in each head,
  // with token t at position positions[t].
  void Apply(float* x, const int32_t* positions, int64_t tokens, int64_t heads, int64_t head_stride,
             int64_t offset, RopeLayout layout) const;

 private:
  int32_t rotary_dim_;
  std::vector<float> inv_freq_;  // rotary_dim / 2
  float attention_scaling_ = 1.0f;
};

// YaRN's magnitude scale: 1 for scale <= 1, else 0.1 * mscale * ln(scale) + 1.
double YarnMscale(double scale, double mscale);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_ROPE_H_
