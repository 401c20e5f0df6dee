// STU3 -> R4 conversion driver: checks that the input is an STU3 resource, copies it, walks nested
// resources (Bundle entries, Parameters, contained), applies the per-type converter of
// gateway/fhir/convert/ and then the passes every resource gets: extensions, code systems,
// references to renamed types, STU3 profile claims, and a last check against R4's element names.
#include "gateway/fhir/stu3_to_r4.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "gateway/core/ascii.hpp"
#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir {
namespace {

using convert::Aggregator;
using convert::Alloc;
using convert::Context;
using convert::get;
using convert::get_text;
using convert::LazyPath;
using convert::object;
using convert::put;
using convert::safe_name;
using convert::take;
using convert::Value;
using convert::Where;

// parse_json() refuses JSON nested deeper than 100 containers by default; nothing convertible is
// deeper, and every pass below recurses by nesting level.
constexpr std::size_t kMaxDepth = 100;

/** deeper_than: whether a container in `v` (at `depth`, the root being 1) is nested deeper than
 *  `limit`. Recursion stops at limit + 1, so the stack stays shallow. */
bool deeper_than(const Value& v, std::size_t limit, std::size_t depth = 1) {
  if (depth > limit) {
    return true;
  }
  auto deeper = [&](const Value& child) {
    return (child.IsObject() || child.IsArray()) && deeper_than(child, limit, depth + 1);
  };
  if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      if (deeper(m->value)) {
        return true;
      }
    }
  } else if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      if (deeper(item)) {
        return true;
      }
    }
  }
  return false;
}

// --- references to the types R4 renamed --------------------------------------------------------

/** renamed_reference: "ReferralRequest/1" (also absolute, or a search) -> "ServiceRequest/1". */
std::optional<std::string> renamed_reference(std::string_view ref) {
  if (ref.find('q') == std::string_view::npos) {
    return std::nullopt;  // both names hold a 'q', which nearly no reference does
  }
  for (std::string_view old : {"ReferralRequest", "ProcedureRequest"}) {
    std::size_t pos = 0;
    while ((pos = ref.find(old, pos)) != std::string_view::npos) {
      std::size_t end = pos + old.size();
      bool starts = pos == 0 || ref[pos - 1] == '/';
      bool ends = end == ref.size() || ref[end] == '/' || ref[end] == '?';
      if (starts && ends) {
        std::string out(ref.substr(0, pos));
        out += "ServiceRequest";
        out += ref.substr(end);
        return out;
      }
      pos = end;
    }
  }
  return std::nullopt;
}

/** rename_reference: a reference string `v` (if it is one) to a renamed type, rewritten. */
void rename_reference(Value* v, Alloc& a) {
  if (v == nullptr || !v->IsString()) {
    return;
  }
  if (auto renamed = renamed_reference(convert::text(*v))) {
    v->SetString(renamed->data(), static_cast<rapidjson::SizeType>(renamed->size()), a);
  }
}

void rename_reference_at(Value& obj, std::string_view key, Alloc& a) {
  rename_reference(get(obj, key), a);
}

// --- code systems --------------------------------------------------------------------------------

/** mentions_stu3: whether `s` holds "/stu3/" in any case (found from its '3': few URLs hold one).
 */
bool mentions_stu3(std::string_view s) {
  for (std::size_t i = s.find('3'); i != std::string_view::npos; i = s.find('3', i + 1)) {
    if (i >= 4 && i + 1 < s.size() && s[i - 4] == '/' && ascii_lower(s[i - 3]) == 's' &&
        ascii_lower(s[i - 2]) == 't' && ascii_lower(s[i - 1]) == 'u' && s[i + 1] == '/') {
      return true;
    }
  }
  return false;
}

/**
 * Scan: what one look at an object's member names finds for the whole-resource passes (the first
 * member of a name counts, as a lookup by name would find it).
 */
struct Scan {
  bool nested_resource = false;  // a resourceType: a nested resource, converted on its own
  bool has_extension = false;
  bool has_modifier_extension = false;
  bool has_value = false;
  Value* system = nullptr;
  Value* reference = nullptr;
  const Value* code = nullptr;
};

