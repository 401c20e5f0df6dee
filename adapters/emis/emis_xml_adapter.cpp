// InboundAdapter "emis-xml": an EMIS XML extract (emis_xml.hpp) to FHIR R4 UK Core resources:
// Patient, Organization (the practice), Practitioner, Encounter (consultations), Condition
// (problems), Observation, MedicationStatement + MedicationRequest (authorisation and issues),
// AllergyIntolerance and Flag (alerts); plus the identity the MPI needs and an XML acknowledgement.
#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "adapters/emis/checked.hpp"
#include "adapters/emis/common.hpp"
#include "adapters/emis/emis.hpp"
#include "adapters/emis/emis_xml.hpp"
#include "adapters/emis/resource_writer.hpp"
#include "adapters/emis/view_set.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace gw::adapters::emis {
namespace {

constexpr std::string_view kUkCoreVerification =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
constexpr std::string_view kUkCoreVerificationSystem =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";
constexpr std::string_view kProblemSignificance =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1";
constexpr std::string_view kPrescriptionType =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1";
constexpr std::string_view kPrescriptionTypeSystem =
    "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1";

using J = detail::ResourceWriter;

/** Ctx: what every resource of one extract shares. */
struct Ctx {
  const xml::Extract* ex = nullptr;
  std::string ods;                                                // the practice (meta.source)
  std::string_view patient_id;                                    // Registration/GUID
  std::unordered_map<std::string_view, std::string_view> people;  // RefID -> Person GUID
  std::unordered_map<std::string_view, std::string_view> encounter_of;  // entry -> consultation
  const mapping::Mapper* mapper = nullptr;
  OdsCode sender;
  std::vector<std::string>* warnings = nullptr;
  /** checks: when set, each resource's UK Core findings, in the order of the resources. */
  std::vector<std::vector<fhir::Issue>>* checks = nullptr;
  detail::ReadV2Lookups* lookups = nullptr;  // the message's Read v2 -> SNOMED CT lookups
  std::string meta_source{};                 // kMetaSourcePrefix + ods, written on every resource
  std::string entry_id_system{};             // urn:caregw:id:<ods>:emis-entry-guid
};

/** head: resourceType, id, meta (source, and restricted when confidential), identifier. */
void head(J& j, const Ctx& c, std::string_view type, std::string_view id, bool confidential,
          bool entry_identifier = true) {
  j.open().kv("resourceType", type).kv("id", id);
  j.obj("meta").kv("source", c.meta_source);
  if (confidential) {
    // EMIS marks an entry confidential: carry that as restricted. The policy engine acts on
    // sensitivity classes only, and this flag names none (adapters/emis/README.md).
    j.arr("security")
        .open()
        .kv("system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality")
        .kv("code", "R")
        .kv("display", "restricted")
        .close()
        .end_arr();
  }
  j.close();
  if (entry_identifier) {
    j.arr("identifier").open().kv("system", c.entry_id_system).kv("value", id).close().end_arr();
  }
}

/**
 * code_concept: a Code as a CodeableConcept, SNOMED CT first and the original after: EMIS's own
 * MapCode when sent, else (for Read v2) the mapping table's concept; an unmapped Read v2 code
 * stays as sent, is counted by the mapper and warned about (at "<path><element>").
 */
void code_concept(J& j, const Ctx& c, std::string_view path, std::string_view element,
                  std::string_view k, const xml::Code& code, std::string_view text = {}) {
  j.obj(k).arr("coding");
  if (!code.map_code.empty()) {
    j.open().kv("system", code.map_system).kv("code", code.map_code).opt("display", code.term);
    j.close();
  } else if (code.system == detail::kReadV2System) {
    const mapping::Mapped& m = c.lookups->snomed(code.value, code.term);
    if (m.mapped) {
      j.open().kv("system", m.coding.system).kv("code", m.coding.code);
      j.opt("display", m.coding.display).close();
    } else {
      c.warnings->push_back(std::string(path)
                                .append(element)
                                .append(ingest::kLocationSeparator)
                                .append("Read v2 code with no SNOMED CT mapping, kept as sent"));
    }
  }
  j.open().kv("system", code.system).kv("code", code.value).opt("display", code.term).close();
  j.end_arr();
  j.opt("text", text.empty() ? std::string_view(code.term) : text);
  j.close();
}

void subject(J& j, const Ctx& c, std::string_view k = "subject") {
  j.ref(k, "Patient", c.patient_id);
}

void practitioner(J& j, const Ctx& c, std::string_view k, std::string_view ref_id) {
  if (auto it = c.people.find(ref_id); it != c.people.end()) {
    j.ref(k, "Practitioner", it->second);
  }
}

void encounter_of(J& j, const Ctx& c, std::string_view k, std::string_view guid) {
  if (auto it = c.encounter_of.find(guid); it != c.encounter_of.end()) {
    j.ref(k, "Encounter", it->second);
  }
}

void note(J& j, std::string_view text) {
  if (!text.empty()) {
    j.arr("note").open().kv("text", text).close().end_arr();
  }
}

/**
 * finish: closes the resource and adds it to the message; with checks, adds the UK Core
 * findings check_uk_core (gateway/fhir/validate.cpp) gives on its JSON, found from what it was
 * written from instead of from a document of it. `found` holds the findings of rules that depend
 * on the resource's values (the Patient's gender and birth date), in the checker's order. The
 * checker's other rules hold by construction for what this file writes, given what the parser
 * checks: the required elements of each type are always written (status, class, code, subject
 * or patient, medication[x], intent); every status, intent and type code is one of its value
 * set (Observation final, Encounter finished, Condition clinical and verification statuses,
 * MedicationStatement / MedicationRequest status and intent, Flag status and AllergyIntolerance
 * clinical status and type from the parser's closed lists); an NHS number is written only when
 * valid, as 10 digits, with a verification status code 01-08 from the UK Core system; no
 * reference starts with '#'; no meta.lastUpdated, deceasedDateTime or contained resources are
 * written. tests/unit/adapters/emis/checked_test.cpp and caregw-emis-golden --findings compare
 * these findings with check_uk_core(parse_json(json)).
 */
void finish(const Ctx& c, J& j, std::string_view type, std::string_view id,
            ingest::TranslatedMessage& out, std::vector<fhir::Issue> found = {}) {
  j.close();
  if (c.checks != nullptr) {
    std::vector<fhir::Issue> issues;
    if (!detail::valid_fhir_id(id)) {
      issues.push_back({fhir::Issue::Severity::kError, "value", std::string(type) + ".id",
                        "id must be 1-64 letters, digits, '-' or '.'"});
    }
    std::move(found.begin(), found.end(), std::back_inserter(issues));
    if (j.bad_number()) {
      issues.push_back(
          {fhir::Issue::Severity::kError, "value", std::string(type),
           "a number that JSON cannot hold as a double (it would not read back the same)"});
    }
    c.checks->push_back(std::move(issues));
  }
  out.resources.push_back({std::string(type), std::string(id), j.take(), false});
}

void organisation(const Ctx& c, ingest::TranslatedMessage& out) {
  J j;
  head(j, c, "Organization", c.ods, false, false);
  j.arr("identifier").open().kv("system", detail::kOdsSystem).kv("value", c.ods).close().end_arr();
  j.opt("name", c.ex->registration.practice_name);
  finish(c, j, "Organization", c.ods, out);
}

void people(const Ctx& c, ingest::TranslatedMessage& out) {
  for (const xml::Person& p : c.ex->people) {
    J j;
    head(j, c, "Practitioner", p.guid, false, false);
    j.arr("identifier")
        .open()
        .kv("system", std::string("urn:caregw:id:") + c.ods + ":emis-user-guid")
        .kv("value", p.guid)
        .close()
        .end_arr();
    j.arr("name").open().kv("family", p.last_name);
    if (!p.first_names.empty()) {
      j.arr("given").str(p.first_names).end_arr();
    }
    if (!p.title.empty()) {
      j.arr("prefix").str(p.title).end_arr();
    }
    j.close().end_arr();
    if (!p.role.empty()) {
      j.arr("qualification").open().obj("code").kv("text", p.role).close().close().end_arr();
    }
    finish(c, j, "Practitioner", p.guid, out);
  }
}

/** split_words: "Imogen Clare" -> {"Imogen", "Clare"}. */
std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t b = s.find_first_not_of(' ', i);
    if (b == std::string_view::npos) {
      break;
    }
    std::size_t e = s.find(' ', b);
    out.emplace_back(s.substr(b, e == std::string_view::npos ? s.size() - b : e - b));
    i = e == std::string_view::npos ? s.size() : e;
  }
  return out;
}

