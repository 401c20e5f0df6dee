// HL7 v2 parsing: one pass over the text records segment ids and field boundaries; everything
// finer (repetitions, components, sub-components, escapes) is found when asked.
#include "adapters/hl7v2/message.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "adapters/hl7v2/blocks.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gw::adapters::hl7v2 {
namespace {

Error parse_error(std::string_view where, std::string_view what) {
  return make_error(Errc::kBadRequest, std::string(where) + std::string(": ") + std::string(what));
}

bool is_upper_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/** trim_frame: drops an MLLP frame (VT ... FS CR) and surrounding whitespace. */
std::string_view trim_frame(std::string_view t) {
  while (!t.empty() && (t.front() == '\x0b' || t.front() == '\r' || t.front() == '\n' ||
                        t.front() == ' ' || t.front() == '\t')) {
    t.remove_prefix(1);
  }
  while (!t.empty() && (t.back() == '\x1c' || t.back() == '\r' || t.back() == '\n' ||
                        t.back() == ' ' || t.back() == '\t' || t.back() == '\0')) {
    t.remove_suffix(1);
  }
  return t;
}

/** valid_utf8: whether `s` is well-formed UTF-8 (Unicode 15, table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF), as JSON parsers that validate the encoding require. */
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned char lo = 0x80;  // the range of the byte after the lead byte
    unsigned char hi = 0xBF;
    if (c < 0x80) {
      n = 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      lo = c == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
      hi = c == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a UTF-16 surrogate
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      lo = c == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
      hi = c == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would be past U+10FFFF
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) {
        return false;
      }
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) {
        return false;
      }
    }
    i += n + 1;
  }
  return true;
}

/** latin1_to_utf8: bytes that are not UTF-8 are read as ISO 8859-1 (HL7 table 0211 "8859/1"). */
std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

/** not_plain: whether any byte of the word `w` (4 or 8 bytes) is below 0x20, from 0x80, or the
 * escape character (the "has a byte less than n / equal to c" bit tricks, exact as a whole). */
template <class T>
bool not_plain(T w, unsigned char esc) {
  constexpr T kOnes = static_cast<T>(0x0101010101010101ULL);
  constexpr T kHigh = static_cast<T>(0x8080808080808080ULL);
  const T e = w ^ static_cast<T>(kOnes * esc);
  return ((((w - kOnes * 0x20) & ~w) | w | ((e - kOnes) & ~e)) & kHigh) != 0;
}

/** plain_ascii: whether `r` is printable ASCII without the escape character: no byte below
 * 0x20, none from 0x80, none equal to `esc`. Four or eight bytes at a time, the last word
 * overlapping the one before (so nothing outside `r` is read); fewer than four one by one. */
bool plain_ascii(std::string_view r, char esc) {
  const auto e = static_cast<unsigned char>(esc);
  const char* const p = r.data();
  const std::size_t n = r.size();
#if defined(__SSE2__)
  if (n >= 16) {
    const auto not_plain16 = [esc](const char* at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      // A signed compare: bytes from 0x80 are negative, so "< 0x20" also finds them.
      const __m128i outside = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
      const __m128i escape = _mm_cmpeq_epi8(v, _mm_set1_epi8(esc));
      return _mm_movemask_epi8(_mm_or_si128(outside, escape)) != 0;
    };
    return detail::blocks_clean(p, n, not_plain16);
  }
#endif
  if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(p[i]);
      if (c == e || c < 0x20 || c >= 0x80) {
        return false;
      }
    }
    return true;
  }
  if (n < 8) {
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return !not_plain(a, e) && !not_plain(b, e);
  }
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, 8);
    if (not_plain(w, e)) {
      return false;
    }
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p + n - 8, 8);
  return i == n || !not_plain(w, e);
}

/**
 * StopScanner: yields the parser's stop bytes (the field separator, CR, LF) in order, from a
 * bit mask per sixteen-byte block (SSE2 compares where the compiler targets it, as on every
 * x86-64; a byte loop otherwise), so each stop costs a count of trailing zeros rather than a
 * test per byte. Reads only inside the text.
 */
