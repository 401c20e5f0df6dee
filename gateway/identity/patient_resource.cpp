// Patient and searchset rendering with RapidJSON's writer (no DOM: the shapes are fixed).
#include "gateway/identity/patient_resource.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/fhir/datetime.hpp"

namespace gw::identity {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kVerificationExtension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
constexpr std::string_view kVerificationSystem =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";
constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr std::string_view kUkCorePatient =
    "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient";
constexpr std::string_view kMpiPrefix = "mpi-";

void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void field(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}

std::string date_text(const std::chrono::year_month_day& d) {
  char buf[16];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                              static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return {buf, static_cast<std::size_t>(n)};
}

void write_identifiers(Writer& w, const store::PersonView& view) {
  key(w, "identifier");
  w.StartArray();
  const auto& p = view.person;
  if (p.nhs_number) {
    w.StartObject();
    key(w, "extension");
    w.StartArray();
    w.StartObject();
    field(w, "url", kVerificationExtension);
    key(w, "valueCodeableConcept");
    w.StartObject();
    key(w, "coding");
    w.StartArray();
    w.StartObject();
    const auto status = p.nhs_verification.value_or(VerificationStatus::kPresentNotTraced);
    field(w, "system", kVerificationSystem);
    field(w, "code", verification_code(status));
    field(w, "display", verification_display(status));
    w.EndObject();
    w.EndArray();
    w.EndObject();
    w.EndObject();
    w.EndArray();
    field(w, "system", kNhsNumberSystem);
    field(w, "value", p.nhs_number->str());
    w.EndObject();
  }
  for (const auto& l : view.local_ids) {
    w.StartObject();
    field(w, "system", local_id_system(l.local_id.source, l.local_id.type));
    field(w, "value", l.local_id.value);
    key(w, "assigner");
    w.StartObject();
    key(w, "identifier");
    w.StartObject();
    field(w, "system", kOdsSystem);
    field(w, "value", l.local_id.source.str());
    w.EndObject();
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
}

void write_details(Writer& w, const store::DemographicsVersion& v) {
  const auto& d = v.data;
  key(w, "name");
  w.StartArray();
  w.StartObject();
  field(w, "use", "official");
  if (!d.family.empty()) {
    field(w, "family", d.family);
  }
  if (!d.given.empty()) {
    key(w, "given");
    w.StartArray();
    for (const auto& g : d.given) {
      str(w, g);
    }
    w.EndArray();
  }
  w.EndObject();
  for (const auto& n : d.previous_names) {
    w.StartObject();
    field(w, "use", "old");
    field(w, "family", n.family);
    if (!n.given.empty()) {
      key(w, "given");
      w.StartArray();
      for (const auto& g : n.given) {
        str(w, g);
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  if (!d.telecom.empty()) {
    key(w, "telecom");
    w.StartArray();
    for (const auto& t : d.telecom) {
      w.StartObject();
      field(w, "system", t.system);
      field(w, "value", t.value);
      if (!t.use.empty()) {
        field(w, "use", t.use);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  field(w, "gender", store::gender_code(d.gender));
  if (d.birth_date) {
    field(w, "birthDate", date_text(*d.birth_date));
  }
  if (!d.address_lines.empty() || !d.postcode.empty()) {
    key(w, "address");
    w.StartArray();
    w.StartObject();
    field(w, "use", "home");
    if (!d.address_lines.empty()) {
      key(w, "line");
      w.StartArray();
      for (const auto& l : d.address_lines) {
        str(w, l);
      }
      w.EndArray();
    }
    if (!d.postcode.empty()) {
      field(w, "postalCode", d.postcode);
    }
    w.EndObject();
    w.EndArray();
  }
}

/** completeness: how many of the details a version carries. */
int completeness(const store::Demographics& d) {
  return static_cast<int>(!d.family.empty()) + static_cast<int>(!d.given.empty()) +
         static_cast<int>(d.birth_date.has_value()) +
         static_cast<int>(d.gender != store::Gender::kUnknown) +
         static_cast<int>(!d.address_lines.empty()) + static_cast<int>(!d.postcode.empty()) +
         static_cast<int>(!d.telecom.empty());
}

/**
 * primary_details: the version the Patient shows: the most complete current one (a GP
 * registration rather than an ambulance crew's few words), the most recent among equals.
 * current_demographics is latest first, so the first of the most complete wins.
 */
const store::DemographicsVersion* primary_details(const store::PersonView& view) {
  const store::DemographicsVersion* best = nullptr;
  for (const auto& v : view.current_demographics) {
    if (best == nullptr || completeness(v.data) > completeness(best->data)) {
      best = &v;
    }
  }
  return best;
}

void write_patient(Writer& w, const store::PersonView& view) {
  const auto& p = view.person;
  const store::DemographicsVersion* details = primary_details(view);
  w.StartObject();
  field(w, "resourceType", "Patient");
  field(w, "id", patient_id(p));
  key(w, "meta");
  w.StartObject();
  field(w, "lastUpdated", fhir::format_instant(p.updated_at));
  if (details != nullptr) {
    field(w, "source", "urn:caregw:ods:" + details->source.str());
  }
  key(w, "profile");
  w.StartArray();
  str(w, kUkCorePatient);
  w.EndArray();
  w.EndObject();
  write_identifiers(w, view);
  if (details != nullptr) {
    write_details(w, *details);
  }
  if (!view.merged.empty()) {
    key(w, "link");
    w.StartArray();
    for (const auto m : view.merged) {
      w.StartObject();
      key(w, "other");
      w.StartObject();
      field(w, "reference", "Patient/" + std::string(kMpiPrefix) + std::to_string(m.value));
      w.EndObject();
      field(w, "type", "replaces");
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

const store::DemographicsVersion* shown_details(const store::PersonView& view) {
  return primary_details(view);
}

std::string details_source(const store::PersonView& view) {
  const store::DemographicsVersion* details = primary_details(view);
  return details != nullptr ? details->source.str() : std::string();
}

std::string local_id_system(const OdsCode& source, store::LocalIdType type) {
  std::string s(kLocalIdSystemPrefix);
  s += source.str();
  s += ':';
  s += store::local_id_type_code(type);
  return s;
}

std::optional<store::LocalId> parse_local_id_system(std::string_view system,
                                                    std::string_view value) {
  if (!system.starts_with(kLocalIdSystemPrefix) || value.empty()) {
    return std::nullopt;
  }
  system.remove_prefix(kLocalIdSystemPrefix.size());
  const auto colon = system.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  auto ods = OdsCode::parse(system.substr(0, colon));
  auto type = store::parse_local_id_type(system.substr(colon + 1));
  if (!ods || !type) {
    return std::nullopt;
  }
  return store::LocalId{*ods, *type, std::string(value)};
}

std::string patient_id(const store::Person& p) {
  if (p.nhs_number) {
    return p.nhs_number->str();
  }
  return std::string(kMpiPrefix) + std::to_string(p.id.value);
}

Result<PatientRef> parse_patient_id(std::string_view id) {
  if (id.starts_with(kMpiPrefix)) {
    const auto digits = id.substr(kMpiPrefix.size());
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size() || n <= 0) {
      return make_error(Errc::kBadRequest, "a Patient id is an NHS number or mpi-<number>");
    }
    return PatientRef{std::nullopt, store::PersonId{n}};
  }
  auto n = NhsNumber::parse(id);
  if (!n) {
    return make_error(Errc::kBadRequest,
                      "the Patient id is not a valid NHS number: " + n.error().detail);
  }
  return PatientRef{*n, std::nullopt};
}

std::string patient_json(const store::PersonView& view) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write_patient(w, view);
  return {buf.GetString(), buf.GetSize()};
}

std::string search_bundle_json(const std::vector<SearchEntry>& entries, std::string_view base_url,
                               std::string_view self, std::string_view bundle_id,
                               std::string_view now) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  field(w, "resourceType", "Bundle");
  field(w, "id", bundle_id);
  key(w, "meta");
  w.StartObject();
  field(w, "lastUpdated", now);
  w.EndObject();
  field(w, "type", "searchset");
  key(w, "total");
  w.Uint64(entries.size());
  key(w, "link");
  w.StartArray();
  w.StartObject();
  field(w, "relation", "self");
  field(w, "url", self);
  w.EndObject();
  w.EndArray();
  key(w, "entry");
  w.StartArray();
  for (const auto& e : entries) {
    w.StartObject();
    field(w, "fullUrl", std::string(base_url) + "/Patient/" + patient_id(e.person->person));
    key(w, "resource");
    write_patient(w, *e.person);
    key(w, "search");
    w.StartObject();
    if (e.score) {
      key(w, "extension");
      w.StartArray();
      w.StartObject();
      field(w, "url", kMatchGradeExtension);
      field(w, "valueCode", match_grade_code(e.score->grade));
      w.EndObject();
      w.EndArray();
    }
    field(w, "mode", "match");
    if (e.score) {
      key(w, "score");
      // Three decimals: a score, not a measurement.
      w.Double(std::round(e.score->score * 1000.0) / 1000.0);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace gw::identity
