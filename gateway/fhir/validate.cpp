// UK Core checks. Rules come from the FHIR R4 base specification (required elements and
// required-strength bindings) and UK Core (NHS number identifier and its verification status).
#include "gateway/fhir/validate.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/core/cat.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json_lookup.hpp"
#include "gateway/fhir/name_table.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace gw::fhir {
namespace {

using rapidjson::Value;

constexpr std::string_view kVerificationExtR4 =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
constexpr std::string_view kVerificationSystemR4 =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";

std::string_view sv(const Value& v) { return json_text(v); }

const Value* member(const Value& obj, std::string_view name) { return json_member(obj, name); }

/** Required: resource type -> elements with minimum cardinality 1 (R4 base). A name ending in
 *  "[x]" is a choice: any member starting with the stem satisfies it. */
const std::map<std::string_view, std::vector<std::string_view>>& required_elements() {
  static const std::map<std::string_view, std::vector<std::string_view>> kRequired{
      {"AllergyIntolerance", {"patient"}},
      {"AuditEvent", {"type", "recorded", "agent", "source"}},
      {"Bundle", {"type"}},
      {"CarePlan", {"status", "intent", "subject"}},
      {"CareTeam", {}},
      {"Communication", {"status"}},
      {"Composition", {"status", "type", "date", "author", "title"}},
      {"Condition", {"subject"}},
      {"Consent", {"status", "scope", "category"}},
      {"DiagnosticReport", {"status", "code"}},
      {"DocumentReference", {"status", "content"}},
      {"Encounter", {"status", "class"}},
      {"EpisodeOfCare", {"status", "patient"}},
      {"Flag", {"status", "code", "subject"}},
      {"Immunization", {"status", "vaccineCode", "patient", "occurrence[x]"}},
      {"List", {"status", "mode"}},
      {"Location", {}},
      {"Medication", {}},
      {"MedicationRequest", {"status", "intent", "medication[x]", "subject"}},
      {"MedicationStatement", {"status", "medication[x]", "subject"}},
      {"MessageHeader", {"event[x]", "source"}},
      {"Observation", {"status", "code"}},
      {"OperationOutcome", {"issue"}},
      {"Organization", {}},
      {"Patient", {}},
      {"Practitioner", {}},
      {"PractitionerRole", {}},
      {"Procedure", {"status", "subject"}},
      {"Provenance", {"target", "recorded", "agent"}},
      {"RelatedPerson", {"patient"}},
      {"ServiceRequest", {"status", "intent", "subject"}},
      {"Task", {"status", "intent"}},
  };
  return kRequired;
}

/** Codes: resource type + element -> the codes of its required-strength value set (R4). */
struct CodeRule {
  std::string_view type;
  std::string_view element;
  std::vector<std::string_view> codes;
};

const std::vector<CodeRule>& code_rules() {
  static const std::vector<CodeRule> kRules{
      {"Patient", "gender", {"male", "female", "other", "unknown"}},
      {"Practitioner", "gender", {"male", "female", "other", "unknown"}},
      {"RelatedPerson", "gender", {"male", "female", "other", "unknown"}},
      {"Observation",
       "status",
       {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
        "entered-in-error", "unknown"}},
      {"DiagnosticReport",
       "status",
       {"registered", "partial", "preliminary", "final", "amended", "corrected", "appended",
        "cancelled", "entered-in-error", "unknown"}},
      {"Encounter",
       "status",
       {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
        "entered-in-error", "unknown"}},
      {"EpisodeOfCare",
       "status",
       {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"}},
      {"MedicationStatement",
       "status",
       {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown",
        "not-taken"}},
      {"MedicationRequest",
       "status",
       {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
        "unknown"}},
      {"MedicationRequest",
       "intent",
       {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
        "instance-order", "option"}},
      {"Flag", "status", {"active", "inactive", "entered-in-error"}},
      {"Bundle",
       "type",
       {"document", "message", "transaction", "transaction-response", "batch", "batch-response",
        "history", "searchset", "collection"}},
      {"Composition", "status", {"preliminary", "final", "amended", "entered-in-error"}},
      {"DocumentReference", "status", {"current", "superseded", "entered-in-error"}},
      {"CarePlan",
       "status",
       {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}},
      {"CarePlan", "intent", {"proposal", "plan", "order", "option"}},
      {"Procedure",
       "status",
       {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
        "entered-in-error", "unknown"}},
      {"Immunization", "status", {"completed", "entered-in-error", "not-done"}},
      {"ServiceRequest",
       "status",
       {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}},
      {"ServiceRequest",
       "intent",
       {"proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order",
        "instance-order", "option"}},
      {"Task",
       "status",
       {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error"}},
      {"Task",
       "intent",
       {"unknown", "proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
        "instance-order", "option"}},
      {"Consent",
       "status",
       {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}},
      {"List", "status", {"current", "retired", "entered-in-error"}},
      {"List", "mode", {"working", "snapshot", "changes"}},
      {"AllergyIntolerance", "criticality", {"low", "high", "unable-to-assess"}},
      {"AllergyIntolerance", "type", {"allergy", "intolerance"}},
  };
  return kRules;
}

/** CodingRule: an element whose codings in a given system must use one of these codes. */
struct CodingRule {
  std::string_view type;
  std::string_view element;
  std::string_view system;
  std::vector<std::string_view> codes;
};

const std::vector<CodingRule>& coding_rules() {
  static const std::vector<CodingRule> kRules{
      {"Condition",
       "clinicalStatus",
       "http://terminology.hl7.org/CodeSystem/condition-clinical",
       {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}},
      {"Condition",
       "verificationStatus",
       "http://terminology.hl7.org/CodeSystem/condition-ver-status",
       {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}},
      {"AllergyIntolerance",
       "clinicalStatus",
       "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
       {"active", "inactive", "resolved"}},
      {"AllergyIntolerance",
       "verificationStatus",
       "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
       {"unconfirmed", "confirmed", "refuted", "entered-in-error"}},
  };
  return kRules;
}

/** TypeRules: the rules of one resource type, each list in its table's order (the order of the
 *  findings), gathered once so that a resource looks its type up once instead of scanning every
 *  table. */
struct TypeRules {
  const std::vector<std::string_view>* required = nullptr;
  std::vector<const CodeRule*> codes;
  std::vector<const CodingRule*> codings;
};

/** rules_of: the rules of resource type `type`, or nullptr when no table names it. */
const TypeRules* rules_of(std::string_view type) {
  static const NameTable<TypeRules> kByType = [] {
    std::map<std::string_view, TypeRules> by_type;
    for (const auto& [name, elements] : required_elements()) {
      by_type[name].required = &elements;
    }
    for (const CodeRule& rule : code_rules()) {
      by_type[rule.type].codes.push_back(&rule);
    }
    for (const CodingRule& rule : coding_rules()) {
      by_type[rule.type].codings.push_back(&rule);
    }
    return NameTable<TypeRules>({by_type.begin(), by_type.end()});
  }();
  return kByType.find(type);
}

/** NoTrail: a trail for walk_references that keeps nothing, for a walk that only asks whether
 *  some reference needs reporting (most resources have none, and then no path is needed). */
struct NoTrail {
  void push_name(std::string_view /*name*/) {}
  void push_index(std::size_t /*index*/) {}
  void pop() {}
};

template <class Trail, class F>
void walk_array(const Value& a, Trail& trail, const F& f);

/** walk_object: walk_references for object `v` (split from walk_array so that the type test of
 *  each value is made once, by the member loop, rather than again by a call per element). */
template <class Trail, class F>
void walk_object(const Value& v, Trail& trail, const F& f) {
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const Value& value = m->value;
    const std::string_view key(m->name.GetString(), m->name.GetStringLength());
    if (value.IsString()) {
      if (named(key, "reference")) {
        trail.push_name(key);
        f(sv(value), trail);
        trail.pop();
      }
    } else if ((value.IsObject() || value.IsArray()) && !named(key, "contained") &&
               !named(key, "resource")) {
      trail.push_name(key);
      if (value.IsObject()) {
        walk_object(value, trail, f);
      } else {
        walk_array(value, trail, f);
      }
      trail.pop();
    }
  }
}

/** walk_array: walk_references for array `a`. */
template <class Trail, class F>
void walk_array(const Value& a, Trail& trail, const F& f) {
  for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
    const Value& e = a[i];
    if (e.IsObject()) {
      trail.push_index(i);
      walk_object(e, trail, f);
      trail.pop();
    } else if (e.IsArray()) {
      trail.push_index(i);
      walk_array(e, trail, f);
      trail.pop();
    }
  }
}

/**
 * walk_references: calls f(reference, trail) for every "reference" string under `v`, leaving out
 * contained resources and Bundle entries' resources (their references are checked with them);
 * the trail (an ElementPath, or NoTrail) names the element and is written out only when f needs
 * it.
 */
template <class Trail, class F>
void walk_references(const Value& v, Trail& trail, const F& f) {
  if (v.IsObject()) {
    walk_object(v, trail, f);
  } else if (v.IsArray()) {
    walk_array(v, trail, f);
  }
}

/** Heads: the members of a resource that every resource's checks read (the first of each name,
 *  as json_member finds it), or nullptr when absent. */
struct Heads {
  const Value* resource_type = nullptr;
  const Value* id = nullptr;
  const Value* meta = nullptr;
  const Value* contained = nullptr;
};

/** heads_of: the Heads of object `r`, in one pass over its members instead of one per name. */
Heads heads_of(const Value& r) {
  Heads h;
  for (auto m = r.MemberBegin(); m != r.MemberEnd(); ++m) {
    const std::string_view key(m->name.GetString(), m->name.GetStringLength());
    const Value** slot = named(key, "resourceType") ? &h.resource_type
                         : named(key, "id")         ? &h.id
                         : named(key, "meta")       ? &h.meta
                         : named(key, "contained")  ? &h.contained
                                                    : nullptr;
    if (slot != nullptr && *slot == nullptr) {
      *slot = &m->value;
    }
  }
  return h;
}

class Checker {
public:
  std::vector<Issue> issues;

  void error(std::string code, std::string path, std::string message) {
    issues.push_back(
        {Issue::Severity::kError, std::move(code), std::move(path), std::move(message)});
  }

  /** resource: checks resource `r`, whose location is `path` (e.g. "Bundle.entry[2].resource"). */
  void resource(const Value& r, std::string_view path) {
    if (!r.IsObject()) {
      error("structure", std::string(path), "a resource must be a JSON object");
      return;
    }
    const Heads heads = heads_of(r);
    const Value* rt = heads.resource_type;
    if (rt == nullptr || !rt->IsString()) {
      error("required", std::string(path), "resourceType is missing");
      return;
    }
    const std::string_view type = sv(*rt);
    if (const Value* id = heads.id; id != nullptr && !valid_id(sv(*id))) {
      error("value", cat(path, ".id"), "id must be 1-64 letters, digits, '-' or '.'");
    }
    if (const Value* meta = heads.meta) {
      if (const Value* lu = member(*meta, "lastUpdated")) {
        check_temporal(*lu, path, ".meta.lastUpdated", Temporal::kInstant);
      }
    }
    if (const TypeRules* rules = rules_of(type)) {
      required(r, type, *rules, path);
      codes(r, type, *rules, path);
    }
    if (type == "Patient") {
      patient(r, path);
    }
    const Value* contained = heads.contained;
    if (contained != nullptr && contained->IsArray()) {
      for (rapidjson::SizeType i = 0; i < contained->Size(); ++i) {
        resource((*contained)[i], cat(path, ".contained[", std::to_string(i), "]"));
      }
    } else {
      contained = nullptr;
    }
    local_references(r, contained, path);
    if (type == "Bundle") {
      bundle(r, path);
    }
  }

private:
  static bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
      return false;
    }
    for (char c : id) {
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** check_temporal: checks `v`, the element at `path` followed by `element`, as a `kind`. */
  void check_temporal(const Value& v, std::string_view path, std::string_view element,
                      Temporal kind) {
    if (!v.IsString()) {
      error("value", cat(path, element), cat("must be a ", temporal_name(kind), " string"));
      return;
    }
    if (auto why = check_datetime(sv(v), kind); !why.empty()) {
      error("value", cat(path, element), std::move(why));
    }
  }

  void required(const Value& r, std::string_view type, const TypeRules& rules,
                std::string_view path) {
    if (rules.required == nullptr) {
      return;
    }
    for (std::string_view name : *rules.required) {
      bool present = false;
      if (name.size() > 3 && name.substr(name.size() - 3) == "[x]") {
        const auto stem = name.substr(0, name.size() - 3);
        for (auto m = r.MemberBegin(); m != r.MemberEnd() && !present; ++m) {
          const std::string_view key(m->name.GetString(), m->name.GetStringLength());
          present = key.size() > stem.size() && key.substr(0, stem.size()) == stem &&
                    key[stem.size()] >= 'A' && key[stem.size()] <= 'Z';
        }
      } else {
        const Value* v = member(r, name);
        present = v != nullptr && !v->IsNull() && !(v->IsArray() && v->Empty());
      }
      if (!present) {
        error("required", cat(path, ".", name),
              cat(type, ".", name, " is required (minimum cardinality 1)"));
      }
    }
  }

  /** in_codes: whether `code` is one of `codes` (a value set's few codes). */
  template <class Codes>
  static bool in_codes(const Codes& codes, std::string_view code) {
    return std::any_of(codes.begin(), codes.end(),
                       [&](std::string_view c) { return same_text(c, code); });
  }

  void codes(const Value& r, std::string_view type, const TypeRules& rules, std::string_view path) {
    for (const CodeRule* rule : rules.codes) {
      const Value* v = member(r, rule->element);
      if (v == nullptr) {
        continue;
      }
      if (!v->IsString()) {
        error("value", cat(path, ".", rule->element), "must be a code (a JSON string)");
        continue;
      }
      if (!in_codes(rule->codes, sv(*v))) {
        error("code-invalid", cat(path, ".", rule->element),
              cat("'", sv(*v), "' is not in the required value set of ", type, ".", rule->element));
      }
    }
    for (const CodingRule* rule : rules.codings) {
      const Value* cc = member(r, rule->element);
      if (cc == nullptr) {
        continue;
      }
      const Value* coding = member(*cc, "coding");
      if (!cc->IsObject() || coding == nullptr || !coding->IsArray()) {
        error("structure", cat(path, ".", rule->element),
              "must be a CodeableConcept with a coding");
        continue;
      }
      bool found = false;
      for (rapidjson::SizeType i = 0; i < coding->Size(); ++i) {
        const Value* sys = member((*coding)[i], "system");
        const Value* code = member((*coding)[i], "code");
        if (sys == nullptr || !same_text(sv(*sys), rule->system)) {
          continue;
        }
        found = true;
        if (code == nullptr || !in_codes(rule->codes, sv(*code))) {
          error("code-invalid",
                cat(path, ".", rule->element, ".coding[", std::to_string(i), "].code"),
                cat("not a code of ", rule->system));
        }
      }
      if (!found) {
        error("code-invalid", cat(path, ".", rule->element, ".coding"),
              cat("needs a coding from ", rule->system, " (required binding)"));
      }
    }
  }

  void patient(const Value& r, std::string_view path) {
    if (const Value* bd = member(r, "birthDate")) {
      check_temporal(*bd, path, ".birthDate", Temporal::kDate);
    }
    if (const Value* dd = member(r, "deceasedDateTime")) {
      check_temporal(*dd, path, ".deceasedDateTime", Temporal::kDateTime);
    }
    const Value* ids = member(r, "identifier");
    if (ids == nullptr || !ids->IsArray()) {
      return;
    }
    int nhs_numbers = 0;
    for (rapidjson::SizeType i = 0; i < ids->Size(); ++i) {
      const Value& id = (*ids)[i];
      const Value* system = member(id, "system");
      if (system == nullptr || sv(*system) != kNhsNumberSystem) {
        continue;
      }
      ++nhs_numbers;
      const std::string p = cat(path, ".identifier[", std::to_string(i), "]");
      const Value* value = member(id, "value");
      if (value == nullptr || !value->IsString()) {
        error("required", p + ".value", "an NHS number identifier needs a value");
      } else if (auto n = NhsNumber::parse(sv(*value)); !n) {
        error("value", p + ".value", "not a valid NHS number: " + n.error().detail);
      } else if (n->str() != sv(*value)) {
        error("value", p + ".value", "an NHS number is sent as 10 digits without spaces");
      }
      verification(id, p);
    }
    if (nhs_numbers > 1) {
      error("structure", cat(path, ".identifier"),
            "UK Core allows at most one NHS number identifier on a Patient");
    }
  }

  void verification(const Value& identifier, const std::string& path) {
    const Value* exts = member(identifier, "extension");
    if (exts == nullptr || !exts->IsArray()) {
      return;
    }
    for (rapidjson::SizeType i = 0; i < exts->Size(); ++i) {
      const Value& ext = (*exts)[i];
      const Value* url = member(ext, "url");
      if (url == nullptr || sv(*url) != kVerificationExtR4) {
        continue;
      }
      const std::string p = path + ".extension[" + std::to_string(i) + "]";
      const Value* cc = member(ext, "valueCodeableConcept");
      const Value* coding = cc ? member(*cc, "coding") : nullptr;
      if (coding == nullptr || !coding->IsArray() || coding->Empty()) {
        error("required", p + ".valueCodeableConcept",
              "the NHS number verification status needs a coding");
        continue;
      }
      const Value& c0 = (*coding)[0];
      const Value* sys = member(c0, "system");
      const Value* code = member(c0, "code");
      if (sys == nullptr || sv(*sys) != kVerificationSystemR4) {
        error("code-invalid", p + ".valueCodeableConcept.coding[0].system",
              "must be " + std::string(kVerificationSystemR4));
      }
      VerificationStatus status{};
      if (code == nullptr || sv(*code).size() != 2 ||
          !parse_verification_status(sv(*code), status)) {
        error("code-invalid", p + ".valueCodeableConcept.coding[0].code",
              "must be an NHS number verification status code 01 to 08");
      }
    }
  }

  /**
   * report_references: a "not-found" finding, with message(reference), at every reference under
   * `r` that bad(reference) holds; root() gives the path of `r`. The references are walked once
   * without a trail, and again with one only when there is something to report.
   */
  template <class Bad, class Root, class Message>
  void report_references(const Value& r, const Bad& bad, const Root& root, const Message& message) {
    bool any = false;
    NoTrail none;
    walk_references(r, none, [&](std::string_view ref, const NoTrail&) { any = any || bad(ref); });
    if (!any) {
      return;
    }
    const std::string base = root();
    ElementPath where(base);
    walk_references(r, where, [&](std::string_view ref, const ElementPath& p) {
      if (bad(ref)) {
        error("not-found", p.str(), message(ref));
      }
    });
  }

  /** local_references: "#id" references must name a contained resource (`contained`: the
   *  resource's contained array, or nullptr). */
  void local_references(const Value& r, const Value* contained, std::string_view path) {
    std::set<std::string_view> contained_ids;
    if (contained != nullptr) {
      for (const auto& c : contained->GetArray()) {
        if (const Value* id = member(c, "id")) {
          contained_ids.insert(sv(*id));
        }
      }
    }
    report_references(
        r,
        [&](std::string_view ref) {
          return ref.size() > 1 && ref.front() == '#' && contained_ids.count(ref.substr(1)) == 0;
        },
        [&] { return std::string(path); },
        [](std::string_view ref) {
          return cat("refers to contained resource '", ref,
                     "', which the resource does not contain");
        });
  }

  void bundle(const Value& b, std::string_view path) {
    const Value* entries = member(b, "entry");
    if (const Value* ts = member(b, "timestamp")) {
      check_temporal(*ts, path, ".timestamp", Temporal::kInstant);
    }
    const std::string_view type = member(b, "type") ? sv(*member(b, "type")) : std::string_view{};
    const bool opens_with_header = type == "message" || type == "document";
    const std::string_view first_type = type == "message" ? "MessageHeader" : "Composition";
    if (entries == nullptr || !entries->IsArray() || entries->Empty()) {
      if (opens_with_header && (entries == nullptr || entries->IsArray())) {
        error("structure", cat(path, ".entry"),
              cat("a ", type, " Bundle needs entries, the first a ", first_type));
      }
      return;
    }
    std::set<std::string_view> full_urls;
    std::set<std::string, std::less<>> type_ids;  // "Patient/123"
    for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
      const Value& e = (*entries)[i];
      const Value* full = member(e, "fullUrl");
      if (full != nullptr && !full_urls.insert(sv(*full)).second) {
        error("invalid", cat(path, ".entry[", std::to_string(i), "].fullUrl"),
              "two entries have the same fullUrl");
      }
      if (const Value* res = member(e, "resource")) {
        const Value* rt = member(*res, "resourceType");
        const Value* id = member(*res, "id");
        if (rt != nullptr && id != nullptr) {
          type_ids.insert(cat(sv(*rt), "/", sv(*id)));
        }
        resource(*res, cat(path, ".entry[", std::to_string(i), "].resource"));
      } else if (type == "document" || type == "message" || type == "collection") {
        error("required", cat(path, ".entry[", std::to_string(i), "].resource"),
              cat("each entry of a ", type, " Bundle needs a resource"));
      }
    }
    if (opens_with_header) {
      const Value& first = (*entries)[0];
      const Value* res = member(first, "resource");
      const Value* rt = res ? member(*res, "resourceType") : nullptr;
      if (rt == nullptr || sv(*rt) != first_type) {
        error("structure", cat(path, ".entry[0].resource"),
              cat("the first entry of a ", type, " Bundle must be a ", first_type));
      }
    }
    // References between entries must resolve inside a document or message (they travel alone).
    const bool closed = type == "document" || type == "message";
    const auto unresolved = [&](std::string_view ref) {
      // urn:uuid / urn:oid names resolve only inside the Bundle. In a document or a message
      // every reference must resolve; elsewhere a relative or absolute one may point at a server.
      if (ref.empty() || ref.front() == '#' || (!closed && !ref.starts_with("urn:"))) {
        return false;
      }
      if (full_urls.count(ref) != 0 || type_ids.find(ref) != type_ids.end()) {
        return false;
      }
      // An absolute URL whose tail names an entry ("http://x/fhir/Patient/1").
      for (const auto& ti : type_ids) {
        if (ref.size() > ti.size() && ref.ends_with(ti) && ref[ref.size() - ti.size() - 1] == '/') {
          return false;
        }
      }
      return true;
    };
    for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
      const Value* res = member((*entries)[i], "resource");
      if (res == nullptr) {
        continue;
      }
      report_references(
          *res, unresolved, [&] { return cat(path, ".entry[", std::to_string(i), "].resource"); },
          [](std::string_view) {
            return std::string("the reference does not resolve to an entry of the Bundle");
          });
    }
  }
};

void write_str(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::vector<Issue> check_uk_core(const rapidjson::Value& resource) {
  Checker c;
  std::string_view path = "Resource";
  if (const Value* rt = member(resource, "resourceType"); rt && rt->IsString()) {
    path = sv(*rt);
  }
  c.resource(resource, path);
  return std::move(c.issues);
}

bool has_errors(const std::vector<Issue>& issues) {
  return std::any_of(issues.begin(), issues.end(),
                     [](const Issue& i) { return i.severity == Issue::Severity::kError; });
}

std::string operation_outcome(const std::vector<Issue>& issues) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("resourceType");
  w.String("OperationOutcome");
  w.Key("issue");
  w.StartArray();
  if (issues.empty()) {
    w.StartObject();
    w.Key("severity");
    w.String("information");
    w.Key("code");
    w.String("informational");
    w.Key("diagnostics");
    w.String("all OK");
    w.EndObject();
  }
  for (const Issue& i : issues) {
    w.StartObject();
    w.Key("severity");
    w.String(i.severity == Issue::Severity::kError ? "error" : "warning");
    w.Key("code");
    write_str(w, i.code);
    w.Key("details");
    w.StartObject();
    w.Key("text");
    write_str(w, i.message);
    w.EndObject();
    w.Key("expression");
    w.StartArray();
    write_str(w, i.path);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace gw::fhir