class StopScanner {
public:
  StopScanner(std::string_view text, char field)
      : begin_(text.data()),
        end_(text.data() + text.size()),
        block_(text.data()),
        unread_(text.data()),
        field_(field) {}

  /** next: the first stop byte at or after `p`, or the end. Calls must not go backwards: `p` is
   * never before a stop already returned. */
  const char* next(const char* p) {
    for (;;) {
      while (mask_ != 0) {
        const char* q = block_ + std::countr_zero(mask_);
        mask_ &= mask_ - 1;
        if (q >= p) {
          return q;
        }
      }
      const char* b = std::max(unread_, p);
      if (b >= end_) {
        return end_;
      }
      load(b);
    }
  }

private:
  static constexpr std::ptrdiff_t kBlock = 16;

  /** load: the stops of the block starting at `b` (fewer bytes at the end of the text). */
  void load(const char* b) {
    block_ = b;
    unread_ = b + kBlock;
    if (end_ - b >= kBlock) {
      mask_ = stops_in(b);
    } else if (end_ - begin_ >= kBlock) {
      // The last block: the sixteen bytes that end the text, without those before b.
      mask_ = stops_in(end_ - kBlock) >> static_cast<unsigned>(b - (end_ - kBlock));
    } else {
      mask_ = 0;
      for (std::ptrdiff_t i = 0; i < end_ - b; ++i) {
        mask_ |= is_stop(b[i]) ? 1U << static_cast<unsigned>(i) : 0U;
      }
    }
  }
  [[nodiscard]] bool is_stop(char c) const { return c == field_ || c == '\r' || c == '\n'; }
  /** stops_in: a bit per stop byte among the sixteen bytes at `b`. */
  [[nodiscard]] unsigned stops_in(const char* b) const {
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(field_)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    return static_cast<unsigned>(_mm_movemask_epi8(hit));
#else
    unsigned m = 0;
    for (unsigned i = 0; i < kBlock; ++i) {
      m |= is_stop(b[i]) ? 1U << i : 0U;
    }
    return m;
#endif
  }

  const char* begin_;
  const char* end_;
  const char* block_;   // the block mask_ describes
  const char* unread_;  // where the next block starts (the bytes before it have been read)
  unsigned mask_ = 0;   // its stops not yet returned
  char field_;
};

