// Internals of the STU3 -> R4 conversion (gateway/fhir/stu3_to_r4.hpp): the conversion context,
// the JSON editing helpers every converter uses, the per-resource converters and the lookup
// tables (STU3/R4 type lists, R4 element names, code systems, CareConnect extensions).
// Private to gw_fhir: include it only from gateway/fhir/stu3_to_r4.cpp and gateway/fhir/convert/.
#pragma once

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/cat.hpp"
#include "gateway/fhir/json_lookup.hpp"
#include "gateway/fhir/name_table.hpp"
#include "gateway/fhir/stu3_to_r4.hpp"

namespace gw::fhir::convert {

using Value = rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

/** Base of the HL7 cross-version extensions (http://hl7.org/fhir/R4/versions.html#extensions). */
inline constexpr std::string_view kCrossVersionBase =
    "http://hl7.org/fhir/3.0/StructureDefinition/extension-";

/**
 * Where: an element of the input. `path` names the instance (with indices) for issues; `def`
 * names the element definition (STU3 type, no indices) for cross-version extension URLs.
 */
struct Where {
  std::string path;
  std::string def;

  /** child: the element `name` inside this one. */
  [[nodiscard]] Where child(std::string_view name) const;
  /** item: the i-th repetition of this element (the definition path is unchanged). */
  [[nodiscard]] Where item(std::size_t i) const;
};

/**
 * LazyPath: where a recursive pass is, as segments (member names and array indexes) under a root
 * path, made into text only when an issue needs it, since nearly every element has nothing to
 * report. Member names are written through safe_name.
 */
class LazyPath : public ElementPath {
public:
  using ElementPath::ElementPath;
  /** str: the path as issues give it ("Condition.code.coding[0]"). */
  [[nodiscard]] std::string str() const;
};

/** Context: the output allocator and the issue list of one stu3_to_r4() call. Not thread-safe. */
class Context {
public:
  Context(Alloc& alloc, std::vector<ConversionIssue>& issues) : alloc_(alloc), issues_(issues) {}