Scan scan(Value& v) {
  Scan s;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string_view key = convert::text(m->name);
    switch (key.size()) {
      case 4:
        if (s.code == nullptr && named(key, "code")) {
          s.code = &m->value;
        }
        break;
      case 5:
        s.has_value = s.has_value || named(key, "value");
        break;
      case 6:
        if (s.system == nullptr && named(key, "system")) {
          s.system = &m->value;
        }
        break;
      case 9:
        s.has_extension = s.has_extension || named(key, "extension");
        if (s.reference == nullptr && named(key, "reference")) {
          s.reference = &m->value;
        }
        break;
      case 12:
        s.nested_resource = s.nested_resource || named(key, "resourceType");
        break;
      case 17:
        s.has_modifier_extension = s.has_modifier_extension || named(key, "modifierExtension");
        break;
      default:
        break;
    }
  }
  return s;
}

/** system_and_reference: one object's moved code system and renamed-type reference, if any. */
void system_and_reference(const Scan& s, LazyPath& path, Aggregator& agg, Context& ctx) {
  rename_reference(s.reference, ctx.alloc());
  // A Coding (or a Quantity's unit system) has a system and no value; an Identifier or a
  // ContactPoint has a value, and their systems are not code systems.
  if (s.system == nullptr || !s.system->IsString() || s.has_value) {
    return;
  }
  std::string_view text = convert::text(*s.system);
  // A URI has no spaces; a stray one (a published sample has "http://hl7.org/fhir/v3/NullFlavor
  // ") would hide a known system.
  std::string_view trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())) != 0) {
    trimmed.remove_suffix(1);
  }
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())) != 0) {
    trimmed.remove_prefix(1);
  }
  const std::string_view code = s.code != nullptr ? convert::text(*s.code) : std::string_view{};
  if (auto r4 = convert::r4_code_system(trimmed, code)) {
    if (trimmed.size() != text.size()) {
      agg.note(cat(path.str(), ".system"),
               cat("code system ", trimmed, " had surrounding white space; removed"), false);
    }
    s.system->SetString(r4->data(), static_cast<rapidjson::SizeType>(r4->size()), ctx.alloc());
  } else if (mentions_stu3(text)) {
    agg.note(path.str() + ".system",
             cat("code system ", text, " is an STU3 one with no known R4 successor; kept as is"),
             false);
  }
}

/** convert_systems_and_references: system_and_reference() for every object of `v` but nested
 *  resources. */
void convert_systems_and_references(Value& v, LazyPath& path, Aggregator& agg, Context& ctx) {
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      path.push_index(i);
      convert_systems_and_references(v[i], path, agg, ctx);
      path.pop();
    }
    return;
  }
  if (!v.IsObject()) {
    return;
  }
  const Scan s = scan(v);
  if (s.nested_resource) {
    return;
  }
  system_and_reference(s, path, agg, ctx);
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    if (m->value.IsObject() || m->value.IsArray()) {
      path.push_name(convert::text(m->name));
      convert_systems_and_references(m->value, path, agg, ctx);
      path.pop();
    }
  }
}

/**
 * convert_elements: the whole-resource passes in one walk of every element but nested
 * resources: extensions (convert_extension_lists, noted in `extensions`), then, on the converted
 * tree, the code systems that moved and the references to renamed types (noted in `systems`).
 * Each object's extension lists are converted before anything inside them is looked at for code
 * systems, so the result and the notes (order and paths) are those of one pass after the other;
 * the passes read and write different members of an object, so one visit does both.
 */