void patient(Ctx& c, ingest::TranslatedMessage& out) {
  const xml::Registration& r = c.ex->registration;
  J j;
  head(j, c, "Patient", c.patient_id, false, false);
  j.arr("identifier");
  if (!r.nhs_number.empty()) {
    if (auto n = NhsNumber::parse(r.nhs_number)) {
      VerificationStatus vs = VerificationStatus::kPresentNotTraced;
      if (!r.nhs_number_status.empty()) {
        (void)parse_verification_status(r.nhs_number_status, vs);
      }
      j.open().arr("extension").open().kv("url", kUkCoreVerification);
      j.concept_of("valueCodeableConcept", kUkCoreVerificationSystem, verification_code(vs),
                   verification_display(vs));
      j.close().end_arr();
      j.kv("system", kNhsNumberSystem).kv("value", n->str()).close();
    } else {
      c.warnings->push_back(r.path + "/NhsNumber" + std::string(ingest::kLocationSeparator) +
                            "not a valid NHS number (Modulus 11); left out, the patient is "
                            "identified by demographics");
    }
  }
  j.open()
      .kv("system", std::string("urn:caregw:id:") + c.ods + ":emis-guid")
      .kv("value", r.guid)
      .close();
  j.end_arr();
  j.arr("name").open().kv("use", "official").kv("family", r.family_name);
  if (auto given = split_words(r.first_names); !given.empty()) {
    j.arr("given");
    for (const auto& g : given) {
      j.str(g);
    }
    j.end_arr();
  }
  if (!r.title.empty()) {
    j.arr("prefix").str(r.title).end_arr();
  }
  j.close();
  if (!r.previous_family_name.empty()) {
    j.open().kv("use", "old").kv("family", r.previous_family_name).close();
  }
  j.end_arr();
  if (!r.home_telephone.empty() || !r.mobile_telephone.empty() || !r.email.empty()) {
    j.arr("telecom");
    if (!r.home_telephone.empty()) {
      j.open().kv("system", "phone").kv("value", r.home_telephone).kv("use", "home").close();
    }
    if (!r.mobile_telephone.empty()) {
      j.open().kv("system", "phone").kv("value", r.mobile_telephone).kv("use", "mobile").close();
    }
    if (!r.email.empty()) {
      j.open().kv("system", "email").kv("value", r.email).kv("use", "home").close();
    }
    j.end_arr();
  }
  auto sex = c.mapper->value(mapping::Adapter::kEmis, c.sender.str(), "sex", r.sex);
  std::vector<fhir::Issue> found;
  if (sex.mapped) {
    j.kv("gender", sex.coding.code);
    static constexpr std::array<std::string_view, 4> kGenders{"male", "female", "other", "unknown"};
    if (c.checks != nullptr &&
        std::find(kGenders.begin(), kGenders.end(), sex.coding.code) == kGenders.end()) {
      // A per-practice value map may name any code; R4 binds gender to this value set.
      found.push_back(
          {fhir::Issue::Severity::kError, "code-invalid", "Patient.gender",
           "'" + sex.coding.code + "' is not in the required value set of Patient.gender"});
    }
  } else {
    j.kv("gender", "unknown");
    c.warnings->push_back(r.path + "/Sex" + std::string(ingest::kLocationSeparator) +
                          "no mapping for this sex code (mappings/emis, map 'sex'); gender "
                          "recorded as unknown");
  }
  j.kv("birthDate", r.date_of_birth);
  if (c.checks != nullptr) {
    if (std::string why = fhir::check_datetime(r.date_of_birth, fhir::Temporal::kDate);
        !why.empty()) {
      found.push_back({fhir::Issue::Severity::kError, "value", "Patient.birthDate", why});
    }
  }
  const xml::Address& a = r.address;
  if (!a.lines.empty() || !a.town.empty() || !a.postcode.empty()) {
    j.arr("address").open().kv("use", "home");
    if (!a.lines.empty()) {
      j.arr("line");
      for (const auto& l : a.lines) {
        j.str(l);
      }
      j.end_arr();
    }
    j.opt("city", a.town).opt("district", a.county).opt("postalCode", a.postcode);
    j.close().end_arr();
  }
  j.arr("generalPractitioner");
  if (auto it = c.people.find(r.usual_gp_ref); it != c.people.end()) {
    j.open().key("reference").str2("Practitioner/", it->second).close();
  }
  j.open().key("reference").str2("Organization/", c.ods);
  j.obj("identifier").kv("system", detail::kOdsSystem).kv("value", c.ods).close();
  j.close().end_arr();
  j.ref("managingOrganization", "Organization", c.ods);
  finish(c, j, "Patient", c.patient_id, out, std::move(found));
}

