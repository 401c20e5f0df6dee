// Helpers shared by the HL7 v2 translations: JSON shapes, error locations, ids, dates.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "adapters/hl7v2/detail.hpp"
#include "adapters/hl7v2/translate.hpp"
#include "gateway/mapping/mapping_set.hpp"

namespace gw::adapters::hl7v2::detail {

void Out::number(std::string_view k, double v) {
  key(k);
  comma();
  char tmp[32];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  put(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}

namespace {

/** kEscape[c]: whether byte c needs escaping in a JSON string (controls, '"' and '\\'). */
constexpr auto kEscape = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) {
    t[static_cast<std::size_t>(c)] = true;
  }
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

/** any_escape: whether any of the eight bytes in `w` needs escaping: a byte below 0x20, '"' or
 * '\\' (the "has a byte less than n / equal to c" bit tricks, exact for n <= 128). */
constexpr bool any_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t below = (w - kOnes * 0x20) & ~w & kHigh;
  return (below | zero_byte(w ^ (kOnes * '"')) | zero_byte(w ^ (kOnes * '\\'))) != 0;
}

}  // namespace

namespace {

/** clean_prefix: how many leading bytes of `s` need no escaping, checked eight at a time (the
 * last word overlapping the one before, so no byte is read past the end). */
[[gnu::noinline]] std::size_t clean_prefix(std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (end - p >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    if (any_escape(w)) {
      break;
    }
    p += 8;
  }
  if (p != end && end - p < 8 && s.size() >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, end - 8, 8);
    if (!any_escape(w)) {
      return s.size();
    }
  }
  while (p != end && !kEscape[static_cast<unsigned char>(*p)]) {
    ++p;
  }
  return static_cast<std::size_t>(p - s.data());
}

}  // namespace

void Out::quoted_part(std::string_view s) {
  std::size_t clean = 0;
  if (s.size() < 16) {
    // Short values (most of them): check and copy in one pass.
    char* d = room(s.size());
    for (; clean < s.size() && !kEscape[static_cast<unsigned char>(s[clean])]; ++clean) {
      d[clean] = s[clean];
    }
    n_ += clean;
  } else {
    clean = clean_prefix(s);
    std::memcpy(room(s.size()), s.data(), clean);
    n_ += clean;
  }
  if (clean != s.size()) {
    escaped(s.substr(clean));
  }
}

void Out::escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (!kEscape[c]) {
      put(ch);
      continue;
    }
    put('\\');
    switch (c) {
      case '"':
        put('"');
        break;
      case '\\':
        put('\\');
        break;
      case '\n':
        put('n');
        break;
      case '\t':
        put('t');
        break;
      case '\r':
        put('r');
        break;
      default:
        put(std::string_view("u00"));
        put(kHex[c >> 4]);
        put(kHex[c & 0xF]);
    }
  }
}

void Out::coding(std::string_view system, std::string_view code, std::string_view display) {
  begin();
  opt("system", system);
  opt("code", code);
  opt("display", display);
  end();
}

void Out::concept_of(std::string_view k, std::string_view system, std::string_view code,
                     std::string_view display) {
  // The same text as begin(k), array("coding"), coding(...), end_array(), end(), with the
  // constant parts written at once.
  key(k);
  put(std::string_view(R"({"coding":[{)"));
  after_key_ = false;
  need_comma_ = false;
  opt("system", system);
  opt("code", code);
  opt("display", display);
  put(std::string_view("}]}"));
  need_comma_ = true;
}

