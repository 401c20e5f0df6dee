// UK Core checks. Rules come from the FHIR R4 base specification (required elements and
// required-strength bindings) and UK Core (NHS number identifier and its verification status).
#include "gateway/fhir/validate.hpp"

#include <map>
#include <set>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json_lookup.hpp"
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

/** Trail: where walk_references is under a root path (written out only for a finding). */
using Trail = ElementPath;

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

class Checker {
public:
  std::vector<Issue> issues;

  void error(std::string code, std::string path, std::string message) {
    issues.push_back(
        {Issue::Severity::kError, std::move(code), std::move(path), std::move(message)});
  }
  void warning(std::string code, std::string path, std::string message) {
    issues.push_back(
        {Issue::Severity::kWarning, std::move(code), std::move(path), std::move(message)});
  }

  void resource(const Value& r, const std::string& path) {
    if (!r.IsObject()) {
      error("structure", path, "a resource must be a JSON object");
      return;
    }
    const Value* rt = member(r, "resourceType");
    if (rt == nullptr || !rt->IsString()) {
      error("required", path, "resourceType is missing");
      return;
    }
    const std::string_view type = sv(*rt);
    if (const Value* id = member(r, "id"); id != nullptr && !valid_id(sv(*id))) {
      error("value", path + ".id", "id must be 1-64 letters, digits, '-' or '.'");
    }
    if (const Value* meta = member(r, "meta")) {
      if (const Value* lu = member(*meta, "lastUpdated")) {
        check_temporal(*lu, path + ".meta.lastUpdated", Temporal::kInstant);
      }
    }
    required(r, type, path);
    codes(r, type, path);
    if (type == "Patient") {
      patient(r, path);
    }
    if (const Value* contained = member(r, "contained"); contained && contained->IsArray()) {
      for (rapidjson::SizeType i = 0; i < contained->Size(); ++i) {
        resource((*contained)[i], path + ".contained[" + std::to_string(i) + "]");
      }
    }
    local_references(r, path);
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

  void check_temporal(const Value& v, const std::string& path, Temporal kind) {
    if (!v.IsString()) {
      error("value", path,
            std::string("must be a ") + std::string(temporal_name(kind)) + " string");
      return;
    }
    if (auto why = check_datetime(sv(v), kind); !why.empty()) {
      error("value", path, why);
    }
  }

  void required(const Value& r, std::string_view type, const std::string& path) {
    const auto& table = required_elements();
    auto it = table.find(type);
    if (it == table.end()) {
      return;
    }
    for (std::string_view name : it->second) {
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
        error("required", path + "." + std::string(name),
              std::string(type) + "." + std::string(name) + " is required (minimum cardinality 1)");
      }
    }
  }

  void codes(const Value& r, std::string_view type, const std::string& path) {
    for (const CodeRule& rule : code_rules()) {
      if (rule.type != type) {
        continue;
      }
      const Value* v = member(r, rule.element);
      if (v == nullptr) {
        continue;
      }
      const std::string p = path + "." + std::string(rule.element);
      if (!v->IsString()) {
        error("value", p, "must be a code (a JSON string)");
        continue;
      }
      if (std::find(rule.codes.begin(), rule.codes.end(), sv(*v)) == rule.codes.end()) {
        error("code-invalid", p,
              "'" + std::string(sv(*v)) + "' is not in the required value set of " +
                  std::string(type) + "." + std::string(rule.element));
      }
    }
    for (const CodingRule& rule : coding_rules()) {
      if (rule.type != type) {
        continue;
      }
      const Value* cc = member(r, rule.element);
      if (cc == nullptr) {
        continue;
      }
      const std::string p = path + "." + std::string(rule.element);
      const Value* coding = member(*cc, "coding");
      if (!cc->IsObject() || coding == nullptr || !coding->IsArray()) {
        error("structure", p, "must be a CodeableConcept with a coding");
        continue;
      }
      bool found = false;
      for (rapidjson::SizeType i = 0; i < coding->Size(); ++i) {
        const Value* sys = member((*coding)[i], "system");
        const Value* code = member((*coding)[i], "code");
        if (sys == nullptr || sv(*sys) != rule.system) {
          continue;
        }
        found = true;
        if (code == nullptr ||
            std::find(rule.codes.begin(), rule.codes.end(), sv(*code)) == rule.codes.end()) {
          error("code-invalid", p + ".coding[" + std::to_string(i) + "].code",
                "not a code of " + std::string(rule.system));
        }
      }
      if (!found) {
        error("code-invalid", p + ".coding",
              "needs a coding from " + std::string(rule.system) + " (required binding)");
      }
    }
  }

