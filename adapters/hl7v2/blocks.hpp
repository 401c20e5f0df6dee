// blocks_clean: the sixteen-bytes-at-a-time scan shared by the parser's plain-text check and
// the JSON writer's escape check.
#pragma once

#include <cstddef>

namespace gw::adapters::hl7v2::detail {

/**
 * blocks_clean: for n >= 16, whether `dirty(at)` is false for every sixteen-byte block of
 * [p, p + n), the last block overlapping the one before so nothing outside is read.
 */
template <class Dirty>
bool blocks_clean(const char* p, std::size_t n, Dirty dirty) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (dirty(p + i)) {
      return false;
    }
  }
  return i == n || !dirty(p + n - 16);
}

}  // namespace gw::adapters::hl7v2::detail
