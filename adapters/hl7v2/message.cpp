// HL7 v2 parsing: one pass over the text records segment ids and field boundaries; everything
// finer (repetitions, components, sub-components, escapes) is found when asked.
#include "adapters/hl7v2/message.hpp"

#include <array>
#include <charconv>
#include <cstdio>

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

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80) {
      n = 0;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      n = 1;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      n = 3;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
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
  m.segments_.reserve(16);
  m.fields_.reserve(256);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos;
    while (end < text.size() && text[end] != '\r' && text[end] != '\n') {
      ++end;  // a plain loop: find_first_of calls memchr on the set for every character
    }
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || ((line[0] == ' ' || line[0] == '\t') &&
                         line.find_first_not_of(" \t") == std::string_view::npos)) {
      continue;  // CRLF, LFCR and blank lines between segments
    }
    if (m.segments_.size() >= limits.max_segments) {
      return parse_error("MSH", "more than " + std::to_string(limits.max_segments) + " segments");
    }
    const auto where = [&m] { return "segment " + std::to_string(m.segments_.size() + 1); };
    if (line.size() < 3 || !(line[0] >= 'A' && line[0] <= 'Z') || !is_upper_alnum(line[1]) ||
        !is_upper_alnum(line[2]) || (line.size() > 3 && line[3] != m.delims_.field)) {
      return parse_error(where(), "not a segment (a segment starts with a three-character id)");
    }
    Segment s;
    s.id = line.substr(0, 3);
    s.first_field = m.fields_.size();
    const bool msh = s.id == "MSH";
    if (msh != m.segments_.empty()) {
      return parse_error(msh ? where() : "MSH", msh ? "a second MSH segment (one message at a time)"
                                                    : "the message does not start with MSH");
    }
    m.fields_.push_back(s.id);
    std::size_t fpos = 4;
    if (msh) {
      m.fields_.push_back(line.substr(3, 1));  // MSH-1 is the field separator itself
    }
    while (fpos <= line.size() && line.size() > 3) {
      std::size_t fend = fpos;
      while (fend < line.size() && line[fend] != m.delims_.field) {
        ++fend;
      }
      if (m.fields_.size() - s.first_field >= limits.max_fields) {
        return parse_error(std::string(s.id),
                           "more than " + std::to_string(limits.max_fields) + " fields");
      }
      m.fields_.push_back(line.substr(fpos, fend - fpos));
      fpos = fend + 1;
    }
    s.field_count = m.fields_.size() - s.first_field;
    m.segments_.push_back(s);
  }
  return m;
}

const Segment* Message::find(std::string_view id, int occurrence) const {
  int seen = 0;
  for (const auto& s : segments_) {
    if (s.id == id && ++seen == occurrence) {
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
  std::string_view v = field(s, f);
  if (f <= 2 && s.first_field == 0) {  // MSH (always the first segment)
    return v;                          // the separators are not split
  }
  v = split(v, delims_.repetition, rep);
  v = split(v, delims_.component, comp);
  return split(v, delims_.subcomponent, sub);
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

std::string Message::decode(std::string_view r) const {
  // Fast path: plain ASCII text with no escapes is the common case and needs no second pass.
  bool plain = true;
  for (char ch : r) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == delims_.escape || c < 0x20 || c >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) {
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
      } else if (seq == "H" || seq == "N" || (!seq.empty() && seq[0] == '.')) {
        // highlighting and other formatting commands (.sp, .in, ...) carry no text
      } else if (!seq.empty() && seq[0] == 'X' && seq.size() % 2 == 1) {
        for (std::size_t k = 1; k + 1 < seq.size(); k += 2) {
          const int hi = hex_value(seq[k]);
          const int lo = hex_value(seq[k + 1]);
          if (hi >= 0 && lo >= 0) {
            out.push_back(static_cast<char>(hi * 16 + lo));
          }
        }
      } else {
        // \Cxxyy\, \Mxxyyzz\ (character set switches) and unknown sequences: dropped
      }
    }
  }
  strip_control(out);
  if (!valid_utf8(out)) {
    out = latin1_to_utf8(out);
  }
  return out;
}

