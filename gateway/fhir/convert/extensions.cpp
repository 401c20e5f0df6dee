// CareConnect / GP Connect STU3 extensions -> UK Core R4 (https://simplifier.net/hl7fhirukcorer4)
// or core R4 extensions, wherever they sit in a resource. Extensions that need the resource around
// them (repeat information, allergy end, NHS communication, ...) are moved by the resource
// converters first; what reaches this pass is renamed, split, or kept and reported.
#include <algorithm>
#include <array>
#include <cctype>

#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

constexpr std::string_view kUkCore =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-";

enum class Rule : std::uint8_t {
  kRename,     // same shape, new URL
  kSctDescId,  // split into core coding-sctdescid + UK Core CodingSCTDescDisplay
  kRetired,    // UK Core had a successor and retired it: kept as is
  kElsewhere,  // moved by a resource converter; met here only where it is out of place
};

struct ExtensionRule {
  std::string_view stu3;
  std::string_view r4;  // a UK Core name (prefixed with kUkCore) or a full URL
  Rule rule;
};

constexpr std::string_view kCc = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-";
constexpr std::string_view kGpc = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-";

// Keys are the URL without its base (kCc or kGpc), both bases are tried.
constexpr auto kRules = std::to_array<ExtensionRule>({
    {"CareConnect-NHSNumberVerificationStatus-1", "NHSNumberVerificationStatus", Rule::kRename},
    {"CareConnect-GPC-NHSNumberVerificationStatus-1", "NHSNumberVerificationStatus", Rule::kRename},
    {"CareConnect-EthnicCategory-1", "EthnicCategory", Rule::kRename},
    {"CareConnect-ResidentialStatus-1", "ResidentialStatus", Rule::kRename},
    {"CareConnect-ReligiousAffiliation-1",
     "http://hl7.org/fhir/StructureDefinition/patient-religion", Rule::kRename},
    {"CareConnect-MedicationStatementLastIssueDate-1", "MedicationStatementLastIssueDate",
     Rule::kRename},
    {"CareConnect-GPC-MedicationStatementLastIssueDate-1", "MedicationStatementLastIssueDate",
     Rule::kRename},
    {"CareConnect-ParentPresent-1", "ParentPresent", Rule::kRename},
    {"CareConnect-GPC-ParentPresent-1", "ParentPresent", Rule::kRename},
    {"CareConnect-VaccinationProcedure-1", "VaccinationProcedure", Rule::kRename},
    {"CareConnect-GPC-VaccinationProcedure-1", "VaccinationProcedure", Rule::kRename},
    {"CareConnect-GPC-MainLocation-1", "MainLocation", Rule::kRename},
    {"CareConnect-AdmissionMethod-1", "AdmissionMethod", Rule::kRename},
    {"CareConnect-DischargeMethod-1", "DischargeMethod", Rule::kRename},
    {"CareConnect-OutcomeOfAttendance-1", "OutcomeOfAttendance", Rule::kRename},
    {"CareConnect-EmergencyCareDischargeStatus-1", "EmergencyCareDischargeStatus", Rule::kRename},
    {"CareConnect-CareSettingType-1", "CareSettingType", Rule::kRename},
    {"CareConnect-GPC-ListWarningCode-1", "ListWarningCode", Rule::kRename},
    {"CareConnect-Evidence-1", "Evidence", Rule::kRename},
    {"coding-sctdescid", "", Rule::kSctDescId},
    {"CareConnect-GPC-ActualProblem-1", "ActualProblem", Rule::kRetired},
    {"CareConnect-ProblemSignificance-1", "ProblemSignificance", Rule::kRetired},
    {"CareConnect-RelatedClinicalContent-1", "RelatedClinicalContent", Rule::kRetired},
    {"CareConnect-RelatedProblemHeader-1", "RelatedProblemHeader", Rule::kRetired},
    {"CareConnect-GPC-ClinicalSetting-1", "ClinicalSetting", Rule::kRetired},
    {"CareConnect-GPC-PrescribingAgency-1", "MedicationPrescribingAgency", Rule::kRetired},
    {"CareConnect-MedicationQuantityText-1", "MedicationQuantityText", Rule::kRetired},
    {"CareConnect-GPC-MedicationQuantityText-1", "MedicationQuantityText", Rule::kRetired},
    {"CareConnect-MedicationChangeSummary-1", "MedicationChangeSummary", Rule::kRetired},
    {"CareConnect-MedicationDosageLastChanged-1", "MedicationDosageLastChanged", Rule::kRetired},
    {"CareConnect-TreatmentCategory-1", "TreatmentCategory", Rule::kRetired},
    {"CareConnect-EncounterTransport-1", "EncounterTransport", Rule::kRetired},
    {"CareConnect-GPC-AllergyIntoleranceEnd-1", "AllergyIntolerance", Rule::kElsewhere},
    {"CareConnect-AllergyIntoleranceEnd-1", "AllergyIntolerance", Rule::kElsewhere},
    {"CareConnect-GPC-PrescriptionType-1", "MedicationRequest", Rule::kElsewhere},
    {"CareConnect-PrescriptionType-1", "MedicationRequest", Rule::kElsewhere},
    {"CareConnect-GPC-MedicationRepeatInformation-1", "MedicationRequest", Rule::kElsewhere},
    {"CareConnect-MedicationRepeatInformation-1", "MedicationRequest", Rule::kElsewhere},
    {"CareConnect-GPC-DateRecorded-1", "Immunization", Rule::kElsewhere},
    {"CareConnect-DateRecorded-1", "Immunization", Rule::kElsewhere},
    {"CareConnect-NHSCommunication-1", "Patient", Rule::kElsewhere},
    {"CareConnect-GPC-NHSCommunication-1", "Patient", Rule::kElsewhere},
    {"CareConnect-DeathNotificationStatus-1", "Patient", Rule::kElsewhere},
});