/** strip_control: control characters other than line breaks and tabs have no place in text. */
void strip_control(std::string& s) {
  std::erase_if(
      s, [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t'; });
}

bool two_digits(std::string_view s, std::size_t at, int& out) {
  if (at + 2 > s.size()) {
    return false;
  }
  const auto r = std::from_chars(s.data() + at, s.data() + at + 2, out);
  return r.ec == std::errc{} && r.ptr == s.data() + at + 2;
}

int days_in_month(int y, int m) {
  constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

/** weekday: 0 = Sunday (Sakamoto's method). */
int weekday(int y, int m, int d) {
  constexpr std::array<int, 12> kT{0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (m < 3) {
    y -= 1;
  }
  return (y + y / 4 - y / 100 + y / 400 + kT[static_cast<std::size_t>(m - 1)] + d) % 7;
}

int last_sunday(int y, int m) {
  const int last = days_in_month(y, m);
  return last - weekday(y, m, last);
}

/** uk_is_bst: whether a UK local wall-clock time falls in British Summer Time. Clocks go forward
 * at 01:00 GMT on the last Sunday of March and back at 01:00 GMT (02:00 BST) on the last Sunday
 * of October (The Summer Time Order 2002). An ambiguous hour in October is read as BST. */
bool uk_is_bst(int y, int m, int d, int h) {
  if (m < 3 || m > 10) {
    return false;
  }
  if (m > 3 && m < 10) {
    return true;
  }
  const int change = last_sunday(y, m);
  if (m == 3) {
    return d > change || (d == change && h >= 1);
  }
  return d < change || (d == change && h < 2);
}

}  // namespace

std::string Location::str() const {
  std::string out = segment;
  const auto put = [&out](char before, int v, const char* after) {
    out.push_back(before);
    out.append(std::to_string(v));
    out.append(after);
  };
  if (occurrence > 1) {
    put('[', occurrence, "]");
  }
  if (field > 0) {
    put('-', field, "");
    if (repetition > 1) {
      put('(', repetition, ")");
    }
    if (component > 0) {
      put('.', component, "");
      if (subcomponent > 0) {
        put('.', subcomponent, "");
      }
    }
  }
  return out;
}

bool Location::parse(std::string_view t, Location& out) {
  Location l;
  std::size_t i = 0;
  while (i < t.size() && is_upper_alnum(t[i])) {
    ++i;
  }
  if (i != 3) {
    return false;
  }
  l.segment = std::string(t.substr(0, 3));
  auto number = [&](int& v) {
    const auto r = std::from_chars(t.data() + i, t.data() + t.size(), v);
    if (r.ec != std::errc{} || v < 1 || v > 9999) {
      return false;
    }
    i = static_cast<std::size_t>(r.ptr - t.data());
    return true;
  };
  if (i < t.size() && t[i] == '[') {
    ++i;
    if (!number(l.occurrence) || i >= t.size() || t[i] != ']') {
      return false;
    }
    ++i;
  }
  if (i < t.size() && t[i] == '-') {
    ++i;
    if (!number(l.field)) {
      return false;
    }
    if (i < t.size() && t[i] == '(') {
      ++i;
      if (!number(l.repetition) || i >= t.size() || t[i] != ')') {
        return false;
      }
      ++i;
    }
    if (i + 1 < t.size() && t[i] == '.' && t[i + 1] >= '0' && t[i + 1] <= '9') {
      ++i;
      if (!number(l.component)) {
        return false;
      }
      if (i + 1 < t.size() && t[i] == '.' && t[i + 1] >= '0' && t[i + 1] <= '9') {
        ++i;
        if (!number(l.subcomponent)) {
          return false;
        }
      }
    }
  }
  if (i != t.size()) {
    return false;
  }
  out = std::move(l);
  return true;
}

std::string escape(std::string_view text, const Delimiters& d) {
  std::string out;
  out.reserve(text.size());
  const auto seq = [&](std::string_view code) {
    out.push_back(d.escape);
    out.append(code);
    out.push_back(d.escape);
  };
  for (char ch : text) {
    if (ch == d.escape) {
      seq("E");
    } else if (ch == d.field) {
      seq("F");
    } else if (ch == d.component) {
      seq("S");
    } else if (ch == d.subcomponent) {
      seq("T");
    } else if (ch == d.repetition) {
      seq("R");
    } else if (ch == '\n') {
      seq(".br");
    } else if (static_cast<unsigned char>(ch) >= 0x20) {
      out.push_back(ch);
    }
  }
  return out;
}

std::string_view split(std::string_view text, char sep, int n) {
  // A plain loop: HL7 values are short, and a memchr call per piece costs more than the scan.
  if (n < 1) {
    return {};
  }
  const char* p = text.data();
  const char* const end = p + text.size();
  for (int k = 1; k < n; ++k) {
    while (p != end && *p != sep) {
      ++p;
    }
    if (p == end) {
      return {};
    }
    ++p;
  }
  const char* q = p;
  while (q != end && *q != sep) {
    ++q;
  }
  return {p, static_cast<std::size_t>(q - p)};
}

Result<Message> Message::parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return parse_error("MSH", "message larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  text = trim_frame(text);
  if (text.size() < 8 || text.substr(0, 3) != "MSH") {
    return parse_error("MSH", "the message does not start with an MSH segment");
  }
  Message m;
  m.delims_.field = text[3];
  const auto enc_end = text.find(m.delims_.field, 4);
  const std::string_view enc =
      text.substr(4, enc_end == std::string_view::npos ? std::string_view::npos : enc_end - 4);
  if (enc.size() < 3 || enc.size() > 5) {
    return parse_error("MSH-2", "encoding characters must be 3 to 5 characters");
  }
  m.delims_.component = enc[0];
  m.delims_.repetition = enc[1];
  m.delims_.escape = enc.size() > 2 ? enc[2] : '\\';
  m.delims_.subcomponent = enc.size() > 3 ? enc[3] : '&';
  const std::array<char, 5> all{m.delims_.field, m.delims_.component, m.delims_.repetition,
                                m.delims_.escape, m.delims_.subcomponent};
  for (std::size_t a = 0; a < all.size(); ++a) {
    const auto c = static_cast<unsigned char>(all[a]);
    if (c < 0x20 || c > 0x7e || is_upper_alnum(all[a]) || (all[a] >= 'a' && all[a] <= 'z')) {
      return parse_error(a == 0 ? "MSH-1" : "MSH-2", "delimiters must be printable punctuation");
    }
    for (std::size_t b = a + 1; b < all.size(); ++b) {
      if (all[a] == all[b]) {
        return parse_error("MSH-2", "delimiters must all differ");
      }
    }
  }
  m.end_ = text.data() + text.size();
  m.segments_.reserve(16);
  m.fields_.reserve(256);
  StopScanner stops(text, m.delims_.field);
  const char* const base = text.data();
  const char* const end = base + text.size();
  const char* p = base;
  while (p < end) {
    const char* const line = p;
    if (*p == '\r' || *p == '\n') {
      ++p;  // CRLF, LFCR and blank lines between segments
      continue;
    }
    if (*p == ' ' || *p == '\t') {
      const char* q = p;
      while (q < end && *q != '\r' && *q != '\n') {
        ++q;
      }
      const std::string_view ws(p, static_cast<std::size_t>(q - p));
      if (ws.find_first_not_of(" \t") == std::string_view::npos) {
        p = q;
        continue;
      }
    }
    if (m.segments_.size() >= limits.max_segments) {
      return parse_error("MSH", "more than " + std::to_string(limits.max_segments) + " segments");
    }
    const auto where = [&m] { return "segment " + std::to_string(m.segments_.size() + 1); };
    // The id: three characters, then the field separator or the end of the line.
    std::size_t idn = 0;
    while (idn < 4 && line + idn < end && line[idn] != '\r' && line[idn] != '\n') {
      ++idn;
    }
    if (idn < 3 || !(line[0] >= 'A' && line[0] <= 'Z') || !is_upper_alnum(line[1]) ||
        !is_upper_alnum(line[2]) || (idn > 3 && line[3] != m.delims_.field)) {
      return parse_error(where(), "not a segment (a segment starts with a three-character id)");
    }
    Segment s;
    s.id = std::string_view(line, 3);
    s.first_field = m.fields_.size();
    const bool msh = s.id == "MSH";
    if (msh != m.segments_.empty()) {
      return parse_error(msh ? where() : "MSH", msh ? "a second MSH segment (one message at a time)"
                                                    : "the message does not start with MSH");
    }
    m.fields_.push_back(s.id);
    if (msh) {
      m.fields_.push_back(std::string_view(line + 3, 1));  // MSH-1 is the field separator itself
    }
    p = line + 3;
    if (idn > 3) {
      // p is at a field separator: each one starts a field that runs to the next stop. (The
      // limit and the separator are read into locals: the stores below could alias them.)
      const std::size_t max_fields = limits.max_fields;
      const char separator = m.delims_.field;
      std::size_t fields = m.fields_.size() - s.first_field;
      for (;;) {
        const char* const f = p + 1;
        p = stops.next(f);
        if (fields >= max_fields) {
          return parse_error(std::string(s.id),
                             "more than " + std::to_string(max_fields) + " fields");
        }
        m.fields_.emplace_back(f, static_cast<std::size_t>(p - f));
        ++fields;
        if (p == end || *p != separator) {
          break;
        }
      }
    }
    s.field_count = m.fields_.size() - s.first_field;
    m.segments_.push_back(s);
  }
  return m;
}

const Segment* Message::find(std::string_view id, int occurrence) const {
  // Every segment id is three characters: compared in place, without a library call.
  if (id.size() != 3) {
    return nullptr;
  }
  int seen = 0;
  for (const auto& s : segments_) {
    if (s.id[0] == id[0] && s.id[1] == id[1] && s.id[2] == id[2] && ++seen == occurrence) {
      return &s;
    }
  }
  return nullptr;
}

int Message::count(std::string_view id) const {
  int n = 0;
  for (const auto& s : segments_) {
    n += s.id == id ? 1 : 0;
  }
  return n;
}

std::string_view Message::field(const Segment& s, int n) const {
  if (n < 0 || static_cast<std::size_t>(n) >= s.field_count) {
    return {};
  }
  return fields_[s.first_field + static_cast<std::size_t>(n)];
}

int Message::repetitions(const Segment& s, int n) const {
  const auto f = field(s, n);
  if (f.empty()) {
    return 0;
  }
  if (s.id == "MSH" && n <= 2) {
    return 1;
  }
  int reps = 1;
  for (char c : f) {
    reps += c == delims_.repetition ? 1 : 0;
  }
  return reps;
}

std::string_view Message::raw(const Segment& s, int f, int rep, int comp, int sub) const {
  const std::string_view v = field(s, f);
  if (f <= 2 && s.first_field == 0) {  // MSH (always the first segment)
    return v;                          // the separators are not split
  }
  if (rep < 1 || comp < 1 || sub < 1) {
    return {};
  }
  // One scan from the start of the field to the end of the value asked for: skip to the
  // repetition, then to the component within it, then to the sub-component within that (what
  // split() three times over would give, without scanning the field three times).
  const char rs = delims_.repetition;
  const char cs = delims_.component;
  const char ss = delims_.subcomponent;
  const char* p = v.data();
  const char* const end = p + v.size();
  for (int k = 1; k < rep; ++k) {
    while (p != end && *p != rs) {
      ++p;
    }
    if (p == end) {
      return {};
    }
    ++p;
  }
  for (int k = 1; k < comp; ++k) {
    while (p != end && *p != cs && *p != rs) {
      ++p;
    }
    if (p == end || *p == rs) {
      return {};
    }
    ++p;
  }
  for (int k = 1; k < sub; ++k) {
    while (p != end && *p != ss && *p != cs && *p != rs) {
      ++p;
    }
    if (p == end || *p != ss) {
      return {};
    }
    ++p;
  }
  const char* q = p;
  while (q != end && *q != ss && *q != cs && *q != rs) {
    ++q;
  }
  return {p, static_cast<std::size_t>(q - p)};
}

namespace {

/** SeparatorBits: for up to sixteen bytes, a bit per component, repetition and sub-component
 * separator. */
struct SeparatorBits {
  unsigned component = 0;
  unsigned repetition = 0;
  unsigned subcomponent = 0;
};

/** separator_bits: the separators among the `n` (at most 16) bytes at `p`; when `readable` (16
 * bytes from p lie inside the text) they are found with SSE2 compares where available. */
SeparatorBits separator_bits(const char* p, std::ptrdiff_t n, bool readable, const Delimiters& d) {
  SeparatorBits b;
#if defined(__SSE2__)
  if (readable) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned valid = n >= 16 ? 0xFFFFU : (1U << static_cast<unsigned>(n)) - 1U;
    const auto bits = [&v, valid](char c) {
      return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)))) & valid;
    };
    b.component = bits(d.component);
    b.repetition = bits(d.repetition);
    b.subcomponent = bits(d.subcomponent);
    return b;
  }