void Out::ods_identifier(std::string_view k, std::string_view ods) {
  key(k);
  put(std::string_view(R"({"identifier":{"system":")"));
  put(kOdsSystem);
  put(std::string_view(R"(","value":)"));
  quoted(ods);
  put(std::string_view("}}"));
  after_key_ = false;
  need_comma_ = true;
}

void Out::reference(std::string_view k, std::string_view type, std::string_view id,
                    std::string_view display) {
  begin(k);
  field("reference", type, "/", id);
  opt("display", display);
  end();
}

void Out::profile(std::string_view url) { raw_field("meta", R"({"profile":[")", url, R"("]})"); }

ValueRef value(const Ctx& c, std::string_view map, std::string_view code, std::string_view display,
               mapping::Mapped& miss) {
  // MappingSet::map_value's hit rule, read in place: the sender's override first, then the
  // adapter's map unless the override reads another source system.
  if (const mapping::MappingSet* set = c.mapper.set()) {
    const auto& am = set->adapter(mapping::Adapter::kAcute);
    const auto find = [map](const mapping::Rules& rules) -> const mapping::ValueMap* {
      const auto it = rules.value_maps.find(map);
      return it == rules.value_maps.end() ? nullptr : &it->second;
    };
    const mapping::ValueMap* base = find(am.base);
    const mapping::ValueMap* over = nullptr;
    if (auto o = am.overrides.find(c.sender.str()); o != am.overrides.end()) {
      over = find(o->second);
    }
    for (const mapping::ValueMap* vm : {over, base}) {
      if (vm == nullptr) {
        continue;
      }
      if (auto it = vm->codes.find(code); it != vm->codes.end()) {
        return {it->second, true};
      }
      if (vm == over && base != nullptr && over->from != base->from) {
        break;
      }
    }
  }
  miss = c.mapper.value(mapping::Adapter::kAcute, c.sender.str(), map, code, display);
  return {miss.coding, miss.mapped};
}

Error located(const Location& where, std::string_view what) {
  Error e = make_error(Errc::kUnprocessable,
                       where.str() + std::string(ingest::kLocationSeparator) + std::string(what));
  e.stage = kStage;
  return e;
}

Location at(std::string_view seg, int field, int component, int occurrence, int repetition) {
  Location l;
  l.segment = std::string(seg);
  l.field = field;
  l.component = component;
  l.occurrence = occurrence;
  l.repetition = repetition;
  return l;
}

std::string fhir_id(std::string_view prefix, std::string_view value) {
  std::string id(prefix);
  for (char ch : value) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
    id.push_back(ok ? ch : '-');
    if (id.size() >= 64) {
      break;
    }
  }
  id.resize(std::min<std::size_t>(id.size(), 64));
  return id;
}

Result<std::string> datetime(const Ctx& c, const Segment& s, int field, std::string_view seg_name,
                             int occurrence, int component) {
  const std::string_view raw = c.m.raw(s, field, 1, component);
  if (raw.empty() || is_null(raw)) {
    return std::string{};
  }
  std::string out;
  if (!to_fhir_datetime(raw, out)) {
    return located(at(seg_name, field, 0, occurrence),
                   "bad date (expected YYYY[MM[DD[HH[MM[SS]]]]][+/-ZZZZ])");
  }
  return out;
}

Location value_location(const Ctx& c, std::string_view map, Location fallback) {
  if (c.mapper.set() != nullptr) {
    if (const auto* vm = c.mapper.set()->value_map(mapping::Adapter::kAcute, c.sender.str(), map)) {
      Location l;
      if (Location::parse(vm->element, l)) {
        return l;
      }
    }
  }
  return fallback;
}

std::string read_at(const Message& m, const Location& l) {
  const Segment* s = m.find(l.segment, l.occurrence);
  if (s == nullptr) {
    return {};
  }
  return m.get(*s, l.field, l.repetition, l.component == 0 ? 1 : l.component,
               l.subcomponent == 0 ? 1 : l.subcomponent);
}

std::string_view practitioner_system(const Ctx& c, std::string_view authority,
                                     std::string& scratch) {
  // General Medical Council / GP (GMP "G" codes) / nursing and midwifery numbers, as UK Core
  // names their identifier systems; anything else is the sender's own code.
  if (authority == "GMC") {
    return "https://fhir.hl7.org.uk/Id/gmc-number";
  }
  if (authority == "GMP") {
    return "https://fhir.hl7.org.uk/Id/gmp-number";
  }
  if (authority == "NMC") {
    return "https://fhir.hl7.org.uk/Id/nmc-number";
  }
  scratch = cat("urn:caregw:id:", c.sender.str(), ":practitioner");
  return scratch;
}

std::string xcn_display(const Message& m, const Components& xcn) {
  std::string out;
  for (int comp : {6, 3, 2}) {  // prefix, given, family (XCN-6, XCN-3, XCN-2)
    if (auto v = m.text(xcn.raw(comp)); !v.empty()) {
      out += out.empty() ? "" : " ";
      out += v;
    }
  }
  return out;
}

}  // namespace gw::adapters::hl7v2::detail