/** without_scheme: `s` without a leading https:// or http:// (as same_url compares URLs). */
std::string_view without_scheme(std::string_view s) {
  if (s.substr(0, 8) == "https://") {
    return s.substr(8);
  }
  if (s.substr(0, 7) == "http://") {
    return s.substr(7);
  }
  return s;
}

/** rule_for: the rule whose URL (either base + its key) is same_url as `url`, if any. */
const ExtensionRule* rule_for(std::string_view url) {
  const std::string_view bare = without_scheme(url);
  for (std::string_view base : {kCc, kGpc}) {
    const std::string_view bare_base = without_scheme(base);
    if (bare.substr(0, bare_base.size()) != bare_base) {
      continue;
    }
    const std::string_view key = bare.substr(bare_base.size());
    for (const auto& r : kRules) {
      if (r.stu3 == key) {
        return &r;
      }
    }
  }
  return nullptr;
}

bool looks_stu3(std::string_view url) {
  return url.find("/STU3/") != std::string_view::npos ||
         url.find("CareConnect") != std::string_view::npos ||
         url.find("Extension-ITK-") != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/** split_sctdescid: STU3 Extension-coding-sctdescid -> core R4 + UK Core extensions. */
void split_sctdescid(Value& ext, Value& out, const LazyPath& path, Aggregator& agg, Context& ctx) {
  Alloc& a = ctx.alloc();
  Value* subs = get(ext, "extension");
  if (subs == nullptr || !subs->IsArray()) {
    agg.note(path.str(), "SNOMED CT description extension without parts; kept as is", false);
    out.PushBack(ext, a);
    return;
  }
  Value rest = array();
  bool odd_case = false;
  for (auto& sub : subs->GetArray()) {
    std::string_view url = get_text(sub, "url");
    Value* id = get(sub, "valueId");
    if (id == nullptr) {
      id = get(sub, "valueString");
    }
    Value* display = get(sub, "valueString");
    if (iequals(url, "descriptionId") && id != nullptr) {
      odd_case = odd_case || url != "descriptionId";
      Value e = object();
      e.AddMember("url", "http://hl7.org/fhir/StructureDefinition/coding-sctdescid", a);
      e.AddMember("valueId", *id, a);
      out.PushBack(e, a);
    } else if (iequals(url, "descriptionDisplay") && display != nullptr) {
      odd_case = odd_case || url != "descriptionDisplay";
      Value e = object();
      e.AddMember("url", str(cat(kUkCore, "CodingSCTDescDisplay"), a), a);
      e.AddMember("valueString", *display, a);
      out.PushBack(e, a);
    } else {
      rest.PushBack(sub, a);
    }
  }
  if (odd_case) {
    agg.note(path.str(),
             "SNOMED CT description parts named other than descriptionId / descriptionDisplay "
             "(as the STU3 extension defines them); read regardless of case",
             false);
  }
  if (!rest.Empty()) {
    agg.note(path.str(),
             "SNOMED CT description extension has parts other than descriptionId / "
             "descriptionDisplay; they are kept in the STU3 extension",
             false);
    *subs = rest;
    out.PushBack(ext, a);
  }
}

void walk(Value& v, LazyPath& path, Aggregator& agg, Context& ctx, bool root);
void convert_one(Value& ext, Value& out, LazyPath& at, Aggregator& agg, Context& ctx);

void convert_list(Value& holder, std::string_view key, LazyPath& path, Aggregator& agg,
                  Context& ctx) {
  Value* list = get(holder, key);
  if (list == nullptr || !list->IsArray()) {
    return;
  }
  Value out = array();
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    Value& ext = (*list)[i];
    path.push_name(key);
    path.push_index(i);
    convert_one(ext, out, path, agg, ctx);
    path.pop();
    path.pop();
  }
  if (out.Empty()) {
    (void)take(holder, key);
  } else {
    *list = out;
  }
}

