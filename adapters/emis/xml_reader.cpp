// The EMIS extract's XML reader (xml_reader.hpp): XML 1.0 (fifth edition) well-formedness and
// Namespaces in XML 1.0, read in one pass straight into the element tree the extract reader
// walks. https://www.w3.org/TR/xml/ and https://www.w3.org/TR/xml-names/ are the references for
// every rule below; the production numbers in comments are the XML specification's.
#include "adapters/emis/xml_reader.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gateway/core/bytes.hpp"

namespace gw::adapters::emis::xml {
namespace {

/** kMaxAttributes: attributes on one element (the extract uses none; a bound keeps the
 *  repeated-attribute check linear in the input). */
constexpr std::size_t kMaxAttributes = 64;
/** kNameShown: how much of an element name an error repeats. */
constexpr std::size_t kNameShown = 64;
constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kXmlnsNamespace = "http://www.w3.org/2000/xmlns/";

/** kStop: bytes the text scan stops at: markup, references, ']' (for "]]>"), CR (line ends
 *  are normalised), control characters and the start of any multi-byte UTF-8 sequence. */
constexpr std::array<bool, 256> make_stops() {
  std::array<bool, 256> t{};
  for (std::size_t c = 0; c < 256; ++c) {
    t[c] = c < 0x20 || c >= 0x80 || c == '<' || c == '&' || c == ']';
  }
  t['\t'] = false;
  t['\n'] = false;
  return t;
}
constexpr std::array<bool, 256> kStop = make_stops();

/** kAsciiName: 1 for an ASCII NameStartChar, 2 for a NameChar that cannot start a name [4]. */
constexpr std::array<std::uint8_t, 128> make_ascii_names() {
  std::array<std::uint8_t, 128> t{};
  for (std::size_t c = 'a'; c <= 'z'; ++c) {
    t[c] = 1;
    t[c - 'a' + 'A'] = 1;
  }
  t['_'] = 1;
  t[':'] = 1;
  for (std::size_t c = '0'; c <= '9'; ++c) {
    t[c] = 2;
  }
  t['-'] = 2;
  t['.'] = 2;
  return t;
}
constexpr std::array<std::uint8_t, 128> kAsciiName = make_ascii_names();

/** kAsciiNameByte: kAsciiName over all bytes, without ':' (0 for it and for bytes >= 0x80). */
constexpr std::array<std::uint8_t, 256> make_name_bytes() {
  std::array<std::uint8_t, 256> t{};
  for (std::size_t c = 0; c < 128; ++c) {
    t[c] = c == ':' ? 0 : kAsciiName[c];
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kAsciiNameByte = make_name_bytes();

#if defined(__SSE2__)
/** name_bytes_in: a bit for each of the 16 bytes of `block` that is an ASCII NameChar other
 *  than ':' (kAsciiNameByte not 0): a letter, a digit, '_', '-' or '.'. */
[[gnu::always_inline]] inline unsigned name_bytes_in(__m128i block) {
  const auto within = [](__m128i x, char lowest, char count) {  // lowest <= x < lowest + count
    const __m128i offset = _mm_sub_epi8(x, _mm_set1_epi8(lowest));
    return _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(static_cast<char>(count - 1))),
                          offset);
  };
  const __m128i letter = within(_mm_or_si128(block, _mm_set1_epi8(0x20)), 'a', 26);
  const __m128i digit = within(block, '0', 10);
  const __m128i other = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('_')),
                                     _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('-')),
                                                  _mm_cmpeq_epi8(block, _mm_set1_epi8('.'))));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), other)));
}