#else
  (void)readable;
#endif
  for (std::ptrdiff_t i = 0; i < n && i < 16; ++i) {
    const unsigned bit = 1U << static_cast<unsigned>(i);
    b.component |= p[i] == d.component ? bit : 0U;
    b.repetition |= p[i] == d.repetition ? bit : 0U;
    b.subcomponent |= p[i] == d.subcomponent ? bit : 0U;
  }
  return b;
}

}  // namespace

Components Message::components(const Segment& s, int f, int rep) const {
  Components c;
  c.subcomponent_ = delims_.subcomponent;
  const std::string_view v = field(s, f);
  if (f <= 2 && s.first_field == 0) {  // MSH-1 / MSH-2: as raw(), the field whole
    c.part_[0] = {v.data(), static_cast<std::uint32_t>(v.size())};
    c.count_ = 1;
    c.whole_ = true;
    return c;
  }
  // The repetition's start: the field's for the first, else past rep - 1 repetition separators.
  const std::string_view r = rep == 1 ? v : split(v, delims_.repetition, rep);
  if (r.empty()) {
    return c;  // not sent: every component reads as empty
  }
  // One scan, sixteen bytes at a time, to the end of the repetition: a component ends at each
  // component separator; sub-component separators are only noted (Components::raw splits).
  const char* const fend = r.data() + r.size();
  const char* part = r.data();
  const auto part_of = [](const char* from, const char* to) {
    return Components::Part{from, static_cast<std::uint32_t>(to - from)};
  };
  for (const char* p = r.data(); p < fend; p += 16) {
    SeparatorBits b = separator_bits(p, fend - p, end_ - p >= 16, delims_);
    if (b.repetition != 0) {
      const unsigned before = (b.repetition & (0U - b.repetition)) - 1U;  // bits below the first
      b.component &= before;
      b.subcomponent &= before;
    }
    c.has_sub_ = c.has_sub_ || b.subcomponent != 0;
    for (unsigned m = b.component; m != 0; m &= m - 1) {
      const char* q = p + std::countr_zero(m);
      c.part_[static_cast<std::size_t>(c.count_++)] = part_of(part, q);
      if (c.count_ == Components::kMax) {
        return c;
      }
      part = q + 1;
    }
    if (b.repetition != 0) {
      const char* q = p + std::countr_zero(b.repetition);
      if (q != r.data()) {  // an empty first repetition has no components at all
        c.part_[static_cast<std::size_t>(c.count_++)] = part_of(part, q);
      }
      return c;
    }
  }
  c.part_[static_cast<std::size_t>(c.count_++)] = part_of(part, fend);
  return c;
}