void consultations(const Ctx& c, ingest::TranslatedMessage& out) {
  for (const auto& con : c.ex->consultations) {
    J j;
    head(j, c, "Encounter", con.guid, false);
    j.kv("status", "finished");
    if (con.type.empty()) {
      // R4 requires class; with no consultation type the extract does not say: data absent, as
      // the STU3 converter marks it (gateway/fhir/convert).
      j.obj("class").arr("extension").open();
      j.kv("url", "http://hl7.org/fhir/StructureDefinition/data-absent-reason");
      j.kv("valueCode", "unknown").close().end_arr().close();
    } else {
      auto cls = c.mapper->value(mapping::Adapter::kEmis, c.sender.str(), "encounter_class",
                                 con.type, {}, "local:emis-consultation-type");
      j.obj("class").kv("system", cls.coding.system).kv("code", cls.coding.code);
      j.opt("display", cls.coding.display).close();
      if (!cls.mapped) {
        c.warnings->push_back(con.path + "/Type" + std::string(ingest::kLocationSeparator) +
                              "no mapping for this consultation type (mappings/emis, map "
                              "'encounter_class'); kept as sent");
      }
      j.arr("type").open().kv("text", con.type).close().end_arr();
    }
    subject(j, c);
    if (auto it = c.people.find(con.user_ref); it != c.people.end()) {
      j.arr("participant").open();
      j.arr("type").open().arr("coding").open();
      j.kv("system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationType")
          .kv("code", "PPRF")
          .kv("display", "primary performer");
      j.close().end_arr().close().end_arr();
      j.ref("individual", "Practitioner", it->second).close().end_arr();
    }
    j.obj("period").kv("start", con.date).close();
    if (!con.location.empty()) {
      j.arr("location").open().obj("location").kv("display", con.location).close();
      j.close().end_arr();
    }
    j.ref("serviceProvider", "Organization", c.ods);
    finish(c, j, "Encounter", con.guid, out);
  }
}