/** convert_one: one extension (at `at`) of a list, appended to `out` as R4 has it. */
void convert_one(Value& ext, Value& out, LazyPath& at, Aggregator& agg, Context& ctx) {
  Alloc& a = ctx.alloc();
  std::string_view url = get_text(ext, "url");
  const ExtensionRule* r = rule_for(url);
  if (r == nullptr) {
    if (looks_stu3(url)) {
      agg.note(at.str(), cat("extension ", url, ": no R4 equivalent known; kept as is"), false);
    }
    walk(ext, at, agg, ctx, false);
    out.PushBack(ext, a);
    return;
  }
  std::string r4 =
      r->r4.find("://") == std::string_view::npos ? cat(kUkCore, r->r4) : std::string(r->r4);
  switch (r->rule) {
    case Rule::kRename:
      put(ext, "url", str(r4, a), a);
      walk(ext, at, agg, ctx, false);
      out.PushBack(ext, a);
      break;
    case Rule::kSctDescId:
      split_sctdescid(ext, out, at, agg, ctx);
      break;
    case Rule::kRetired:
      agg.note(at.str(),
               cat("extension ", url, ": UK Core retired its successor (", r4,
                   "); no R4 equivalent, kept as is"),
               false);
      walk(ext, at, agg, ctx, false);
      out.PushBack(ext, a);
      break;
    case Rule::kElsewhere:
      agg.note(at.str(),
               cat("extension ", url, " is converted only where STU3 defines it (on ", r->r4,
                   "); kept as is"),
               false);
      walk(ext, at, agg, ctx, false);
      out.PushBack(ext, a);
      break;
  }
}

void walk(Value& v, LazyPath& path, Aggregator& agg, Context& ctx, bool root) {
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      path.push_index(i);
      walk(v[i], path, agg, ctx, false);
      path.pop();
    }
    return;
  }
  if (!v.IsObject()) {
    return;
  }
  // One look at the member names instead of a lookup of each.
  bool has_extension = false;
  bool has_modifier_extension = false;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string_view key = text(m->name);
    if (!root && named(key, "resourceType")) {
      return;  // a nested resource: converted on its own
    }
    has_extension = has_extension || named(key, "extension");
    has_modifier_extension = has_modifier_extension || named(key, "modifierExtension");
  }
  convert_extension_lists(v, has_extension, has_modifier_extension, path, agg, ctx);
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    std::string_view key = text(m->name);
    if (named(key, "extension") || named(key, "modifierExtension")) {
      continue;
    }
    if (m->value.IsObject() || m->value.IsArray()) {
      path.push_name(key);
      walk(m->value, path, agg, ctx, false);
      path.pop();
    }
  }
}

}  // namespace

void convert_extension_lists(Value& obj, bool has_extension, bool has_modifier_extension,
                             LazyPath& path, Aggregator& agg, Context& ctx) {
  if (has_extension) {
    convert_list(obj, "extension", path, agg, ctx);
  }
  if (has_modifier_extension) {
    convert_list(obj, "modifierExtension", path, agg, ctx);
  }
}

}  // namespace gw::fhir::convert
