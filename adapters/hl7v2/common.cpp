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
  char tmp[32];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  raw_field(k, std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}

void Out::grow(std::size_t k) {
  const auto used = static_cast<std::size_t>(cur_ - buf_.data());
  buf_.resize(std::max(buf_.size() * 2, used + k));
  cur_ = buf_.data() + used;
  end_ = buf_.data() + buf_.size();
}

void Out::escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  char* d = room(s.size() * 6);  // the longest escape, \u00XX, is six bytes
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (!needs_json_escape(ch)) {
      *d++ = ch;
      continue;
    }
    *d++ = '\\';
    switch (c) {
      case '"':
        *d++ = '"';
        break;
      case '\\':
        *d++ = '\\';
        break;
      case '\n':
        *d++ = 'n';
        break;
      case '\t':
        *d++ = 't';
        break;
      case '\r':
        *d++ = 'r';
        break;
      default:
        *d++ = 'u';
        *d++ = '0';
        *d++ = '0';
        *d++ = kHex[c >> 4];
        *d++ = kHex[c & 0xF];
    }
  }
  cur_ = d;
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
  raw_field(k, R"({"coding":[{)");
  need_comma_ = false;
  opt("system", system);
  opt("code", code);
  opt("display", display);
  put(std::string_view("}]}"));
  need_comma_ = true;
}

void Out::ods_identifier(std::string_view k, std::string_view ods) {
  raw_field(k, R"({"identifier":{"system":")", kOdsSystem, R"(","value":)");
  quoted(ods);
  put(std::string_view("}}"));
  need_comma_ = true;
}

void Out::reference(std::string_view k, std::string_view type, std::string_view id,
                    std::string_view display) {
  begin(k);
  field("reference", {type, "/", id});
  opt("display", display);
  end();
}

void Out::profile(Lit url) { raw_field("meta", R"({"profile":[")", url.view(), R"("]})"); }

void bind_rules(Ctx& c) {
  if (const mapping::MappingSet* set = c.mapper.set()) {
    const auto& am = set->adapter(mapping::Adapter::kAcute);
    c.base_rules = &am.base;
    if (auto o = am.overrides.find(c.sender.str()); o != am.overrides.end()) {
      c.sender_rules = &o->second;
    }
  }
}

ValueMaps value_maps(const Ctx& c, std::string_view map) {
  const auto find = [map](const mapping::Rules* rules) -> const mapping::ValueMap* {
    if (rules == nullptr) {
      return nullptr;
    }
    const auto it = rules->value_maps.find(map);
    return it == rules->value_maps.end() ? nullptr : &it->second;
  };
  return {find(c.base_rules), find(c.sender_rules)};
}

ValueRef value(const Ctx& c, std::string_view map, std::string_view code, std::string_view display,
               mapping::Mapped& miss) {
  return value(c, value_maps(c, map), map, code, display, miss);
}

ValueRef value(const Ctx& c, const ValueMaps& maps, std::string_view map, std::string_view code,
               std::string_view display, mapping::Mapped& miss) {
  // MappingSet::map_value's hit rule, read in place: the sender's override first, then the
  // adapter's map unless the override reads another source system.
  const mapping::ValueMap* base = maps.base;
  const mapping::ValueMap* over = maps.sender;
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
  return fhir_id(prefix, std::span<const std::string_view>(&value, 1));
}

std::string fhir_id(std::string_view prefix, std::span<const std::string_view> parts) {
  std::string id(prefix);
  const auto append = [&id](std::string_view part) {
    for (char ch : part) {
      const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
      id.push_back(ok ? ch : '-');
      if (id.size() >= 64) {
        return false;
      }
    }
    return true;
  };
  for (std::string_view part : parts) {
    if (!append(part)) {
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
  return value_location(value_maps(c, map), std::move(fallback));
}

Location value_location(const ValueMaps& maps, Location fallback) {
  if (const auto* vm = maps.effective()) {
    Location l;
    if (Location::parse(vm->element, l)) {
      return l;
    }
  }
  return fallback;
}

Text read_at(const Message& m, const Location& l) {
  const Segment* s = m.find(l.segment, l.occurrence);
  if (s == nullptr) {
    return {};
  }
  // As Message::get reads it: MSH-1 and MSH-2 (the separators) are never decoded.
  const std::string_view raw = m.raw(*s, l.field, l.repetition, l.component == 0 ? 1 : l.component,
                                     l.subcomponent == 0 ? 1 : l.subcomponent);
  if (s->id == "MSH" && l.field <= 2) {
    return is_null(raw) ? Text{} : Text(raw);
  }
  return m.value(raw);
}

void practitioner_system(Out& o, const Ctx& c, std::string_view authority) {
  // General Medical Council / GP (GMP "G" codes) / nursing and midwifery numbers, as UK Core
  // names their identifier systems; anything else is the sender's own code.
  if (authority == "GMC") {
    o.constant("system", "https://fhir.hl7.org.uk/Id/gmc-number");
  } else if (authority == "GMP") {
    o.constant("system", "https://fhir.hl7.org.uk/Id/gmp-number");
  } else if (authority == "NMC") {
    o.constant("system", "https://fhir.hl7.org.uk/Id/nmc-number");
  } else {
    o.field("system", {"urn:caregw:id:", c.sender.str(), ":practitioner"});
  }
}

void xcn_display(Out& o, const Message& m, const Components& xcn) {
  const std::array<Text, 3> names{m.value(xcn.raw(6)), m.value(xcn.raw(3)), m.value(xcn.raw(2))};
  std::array<std::string_view, 5> parts{};
  std::size_t n = 0;
  for (const Text& name : names) {
    if (!name.empty()) {
      if (n > 0) {
        parts[n++] = " ";
      }
      parts[n++] = name.view();
    }
  }
  if (n > 0) {
    o.field("display", {parts[0], parts[1], parts[2], parts[3], parts[4]});
  }
}

}  // namespace gw::adapters::hl7v2::detail