void condition(const Ctx& c, const xml::Event& e, const xml::Problem& p,
               ingest::TranslatedMessage& out) {
  J j;
  head(j, c, "Condition", e.guid, e.confidential);
  if (!p.significance.empty()) {
    j.arr("extension").open().kv("url", kProblemSignificance);
    j.kv("valueCode", p.significance).close().end_arr();
  }
  // EMIS "past" is a problem no longer active but not declared resolved: R4 "inactive".
  const std::string_view s = p.status;
  std::string status = s == "active" ? "active" : s == "past" ? "inactive" : "resolved";
  j.concept_of("clinicalStatus", "http://terminology.hl7.org/CodeSystem/condition-clinical", status,
               {});
  j.concept_of("verificationStatus", "http://terminology.hl7.org/CodeSystem/condition-ver-status",
               "confirmed", {});
  j.arr("category").open().arr("coding").open();
  j.kv("system", "http://terminology.hl7.org/CodeSystem/condition-category")
      .kv("code", "problem-list-item")
      .kv("display", "Problem List Item");
  j.close().end_arr().close().end_arr();
  code_concept(j, c, e.path, "/Code", "code", e.code, e.display_term);
  subject(j, c);
  encounter_of(j, c, "encounter", e.guid);
  j.kv("onsetDateTime", e.date);
  j.opt("abatementDateTime", p.end_date);
  j.kv("recordedDate", e.date);
  practitioner(j, c, "recorder", e.author_ref);
  note(j, e.comment);
  finish(c, j, "Condition", e.guid, out);
}