std::string_view Message::raw(std::string_view seg, int f, int rep, int comp, int sub) const {
  const Segment* s = find(seg);
  return s ? raw(*s, f, rep, comp, sub) : std::string_view{};
}

std::string Message::get(const Segment& s, int f, int rep, int comp, int sub) const {
  const auto r = raw(s, f, rep, comp, sub);
  if (is_null(r)) {
    return {};
  }
  if (s.id == "MSH" && f <= 2) {
    return std::string(r);
  }
  return decode(r);
}

std::string Message::get(std::string_view seg, int f, int rep, int comp, int sub) const {
  const Segment* s = find(seg);
  return s ? get(*s, f, rep, comp, sub) : std::string{};
}

Presence Message::presence(const Segment& s, int f, int rep, int comp, int sub) const {
  const auto r = raw(s, f, rep, comp, sub);
  if (r.empty()) {
    return Presence::kAbsent;
  }
  return is_null(r) ? Presence::kNull : Presence::kPresent;
}

Text Message::value(std::string_view raw) const {
  if (is_null(raw)) {
    return {};
  }
  if (plain_ascii(raw, delims_.escape)) {
    return Text(raw);
  }
  return Text(decode(raw));
}

std::string Message::decode(std::string_view r) const {
  // Fast path: plain ASCII text with no escapes is the common case and needs no second pass.
  if (plain_ascii(r, delims_.escape)) {
    return std::string(r);
  }
  std::string out;
  if (r.find(delims_.escape) == std::string_view::npos) {
    out.assign(r);
  } else {
    out.reserve(r.size());
    std::size_t i = 0;
    while (i < r.size()) {
      const char c = r[i];
      const auto close =
          c == delims_.escape ? r.find(delims_.escape, i + 1) : std::string_view::npos;
      if (close == std::string_view::npos) {
        out.push_back(c);  // a lone escape character is kept as sent
        ++i;
        continue;
      }
      const std::string_view seq = r.substr(i + 1, close - i - 1);
      i = close + 1;
      if (seq == "F") {
        out.push_back(delims_.field);
      } else if (seq == "S") {
        out.push_back(delims_.component);
      } else if (seq == "T") {
        out.push_back(delims_.subcomponent);
      } else if (seq == "R") {
        out.push_back(delims_.repetition);
      } else if (seq == "E") {
        out.push_back(delims_.escape);
      } else if (seq == ".br") {
        out.push_back('\n');
      } else if (!seq.empty() && seq[0] == 'X' && seq.size() % 2 == 1) {
        for (std::size_t k = 1; k + 1 < seq.size(); k += 2) {
          const int hi = hex_value(seq[k]);
          const int lo = hex_value(seq[k + 1]);
          if (hi >= 0 && lo >= 0) {
            out.push_back(static_cast<char>(hi * 16 + lo));
          }
        }
      } else {
        // Highlighting (\H\ \N\) and other formatting commands (.sp, .in, ...), character set
        // switches (\Cxxyy\, \Mxxyyzz\) and unknown sequences carry no text: dropped.
      }
    }
  }
  strip_control(out);
  if (!valid_utf8(out)) {
    out = latin1_to_utf8(out);
  }
  return out;
}

