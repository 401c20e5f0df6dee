// JSON editing helpers shared by the STU3 -> R4 converters: find, move, rename and re-shape
// elements of a RapidJSON object in place, and keep what R4 has no element for as HL7
// cross-version extensions (http://hl7.org/fhir/R4/versions.html#extensions).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

rapidjson::SizeType size_of(std::string_view s) {
  return static_cast<rapidjson::SizeType>(s.size());
}

/**
 * Under: "_" + name, the member holding a primitive's id and extensions, without allocating for
 * names of usual length (these are looked up for nearly every element a converter touches).
 */
class Under {
public:
  explicit Under(std::string_view name) {
    if (name.size() < short_.size()) {
      short_[0] = '_';
      std::memcpy(short_.data() + 1, name.data(), name.size());
      view_ = std::string_view(short_.data(), name.size() + 1);
    } else {
      long_ = cat("_", name);
      view_ = long_;
    }
  }
  Under(const Under&) = delete;
  Under& operator=(const Under&) = delete;
  operator std::string_view() const { return view_; }  // NOLINT(google-explicit-constructor)

private:
  std::array<char, 48> short_{};
  std::string long_;
  std::string_view view_;
};

/** find: the first member `name` of object `obj` (MemberEnd() when absent), as get() finds it. */
Value::MemberIterator find(Value& obj, std::string_view name) {
  auto m = obj.MemberBegin();
  while (m != obj.MemberEnd() && !json_name_is(m->name, name)) {
    ++m;
  }
  return m;
}

/** generic_extension: a value of unknown FHIR type as an extension (see make_extension). */
Value generic_extension(std::string_view url, Value&& v, Alloc& a) {
  Value ext = object();
  ext.AddMember("url", str(url, a), a);
  if (v.IsString()) {
    ext.AddMember("valueString", v, a);
  } else if (v.IsBool()) {
    ext.AddMember("valueBoolean", v, a);
  } else if (v.IsInt()) {
    ext.AddMember("valueInteger", v, a);
  } else if (v.IsNumber()) {
    ext.AddMember("valueDecimal", v, a);
  } else if (v.IsObject()) {
    Value children = array();
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      std::string_view key = text(m->name);
      if (m->value.IsArray()) {
        for (auto& item : m->value.GetArray()) {
          children.PushBack(generic_extension(key, std::move(item), a), a);
        }
      } else if (!m->value.IsNull()) {
        children.PushBack(generic_extension(key, std::move(m->value), a), a);
      }
    }
    ext.AddMember("extension", children, a);
  } else if (v.IsArray()) {
    // An array inside an array has no FHIR meaning; keep each item under the same name.
    Value children = array();
    for (auto& item : v.GetArray()) {
      children.PushBack(generic_extension("item", std::move(item), a), a);
    }
    ext.AddMember("extension", children, a);
  }
  return ext;
}

}  // namespace

std::string LazyPath::str() const { return ElementPath::str(safe_name); }

Where Where::child(std::string_view name) const {
  Where w;
  w.path = path;
  w.path += '.';
  w.path += name;
  w.def = def;
  w.def += '.';
  w.def += name;
  return w;
}

Where Where::item(std::size_t i) const {
  Where w = *this;
  w.path += '[';
  w.path += std::to_string(i);
  w.path += ']';
  return w;
}

void Context::report(const Where& w, std::string message, bool dropped) {
  report(w.path, std::move(message), dropped);
}

void Context::report(std::string path, std::string message, bool dropped) {
  issues_.push_back(ConversionIssue{std::move(path), std::move(message), dropped});
}

void Aggregator::note(const std::string& path, std::string message, bool dropped) {
  for (Entry& e : entries_) {
    if (e.message == message) {
      ++e.count;
      return;
    }
  }
  entries_.push_back(Entry{std::move(message), path, 1, dropped});
}

void Aggregator::flush(Context& ctx) {
  for (Entry& e : entries_) {
    if (e.count > 1) {
      e.message += cat(" (", std::to_string(e.count), " occurrences in this resource)");
    }
    ctx.report(std::move(e.path), std::move(e.message), e.dropped);
  }
  entries_.clear();
}

std::string_view get_text(const Value& obj, std::string_view name) {
  const Value* v = get(obj, name);
  return v == nullptr ? std::string_view{} : text(*v);
}

