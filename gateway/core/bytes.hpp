// Byte compares for the code that walks documents name by name (JSON members, XML elements):
// short ones written out inline, without a call to memcmp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace gw {

/** same_ends: whether the first and the last sizeof(Word) of the n bytes at a and b (n at least
 *  that, at most twice that) are equal, which is all of them. */
template <class Word>
[[nodiscard]] inline bool same_ends(const char* a, const char* b, std::size_t n) {
  Word a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  std::memcpy(&a0, a, sizeof(Word));
  std::memcpy(&b0, b, sizeof(Word));
  std::memcpy(&a1, a + n - sizeof(Word), sizeof(Word));
  std::memcpy(&b1, b + n - sizeof(Word), sizeof(Word));
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/**
 * same_bytes: whether the `n` bytes at `a` and at `b` are equal. Up to 16 bytes (member names,
 * codes, most values) without a call: two loads from each side that overlap when n is not a
 * power of two, never a byte outside either; memcmp beyond. These compares are much of a
 * document walk's time, and a call to memcmp costs more than the compare for a short name.
 */
[[nodiscard]] inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n > 16) {
    return std::memcmp(a, b, n) == 0;
  }
  if (n >= 8) {
    return same_ends<std::uint64_t>(a, b, n);
  }
  if (n >= 4) {
    return same_ends<std::uint32_t>(a, b, n);
  }
  // 0 to 3 bytes: the first, the middle and the last byte are all of them.
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/** same_text: `a == b`, with same_bytes. */
[[nodiscard]] inline bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size());
}

}  // namespace gw