void observation(const Ctx& c, const xml::Event& e, ingest::TranslatedMessage& out) {
  J j;
  head(j, c, "Observation", e.guid, e.confidential);
  j.kv("status", "final");
  code_concept(j, c, e.path, "/Code", "code", e.code, e.display_term);
  subject(j, c);
  encounter_of(j, c, "encounter", e.guid);
  j.kv("effectiveDateTime", e.date);
  if (auto it = c.people.find(e.author_ref); it != c.people.end()) {
    j.arr("performer").open().key("reference").str2("Practitioner/", it->second).close().end_arr();
  }
  if (e.numeric) {
    j.obj("valueQuantity").num("value", e.numeric->value).opt("unit", e.numeric->units);
    j.close();
  }
  note(j, e.comment);
  finish(c, j, "Observation", e.guid, out);
}

void medication_request(const xml::Medication& m, J& j, std::string_view status) {
  j.arr("extension").open().kv("url", kPrescriptionType);
  j.concept_of("valueCodeableConcept", kPrescriptionTypeSystem, m.prescription_type, {});
  j.close().end_arr();
  j.kv("status", status);
}

void medication(const Ctx& c, const xml::Medication& m, ingest::TranslatedMessage& out) {
  const std::string ms_id = std::string(m.guid).append("-MS");
  {
    J j;
    head(j, c, "MedicationStatement", ms_id, m.confidential);
    j.arr("basedOn").open().key("reference").str2("MedicationRequest/", m.guid).close().end_arr();
    j.kv("status", m.status == "active" ? "active" : m.status == "past" ? "completed" : "stopped");
    code_concept(j, c, m.path, "/Drug/PreparationID", "medicationCodeableConcept", m.drug);
    subject(j, c);
    encounter_of(j, c, "context", m.guid);
    j.obj("effectivePeriod").kv("start", m.date).opt("end", m.end_date).close();
    j.kv("dateAsserted", m.date);
    practitioner(j, c, "informationSource", m.author_ref);
    if (!m.dosage.empty()) {
      j.arr("dosage").open().kv("text", m.dosage).close().end_arr();
    }
    finish(c, j, "MedicationStatement", ms_id, out);
  }
  {
    J j;  // the authorisation (GP Connect's "plan" MedicationRequest)
    head(j, c, "MedicationRequest", m.guid, m.confidential);
    medication_request(m, j,
                       m.status == "active" ? "active"
                       : m.status == "past" ? "completed"
                                            : "cancelled");
    j.kv("intent", "plan");
    code_concept(j, c, m.path, "/Drug/PreparationID", "medicationCodeableConcept", m.drug);
    subject(j, c);
    encounter_of(j, c, "encounter", m.guid);
    j.kv("authoredOn", m.date);
    practitioner(j, c, "requester", m.author_ref);
    j.obj("courseOfTherapyType").arr("coding").open();
    j.kv("system", "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy");
    if (m.prescription_type == "acute") {
      j.kv("code", "acute").kv("display", "Short course (acute) therapy");
    } else {
      j.kv("code", "continuous").kv("display", "Continuous long term therapy");
    }
    j.close().end_arr().close();
    if (!m.dosage.empty()) {
      j.arr("dosageInstruction").open().kv("text", m.dosage).close().end_arr();
    }
    if (!m.quantity.empty()) {
      j.obj("dispenseRequest").obj("quantity").num("value", m.quantity).opt("unit", m.units);
      j.close().close();
    }
    finish(c, j, "MedicationRequest", m.guid, out);
  }
  for (const auto& is : m.issues) {
    J j;  // one issue: an "order" based on the authorisation
    head(j, c, "MedicationRequest", is.guid, m.confidential);
    medication_request(m, j, "completed");
    j.kv("intent", "order");
    code_concept(j, c, m.path, "/Drug/PreparationID", "medicationCodeableConcept", m.drug);
    subject(j, c);
    j.kv("authoredOn", is.date);
    practitioner(j, c, "requester", is.author_ref.empty() ? m.author_ref : is.author_ref);
    j.arr("basedOn").open().key("reference").str2("MedicationRequest/", m.guid).close().end_arr();
    if (!m.dosage.empty()) {
      j.arr("dosageInstruction").open().kv("text", m.dosage).close().end_arr();
    }
    if (!is.quantity.empty()) {
      j.obj("dispenseRequest").obj("quantity").num("value", is.quantity).opt("unit", is.units);
      j.close().close();
    }
    finish(c, j, "MedicationRequest", is.guid, out);
  }
}