void convert_elements(Value& v, LazyPath& path, Aggregator& extensions, Aggregator& systems,
                      Context& ctx, bool root) {
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      path.push_index(i);
      convert_elements(v[i], path, extensions, systems, ctx, false);
      path.pop();
    }
    return;
  }
  if (!v.IsObject()) {
    return;
  }
  const Scan s = scan(v);
  if (s.nested_resource && !root) {
    return;
  }
  system_and_reference(s, path, systems, ctx);  // before the lists move: s points into members
  convert::convert_extension_lists(v, s.has_extension, s.has_modifier_extension, path, extensions,
                                   ctx);
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    if (!m->value.IsObject() && !m->value.IsArray()) {
      continue;
    }
    const std::string_view key = convert::text(m->name);
    path.push_name(key);
    if (named(key, "extension") || named(key, "modifierExtension")) {
      convert_systems_and_references(m->value, path, systems, ctx);
    } else {
      convert_elements(m->value, path, extensions, systems, ctx, false);
    }
    path.pop();
  }
}

// --- profiles and the final element check -------------------------------------------------------

void drop_profiles(Value& res, const Where& site, Context& ctx) {
  Value* meta = get(res, "meta");
  if (meta == nullptr || !meta->IsObject()) {
    return;
  }
  Value profiles = take(*meta, "profile");
  Value extensions = take(*meta, "_profile");
  if (profiles.IsNull() && extensions.IsNull()) {
    return;
  }
  convert::keep_value_as_extension(*meta, std::move(profiles), std::move(extensions), "Uri",
                                   Where{cat(site.path, ".meta.profile"), "Meta.profile"}, ctx,
                                   "STU3 profile claims do not apply to an R4 resource");
}

void check_elements(Value& res, const Where& site, Context& ctx) {
  const std::string_view type = get_text(res, "resourceType");
  const convert::R4Elements* known = convert::r4_elements(type);
  if (known == nullptr) {
    return;
  }
  std::vector<std::string> unknown;
  for (auto m = res.MemberBegin(); m != res.MemberEnd(); ++m) {
    std::string_view key = convert::text(m->name);
    std::string_view base = !key.empty() && key.front() == '_' ? key.substr(1) : key;
    if (named(key, "resourceType") || known->contains(base)) {
      continue;
    }
    if (std::find(unknown.begin(), unknown.end(), base) == unknown.end()) {
      unknown.emplace_back(base);
    }
  }
  if (unknown.empty()) {
    return;
  }
  const std::string type_name(type);  // keep_as_extension may move the member it points into
  for (const std::string& name : unknown) {
    convert::keep_as_extension(
        res, name, "", site.child(safe_name(name)), ctx,
        cat("not an element of R4 ", type_name, " (nor one this converter maps)"));
  }
}

// --- resources -----------------------------------------------------------------------------------

void convert_resource(Value& res, const std::string& container, const convert::TypeInfo& info,
                      Context& ctx);

void convert_nested(Value& v, const std::string& path, Context& ctx) {
  if (!v.IsObject()) {
    ctx.report(path, "not a resource (no JSON object); left unchanged", false);
    return;
  }
  std::string_view type = get_text(v, "resourceType");
  if (type.empty()) {
    ctx.report(path, "no resourceType; left unchanged", false);
    return;
  }
  const convert::TypeInfo* info = convert::type_info(type);
  if (info == nullptr || !info->stu3) {
    ctx.report(path, cat("resourceType ", safe_name(type), " is no STU3 type; left unchanged"),
               false);
    return;
  }
  convert_resource(v, path, *info, ctx);
}

/** STU3 Signature -> R4 Signature (http://hl7.org/fhir/R4/datatypes.html#Signature). */
void convert_signature(Value& sig, const Where& w, Context& ctx) {
  if (!sig.IsObject()) {
    return;
  }
  convert::rename(sig, "whoReference", "who", w, ctx);
  convert::rename(sig, "onBehalfOfReference", "onBehalfOf", w, ctx);
  convert::rename(sig, "contentType", "sigFormat", w, ctx);
  convert::rename(sig, "blob", "data", w, ctx);
  convert::keep_child_as_extension(sig, "whoUri", "Uri", w, ctx, "R4 Signature.who is a Reference");
  convert::keep_child_as_extension(sig, "onBehalfOfUri", "Uri", w, ctx,
                                   "R4 Signature.onBehalfOf is a Reference");
}