Value take(Value& obj, std::string_view name) {
  Value out;
  if (!obj.IsObject()) {
    return out;
  }
  auto it = find(obj, name);
  if (it != obj.MemberEnd()) {
    out.Swap(it->value);
    obj.EraseMember(it);
  }
  return out;
}

void put(Value& obj, std::string_view name, Value&& v, Alloc& a) {
  if (!obj.IsObject()) {
    return;
  }
  if (Value* there = get(obj, name)) {
    *there = v;  // RapidJSON assignment moves
    return;
  }
  obj.AddMember(str(name, a), v, a);
}

Value str(std::string_view s, Alloc& a) { return Value(s.data(), size_of(s), a); }

Value object() { return Value(rapidjson::kObjectType); }

Value array() { return Value(rapidjson::kArrayType); }

bool append(Value& obj, std::string_view name, Value&& v, Alloc& a) {
  if (!obj.IsObject()) {
    return false;
  }
  Value* arr = get(obj, name);
  if (arr == nullptr) {
    obj.AddMember(str(name, a), array(), a);
    arr = get(obj, name);
  }
  if (arr == nullptr || !arr->IsArray()) {
    return false;
  }
  arr->PushBack(v, a);
  return true;
}

std::string safe_code(std::string_view code, std::initializer_list<std::string_view> known) {
  if (std::find(known.begin(), known.end(), code) != known.end()) {
    return cat("'", code, "'");
  }
  return "an unrecognised code";
}

std::string safe_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
  // A name made only of digits could be an identifier, so it is never echoed.
  bool digits_only = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
  return ok && !digits_only ? std::string(name) : std::string("<unprintable name>");
}

void rename(Value& obj, std::string_view from, std::string_view to, const Where& w, Context& ctx) {
  if (!obj.IsObject()) {
    return;
  }
  const Under under_from(from);
  const Under under_to(to);
  for (const auto& [f, t] : {std::pair<std::string_view, std::string_view>{from, to},
                             std::pair<std::string_view, std::string_view>{under_from, under_to}}) {
    auto it = find(obj, f);
    if (it == obj.MemberEnd()) {
      continue;
    }
    if (get(obj, t) != nullptr) {
      keep_as_extension(obj, f, "", w.child(f), ctx,
                        cat("R4 element '", to, "' is already present"));
      continue;
    }
    it->name.SetString(t.data(), size_of(t), ctx.alloc());
  }
}

void wrap_in_array(Value& obj, std::string_view name, Alloc& a) {
  const Under under_name(name);
  for (std::string_view n : {name, std::string_view(under_name)}) {
    Value* v = get(obj, n);
    if (v == nullptr || v->IsArray()) {
      continue;
    }
    Value item;
    item.Swap(*v);
    Value arr = array();
    arr.Reserve(1, a);
    arr.PushBack(item, a);
    *v = arr;
  }
}

void code_to_concept(Value& obj, std::string_view name, std::string_view system,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> codes,
                     const Where& w, Context& ctx) {
  Alloc& a = ctx.alloc();
  Value* v = get(obj, name);
  if (v == nullptr) {
    // Only `_name` (e.g. a data-absent-reason): its extensions move onto the CodeableConcept.
    Value primitive = take(obj, Under(name));
    if (primitive.IsObject()) {
      Value concept_value = object();
      if (Value* exts = get(primitive, "extension")) {
        concept_value.AddMember("extension", *exts, a);
      }
      if (concept_value.MemberCount() > 0) {
        put(obj, name, std::move(concept_value), a);
      }
    }
    return;
  }
  if (v->IsObject()) {
    ctx.report(w.child(name), "already a CodeableConcept (not STU3); left unchanged", false);
    return;
  }
  std::string_view code = text(*v);
  auto known =
      std::find_if(codes.begin(), codes.end(), [&](const auto& c) { return c.first == code; });
  if (!v->IsString() || known == codes.end()) {
    keep_as_extension(obj, name, "Code", w.child(name), ctx,
                      cat("not a code of ", system, " (R4 has no equivalent)"));
    return;
  }
  Value primitive = take(obj, Under(name));
  Value coding = object();
  reserve_members(coding, primitive.IsObject() ? 4 : 3, a);
  // The system and the known codes and displays are literals: referred to, not copied.
  coding.AddMember("system", rapidjson::StringRef(system.data(), size_of(system)), a);
  coding.AddMember("code", rapidjson::StringRef(known->first.data(), size_of(known->first)), a);
  if (primitive.IsObject()) {
    coding.AddMember("_code", primitive, a);
  }
  coding.AddMember("display", rapidjson::StringRef(known->second.data(), size_of(known->second)),
                   a);
  Value concept_value = object();
  reserve_members(concept_value, 1, a);
  Value coding_list = array();
  coding_list.Reserve(1, a);
  coding_list.PushBack(coding, a);
  concept_value.AddMember("coding", coding_list, a);
  put(obj, name, std::move(concept_value), a);
}