  void patient(const Value& r, const std::string& path) {
    if (const Value* bd = member(r, "birthDate")) {
      check_temporal(*bd, path + ".birthDate", Temporal::kDate);
    }
    if (const Value* dd = member(r, "deceasedDateTime")) {
      check_temporal(*dd, path + ".deceasedDateTime", Temporal::kDateTime);
    }
    const Value* ids = member(r, "identifier");
    if (ids == nullptr || !ids->IsArray()) {
      return;
    }
    int nhs_numbers = 0;
    for (rapidjson::SizeType i = 0; i < ids->Size(); ++i) {
      const Value& id = (*ids)[i];
      const std::string p = path + ".identifier[" + std::to_string(i) + "]";
      const Value* system = member(id, "system");
      const Value* value = member(id, "value");
      if (system == nullptr || sv(*system) != kNhsNumberSystem) {
        continue;
      }
      ++nhs_numbers;
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
      error("structure", path + ".identifier",
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

  /** local_references: "#id" references must name a contained resource. */
  void local_references(const Value& r, const std::string& path) {
    std::set<std::string> contained_ids;
    if (const Value* contained = member(r, "contained"); contained && contained->IsArray()) {
      for (const auto& c : contained->GetArray()) {
        if (const Value* id = member(c, "id")) {
          contained_ids.insert(std::string(sv(*id)));
        }
      }
    }
    Trail where(path);
    walk_references(
        r, where,
        [&](std::string_view ref, const Trail& p) {
          if (!ref.empty() && ref.front() == '#' && ref.size() > 1 &&
              contained_ids.count(std::string(ref.substr(1))) == 0) {
            error("not-found", p.str(),
                  "refers to contained resource '" + std::string(ref) +
                      "', which the resource does not contain");
          }
        },
        /*into_resources=*/false);
  }

  /**
   * walk_references: calls f(reference, trail) for every "reference" string under `v`; the trail
   * names the element (trail.str()) and is written out only when f needs it.
   */
  template <class F>
  void walk_references(const Value& v, Trail& trail, F&& f, bool into_resources) {
    if (v.IsObject()) {
      for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
        const std::string_view key(m->name.GetString(), m->name.GetStringLength());
        if (!into_resources && (key == "contained" || key == "resource")) {
          continue;  // their references are checked with them
        }
        if (key == "reference" && m->value.IsString()) {
          trail.push_name(key);
          f(sv(m->value), trail);
          trail.pop();
        } else if (m->value.IsObject() || m->value.IsArray()) {
          trail.push_name(key);
          walk_references(m->value, trail, f, into_resources);
          trail.pop();
        }
      }
    } else if (v.IsArray()) {
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        if (!v[i].IsObject() && !v[i].IsArray()) {
          continue;
        }
        trail.push_index(i);
        walk_references(v[i], trail, f, into_resources);
        trail.pop();
      }
    }
  }

  void bundle(const Value& b, const std::string& path) {
    const Value* entries = member(b, "entry");
    if (const Value* ts = member(b, "timestamp")) {
      check_temporal(*ts, path + ".timestamp", Temporal::kInstant);
    }
    if (entries == nullptr || !entries->IsArray()) {
      return;
    }
    const std::string_view type = member(b, "type") ? sv(*member(b, "type")) : std::string_view{};
    std::set<std::string> full_urls;
    std::set<std::string> type_ids;  // "Patient/123"
    for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
      const Value& e = (*entries)[i];
      const std::string p = path + ".entry[" + std::to_string(i) + "]";
      const Value* full = member(e, "fullUrl");
      if (full != nullptr && !full_urls.insert(std::string(sv(*full))).second) {
        error("invalid", p + ".fullUrl", "two entries have the same fullUrl");
      }
      if (const Value* res = member(e, "resource")) {
        const Value* rt = member(*res, "resourceType");
        const Value* id = member(*res, "id");
        if (rt != nullptr && id != nullptr) {
          type_ids.insert(std::string(sv(*rt)) + "/" + std::string(sv(*id)));
        }
        resource(*res, p + ".resource");
      } else if (type == "document" || type == "message" || type == "collection") {
        error("required", p + ".resource",
              "each entry of a " + std::string(type) + " Bundle needs a resource");
      }
    }
    if (type == "message" || type == "document") {
      const Value& first = (*entries)[0];
      const Value* res = member(first, "resource");
      const Value* rt = res ? member(*res, "resourceType") : nullptr;
      const std::string_view want = type == "message" ? "MessageHeader" : "Composition";
      if (rt == nullptr || sv(*rt) != want) {
        error(
            "structure", path + ".entry[0].resource",
            "the first entry of a " + std::string(type) + " Bundle must be a " + std::string(want));
      }
    }
    // References between entries must resolve inside a document or message (they travel alone).
    const bool closed = type == "document" || type == "message";
    for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
      const Value* res = member((*entries)[i], "resource");
      if (res == nullptr) {
        continue;
      }
      const std::string root = path + ".entry[" + std::to_string(i) + "].resource";
      Trail where(root);
      walk_references(
          *res, where,
          [&](std::string_view ref, const Trail& p) {
            if (ref.empty() || ref.front() == '#') {
              return;
            }
            const std::string r(ref);
            if (full_urls.count(r) != 0 || type_ids.count(r) != 0) {
              return;
            }
            // An absolute URL whose tail names an entry ("http://x/fhir/Patient/1").
            for (const auto& ti : type_ids) {
              if (r.size() > ti.size() && r.compare(r.size() - ti.size(), ti.size(), ti) == 0 &&
                  r[r.size() - ti.size() - 1] == '/') {
                return;
              }
            }
            // urn:uuid / urn:oid names resolve only inside the Bundle. In a document or a
            // message every reference must resolve; elsewhere a relative or absolute one may
            // point at a server.
            if (r.rfind("urn:", 0) == 0 || closed) {
              error("not-found", p.str(),
                    "the reference does not resolve to an entry of the Bundle");
            }
          },
          false);
    }
  }
};

void write_str(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::vector<Issue> check_uk_core(const rapidjson::Value& resource) {
  Checker c;
  std::string path = "Resource";
  if (const Value* rt = member(resource, "resourceType"); rt && rt->IsString()) {
    path = std::string(sv(*rt));
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