void allergy(const Ctx& c, const xml::Allergy& a, ingest::TranslatedMessage& out) {
  J j;
  head(j, c, "AllergyIntolerance", a.guid, a.confidential);
  j.concept_of("clinicalStatus",
               "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", a.status, {});
  j.concept_of("verificationStatus",
               "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed",
               {});
  j.opt("type", a.type);
  code_concept(j, c, a.path, "/Code", "code", a.code);
  subject(j, c, "patient");
  encounter_of(j, c, "encounter", a.guid);
  j.kv("onsetDateTime", a.date).kv("recordedDate", a.date);
  practitioner(j, c, "recorder", a.author_ref);
  note(j, a.comment);
  if (!a.reaction.empty()) {
    j.arr("reaction").open().arr("manifestation").open().kv("text", a.reaction).close().end_arr();
    j.opt("severity", a.severity).close().end_arr();
  }
  finish(c, j, "AllergyIntolerance", a.guid, out);
}

void alert(const Ctx& c, const xml::Alert& a, ingest::TranslatedMessage& out) {
  // Alert type -> http://terminology.hl7.org/CodeSystem/flag-category (the native type is kept
  // as the category's text).
  static const std::map<std::string_view, std::pair<std::string_view, std::string_view>> kCategory =
      {
          {"safeguarding", {"safety", "Safety"}},
          {"dnacpr", {"advance-directive", "Advance Directive"}},
          {"clinicalwarning", {"clinical", "Clinical"}},
          {"reasonableadjustment", {"admin", "Administrative"}},
          {"administrative", {"admin", "Administrative"}},
      };
  const auto& cat = kCategory.at(a.type);
  J j;
  head(j, c, "Flag", a.guid, false);
  j.kv("status", a.status);
  j.arr("category").open().arr("coding").open();
  j.kv("system", "http://terminology.hl7.org/CodeSystem/flag-category")
      .kv("code", cat.first)
      .kv("display", cat.second);
  j.close().end_arr().kv("text", a.type).close().end_arr();
  if (a.code) {
    code_concept(j, c, a.path, "/Code", "code", *a.code, a.text);
  } else {
    j.obj("code").kv("text", a.text).close();
  }
  subject(j, c);
  j.obj("period").kv("start", a.date).opt("end", a.end_date).close();
  practitioner(j, c, "author", a.author_ref);
  finish(c, j, "Flag", a.guid, out);
}