void map_codes(Value& obj, std::string_view name,
               std::initializer_list<std::pair<std::string_view, std::string_view>> map) {
  Value* v = get(obj, name);
  if (v == nullptr || !v->IsString()) {
    return;
  }
  for (const auto& [from, to] : map) {
    if (text(*v) == from) {
      v->SetString(rapidjson::StringRef(to.data(), size_of(to)));  // static storage
      return;
    }
  }
}

std::string cross_version_url(std::string_view def) {
  std::string url(kCrossVersionBase);
  url += def;
  return url;
}

Value make_extension(std::string_view url, std::string_view type, Value&& v, Value&& primitive,
                     Alloc& a) {
  if (type.empty()) {
    if (v.IsNull() && primitive.IsObject()) {
      // Only the `_x` of a primitive: its extensions become the sub-extensions.
      Value ext = object();
      ext.AddMember("url", str(url, a), a);
      if (Value* exts = get(primitive, "extension"); exts != nullptr && exts->IsArray()) {
        ext.AddMember("extension", *exts, a);
      }
      return ext;
    }
    Value ext = generic_extension(url, std::move(v), a);
    if (primitive.IsObject()) {
      for (const char* key : {"valueString", "valueBoolean", "valueInteger", "valueDecimal"}) {
        if (get(ext, key) != nullptr) {
          ext.AddMember(str(Under(key), a), primitive, a);
          break;
        }
      }
    }
    return ext;
  }
  Value ext = object();
  ext.AddMember("url", str(url, a), a);
  std::string key = "value";
  key += type;
  if (!v.IsNull()) {
    ext.AddMember(str(key, a), v, a);
  }
  if (primitive.IsObject()) {
    ext.AddMember(str(Under(key), a), primitive, a);
  }
  return ext;
}

bool add_extension(Value& holder, Value&& ext, Alloc& a) {
  return append(holder, "extension", std::move(ext), a);
}

void keep_value_as_extension(Value& holder, Value&& v, Value&& primitive, std::string_view type,
                             const Where& w, Context& ctx, std::string_view why) {
  Alloc& a = ctx.alloc();
  std::string url = cross_version_url(w.def);
  bool kept = true;
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      Value p;
      if (primitive.IsArray() && i < primitive.Size() && primitive[i].IsObject()) {
        p.Swap(primitive[i]);
      }
      kept =
          add_extension(holder, make_extension(url, type, std::move(v[i]), std::move(p), a), a) &&
          kept;
    }
  } else {
    kept =
        add_extension(holder, make_extension(url, type, std::move(v), std::move(primitive), a), a);
  }
  std::string message(why);
  message += kept ? cat("; kept as extension ", url)
                  : std::string("; lost: the element's extension list is malformed");
  ctx.report(w, std::move(message), true);
}

void keep_as_extension(Value& obj, std::string_view name, std::string_view type, const Where& w,
                       Context& ctx, std::string_view why) {
  Value v = take(obj, name);
  Value primitive = take(obj, Under(name));
  if (v.IsNull() && primitive.IsNull()) {
    return;
  }
  keep_value_as_extension(obj, std::move(v), std::move(primitive), type, w, ctx, why);
}

void keep_child_as_extension(Value& obj, std::string_view name, std::string_view type,
                             const Where& parent, Context& ctx, std::string_view why) {
  if (get(obj, name) == nullptr && get(obj, Under(name)) == nullptr) {
    return;  // nothing to keep: the child's Where is not built
  }
  keep_as_extension(obj, name, type, parent.child(name), ctx, why);
}

