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

}  // namespace

void ResourceWriter::grow(std::size_t n) {
  std::size_t cap = cap_ * 2;
  while (cap - len_ < n) {
    cap *= 2;
  }
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  std::memcpy(bigger.get(), buf_.get(), len_);
  buf_ = std::move(bigger);
  cap_ = cap;
}

/** copy_long: copy() eight bytes at a time while none needs an escape (the room ensured by
 *  bound() covers whole words). */
char* ResourceWriter::copy_long(char* out, std::string_view s) {
  const char* in = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
  for (;;) {
    while (i + 8 <= n) {
      std::uint64_t w = 0;
      std::memcpy(&w, in + i, 8);
      if (needs_escape_in(w)) {
        break;
      }
      std::memcpy(out, &w, 8);
      out += 8;
      i += 8;
    }
    while (i < n && !kEscapes[static_cast<unsigned char>(in[i])]) {
      *out++ = in[i++];
    }
    if (i == n) {
      return out;
    }
    out = escape(out, static_cast<unsigned char>(in[i++]));
  }
}

/** escape: the escape of `c` at `out`, as RapidJSON writes it; the end. */
char* ResourceWriter::escape(char* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  *out++ = '\\';
  switch (c) {
    case '"':
    case '\\':
      *out++ = static_cast<char>(c);
      break;
    case '\b':
      *out++ = 'b';
      break;
    case '\t':
      *out++ = 't';
      break;
    case '\n':
      *out++ = 'n';
      break;
    case '\f':
      *out++ = 'f';
      break;
    case '\r':
      *out++ = 'r';
      break;
    default:
      *out++ = 'u';
      *out++ = '0';
      *out++ = '0';
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 0xF];
  }
  return out;
}

}  // namespace gw::adapters::emis::detail