/**
 * translate_extract: one extract; `sender` absent offline (the practice it names is used). With
 * `checks`, each resource's UK Core findings are added to it, in the order of the resources.
 */
Result<ingest::TranslatedMessage> translate_extract(
    const std::optional<OdsCode>& sender, std::string_view body, const mapping::Mapper& mapper,
    std::vector<std::vector<fhir::Issue>>* checks = nullptr) {
  auto parsed = xml::parse_extract(body);
  if (!parsed) {
    return parsed.error();
  }
  const xml::Extract& ex = *parsed;
  const std::string ods_path = ex.registration.path + "/RegisteredPractice/OdsCode";
  auto practice = OdsCode::parse(ex.registration.practice_ods);
  if (!practice) {
    return detail::located(Errc::kUnprocessable, ods_path, "not an ODS code");
  }
  ingest::TranslatedMessage out;
  out.kind = "gp-record";
  out.event = "emis-extract";
  out.sender_message_id = std::string(ex.extract_id);
  out.registered_practice = *practice;
  if (sender && *sender != *practice) {
    out.warnings.push_back(ods_path + std::string(ingest::kLocationSeparator) +
                           std::string("the extract names practice ") + practice->str() +
                           " but was sent by " + sender->str());
  }
  Ctx c{&ex, practice->str(), ex.registration.guid,         {},
        {},  &mapper,         sender ? *sender : *practice, &out.warnings};
  detail::ReadV2Lookups lookups(mapper);
  c.lookups = &lookups;
  c.meta_source.append(kMetaSourcePrefix).append(c.ods);
  c.entry_id_system.append("urn:caregw:id:").append(c.ods).append(":emis-entry-guid");
  c.checks = checks;
  c.people.reserve(ex.people.size());
  for (const auto& p : ex.people) {
    c.people[p.ref_id] = p.guid;
  }
  // Room for what the extract makes (a medication makes a statement and its issues' requests),
  // so the lists are not regrown as resources are added.
  const std::size_t entries = ex.events.size() + ex.medications.size() + ex.allergies.size();
  const std::size_t resources = 3 + ex.people.size() + ex.consultations.size() + entries +
                                ex.medications.size() + ex.alerts.size();
  out.resources.reserve(resources);
  if (checks != nullptr) {
    checks->reserve(resources);
  }
  detail::ViewSet<> entry_guids;
  entry_guids.reserve(entries);
  for (const auto& e : ex.events) {
    entry_guids.insert(e.guid);
  }
  for (const auto& m : ex.medications) {
    entry_guids.insert(m.guid);
  }
  for (const auto& a : ex.allergies) {
    entry_guids.insert(a.guid);
  }
  c.encounter_of.reserve(entries);
  for (const auto& con : ex.consultations) {
    for (const auto& el : con.elements) {
      if (!entry_guids.contains(el.entry_guid)) {
        // Not an error: an entry may be withheld from the extract (e.g. marked private).
        out.warnings.push_back(el.path + "/EntryGUID" + std::string(ingest::kLocationSeparator) +
                               "no entry in this extract has this GUID");
        continue;
      }
      c.encounter_of[el.entry_guid] = con.guid;
    }
  }
  organisation(c, out);
  people(c, out);
  patient(c, out);
  // The identity is read back from the Patient just written, so both always agree.
  if (auto p = fhir::parse_json(out.resources.back().json)) {
    out.patient =
        detail::identity_from_patient(*p, c.sender, ex.registration.guid, out.sender_message_id,
                                      ex.registration.path, out.warnings);
  }
  consultations(c, out);
  for (const auto& e : ex.events) {
    if (e.problem) {
      condition(c, e, *e.problem, out);
    } else {
      observation(c, e, out);
    }
  }
  for (const auto& m : ex.medications) {
    medication(c, m, out);
  }
  for (const auto& a : ex.allergies) {
    allergy(c, a, out);
  }
  for (const auto& a : ex.alerts) {
    alert(c, a, out);
  }
  return out;
}

