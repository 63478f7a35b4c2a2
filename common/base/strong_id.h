// StrongId<Tag, T>: an integer id that does not mix with other ids or with
// plain integers (a BlockId cannot be passed where a SequenceId is expected).
//
//   struct BlockIdTag {};
//   using BlockId = StrongId<BlockIdTag, int32_t>;
#ifndef WEFT_COMMON_BASE_STRONG_ID_H_
#define WEFT_COMMON_BASE_STRONG_ID_H_

#include <compare>
#include <cstdint>
#include <ostream>
#include <utility>

namespace weft {

template <typename Tag, typename T = int64_t>
class StrongId {
 public:
  using ValueType = T;

  constexpr StrongId() = default;
  constexpr explicit StrongId(T value) : value_(value) {}

  constexpr T value() const { return value_; }

  friend constexpr auto operator<=>(const StrongId&, const StrongId&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const StrongId& id) {
    return H::combine(std::move(h), id.value_);
  }

  friend std::ostream& operator<<(std::ostream& os, const StrongId& id) { return os << id.value_; }

 private:
  T value_ = 0;
};

}  // namespace weft

#endif  // WEFT_COMMON_BASE_STRONG_ID_H_