namespace {

/** Dtm: an HL7 DTM/TS as read by read_dtm. */
struct Dtm {
  std::string_view digits;  // YYYY[MM[DD[HH[MM[SS]]]]], fractions of a second dropped
  std::string_view zone;    // "+hhmm" / "-hhmm" as sent (not checked), or empty
  int y = 0;
  int mo = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int s = 0;
  bool has_m = false;
  bool has_d = false;
  bool has_h = false;
};

/** read_dtm: splits off the zone and fractions and checks the calendar; false for text that is
 * not a date/time (the zone is checked by the callers, as each needs). */
bool read_dtm(std::string_view hl7, Dtm& t) {
  hl7 = split(hl7, '^', 1);
  for (std::size_t z = 0; z < hl7.size(); ++z) {
    if (hl7[z] == '+' || hl7[z] == '-') {
      t.zone = hl7.substr(z);
      hl7 = hl7.substr(0, z);
      break;
    }
  }
  if (const auto dot = hl7.find('.'); dot != std::string_view::npos) {
    hl7 = hl7.substr(0, dot);  // fractions of a second: FHIR allows them, we keep whole seconds
  }
  if (hl7.size() < 4 || hl7.size() > 14 || hl7.size() % 2 != 0) {
    return false;
  }
  for (char ch : hl7) {
    if (ch < '0' || ch > '9') {
      return false;
    }
  }
  // Every character is a digit: read the pairs directly.
  const auto pair = [&hl7](std::size_t at) { return (hl7[at] - '0') * 10 + (hl7[at + 1] - '0'); };
  t.digits = hl7;
  t.y = pair(0) * 100 + pair(2);
  t.has_m = hl7.size() >= 6;
  t.has_d = hl7.size() >= 8;
  t.has_h = hl7.size() >= 10;
  t.mo = t.has_m ? pair(4) : 0;
  t.d = t.has_d ? pair(6) : 0;
  t.h = t.has_h ? pair(8) : 0;
  t.mi = hl7.size() >= 12 ? pair(10) : 0;
  t.s = hl7.size() >= 14 ? pair(12) : 0;
  return !(t.y < 1800 || (t.has_m && (t.mo < 1 || t.mo > 12)) ||
           (t.has_d && (t.d < 1 || t.d > days_in_month(t.y, t.mo))) || t.h > 23 || t.mi > 59 ||
           t.s > 59);
}

/** zone_minutes: the offset of a sent zone ("+hhmm"), false if it is not one. */
bool zone_minutes(std::string_view zone, int& minutes) {
  int zh = 0;
  int zm = 0;
  if (zone.size() != 5 || !two_digits(zone, 1, zh) || !two_digits(zone, 3, zm) || zh > 14 ||
      zm > 59) {
    return false;
  }
  minutes = (zone[0] == '-' ? -1 : 1) * (zh * 60 + zm);
  return true;
}

}  // namespace