std::string_view reference_type(const Value& reference) {
  std::string_view ref = get_text(reference, "reference");
  if (ref.empty() || ref.front() == '#') {
    return {};
  }
  // [base/]Type/id[/_history/vid]
  if (auto h = ref.find("/_history/"); h != std::string_view::npos) {
    ref = ref.substr(0, h);
  }
  auto slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0) {
    return {};
  }
  std::string_view head = ref.substr(0, slash);
  auto prev = head.rfind('/');
  return prev == std::string_view::npos ? head : head.substr(prev + 1);
}

void context_to_encounter(Value& res, const Where& site, Context& ctx) {
  Value* c = get(res, "context");
  if (c == nullptr) {
    return;
  }
  if (reference_type(*c) == "EpisodeOfCare") {
    keep_child_as_extension(res, "context", "Reference", site, ctx,
                            "R4 'encounter' cannot reference an EpisodeOfCare");
    return;
  }
  rename(res, "context", "encounter", site, ctx);
}

void flatten_requester(Value& res, const Where& site, Context& ctx) {
  Value* req = get(res, "requester");
  if (req == nullptr || !req->IsObject() || get(*req, "reference") != nullptr ||
      get(*req, "agent") == nullptr) {
    return;  // absent, or already a plain Reference
  }
  Alloc& a = ctx.alloc();
  Value agent = take(*req, "agent");
  Value on_behalf = take(*req, "onBehalfOf");
  Value rest = take(res, "requester");
  if (!agent.IsObject()) {
    agent = object();
  }
  // Extensions on the STU3 backbone element move onto the R4 Reference.
  if (Value* exts = get(rest, "extension"); exts != nullptr && exts->IsArray()) {
    for (auto& e : exts->GetArray()) {
      add_extension(agent, std::move(e), a);
    }
  }
  if (!on_behalf.IsNull()) {
    keep_value_as_extension(agent, std::move(on_behalf), Value(), "Reference",
                            site.child("requester").child("onBehalfOf"), ctx,
                            "R4 'requester' is a single Reference with no onBehalfOf");
  }
  if (Value* mods = get(rest, "modifierExtension"); mods != nullptr) {
    keep_value_as_extension(agent, std::move(*mods), Value(), "",
                            site.child("requester").child("modifierExtension"), ctx,
                            "R4 'requester' (a Reference) cannot carry modifier extensions");
  }
  put(res, "requester", std::move(agent), a);
}

std::optional<rapidjson::SizeType> find_extension(const Value& holder,
                                                  std::initializer_list<std::string_view> urls) {
  const Value* exts = get(holder, "extension");
  if (exts == nullptr || !exts->IsArray()) {
    return std::nullopt;
  }
  for (rapidjson::SizeType i = 0; i < exts->Size(); ++i) {
    std::string_view url = get_text((*exts)[i], "url");
    for (std::string_view u : urls) {
      if (same_url(url, u)) {
        return i;
      }
    }
  }
  return std::nullopt;
}

Value take_extension(Value& holder, rapidjson::SizeType index) {
  Value out;
  Value* exts = get(holder, "extension");
  if (exts == nullptr || !exts->IsArray() || index >= exts->Size()) {
    return out;
  }
  out.Swap((*exts)[index]);
  exts->Erase(exts->Begin() + index);
  if (exts->Empty()) {
    (void)take(holder, "extension");  // an empty array is not valid FHIR JSON
  }
  return out;
}

bool same_url(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) {
    if (s.substr(0, 8) == "https://") {
      return s.substr(8);
    }
    if (s.substr(0, 7) == "http://") {
      return s.substr(7);
    }
    return s;
  };
  return strip(a) == strip(b);
}

/** data_absent: a primitive's `_x` saying its value is unknown (required element, no source). */
Value data_absent(Alloc& a) {
  Value ext = object();
  ext.AddMember("url", "http://hl7.org/fhir/StructureDefinition/data-absent-reason", a);
  ext.AddMember("valueCode", "unknown", a);
  Value exts = array();
  exts.PushBack(ext, a);
  Value element = object();
  element.AddMember("extension", exts, a);
  return element;
}

}  // namespace gw::fhir::convert