void convert_bundle(Value& bundle, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  if (Value* sig = get(bundle, "signature")) {
    convert_signature(*sig, site.child("signature"), ctx);
  }
  Value* entries = get(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) {
    return;
  }
  // R4 moved a message's time from MessageHeader.timestamp to Bundle.timestamp.
  Value timestamp;
  if (get_text(bundle, "type") == "message" && get(bundle, "timestamp") == nullptr &&
      !entries->Empty()) {
    if (Value* header = get((*entries)[0], "resource");
        header != nullptr && get_text(*header, "resourceType") == "MessageHeader") {
      if (Value* ts = get(*header, "timestamp"); ts != nullptr && ts->IsString()) {
        timestamp = Value(*ts, a);
      }
    }
  }
  std::map<std::string, std::string> service_requests;  // id -> entry path
  std::string path;           // "<bundle>.entry[i]": one buffer for every entry
  std::string resource_path;  // path + ".resource"
  for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
    Value& entry = (*entries)[i];
    path.assign(site.path).append(".entry[").append(std::to_string(i)).append("]");
    if (!entry.IsObject()) {
      ctx.report(path, "entry is no JSON object; left unchanged", false);
      continue;
    }
    rename_reference_at(entry, "fullUrl", a);
    if (get(entry, "resource") == nullptr && get(entry, "resourceType") != nullptr) {
      // Some published samples put the resource's elements straight into the entry; anything
      // that is not an entry element belongs to the resource.
      Value resource = object();
      for (auto m = entry.MemberBegin(); m != entry.MemberEnd();) {
        std::string_view key = convert::text(m->name);
        if (key == "link" || key == "fullUrl" || key == "search" || key == "request" ||
            key == "response") {
          ++m;
          continue;
        }
        resource.AddMember(m->name, m->value, a);
        m = entry.EraseMember(m);
      }
      entry.AddMember("resource", resource, a);
      ctx.report(path,
                 "the resource sits in the entry itself, not in entry.resource (malformed "
                 "Bundle); moved into entry.resource",
                 false);
    }
    if (Value* resource = get(entry, "resource")) {
      resource_path.assign(path).append(".resource");
      convert_nested(*resource, resource_path, ctx);
      if (get_text(*resource, "resourceType") == "ServiceRequest") {
        std::string id(get_text(*resource, "id"));
        auto [it, fresh] = service_requests.try_emplace(id, path);
        if (!fresh && !id.empty()) {
          ctx.report(path + ".resource",
                     cat("now a ServiceRequest with the same id as ", it->second,
                         " (ReferralRequest and ProcedureRequest both became ServiceRequest); "
                         "references to that id are ambiguous"),
                     false);
        }
      }
    }
    if (Value* request = get(entry, "request"); request != nullptr && request->IsObject()) {
      rename_reference_at(*request, "url", a);
    }
    if (Value* response = get(entry, "response"); response != nullptr && response->IsObject()) {
      if (Value* outcome = get(*response, "outcome")) {
        convert_nested(*outcome, path + ".response.outcome", ctx);
      }
    }
  }
  if (!timestamp.IsNull()) {
    put(bundle, "timestamp", std::move(timestamp), a);
  }
}

void convert_parameter(Value& param, const std::string& path, Context& ctx) {
  if (!param.IsObject()) {
    return;
  }
  if (Value* resource = get(param, "resource")) {
    convert_nested(*resource, path + ".resource", ctx);
  }
  if (Value* parts = get(param, "part"); parts != nullptr && parts->IsArray()) {
    for (rapidjson::SizeType i = 0; i < parts->Size(); ++i) {
      convert_parameter((*parts)[i], cat(path, ".part[", std::to_string(i), "]"), ctx);
    }
  }
}

void convert_parameters(Value& params, const Where& site, Context& ctx) {
  if (Value* list = get(params, "parameter"); list != nullptr && list->IsArray()) {
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      convert_parameter((*list)[i], cat(site.path, ".parameter[", std::to_string(i), "]"), ctx);
    }
  }
}