bool to_fhir_datetime(std::string_view hl7, std::string& out) {
  Dtm t;
  if (!read_dtm(hl7, t)) {
    return false;
  }
  // The digits are already validated: FHIR's form is HL7's with separators put in.
  out.clear();
  out.append(t.digits.substr(0, 4));
  if (!t.has_h) {
    if (t.has_m) {
      out.push_back('-');
      out.append(t.digits.substr(4, 2));
    }
    if (t.has_d) {
      out.push_back('-');
      out.append(t.digits.substr(6, 2));
    }
    return t.zone.empty() || t.zone.size() == 5;
  }
  int offset = 0;
  if (!t.zone.empty()) {
    if (!zone_minutes(t.zone, offset)) {
      return false;
    }
  }
  const auto two = [&out](int v) {
    out.push_back(static_cast<char>('0' + v / 10));
    out.push_back(static_cast<char>('0' + v % 10));
  };
  out.push_back('-');
  two(t.mo);
  out.push_back('-');
  two(t.d);
  out.push_back('T');
  two(t.h);
  out.push_back(':');
  two(t.mi);
  out.push_back(':');
  two(t.s);
  if (!t.zone.empty()) {
    out.append(t.zone.substr(0, 3));
    out.push_back(':');
    out.append(t.zone.substr(3, 2));
  } else {
    out.append(uk_is_bst(t.y, t.mo, t.d, t.h) ? "+01:00" : "+00:00");
  }
  return true;
}