bool to_fhir_datetime(std::string_view hl7, std::string& out) {
  hl7 = split(hl7, '^', 1);
  std::string_view zone;
  if (const auto z = hl7.find_first_of("+-"); z != std::string_view::npos) {
    zone = hl7.substr(z);
    hl7 = hl7.substr(0, z);
  }
  if (const auto dot = hl7.find('.'); dot != std::string_view::npos) {
    hl7 = hl7.substr(0, dot);  // fractions of a second: FHIR allows them, we keep whole seconds
  }
  if (hl7.size() < 4 || hl7.size() > 14 || hl7.size() % 2 != 0 ||
      hl7.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  int y = 0;
  int mo = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int s = 0;
  int yh = 0;
  int yl = 0;
  if (!two_digits(hl7, 0, yh) || !two_digits(hl7, 2, yl)) {
    return false;
  }
  y = yh * 100 + yl;
  const bool has_m = hl7.size() >= 6 && two_digits(hl7, 4, mo);
  const bool has_d = hl7.size() >= 8 && two_digits(hl7, 6, d);
  const bool has_h = hl7.size() >= 10 && two_digits(hl7, 8, h);
  const bool has_mi = hl7.size() >= 12 && two_digits(hl7, 10, mi);
  if (hl7.size() >= 14) {
    (void)two_digits(hl7, 12, s);
  }
  if (y < 1800 || (has_m && (mo < 1 || mo > 12)) ||
      (has_d && (d < 1 || d > days_in_month(y, mo))) || h > 23 || mi > 59 || s > 59) {
    return false;
  }
  // The digits are already validated: FHIR's form is HL7's with separators put in.
  out.clear();
  out.append(hl7.substr(0, 4));
  if (!has_h) {
    if (has_m) {
      out.push_back('-');
      out.append(hl7.substr(4, 2));
    }
    if (has_d) {
      out.push_back('-');
      out.append(hl7.substr(6, 2));
    }
    return zone.empty() || zone.size() == 5;
  }
  if (!has_d) {
    return false;
  }
  std::string offset;
  if (!zone.empty()) {
    int zh = 0;
    int zm = 0;
    if (zone.size() != 5 || !two_digits(zone, 1, zh) || !two_digits(zone, 3, zm) || zh > 14 ||
        zm > 59) {
      return false;
    }
    offset = std::string(zone.substr(0, 3)) + ":" + std::string(zone.substr(3, 2));
  } else {
    offset = uk_is_bst(y, mo, d, h) ? "+01:00" : "+00:00";
  }
  const auto two = [&out](int v) {
    out.push_back(static_cast<char>('0' + v / 10));
    out.push_back(static_cast<char>('0' + v % 10));
  };
  out.push_back('-');
  two(mo);
  out.push_back('-');
  two(d);
  out.push_back('T');
  two(h);
  out.push_back(':');
  two(has_mi ? mi : 0);
  out.push_back(':');
  two(s);
  out += offset;
  return true;
}

bool to_time_point(std::string_view hl7, std::chrono::system_clock::time_point& out) {
  std::string t;
  if (!to_fhir_datetime(hl7, t) || t.size() != 25) {
    return false;  // "YYYY-MM-DDTHH:MM:SS+hh:mm" is the only form with a time
  }
  const auto num = [&t](std::size_t at, std::size_t len) {
    int v = 0;
    std::from_chars(t.data() + at, t.data() + at + len, v);
    return v;
  };
  using namespace std::chrono;  // NOLINT(google-build-using-namespace): date arithmetic
  const year_month_day ymd{year{num(0, 4)}, month{static_cast<unsigned>(num(5, 2))},
                           day{static_cast<unsigned>(num(8, 2))}};
  const int sign = t[19] == '-' ? -1 : 1;
  const minutes offset{sign * (num(20, 2) * 60 + num(23, 2))};
  out = sys_days{ymd} + hours{num(11, 2)} + minutes{num(14, 2)} + seconds{num(17, 2)} - offset;
  return true;
}

}  // namespace gw::adapters::hl7v2