/** text_stops_in: a bit for each of the 16 bytes of `block` that kStop holds. */
[[gnu::always_inline]] inline unsigned text_stops_in(__m128i block) {
  // Signed, bytes >= 0x80 are below 0x20 too: control characters and UTF-8 lead/continuation.
  const __m128i low = _mm_cmplt_epi8(block, _mm_set1_epi8(0x20));
  const __m128i tab_or_lf = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('\t')),
                                         _mm_cmpeq_epi8(block, _mm_set1_epi8('\n')));
  const __m128i markup = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('<')),
                                      _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('&')),
                                                   _mm_cmpeq_epi8(block, _mm_set1_epi8(']'))));
  return static_cast<unsigned>(
      _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(tab_or_lf, low), markup)));
}
#endif

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/** is_xml_char: production [2] Char. */
bool is_xml_char(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/** name_start: production [4] NameStartChar, beyond ASCII. */
bool name_start(char32_t c) {
  return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
         (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) ||
         (c >= 0x200C && c <= 0x200D) || (c >= 0x2070 && c <= 0x218F) ||
         (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF) ||
         (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0xEFFFF);
}

/** name_char: production [4a] NameChar, beyond ASCII. */
bool name_char(char32_t c) {
  return name_start(c) || c == 0xB7 || (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

/** Utf8: one decoded character; len 0 when the bytes are not UTF-8. */
struct Utf8 {
  char32_t cp = 0;
  std::size_t len = 0;
};

/** decode_utf8: the character starting at s[0] (n bytes available), shortest form only, no
 *  surrogates, at most U+10FFFF (RFC 3629, section 4). */
Utf8 decode_utf8(const unsigned char* s, std::size_t n) {
  const unsigned char b = s[0];
  if (b < 0x80) {
    return {b, 1};
  }
  std::size_t len = 0;
  char32_t cp = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
    cp = b & 0x1Fu;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    cp = b & 0x0Fu;
    lo = b == 0xE0 ? 0xA0 : 0x80;
    hi = b == 0xED ? 0x9F : 0xBF;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    cp = b & 0x07u;
    lo = b == 0xF0 ? 0x90 : 0x80;
    hi = b == 0xF4 ? 0x8F : 0xBF;
  } else {
    return {};
  }
  if (n < len || s[1] < lo || s[1] > hi) {
    return {};
  }
  for (std::size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0u) != 0x80u) {
      return {};
    }
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  return {cp, len};
}

/** encode_utf8: `cp` as UTF-8 into out (4 bytes room); the length. */
std::size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

std::string hex_code_point(char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+";
  bool started = false;
  for (int shift = 20; shift >= 0; shift -= 4) {
    const auto digit = static_cast<unsigned>((cp >> shift) & 0xFu);
    if (digit != 0 || started || shift < 16) {
      out.push_back(kHex[digit]);
      started = true;
    }
  }
  return out;
}

/** local_part: "p:name" -> "name". */
std::string_view local_part(std::string_view qname) {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

/** prefix_of: "p:name" -> "p"; "" without a prefix. */
std::string_view prefix_of(std::string_view qname) {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

/**
 * first_stop: the first byte of in[i, n) where a scan stops (Scan::stops), or n: where SSE2 is
 * there, 16 bytes at a time (Scan::stops_in: a bit for each byte of a block that stops it), then
 * byte by byte. Inlined into the parser; scan::name_end and scan::stop_at call it for the tests.
 */
template <class Scan>
[[gnu::always_inline]] inline std::size_t first_stop(const char* in, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const unsigned stops =
        Scan::stops_in(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    if (stops != 0) {
      return i + static_cast<std::size_t>(std::countr_zero(stops));
    }
  }
#endif
  while (i < n && !Scan::stops(static_cast<unsigned char>(in[i]))) {
    ++i;
  }
  return i;
}

/** NameScan: a name's usual run, to its first byte that is not a letter, digit, '_', '-' or '.'. */
struct NameScan {
  static bool stops(unsigned char c) { return kAsciiNameByte[c] == 0; }
#if defined(__SSE2__)
  static unsigned stops_in(__m128i block) { return ~name_bytes_in(block) & 0xFFFFu; }
#endif
};

/** TextScan: character data, to its first byte kStop holds. */
struct TextScan {
  static bool stops(unsigned char c) { return kStop[c]; }
#if defined(__SSE2__)
  static unsigned stops_in(__m128i block) { return text_stops_in(block); }
#endif
};

}  // namespace

namespace scan {

std::size_t name_end(const char* in, std::size_t i, std::size_t n) {
  return first_stop<NameScan>(in, i, n);
}

std::size_t stop_at(const char* in, std::size_t i, std::size_t n) {
  return first_stop<TextScan>(in, i, n);
}

}  // namespace scan

XmlNode& XmlDocument::new_node() {
  if (chunks_.empty() || chunk_used_ == chunk_size_) {
    // The first chunk fits a small document (an element takes at least 4 bytes, "<a/>").
    chunk_size_ = chunks_.empty() ? std::min<std::size_t>(1024, input_.size() / 4 + 1) : 1024;
    chunks_.emplace_back(static_cast<XmlNode*>(::operator new(chunk_size_ * sizeof(XmlNode))));
    chunk_used_ = 0;
  }
  static_assert(std::is_trivially_destructible_v<XmlNode>);  // a chunk is freed, not destroyed
  return *new (chunks_.back().get() + chunk_used_++) XmlNode{};
}

std::size_t XmlDocument::line_of(std::size_t offset) const {
  std::size_t line = 1;
  const std::size_t end = std::min(offset, input_.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (input_[i] == '\n' ||
        (input_[i] == '\r' && (i + 1 >= input_.size() || input_[i + 1] != '\n'))) {
      ++line;
    }
  }
  return line;
}

/**
 * XmlParser: the one pass. Each step returns false after recording the first error (with the
 * path of the elements open at that point), so the steps stay short.
 */
class XmlParser {
public:
  XmlParser(std::string_view input, std::size_t max_depth, XmlDocument& doc)
      : in_(input), max_depth_(max_depth), doc_(doc) {
    doc_.input_ = input;
  }

  [[nodiscard]] std::optional<Error> run() {
    if (read_document()) {
      return std::nullopt;
    }
    return std::move(error_);
  }

private:
  /** Open: an element whose end tag is still to come. */
  struct Open {
    XmlNode* node = nullptr;
    XmlNode* last = nullptr;  // its last element child so far
    std::string_view qname;   // as written, for the end tag
    std::size_t ns_mark = 0;  // the namespace bindings in scope before it
    bool has_child = false;   // its text is not kept once it has an element child
    bool in_arena = false;    // node->text points into the decoded text
  };
  /** Binding: a namespace prefix declared on an open element ("" for the default). */
  struct Binding {
    std::string_view prefix;
  };

  // ---- errors --------------------------------------------------------------------------------

  /** path: the open elements as an XPath ("/MedicalRecord/EventList/Event[3]"), with `pending`
   *  (an element being opened) after them. An index is written for a list's entries and for any
   *  element after the first of its name among its siblings. */
  std::string path(std::string_view pending = {}) const {
    std::string out;
    const XmlNode* parent = nullptr;
    for (const Open& o : open_) {
      segment(out, parent, o.node);
      parent = o.node;
    }
    if (!pending.empty()) {
      out.append("/").append(shown(local_part(pending)));
    }
    return out.empty() ? std::string("/") : out;
  }
  static std::string_view shown(std::string_view name) { return name.substr(0, kNameShown); }
  static void segment(std::string& out, const XmlNode* parent, const XmlNode* node) {
    out.append("/").append(shown(node->name));
    if (parent == nullptr) {
      return;
    }
    std::size_t index = 1;
    for (const XmlNode* c = parent->children; c != nullptr && c != node; c = c->next) {
      index += same_text(c->name, node->name) ? 1 : 0;
    }
    if (index > 1 || parent->name.ends_with("List")) {
      out.append("[").append(std::to_string(index)).append("]");
    }
  }

  /** fail: records "<path>: XML is not well-formed at line N: <what>"; false. */
  bool fail(std::size_t at, std::string_view what, std::string_view pending = {}) {
    if (!error_) {
      std::string detail = path(pending);
      detail.append(": XML is not well-formed at line ")
          .append(std::to_string(doc_.line_of(at)))
          .append(": ")
          .append(what);
      error_ = make_error(Errc::kBadRequest, std::move(detail));
    }
    return false;
  }

  /** refuse_doctype: a DOCTYPE anywhere. Refusing it as it starts means no entity is ever
   *  declared, so none can be expanded ("billion laughs") or fetched (XXE). */
  bool refuse_doctype(std::size_t at) {
    if (!error_) {
      std::string detail = path();
      detail.append(": a DOCTYPE is not allowed in an EMIS extract (line ")
          .append(std::to_string(doc_.line_of(at)))
          .append("): DTDs and entity declarations are refused");
      error_ = make_error(Errc::kBadRequest, std::move(detail));
    }
    return false;
  }

  /** too_deep: an element opened below max_depth_ open elements. */
  bool too_deep(std::size_t at, std::string_view pending) {
    if (!error_) {
      std::string detail = path(pending);
      detail.append(": XML nesting is deeper than ")
          .append(std::to_string(max_depth_))
          .append(" levels at line ")
          .append(std::to_string(doc_.line_of(at)));
      error_ = make_error(Errc::kBadRequest, std::move(detail));
    }
    return false;
  }

  // ---- small readers -------------------------------------------------------------------------

  [[nodiscard]] bool at(std::string_view s) const { return in_.substr(p_).starts_with(s); }
  [[nodiscard]] bool at_end() const { return p_ >= in_.size(); }
  [[nodiscard]] unsigned char byte(std::size_t i) const {
    return static_cast<unsigned char>(in_[i]);
  }
  void skip_space() {
    while (p_ < in_.size() && is_space(in_[p_])) {
      ++p_;
    }
  }

  /** check_chars: every character of in_[from, to) is UTF-8 and an XML Char [2]. */
  bool check_chars(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to;) {
      const unsigned char c = byte(i);
      if (c >= 0x20 && c < 0x80) {
        ++i;
        continue;
      }
      if (!check_char_at(i, to)) {
        return false;
      }
    }
    return true;
  }

  /** check_char_at: the character at `i` (< end) is allowed; advances i past it. */
  bool check_char_at(std::size_t& i, std::size_t end) {
    const Utf8 u = decode_utf8(reinterpret_cast<const unsigned char*>(in_.data()) + i, end - i);
    if (u.len == 0) {
      return fail(i, "bytes that are not UTF-8");
    }
    if (!is_xml_char(u.cp)) {
      return fail(i, "a character XML does not allow (" + hex_code_point(u.cp) + ")");
    }
    i += u.len;
    return true;
  }

  /** name: production [5] Name at p_; its end in `end`. */
  bool name(std::size_t& end, std::string_view pending = {}) {
    std::size_t colons = 0;
    return name(end, colons, pending);
  }
  /** name: as above, counting the colons in it. */
  bool name(std::size_t& end, std::size_t& colons, std::string_view pending) {
    // The usual name: ASCII letters, digits and "_-." with no colon, ended by an ASCII byte.
    const std::size_t n = in_.size();
    std::size_t i = p_;
    if (i < n && kAsciiNameByte[byte(i)] == 1) {
      i = first_stop<NameScan>(in_.data(), i + 1, n);
      if (i >= n || (in_[i] != ':' && byte(i) < 0x80)) {
        colon_ = std::string_view::npos;
        end = i;
        return true;
      }
    }
    i = p_;
    bool first = true;
    colon_ = std::string_view::npos;
    while (i < in_.size()) {
      const unsigned char c = byte(i);
      if (c < 0x80) {
        const std::uint8_t k = kAsciiName[c];
        if (k == 0 || (first && k == 2)) {
          break;
        }
        if (c == ':') {
          ++colons;
          colon_ = i - p_;
        }
        ++i;
      } else {
        const Utf8 u =
            decode_utf8(reinterpret_cast<const unsigned char*>(in_.data()) + i, in_.size() - i);
        if (u.len == 0 || !(first ? name_start(u.cp) : name_char(u.cp))) {
          break;
        }
        i += u.len;
      }
      first = false;
    }
    if (i == p_) {
      return fail(p_, "a name was expected here", pending);
    }
    end = i;
    return true;
  }

  /** qname: a Name that is also a QName (Namespaces in XML, [7]): at most one colon, inside. */
  bool qname(std::string_view& out, std::string_view pending = {}) {
    std::size_t end = 0;
    std::size_t colons = 0;
    if (!name(end, colons, pending)) {
      return false;
    }
    out = in_.substr(p_, end - p_);
    if (colons > 0 && (colons > 1 || out.front() == ':' || out.back() == ':')) {
      return fail(p_, "a name with a misplaced ':' (not a namespace-qualified name)", pending);
    }
    p_ = end;
    return true;
  }

  // ---- references -----------------------------------------------------------------------------

  /** reference: a reference at p_ ('&'), production [67]; its characters into buf (4 bytes
   *  room), their count into len; p_ moves past it. */
  bool reference(char* buf, std::size_t& len) {
    const std::size_t start = p_;
    // A reference this reader accepts is at most "&#x10FFFF;" or "&#1114111;" long.
    const std::size_t semi = in_.substr(0, start + 12).find(';', start + 1);
    if (semi == std::string_view::npos) {
      return fail(start, "'&' that does not start a reference (write &amp; for '&')");
    }
    const std::string_view ref = in_.substr(start + 1, semi - start - 1);
    if (ref.starts_with('#')) {
      return char_reference(start, ref, buf, len, semi);
    }
    static constexpr std::array<std::pair<std::string_view, char>, 5> kPredefined{
        {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"apos", '\''}, {"quot", '"'}}};
    for (const auto& [n, c] : kPredefined) {
      if (ref == n) {
        buf[0] = c;
        len = 1;
        p_ = semi + 1;
        return true;
      }
    }
    // No DTD is ever read, so no other entity is declared: refusing is what XML requires
    // (well-formedness constraint "Entity Declared"), and nothing is ever fetched.
    return fail(start,
                "a reference to an undeclared entity (only &amp; &lt; &gt; &apos; &quot; and "
                "character references are allowed)");
  }

  /** char_reference: "&#N;" or "&#xH;" [66], a Char. */
  bool char_reference(std::size_t start, std::string_view ref, char* buf, std::size_t& len,
                      std::size_t semi) {
    const bool hex = ref.size() > 1 && ref[1] == 'x';
    const std::string_view digits = ref.substr(hex ? 2 : 1);
    char32_t cp = 0;
    bool ok = !digits.empty() && digits.size() <= 8;
    for (char c : digits) {
      unsigned d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (hex && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
        d = static_cast<unsigned>((c | 0x20) - 'a' + 10);
      } else {
        ok = false;
        break;
      }
      cp = cp * (hex ? 16 : 10) + d;
    }
    if (!ok || !is_xml_char(cp)) {
      return fail(start, "a character reference to no character XML allows");
    }
    len = encode_utf8(cp, buf);
    p_ = semi + 1;
    return true;
  }

  // ---- the prolog and the epilog --------------------------------------------------------------

  /** xml_declaration: production [23] XMLDecl, at p_ ("<?xml" and white space or '?'). */
  bool xml_declaration() {
    const std::size_t start = p_;
    p_ += 5;
    auto attribute = [&](std::string_view want, bool required, std::string_view& value) {
      const std::size_t before = p_;
      skip_space();
      if (!at(want)) {
        p_ = before;
        return !required;
      }
      if (p_ == before) {
        return false;
      }
      p_ += want.size();
      skip_space();
      if (at_end() || in_[p_] != '=') {
        return false;
      }
      ++p_;
      skip_space();
      if (at_end() || (in_[p_] != '"' && in_[p_] != '\'')) {
        return false;
      }
      const std::size_t close = in_.find(in_[p_], p_ + 1);
      if (close == std::string_view::npos) {
        return false;
      }
      value = in_.substr(p_ + 1, close - p_ - 1);
      p_ = close + 1;
      return true;
    };
    std::string_view version;
    std::string_view encoding;
    std::string_view standalone;
    bool ok = attribute("version", true, version) && version.size() > 2 &&
              version.starts_with("1.") &&
              std::all_of(version.begin() + 2, version.end(),
                          [](char c) { return c >= '0' && c <= '9'; });
    ok = ok && attribute("encoding", false, encoding);
    ok = ok && (encoding.empty() || std::all_of(encoding.begin(), encoding.end(), [](char c) {
                  return kAsciiName[static_cast<unsigned char>(c) & 0x7F] != 0 && c != ':' &&
                         static_cast<unsigned char>(c) < 0x80;
                }));
    ok = ok && attribute("standalone", false, standalone) &&
         (standalone.empty() || standalone == "yes" || standalone == "no");
    skip_space();
    if (!ok || !at("?>")) {
      return fail(start, "the XML declaration is malformed (<?xml version=\"1.0\" ...?>)");
    }
    p_ += 2;
    return true;
  }

  /** comment: production [15], at p_ ("<!--"). */
  bool comment() {
    const std::size_t start = p_;
    const std::size_t dashes = in_.find("--", start + 4);
    if (dashes == std::string_view::npos) {
      return fail(start, "a comment is not closed ('-->')");
    }
    if (dashes + 2 >= in_.size() || in_[dashes + 2] != '>') {
      return fail(dashes, "'--' inside a comment");
    }
    if (!check_chars(start + 4, dashes)) {
      return false;
    }
    p_ = dashes + 3;
    return true;
  }

  /** processing_instruction: production [16], at p_ ("<?"); its target may not be "xml". */
  bool processing_instruction() {
    const std::size_t start = p_;
    p_ += 2;
    std::size_t end = 0;
    if (!name(end)) {
      return false;
    }
    const std::string_view target = in_.substr(p_, end - p_);
    if (target.size() == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' &&
        (target[2] | 0x20) == 'l') {
      return fail(start,
                  "a processing instruction named 'xml' (an XML declaration not at the "
                  "start of the document)");
    }
    p_ = end;
    const std::size_t close = in_.find("?>", p_);
    if (close == std::string_view::npos) {
      return fail(start, "a processing instruction is not closed ('?>')");
    }
    if (close != p_ && !is_space(in_[p_])) {
      return fail(p_, "white space is required after a processing instruction's target");
    }
    if (!check_chars(p_, close)) {
      return false;
    }
    p_ = close + 2;
    return true;
  }

  /** misc: white space, comments and processing instructions outside the root [27]; stops at
   *  the end or at '<' followed by a name (the root, before it). */
  bool misc(bool before_root) {
    for (;;) {
      skip_space();
      if (at_end()) {
        return true;
      }
      if (at("<!--")) {
        if (!comment()) {
          return false;
        }
      } else if (at("<?")) {
        if (!processing_instruction()) {
          return false;
        }
      } else if (at("<!DOCTYPE")) {
        return refuse_doctype(p_);
      } else if (in_[p_] == '<' && p_ + 1 < in_.size() &&
                 (byte(p_ + 1) >= 0x80 || kAsciiName[byte(p_ + 1)] == 1)) {
        return before_root ? true : fail(p_, "a second element after the root element");
      } else {
        return fail(p_, before_root ? "text or markup before the root element"
                                    : "text or markup after the root element");
      }
    }
  }

  bool read_document() {
    if (at("\xEF\xBB\xBF")) {
      p_ = 3;
    }
    if (at("<?xml") && p_ + 5 < in_.size() && (is_space(in_[p_ + 5]) || in_[p_ + 5] == '?')) {
      if (!xml_declaration()) {
        return false;
      }
    }
    if (!misc(true)) {
      return false;
    }
    if (at_end()) {
      return fail(p_, "the document has no root element");
    }
    if (!content()) {
      return false;
    }
    return misc(false);
  }

  // ---- elements -------------------------------------------------------------------------------

  /** start_tag: production [40]/[44] at p_ ('<' and a name): opens the element (or opens and
   *  closes it, for an empty-element tag). */
  bool start_tag() {
    const std::size_t start = p_;
    ++p_;
    std::string_view qn;
    if (!qname(qn)) {
      return false;
    }
    const std::size_t colon = colon_;
    if (open_.size() >= max_depth_) {
      return too_deep(start, qn);
    }
    const std::size_t ns_mark = bindings_.size();
    bool empty = false;
    if (!attributes(qn, empty)) {
      return false;
    }
    if (colon != std::string_view::npos && !prefix_declared(qn.substr(0, colon))) {
      return fail(start, "an element prefix with no namespace declaration in scope", qn);
    }
    for (std::string_view a : attr_names_) {
      const std::string_view pre = prefix_of(a);  // attributes are rare: no hurry here
      if (!pre.empty() && pre != "xmlns" && !prefix_declared(pre)) {
        return fail(start, "an attribute prefix with no namespace declaration in scope", qn);
      }
    }
    XmlNode& n = doc_.new_node();
    n.name = colon == std::string_view::npos ? qn : qn.substr(colon + 1);
    n.offset = start;
    if (!open_.empty()) {
      Open& parent = open_.back();
      if (parent.last == nullptr) {
        parent.node->children = &n;
      } else {
        parent.last->next = &n;
      }
      parent.last = &n;
      parent.has_child = true;
      parent.node->text = {};
    }
    open_.push_back({&n, nullptr, qn, ns_mark, false, false});
    if (empty) {
      close_element();
    }
    return true;
  }

  /** attributes: [41] Attribute* to the end of the start tag; namespace declarations bound. */
  bool attributes(std::string_view element, bool& empty) {
    attr_names_.clear();
    for (;;) {
      const std::size_t before = p_;
      skip_space();
      if (at_end()) {
        return fail(before, "the start tag is not closed", element);
      }
      if (in_[p_] == '>') {
        ++p_;
        return true;
      }
      if (at("/>")) {
        p_ += 2;
        empty = true;
        return true;
      }
      if (p_ == before) {
        return fail(p_, "white space, '>' or '/>' is expected in the start tag", element);
      }
      if (!attribute(element)) {
        return false;
      }
    }
  }

  /** attribute: one Name Eq AttValue [41], [10]; a repeat of a name is refused. */
  bool attribute(std::string_view element) {
    const std::size_t start = p_;
    std::string_view an;
    if (!qname(an, element)) {
      return false;
    }
    if (attr_names_.size() >= kMaxAttributes) {
      return fail(start, "more than " + std::to_string(kMaxAttributes) + " attributes", element);
    }
    if (std::find(attr_names_.begin(), attr_names_.end(), an) != attr_names_.end()) {
      return fail(start, "an attribute appears twice in the start tag", element);
    }
    attr_names_.push_back(an);
    skip_space();
    if (at_end() || in_[p_] != '=') {
      return fail(p_, "'=' is expected after an attribute name", element);
    }
    ++p_;
    skip_space();
    if (at_end() || (in_[p_] != '"' && in_[p_] != '\'')) {
      return fail(p_, "an attribute value must be quoted", element);
    }
    const char quote = in_[p_];
    const std::size_t value_start = ++p_;
    while (p_ < in_.size() && in_[p_] != quote) {
      const unsigned char c = byte(p_);
      if (c == '<') {
        return fail(p_, "'<' inside an attribute value", element);
      }
      if (c == '&') {
        std::array<char, 4> buf{};
        std::size_t len = 0;
        if (!reference(buf.data(), len)) {
          return false;
        }
      } else if (c >= 0x20 && c < 0x80) {
        ++p_;
      } else if (!check_char_at(p_, in_.size())) {
        return false;
      }
    }
    if (at_end()) {
      return fail(start, "an attribute value is not closed", element);
    }
    const std::string_view value = in_.substr(value_start, p_ - value_start);
    ++p_;
    return namespace_declaration(start, an, value, element);
  }

  /** namespace_declaration: binds xmlns / xmlns:p (Namespaces in XML, section 3). */
  bool namespace_declaration(std::size_t at, std::string_view an, std::string_view value,
                             std::string_view element) {
    if (an == "xmlns") {
      if (value == kXmlNamespace || value == kXmlnsNamespace) {
        return fail(at, "the default namespace may not be the xml or xmlns namespace", element);
      }
      return true;
    }
    if (prefix_of(an) != "xmlns") {
      return true;
    }
    const std::string_view prefix = local_part(an);
    if (prefix == "xmlns") {
      return fail(at, "the prefix xmlns may not be declared", element);
    }
    if ((prefix == "xml") != (value == kXmlNamespace) || value == kXmlnsNamespace) {
      return fail(at, "the prefix xml and its namespace are bound only to each other", element);
    }
    if (value.empty()) {
      return fail(at, "a namespace prefix may not be bound to an empty name", element);
    }
    bindings_.push_back({prefix});
    return true;
  }

  /** prefix_declared: "" (no prefix) and xml always are; others need a binding in scope. */
  [[nodiscard]] bool prefix_declared(std::string_view prefix) const {
    if (prefix.empty() || prefix == "xml") {
      return true;
    }
    return std::any_of(bindings_.rbegin(), bindings_.rend(),
                       [&](const Binding& b) { return b.prefix == prefix; });
  }

  /** end_tag: production [42] at p_ ("</"); it must close the innermost open element. */
  bool end_tag() {
    const std::size_t start = p_;
    p_ += 2;
    const std::string_view open = open_.back().qname;
    // The usual case: the open element's name, then '>'.
    if (in_.size() - p_ > open.size() && same_bytes(in_.data() + p_, open.data(), open.size()) &&
        in_[p_ + open.size()] == '>') {
      p_ += open.size() + 1;
      close_element();
      return true;
    }
    std::string_view qn;
    if (!qname(qn)) {
      return false;
    }
    skip_space();
    if (at_end() || in_[p_] != '>') {
      return fail(p_, "'>' is expected to close the end tag");
    }
    ++p_;
    if (qn != open) {
      return fail(start, "the end tag </" + std::string(shown(qn)) +
                             "> does not match the element open here (opened at line " +
                             std::to_string(doc_.line_of(open_.back().node->offset)) + ")");
    }
    close_element();
    return true;
  }

  void close_element() {
    bindings_.resize(open_.back().ns_mark);
    open_.pop_back();
  }

  // ---- character data -------------------------------------------------------------------------

  /** add_text: character data that needs no decoding, kept as a view of the input while the
   *  element's text is one run. */
  void add_text(std::string_view s) {
    Open& o = open_.back();
    if (o.has_child || s.empty()) {
      return;
    }
    if (!o.in_arena && o.node->text.empty()) {
      o.node->text = s;
      return;
    }
    add_decoded(s);
  }

  /** add_decoded: characters appended to the element's text in the decoded buffer. The open
   *  element's text is always the buffer's last bytes (no other element writes in between), and
   *  the buffer never holds more than the input's size, since each input byte is copied at most
   *  once and decoding only shortens. */
  void add_decoded(std::string_view s) {
    Open& o = open_.back();
    if (o.has_child) {
      return;
    }
    if (!doc_.decoded_) {
      doc_.decoded_ = std::make_unique_for_overwrite<char[]>(in_.size());
    }
    char* base = doc_.decoded_.get();
    if (!o.in_arena) {
      if (!o.node->text.empty()) {
        std::memcpy(base + used_, o.node->text.data(), o.node->text.size());
      }
      o.node->text = std::string_view(base + used_, o.node->text.size());
      used_ += o.node->text.size();
      o.in_arena = true;
    }
    if (!s.empty()) {
      std::memcpy(base + used_, s.data(), s.size());
    }
    used_ += s.size();
    o.node->text = std::string_view(o.node->text.data(), o.node->text.size() + s.size());
  }

  /** char_data: text up to the next '<' [14], references resolved [67], CR LF and CR made LF
   *  (section 2.11). */
  bool char_data() {
    std::size_t start = p_;
    const std::size_t n = in_.size();
    for (;;) {
      p_ = first_stop<TextScan>(in_.data(), p_, n);
      if (p_ >= n || in_[p_] == '<') {
        add_text(in_.substr(start, p_ - start));
        return true;
      }
      const unsigned char c = byte(p_);
      if (c == '&' || c == '\r') {
        add_text(in_.substr(start, p_ - start));
        std::array<char, 4> buf{'\n'};
        std::size_t len = 1;
        if (c == '&') {
          if (!reference(buf.data(), len)) {
            return false;
          }
        } else {
          p_ += p_ + 1 < n && in_[p_ + 1] == '\n' ? 2 : 1;
        }
        add_decoded(std::string_view(buf.data(), len));
        start = p_;
      } else if (c == ']') {
        if (in_.substr(p_).starts_with("]]>")) {
          return fail(p_, "']]>' in text (it may only end a CDATA section)");
        }
        ++p_;
      } else if (!check_char_at(p_, n)) {
        return false;
      }
    }
  }

  /** cdata: production [18] at p_ ("<![CDATA["): its characters are text. */
  bool cdata() {
    const std::size_t start = p_;
    const std::size_t close = in_.find("]]>", start + 9);
    if (close == std::string_view::npos) {
      return fail(start, "a CDATA section is not closed (']]>')");
    }
    if (!check_chars(start + 9, close)) {
      return false;
    }
    std::string_view body = in_.substr(start + 9, close - start - 9);
    for (std::size_t cr = body.find('\r'); !body.empty(); cr = body.find('\r')) {
      if (cr == std::string_view::npos) {
        add_text(body);
        break;
      }
      add_text(body.substr(0, cr));
      add_decoded("\n");
      body.remove_prefix(cr + (cr + 1 < body.size() && body[cr + 1] == '\n' ? 2 : 1));
    }
    p_ = close + 3;
    return true;
  }

  /** content: the root element and everything in it [39], [43]. */
  bool content() {
    if (!start_tag()) {
      return false;
    }
    while (!open_.empty()) {
      if (at_end()) {
        return fail(p_, "the element is not closed (the input ends inside it)");
      }
      if (in_[p_] != '<') {
        if (!char_data()) {
          return false;
        }
        continue;
      }
      bool ok = false;
      const char next = p_ + 1 < in_.size() ? in_[p_ + 1] : '\0';
      if (next == '/') {
        ok = end_tag();
      } else if (next == '!') {
        if (at("<!--")) {
          ok = comment();
        } else if (at("<![CDATA[")) {
          ok = cdata();
        } else if (at("<!DOCTYPE")) {
          ok = refuse_doctype(p_);
        } else {
          ok = fail(p_, "'<!' that starts no comment or CDATA section");
        }
      } else if (next == '?') {
        ok = processing_instruction();
      } else {
        ok = start_tag();
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  std::string_view in_;
  std::size_t max_depth_;
  XmlDocument& doc_;
  std::size_t p_ = 0;
  std::size_t used_ = 0;  // bytes of doc_.decoded_ in use
  std::vector<Open> open_;
  std::vector<Binding> bindings_;
  std::vector<std::string_view> attr_names_;
  std::size_t colon_ = std::string_view::npos;  // where the last name read has its colon
  std::optional<Error> error_;
};

Result<XmlDocument> read_xml(std::string_view input, std::size_t max_depth) {
  XmlDocument doc;
  XmlParser parser(input, max_depth, doc);
  if (auto e = parser.run()) {
    return *std::move(e);
  }
  return doc;
}

}  // namespace gw::adapters::emis::xml
