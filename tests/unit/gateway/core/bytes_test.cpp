// Unit tests for gateway/core/bytes.hpp: the byte compares every document walk makes (JSON
// member names in the converter, the UK Core checks and the adapters; XML element names in the
// EMIS extract reader).
#include "gateway/core/bytes.hpp"

#include <cstring>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace gw {
namespace {

TEST(SameBytes, EqualTextsOfEveryLengthAreEqual) {
  const std::string text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string a = text.substr(0, n);
    const std::string b = a;  // NOLINT(performance-unnecessary-copy-initialization): another buffer
    EXPECT_TRUE(same_bytes(a.data(), b.data(), n)) << n;
    EXPECT_TRUE(same_text(a, b)) << n;
  }
}

TEST(SameBytes, ADifferenceAtAnyPositionOfAnyLengthIsSeen) {
  // Each length's loads cover every byte (the overlapping head and tail words, the first,
  // middle and last of up to three): one byte changed anywhere must be found.
  const std::string text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
  for (std::size_t n = 1; n <= 40; ++n) {
    const std::string a = text.substr(0, n);
    for (std::size_t at = 0; at < n; ++at) {
      for (const int flip : {1, 0x20, 0x80}) {
        std::string b = a;
        b[at] = static_cast<char>(b[at] ^ flip);
        EXPECT_FALSE(same_bytes(a.data(), b.data(), n)) << "length " << n << " at " << at;
        EXPECT_FALSE(same_text(a, b)) << "length " << n << " at " << at;
      }
    }
  }
}

TEST(SameBytes, TextsOfDifferentLengthsDiffer) {
  EXPECT_FALSE(same_text("code", "codes"));
  EXPECT_FALSE(same_text("", "a"));
  EXPECT_TRUE(same_text("", ""));
}

TEST(SameBytes, NeverReadsOutsideEitherSide) {
  // Each side is exactly n bytes at the end of its own allocation: a read past it would be
  // outside the block (ASan, in the sanitizer build, stops the test at such a read).
  for (std::size_t n = 0; n <= 20; ++n) {
    auto a = std::make_unique<char[]>(n);
    auto b = std::make_unique<char[]>(n);
    std::memset(a.get(), 'x', n);
    std::memset(b.get(), 'x', n);
    EXPECT_TRUE(same_bytes(a.get(), b.get(), n)) << n;
  }
}

}  // namespace
}  // namespace gw