/** xml_escape: character data for the acknowledgement. */
std::string xml_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (static_cast<unsigned char>(ch) >= 0x20 || ch == '\t' || ch == '\n') {
          out += ch;
        }
    }
  }
  return out;
}

/** split_location: "path: what" -> {path, what}; no separator: {"", detail}. */
std::pair<std::string, std::string> split_location(const std::string& detail) {
  auto pos = detail.find(ingest::kLocationSeparator);
  if (pos == std::string::npos || detail.empty() || detail[0] != '/') {
    return {"", detail};
  }
  return {detail.substr(0, pos), detail.substr(pos + ingest::kLocationSeparator.size())};
}

class EmisXmlAdapter final : public ingest::InboundAdapter {
public:
  [[nodiscard]] std::string_view name() const override { return "emis-xml"; }
  [[nodiscard]] std::string_view ack_content_type() const override {
    return "application/xml; charset=utf-8";
  }
  [[nodiscard]] std::string message_id(std::string_view body) const override {
    return xml::extract_id(body);
  }
  [[nodiscard]] Result<ingest::TranslatedMessage> translate(
      const OdsCode& sender, std::string_view body, const mapping::Mapper& mapper) const override {
    return translate_extract(sender, body, mapper);
  }
  [[nodiscard]] std::string acknowledge(std::string_view body,
                                        const ingest::AckRequest& ack) const override {
    using Code = ingest::AckRequest::Code;
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ExtractAcknowledgement>\n";
    out += std::string("  <AckID>") + xml_escape(ack.ack_id) + "</AckID>\n";
    if (std::string id = xml::extract_id(body); !id.empty()) {
      out += std::string("  <ExtractID>") + xml_escape(id) + "</ExtractID>\n";
    }
    out += std::string("  <Status>") +
           (ack.code == Code::kAccepted   ? "Accepted"
            : ack.code == Code::kRejected ? "Rejected"
                                          : "Error") +
           "</Status>\n";
    if (ack.code != Code::kAccepted) {
      auto [path, what] = split_location(ack.error ? ack.error->detail : std::string{});
      out += std::string("  <Reason>") + xml_escape(what.empty() ? "not processed" : what) +
             "</Reason>\n";
      if (!path.empty()) {
        out += std::string("  <Path>") + xml_escape(path) + "</Path>\n";
      }
    }
    for (const auto& w : ack.warnings) {
      auto [path, what] = split_location(w);
      out += "  <Warning";
      if (!path.empty()) {
        out += std::string(" path=\"") + xml_escape(path) + "\"";
      }
      out += std::string(">") + xml_escape(what) + "</Warning>\n";
    }
    out += "</ExtractAcknowledgement>\n";
    return out;
  }
};

}  // namespace

std::unique_ptr<ingest::InboundAdapter> make_emis_xml_adapter() {
  return std::make_unique<EmisXmlAdapter>();
}

Result<OfflineTranslation> translate_emis_xml_offline(std::string_view body,
                                                      const mapping::Mapper& mapper) {
  auto t = translate_extract(std::nullopt, body, mapper);
  if (!t) {
    return t.error();
  }
  return OfflineTranslation{to_r4_bundle(*t), std::move(t->warnings)};
}

Result<CheckedTranslation> translate_emis_xml_checked(const OdsCode& sender, std::string_view body,
                                                      const mapping::Mapper& mapper) {
  CheckedTranslation out;
  auto t = translate_extract(sender, body, mapper, &out.issues);
  if (!t) {
    return t.error();
  }
  out.message = std::move(*t);
  return out;
}

}  // namespace gw::adapters::emis