std::string hl7_time(std::string_view t) {
  std::string out;
  std::string zone;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char ch = t[i];
    if (ch >= '0' && ch <= '9') {
      out.push_back(ch);
    } else if (ch == 'Z') {
      zone = "+0000";
      break;
    } else if ((ch == '+' || ch == '-') && i >= 10) {
      zone.push_back(ch);
      for (std::size_t k = i + 1; k < t.size(); ++k) {
        if (t[k] >= '0' && t[k] <= '9') {
          zone.push_back(t[k]);
        }
      }
      break;
    } else if (ch == '.') {
      while (i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '9') {
        ++i;  // fractions of a second are not carried
      }
    }
  }
  return out + zone;
}

/** The years a 64-bit nanosecond system_clock time point spans whole (1677-09 to 2262-04). */
constexpr int kFirstTimePointYear = 1678;
constexpr int kLastTimePointYear = 2261;

bool to_time_point(std::string_view hl7, std::chrono::system_clock::time_point& out) {
  Dtm t;
  if (!read_dtm(hl7, t) || !t.has_h) {
    return false;  // a date alone has no time of day
  }
  if (t.y < kFirstTimePointYear || t.y > kLastTimePointYear) {
    return false;  // outside what a nanosecond system_clock time point holds
  }
  int offset = 0;
  if (t.zone.empty()) {
    offset = uk_is_bst(t.y, t.mo, t.d, t.h) ? 60 : 0;
  } else if (!zone_minutes(t.zone, offset)) {
    return false;
  }
  using namespace std::chrono;  // NOLINT(google-build-using-namespace): date arithmetic
  const year_month_day ymd{year{t.y}, month{static_cast<unsigned>(t.mo)},
                           day{static_cast<unsigned>(t.d)}};
  out = sys_days{ymd} + hours{t.h} + minutes{t.mi} + seconds{t.s} - minutes{offset};
  return true;
}

}  // namespace gw::adapters::hl7v2