/** convert_resource: STU3 resource `res` (of the type `info` describes) to R4, in place. */
void convert_resource(Value& res, const std::string& container, const convert::TypeInfo& info,
                      Context& ctx) {
  std::string type(get_text(res, "resourceType"));
  Where site{container.empty() ? type : cat(container, ".", type), type};
  if (Value* contained = get(res, "contained"); contained != nullptr && contained->IsArray()) {
    for (rapidjson::SizeType i = 0; i < contained->Size(); ++i) {
      convert_nested((*contained)[i], cat(site.path, ".contained[", std::to_string(i), "]"), ctx);
    }
  }
  if (type == "Bundle") {
    convert_bundle(res, site, ctx);
  } else if (type == "Parameters") {
    convert_parameters(res, site, ctx);
  } else if (info.converter != nullptr) {
    info.converter(res, site, ctx);
  } else if (!info.r4) {
    ctx.report(site, cat("resource type ", type, " does not exist in R4; copied unchanged"), true);
  } else {
    ctx.report(site,
               cat("no STU3 -> R4 element mapping for ", type,
                   "; copied with only its extensions, code systems and references converted"),
               false);
  }
  Aggregator extensions;
  Aggregator systems;
  LazyPath path(site.path);
  convert_elements(res, path, extensions, systems, ctx, true);
  extensions.flush(ctx);
  systems.flush(ctx);
  drop_profiles(res, site, ctx);
  check_elements(res, site, ctx);
}

}  // namespace

namespace {

/** refusal: why `stu3` cannot be converted at all, if it cannot; its depth is measured unless
 *  `depth_known` (parse_json refused it deeper than the bound). */
std::optional<Error> refusal(const rapidjson::Value& stu3, bool depth_known = false) {
  if (!stu3.IsObject()) {
    return make_error(Errc::kUnprocessable, "not an STU3 resource: not a JSON object");
  }
  const Value* type = get(stu3, "resourceType");
  if (type == nullptr || !type->IsString()) {
    return make_error(Errc::kUnprocessable, "not an STU3 resource: no string resourceType");
  }
  if (!convert::is_stu3_type(convert::text(*type))) {
    return make_error(Errc::kUnprocessable,
                      cat("not an STU3 resource: resourceType ", safe_name(convert::text(*type)),
                          " is not defined by FHIR STU3"));
  }
  if (!depth_known && deeper_than(stu3, kMaxDepth)) {
    return make_error(Errc::kUnprocessable,
                      cat("resource nested deeper than ", std::to_string(kMaxDepth), " levels"));
  }
  return std::nullopt;
}

/** convert_owned: converts the document `out.resource` holds, in place. */
Converted convert_owned(Converted out) {
  Context ctx(out.resource.GetAllocator(), out.issues);
  // refusal() found the root's resourceType to be an STU3 type.
  const convert::TypeInfo* info = convert::type_info(get_text(out.resource, "resourceType"));
  convert_resource(out.resource, "", *info, ctx);
  return out;
}

/** convert_moved: converts a document the caller no longer needs, in place; its depth is not
 *  measured when `depth_known` (refusal). */
Result<Converted> convert_moved(Json&& stu3, bool depth_known) {
  if (auto e = refusal(stu3, depth_known)) {
    return *e;
  }
  Converted out;
  out.resource = std::move(stu3);
  return convert_owned(std::move(out));
}

}  // namespace

Result<Converted> stu3_to_r4(const rapidjson::Value& stu3) {
  if (auto e = refusal(stu3)) {
    return *e;
  }
  Converted out;
  out.resource.CopyFrom(stu3, out.resource.GetAllocator());
  return convert_owned(std::move(out));
}

Result<Converted> stu3_to_r4(Json&& stu3) { return convert_moved(std::move(stu3), false); }

Result<Converted> stu3_to_r4(Json&& stu3, const ParseLimits& parsed_with) {
  // parse_json's bound counts levels as deeper_than does: a root container alone is one level.
  return convert_moved(std::move(stu3), parsed_with.max_depth <= kMaxDepth);
}

}  // namespace gw::fhir