  [[nodiscard]] Alloc& alloc() const { return alloc_; }
  /** report: records an issue at `w` (message must hold no patient data). */
  void report(const Where& w, std::string message, bool dropped);
  void report(std::string path, std::string message, bool dropped);

private:
  Alloc& alloc_;
  std::vector<ConversionIssue>& issues_;
};

/**
 * Aggregator: collects issues that repeat within one resource (the same extension or code system
 * on every coding) and reports each once, with the first path and a count.
 */
class Aggregator {
public:
  void note(const std::string& path, std::string message, bool dropped);
  /** flush: reports what was noted, in first-seen order, and forgets it. */
  void flush(Context& ctx);

private:
  struct Entry {
    std::string message;
    std::string path;
    std::size_t count;
    bool dropped;
  };
  std::vector<Entry> entries_;
};

/** Converter: rewrites one resource of a given STU3 type in place (already a copy of the input). */
using Converter = void (*)(Value& resource, const Where& site, Context& ctx);

// ---------------------------------------------------------------------------------------------
// JSON helpers (helpers.cpp). Every helper tolerates malformed input: wrong JSON types are left
// alone (and reported where that matters), never asserted on.

/** text: the string in `v`, or empty when `v` is not a string. */
[[nodiscard]] inline std::string_view text(const Value& v) { return json_text(v); }

/** get: the member `name` of object `obj`, or nullptr. */
[[nodiscard]] inline const Value* get(const Value& obj, std::string_view name) {
  return json_member(obj, name);
}
[[nodiscard]] inline Value* get(Value& obj, std::string_view name) {
  return const_cast<Value*>(get(static_cast<const Value&>(obj), name));
}
/** get_text: the string member `name`, or empty. */
[[nodiscard]] std::string_view get_text(const Value& obj, std::string_view name);
/** data_absent: an element holding only a data-absent-reason 'unknown' extension, for a
 *  required R4 element the STU3 source does not have. */
Value data_absent(Alloc& a);

/** take: removes member `name` from `obj` and returns its value (null when absent). */
[[nodiscard]] Value take(Value& obj, std::string_view name);
/** put: sets member `name` of `obj` (replacing any value there), appending it when new. */
void put(Value& obj, std::string_view name, Value&& v, Alloc& a);
/** str: a string value copied into the output allocator. */
[[nodiscard]] Value str(std::string_view s, Alloc& a);
/** object / array: empty JSON containers. */
[[nodiscard]] Value object();
[[nodiscard]] Value array();
/** append: pushes `v` onto the array member `name` of `obj`, creating it; false if not an array. */
bool append(Value& obj, std::string_view name, Value&& v, Alloc& a);

/** safe_code: `code` when it is one of `known` (so safe to echo in a message), else a marker. */
[[nodiscard]] std::string safe_code(std::string_view code,
                                    std::initializer_list<std::string_view> known);
/** safe_name: an element or type name fit for a message (letters, digits, '_'), else a marker. */
[[nodiscard]] std::string safe_name(std::string_view name);

/**
 * rename: moves `from` (and its primitive extension `_from`) to `to`, keeping its place. When
 * `to` is already present, `from` is kept as an extension instead and reported.
 */
void rename(Value& obj, std::string_view from, std::string_view to, const Where& w, Context& ctx);
/** wrap_in_array: an element that became 0..* in R4: a single value becomes a one-item array. */
void wrap_in_array(Value& obj, std::string_view name, Alloc& a);
/**
 * code_to_concept: a `code` that became a CodeableConcept in R4, coded in `system`; codes not in
 * `codes` (code, display pairs) are kept as an extension and reported. `system` and `codes` must
 * be literals (static storage): the new Coding refers to them rather than copying them.
 */
void code_to_concept(Value& obj, std::string_view name, std::string_view system,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> codes,
                     const Where& w, Context& ctx);
/** map_codes: rewrites a `code` element through `map` (STU3 code -> R4 code); others untouched. */
void map_codes(Value& obj, std::string_view name,
               std::initializer_list<std::pair<std::string_view, std::string_view>> map);

/** cross_version_url: the HL7 cross-version extension URL for an STU3 element definition path. */
[[nodiscard]] std::string cross_version_url(std::string_view def);
/**
 * make_extension: {url, value<type>: v}; `primitive` (the `_x` of a primitive, or null) becomes
 * `_value<type>`. With an empty `type` the value is encoded generically: strings, booleans and
 * numbers by JSON type, objects as complex extensions named by their members.
 */
[[nodiscard]] Value make_extension(std::string_view url, std::string_view type, Value&& v,
                                   Value&& primitive, Alloc& a);
/** add_extension: appends `ext` to holder.extension; false (nothing added) if that is no array. */
bool add_extension(Value& holder, Value&& ext, Alloc& a);
/**
 * keep_as_extension: removes `name` (and `_name`) from `obj` and keeps it as cross-version
 * extension(s) on `obj` (one per repetition), reporting it as dropped with `why`.
 */
void keep_as_extension(Value& obj, std::string_view name, std::string_view type, const Where& w,
                       Context& ctx, std::string_view why);
/** keep_child_as_extension: keep_as_extension at parent.child(name), built only when `name` (or
 *  `_name`) is there, as it rarely is. */
void keep_child_as_extension(Value& obj, std::string_view name, std::string_view type,
                             const Where& parent, Context& ctx, std::string_view why);
/** keep_value_as_extension: as keep_as_extension, for a value already taken out of `holder`. */
void keep_value_as_extension(Value& holder, Value&& v, Value&& primitive, std::string_view type,
                             const Where& w, Context& ctx, std::string_view why);

/** reference_type: the resource type a Reference points at ("" when it cannot be told). */
[[nodiscard]] std::string_view reference_type(const Value& reference);
/** context_to_encounter: STU3 `context` -> R4 `encounter` (an EpisodeOfCare is kept aside). */
void context_to_encounter(Value& res, const Where& site, Context& ctx);
/** flatten_requester: STU3 requester {agent, onBehalfOf} -> R4 requester (a Reference). */
void flatten_requester(Value& res, const Where& site, Context& ctx);
/** find_extension: index of the first extension of `holder` with one of `urls`, if any. */
[[nodiscard]] std::optional<rapidjson::SizeType> find_extension(
    const Value& holder, std::initializer_list<std::string_view> urls);
/** take_extension: removes and returns extension `index` of holder.extension. */
[[nodiscard]] Value take_extension(Value& holder, rapidjson::SizeType index);
/** same_url: URL equality that accepts http:// for https:// (some published samples use it). */
[[nodiscard]] bool same_url(std::string_view a, std::string_view b);

// ---------------------------------------------------------------------------------------------
// Lookup tables (tables.cpp).

/** R4Elements: the top-level element names of an R4 type (choice types expanded). */
struct R4Elements {
  explicit R4Elements(std::vector<std::string> element_names)
      : names(std::move(element_names)), table(entries(names)) {}
  R4Elements(const R4Elements&) = delete;  // `table` holds views of `names`
  R4Elements& operator=(const R4Elements&) = delete;

