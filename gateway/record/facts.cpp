// Facts about stored resources and the patient, derived from the resources themselves.
#include "gateway/record/facts.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "gateway/audit/record.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/member.hpp"

namespace gw::record {
namespace {

using rapidjson::Value;
using store::TimePoint;

constexpr std::string_view kFlagCategorySystem =
    "http://terminology.hl7.org/CodeSystem/flag-category";
constexpr std::string_view kSnomed = "http://snomed.info/sct";
constexpr std::string_view kNotForResuscitation = "304253006";

using gw::fhir::string_member;

const Value* member(const Value& v, const char* key) {
  if (!v.IsObject()) {
    return nullptr;
  }
  const auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

/** for_each_coding: each Coding of a CodeableConcept, or of an array of them. */
template <class F>
void for_each_coding(const Value* concept_or_array, F&& f) {
  if (concept_or_array == nullptr) {
    return;
  }
  auto one = [&](const Value& cc) {
    const Value* codings = member(cc, "coding");
    if (codings == nullptr || !codings->IsArray()) {
      return;
    }
    for (const auto& c : codings->GetArray()) {
      f(string_member(c, "system"), string_member(c, "code"));
    }
  };
  if (concept_or_array->IsArray()) {
    for (const auto& cc : concept_or_array->GetArray()) {
      one(cc);
    }
  } else {
    one(*concept_or_array);
  }
}

bool has_coding(const Value* cc, std::string_view system, std::string_view code) {
  bool found = false;
  for_each_coding(cc, [&](std::string_view s, std::string_view c) {
    found = found || (s == system && c == code);
  });
  return found;
}

bool contains_word(std::string_view text, std::string_view word) {
  const auto it =
      std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
  return it != text.end();
}

/** clinical_date: the first date the resource carries that places it on a timeline. */
std::string clinical_date(const Value& r) {
  static constexpr std::array<const char*, 8> kFields = {
      "onsetDateTime", "recordedDate", "effectiveDateTime", "authoredOn", "date",
      "created",       "issued",       "dateAsserted"};
  for (const char* period : {"period", "effectivePeriod"}) {
    if (const Value* p = member(r, period)) {
      if (auto start = string_member(*p, "start"); !start.empty()) {
        return std::string(start);
      }
    }
  }
  for (const char* f : kFields) {
    if (auto d = string_member(r, f); !d.empty()) {
      return std::string(d);
    }
  }
  return {};
}

/** primary_code: "system|code" of the resource's first coded `code` (or medication). */
std::string primary_code(const Value& r) {
  std::string out;
  for (const char* field : {"code", "medicationCodeableConcept"}) {
    for_each_coding(member(r, field), [&](std::string_view s, std::string_view c) {
      if (out.empty() && !s.empty() && !c.empty()) {
        out = std::string(s) + "|" + std::string(c);
      }
    });
    if (!out.empty()) {
      break;
    }
  }
  return out;
}

int type_rank(std::string_view type) {
  static constexpr std::array<std::string_view, 9> kOrder = {
      "Condition",         "AllergyIntolerance", "MedicationStatement",
      "MedicationRequest", "Encounter",          "EpisodeOfCare",
      "CarePlan",          "DocumentReference",  "Observation"};
  const auto it = std::find(kOrder.begin(), kOrder.end(), type);
  return it == kOrder.end() ? static_cast<int>(kOrder.size())
                            : static_cast<int>(it - kOrder.begin());
}

std::optional<TimePoint> parse_time(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  auto us = audit::parse_time_utc(text);
  if (!us) {
    return std::nullopt;
  }
  return TimePoint{std::chrono::microseconds(*us)};
}

const config::Organisation* find_org(const config::Config& cfg, std::string_view ods) {
  for (const auto& o : cfg.organisations) {
    if (o.ods.str() == ods) {
      return &o;
    }
  }
  return nullptr;
}

std::optional<policy::Episode> encounter_episode(const Entry& e, const config::Config& cfg) {
  const Value& r = e.doc;
  const std::string& org = e.stored->key.source.str();
  const auto* o = find_org(cfg, org);
  policy::Episode ep;
  ep.org = org;
  const Value* period = member(r, "period");
  const auto start = period ? parse_time(string_member(*period, "start")) : std::nullopt;
  const auto end = period ? parse_time(string_member(*period, "end")) : std::nullopt;
  ep.start = start.value_or(TimePoint{});
  ep.end = end;
  const std::string_view status = string_member(r, "status");
  ep.open = status == "planned" || status == "arrived" || status == "triaged" ||
            status == "in-progress" || status == "onleave";
  if (o != nullptr && o->kind == config::OrgKind::kAmbulance) {
    ep.kind = policy::EpisodeKind::kAmbulanceIncident;
    return ep;
  }
  const std::string_view cls = member(r, "class") ? string_member(*member(r, "class"), "code") : "";
  ep.kind = cls == "IMP" || cls == "ACUTE" || cls == "NONAC" ? policy::EpisodeKind::kAdmission
                                                             : policy::EpisodeKind::kAttendance;
  return ep;
}

std::optional<policy::Episode> episode_of_care(const Entry& e, const config::Config& cfg) {
  const Value& r = e.doc;
  const std::string& org = e.stored->key.source.str();
  const auto* o = find_org(cfg, org);
  if (o == nullptr) {
    return std::nullopt;
  }
  policy::Episode ep;
  ep.org = org;
  ep.open = string_member(r, "status") == "active";
  if (const Value* p = member(r, "period")) {
    ep.start = parse_time(string_member(*p, "start")).value_or(TimePoint{});
    ep.end = parse_time(string_member(*p, "end"));
  }
  if (o->kind == config::OrgKind::kMentalHealth) {
    ep.kind = policy::EpisodeKind::kMentalHealthEpisode;
    if (const Value* cm = member(r, "careManager")) {
      if (const Value* id = member(*cm, "identifier")) {
        ep.care_coordinator = std::string(string_member(*id, "value"));
      }
    }
    return ep;
  }
  if (o->kind == config::OrgKind::kSocialCare) {
    ep.kind = policy::EpisodeKind::kSocialCareCase;
    return ep;
  }
  return std::nullopt;
}

bool is_objection(const Value& r) {
  if (string_member(r, "status") != "active") {
    return false;
  }
  const Value* provision = member(r, "provision");
  if (provision == nullptr || string_member(*provision, "type") != "deny") {
    return false;
  }
  const Value* policies = member(r, "policy");
  if (policies == nullptr || !policies->IsArray()) {
    return false;
  }
  return std::any_of(policies->Begin(), policies->End(),
                     [](const Value& p) { return string_member(p, "uri") == kOptOutPolicy; });
}

}  // namespace

policy::DataCategory category_of(const Value& resource, std::string_view type) {
  if (const Value* meta = member(resource, "meta")) {
    if (const Value* tags = member(*meta, "tag"); tags != nullptr && tags->IsArray()) {
      for (const auto& t : tags->GetArray()) {
        if (string_member(t, "system") == kCategoryTagSystem) {
          if (auto c = policy::parse_category(string_member(t, "code"))) {
            return *c;
          }
        }
      }
    }
  }
  if (type == "Flag") {
    return policy::DataCategory::kCarePlans;
  }
  if (type == "Consent") {
    return policy::DataCategory::kRegistration;
  }
  return policy::category_for_resource_type(type).value_or(policy::DataCategory::kDocuments);
}

policy::SensitivitySet sensitivity_of(const Value& resource,
                                      const policy::SensitiveCodeClassifier* classifier) {
  policy::SensitivitySet out = 0;
  if (const Value* meta = member(resource, "meta")) {
    if (const Value* sec = member(*meta, "security"); sec != nullptr && sec->IsArray()) {
      for (const auto& s : sec->GetArray()) {
        const std::string_view system = string_member(s, "system");
        const std::string_view code = string_member(s, "code");
        if (system == kSensitivitySystem) {
          if (auto c = policy::parse_sensitivity(code)) {
            out |= policy::sensitivity_bit(*c);
          }
        } else if (classifier != nullptr) {
          // A security label from the source (HL7 v3 ActCode PSYTHPN, SDV, ...) classifies
          // like a code: the lists name the labels that mean a sensitive class
          // (http://terminology.hl7.org/ValueSet/v3-ActInformationSensitivityPolicy).
          out |= classifier->classify(system, code);
        }
      }
    }
  }
  if (classifier != nullptr) {
    for (const char* field :
         {"code", "medicationCodeableConcept", "type", "reasonCode", "category", "securityLabel"}) {
      for_each_coding(member(resource, field), [&](std::string_view s, std::string_view c) {
        out |= classifier->classify(s, c);
      });
    }
  }
  return out;
}

AlertRank alert_rank(const Value& r, std::string_view type) {
  if (type == "Flag") {
    if (string_member(r, "status") != "active") {
      return AlertRank::kNone;
    }
    const Value* category = member(r, "category");
    if (has_coding(category, kFlagCategorySystem, "safety")) {
      return AlertRank::kSafeguardingFlag;
    }
    if (has_coding(category, kFlagCategorySystem, "advance-directive") ||
        has_coding(member(r, "code"), kSnomed, kNotForResuscitation)) {
      return AlertRank::kDnacprFlag;
    }
    return AlertRank::kOtherFlag;
  }
  if (type == "AllergyIntolerance") {
    return string_member(r, "criticality") == "high" ? AlertRank::kHighCriticalityAllergy
                                                     : AlertRank::kNone;
  }
  if (type == "CarePlan") {
    if (has_coding(member(r, "category"), kCarePlanKindSystem, "crisis-plan") ||
        contains_word(string_member(r, "title"), "crisis")) {
      return string_member(r, "status") == "active" ? AlertRank::kCrisisPlan : AlertRank::kNone;
    }
  }
  return AlertRank::kNone;
}

Result<Entry> make_entry(const store::StoredRecord& stored,
                         const policy::SensitiveCodeClassifier* classifier,
                         rapidjson::MemoryPoolAllocator<>* pool) {
  Entry e;
  if (pool != nullptr) {
    e.doc = rapidjson::Document(pool);
  }
  e.stored = &stored;
  e.doc.Parse(stored.resource_json.data(), stored.resource_json.size());
  if (e.doc.HasParseError() || !e.doc.IsObject()) {
    return make_error(Errc::kInternal, "record store: a stored resource is not a JSON object");
  }
  const std::string_view type = stored.key.resource_type;
  e.category = category_of(e.doc, type);
  e.sensitivity = sensitivity_of(e.doc, classifier);
  e.alert = alert_rank(e.doc, type);
  e.when = clinical_date(e.doc);
  if (auto code = primary_code(e.doc); !code.empty()) {
    e.fact_key = std::string(type) + "|" + code;
  }
  return e;
}

policy::ResourceFacts facts_of(const Entry& e) {
  policy::ResourceFacts f;
  f.resource_type = e.stored->key.resource_type;
  f.id = e.stored->key.resource_id;
  f.category = e.category;
  f.sensitivity = e.sensitivity;
  f.source_org = e.stored->key.source.str();
  return f;
}

void order_entries(std::vector<Entry>& entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.alert != b.alert) {
      return a.alert < b.alert;
    }
    const int ta = type_rank(a.stored->key.resource_type);
    const int tb = type_rank(b.stored->key.resource_type);
    if (ta != tb) {
      return ta < tb;
    }
    if (a.stored->key.resource_type != b.stored->key.resource_type) {
      return a.stored->key.resource_type < b.stored->key.resource_type;
    }
    if (a.when != b.when) {
      return a.when > b.when;  // newest first
    }
    if (a.stored->key.source != b.stored->key.source) {
      return a.stored->key.source < b.stored->key.source;
    }
    return a.stored->key.resource_id < b.stored->key.resource_id;
  });
}

policy::PatientContext patient_context(const store::PersonView& person,
                                       const config::Config& config,
                                       std::span<const Entry> entries) {
  policy::PatientContext ctx;
  if (person.person.nhs_number) {
    ctx.nhs_number = person.person.nhs_number->str();
  }
  for (const auto& l : person.local_ids) {
    const auto* o = find_org(config, l.local_id.source.str());
    if (o != nullptr && o->kind == config::OrgKind::kGp) {
      ctx.registered_practice = o->ods.str();
      break;
    }
  }
  for (const auto& e : entries) {
    const std::string_view type = e.stored->key.resource_type;
    if (type == "Encounter") {
      if (auto ep = encounter_episode(e, config)) {
        ctx.episodes.push_back(std::move(*ep));
      }
    } else if (type == "EpisodeOfCare") {
      if (auto ep = episode_of_care(e, config)) {
        ctx.episodes.push_back(std::move(*ep));
      }
    } else if (type == "Consent" && is_objection(e.doc)) {
      ctx.objection = true;
    }
  }
  return ctx;
}

}  // namespace gw::record
