// The EMIS XML adapter's JSON writer (resource_writer.hpp): growing the buffer and escaping.
#include "adapters/emis/resource_writer.hpp"

namespace gw::adapters::emis::detail {
namespace {

/** needs_escape_in: whether any of the 8 bytes of w is below 0x20, '"' or '\\' (the exact
 *  "has less" and "has zero" byte tests of Hacker's Delight / Bit Twiddling Hacks). */
bool needs_escape_in(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
          ((backslash - kOnes) & ~backslash)) &
         kHighs;
}
bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

}  // namespace

void ResourceWriter::grow(std::size_t n) {
  std::size_t cap = cap_ * 2;
  while (cap - len_ < n) {
    cap *= 2;
  }
  auto bigger = std::make_unique<char[]>(cap);
  std::memcpy(bigger.get(), buf_.get(), len_);
  buf_ = std::move(bigger);
  cap_ = cap;
}

/** escaped: `s` as JSON string content, escaped as RapidJSON's writer escapes it. */
void ResourceWriter::escaped(std::string_view s) {
  std::size_t i = 0;
  for (;;) {
    const std::size_t start = i;
    while (i + 8 <= s.size()) {
      std::uint64_t w = 0;
      std::memcpy(&w, s.data() + i, 8);
      if (needs_escape_in(w)) {
        break;
      }
      i += 8;
    }
    while (i < s.size() && !needs_escape(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
    raw(s.substr(start, i - start));
    if (i == s.size()) {
      return;
    }
    escape(static_cast<unsigned char>(s[i++]));
  }
}
void ResourceWriter::escape(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  put('\\');
  switch (c) {
    case '"':
    case '\\':
      put(static_cast<char>(c));
      break;
    case '\b':
      put('b');
      break;
    case '\t':
      put('t');
      break;
    case '\n':
      put('n');
      break;
    case '\f':
      put('f');
      break;
    case '\r':
      put('r');
      break;
    default:
      raw("u00");
      put(kHex[c >> 4]);
      put(kHex[c & 0xF]);
  }
}

}  // namespace gw::adapters::emis::detail