  [[nodiscard]] bool contains(std::string_view name) const { return table.find(name) != nullptr; }

  const std::vector<std::string> names;
  const NameTable<bool> table;  // views of `names`

private:
  static std::vector<std::pair<std::string_view, bool>> entries(
      const std::vector<std::string>& names) {
    std::vector<std::pair<std::string_view, bool>> out;
    out.reserve(names.size());
    for (const std::string& n : names) {
      out.emplace_back(n, true);
    }
    return out;
  }
};

/** TypeInfo: what the conversion knows of a resource type name. */
struct TypeInfo {
  bool stu3 = false;                     // STU3 (3.0.2) defines it
  bool r4 = false;                       // R4 (4.0.1) defines it
  Converter converter = nullptr;         // the element converter of the STU3 type, if any
  const R4Elements* elements = nullptr;  // the R4 type's element names, when listed
};

/** type_info: what is known of resource type `type` (one lookup), or nullptr for none. */
[[nodiscard]] const TypeInfo* type_info(std::string_view type);
/** is_stu3_type: a resource type STU3 (3.0.2) defines. */
[[nodiscard]] bool is_stu3_type(std::string_view type);
/** r4_elements: the top-level element names of an R4 type (choice types expanded), if known. */
[[nodiscard]] const R4Elements* r4_elements(std::string_view r4_type);
/** r4_code_system: the R4 URL for an STU3 code system (for this code), if it changed. */
[[nodiscard]] std::optional<std::string> r4_code_system(std::string_view system,
                                                        std::string_view code);

// ---------------------------------------------------------------------------------------------
// Whole-resource passes (extensions.cpp, stu3_to_r4.cpp).

/**
 * convert_extension_lists: the CareConnect / GP Connect extensions in the `extension` and
 * `modifierExtension` lists of one object (as its member scan found them) -> their UK Core or core
 * R4 equivalents, and the same inside each extension (complex extensions); unknown STU3
 * extensions are kept and noted. The caller walks the rest of the resource (nested resources
 * excluded) and calls this for every object in it; `agg` gives one issue per resource and URL.
 */
void convert_extension_lists(Value& obj, bool has_extension, bool has_modifier_extension,
                             LazyPath& path, Aggregator& agg, Context& ctx);

// ---------------------------------------------------------------------------------------------
// Per-resource converters.

// medication.cpp
void convert_medication_statement(Value& res, const Where& site, Context& ctx);
void convert_medication_request(Value& res, const Where& site, Context& ctx);
void convert_medication(Value& res, const Where& site, Context& ctx);
void convert_immunization(Value& res, const Where& site, Context& ctx);
// clinical.cpp
void convert_allergy_intolerance(Value& res, const Where& site, Context& ctx);
void convert_condition(Value& res, const Where& site, Context& ctx);
void convert_observation(Value& res, const Where& site, Context& ctx);
void convert_procedure(Value& res, const Where& site, Context& ctx);
void convert_diagnostic_report(Value& res, const Where& site, Context& ctx);
void convert_flag(Value& res, const Where& site, Context& ctx);
void convert_care_plan(Value& res, const Where& site, Context& ctx);
// workflow.cpp
void convert_encounter(Value& res, const Where& site, Context& ctx);
void convert_referral_request(Value& res, const Where& site, Context& ctx);
void convert_procedure_request(Value& res, const Where& site, Context& ctx);
void convert_task(Value& res, const Where& site, Context& ctx);
void convert_healthcare_service(Value& res, const Where& site, Context& ctx);
// documents.cpp
void convert_composition(Value& res, const Where& site, Context& ctx);
void convert_document_reference(Value& res, const Where& site, Context& ctx);
void convert_message_header(Value& res, const Where& site, Context& ctx);
void convert_consent(Value& res, const Where& site, Context& ctx);
void convert_binary(Value& res, const Where& site, Context& ctx);
// admin.cpp
void convert_patient(Value& res, const Where& site, Context& ctx);
void convert_location(Value& res, const Where& site, Context& ctx);
void convert_related_person(Value& res, const Where& site, Context& ctx);
/** convert_unchanged: for types whose elements STU3 and R4 share (only the passes apply). */
void convert_unchanged(Value& res, const Where& site, Context& ctx);

}  // namespace gw::fhir::convert
