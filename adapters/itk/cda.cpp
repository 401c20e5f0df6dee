// CDA ClinicalDocument -> IncomingIdentity + DocumentReference / Encounter / Practitioner (FHIR R4
// JSON). Element names follow the NHS CDA (NPfIT) templates as in
// shared/reference/tkw-x/ITK_DE.xml.
#include "adapters/itk/cda.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapters/itk/base64.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/identity/normalise.hpp"

namespace gw::adapters::itk {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kSnomedOid = "2.16.840.1.113883.2.1.3.2.4.15";
constexpr std::string_view kOdsOid = "2.16.840.1.113883.2.1.3.2.4.19.1";
constexpr std::string_view kOdsSiteOid = "2.16.840.1.113883.2.1.3.2.4.19.2";
constexpr std::string_view kSdsUserOid = "1.2.826.0.1285.0.2.0.65";
constexpr std::string_view kActCodeOid = "2.16.840.1.113883.5.4";
constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr std::string_view kSdsUserSystem = "https://fhir.nhs.uk/Id/sds-user-id";

void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void key(Writer& w, std::string_view k) { str(w, k); }
void kv(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}

/** system_uri: an OID as the FHIR system it stands for (SNOMED CT, ODS, SDS), else urn:oid:. */
std::string system_uri(std::string_view oid) {
  if (oid == kSnomedOid || oid == "2.16.840.1.113883.6.96") {
    return "http://snomed.info/sct";
  }
  if (oid == kOdsOid) {
    return std::string(kOdsSystem);
  }
  if (oid == kSdsUserOid) {
    return std::string(kSdsUserSystem);
  }
  if (oid == kActCodeOid) {
    return "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  }
  return "urn:oid:" + std::string(oid);
}

/** fnv1a: a stable 64-bit hash (the same on every platform, unlike std::hash). */
std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  };
  mix(a);
  mix(std::string_view("\x1f", 1));
  mix(b);
  return h;
}

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

/**
 * fhir_datetime: an HL7 v3 TS (yyyymmdd[hhmm[ss[.f]]][+zz[zz]]) as a FHIR date or dateTime.
 * A time without a zone cannot be a FHIR dateTime, so it is cut back to the date.
 */
std::string fhir_datetime(std::string_view ts) {
  auto digits = [&](std::size_t from, std::size_t n) {
    if (from + n > ts.size()) {
      return false;
    }
    for (std::size_t i = from; i < from + n; ++i) {
      if (ts[i] < '0' || ts[i] > '9') {
        return false;
      }
    }
    return true;
  };
  if (!digits(0, 8)) {
    return {};
  }
  std::string date = std::string(ts.substr(0, 4)) + "-" + std::string(ts.substr(4, 2)) + "-" +
                     std::string(ts.substr(6, 2));
  if (!identity::parse_date(date)) {
    return {};
  }
  if (!digits(8, 4)) {
    return date;
  }
  std::size_t i = 12;
  std::string seconds = "00";
  if (digits(12, 2)) {
    seconds = std::string(ts.substr(12, 2));
    i = 14;
  }
  if (i < ts.size() && ts[i] == '.') {
    ++i;
    while (i < ts.size() && ts[i] >= '0' && ts[i] <= '9') {
      ++i;
    }
  }
  if (i >= ts.size() || (ts[i] != '+' && ts[i] != '-') || !digits(i + 1, 2)) {
    return date;
  }
  std::string zone = std::string(1, ts[i]) + std::string(ts.substr(i + 1, 2)) + ":" +
                     (digits(i + 3, 2) ? std::string(ts.substr(i + 3, 2)) : std::string("00"));
  return date + "T" + std::string(ts.substr(8, 2)) + ":" + std::string(ts.substr(10, 2)) + ":" +
         seconds + zone;
}

/** Name: a CDA PN: given names and family, in order. */
struct Name {
  std::vector<std::string> given;
  std::string family;
  std::string prefix;
};

Name read_name(const xmlNode* name) {
  Name n;
  for (const xmlNode* part : elements(name)) {
    if (is(part, kHl7v3Ns, "given")) {
      if (auto g = text(part); !g.empty()) {
        n.given.push_back(std::move(g));
      }
    } else if (is(part, kHl7v3Ns, "family") && n.family.empty()) {
      n.family = text(part);
    } else if (is(part, kHl7v3Ns, "prefix") && n.prefix.empty()) {
      n.prefix = text(part);
    }
  }
  return n;
}

/** preferred_name: the usual (use L or none) name, else the first. */
const xmlNode* preferred_name(const xmlNode* person) {
  auto names = children(person, kHl7v3Ns, "name");
  for (const xmlNode* n : names) {
    auto use = attr(n, "use");
    if (!use || *use == "L") {
      return n;
    }
  }
  return names.empty() ? nullptr : names.front();
}

void write_name(Writer& w, const Name& n) {
  w.StartObject();
  if (!n.family.empty()) {
    kv(w, "family", n.family);
  }
  if (!n.given.empty()) {
    key(w, "given");
    w.StartArray();
    for (const auto& g : n.given) {
      str(w, g);
    }
    w.EndArray();
  }
  if (!n.prefix.empty()) {
    key(w, "prefix");
    w.StartArray();
    str(w, n.prefix);
    w.EndArray();
  }
  w.EndObject();
}

void write_coding(Writer& w, const xmlNode* code) {
  w.StartObject();
  if (auto system = attr(code, "codeSystem"); system && !system->empty()) {
    kv(w, "system", system_uri(*system));
  }
  kv(w, "code", attr(code, "code").value_or(""));
  if (auto display = attr(code, "displayName"); display && !display->empty()) {
    kv(w, "display", *display);
  }
  w.EndObject();
}

void write_concept(Writer& w, const xmlNode* code) {
  w.StartObject();
  key(w, "coding");
  w.StartArray();
  write_coding(w, code);
  w.EndArray();
  w.EndObject();
}

bool has_code(const xmlNode* code) {
  return code != nullptr && !attr(code, "code").value_or("").empty();
}

/** PatientIds: what recordTarget/patientRole/id says about the patient. */
struct PatientIds {
  std::optional<NhsNumber> nhs;
  VerificationStatus status = VerificationStatus::kPresentNotTraced;
  std::string local_root;
  std::string local_value;
};

Result<PatientIds> read_patient_ids(const xmlNode* role, const std::string& at) {
  PatientIds ids;
  for (const xmlNode* id : children(role, kHl7v3Ns, "id")) {
    const std::string root = attr(id, "root").value_or("");
    const std::string ext = attr(id, "extension").value_or("");
    if (root == kNhsNumberVerifiedRoot || root == kNhsNumberUnverifiedRoot) {
      if (ids.nhs) {
        continue;  // the first NHS number wins; a second is the same person's number again
      }
      auto n = NhsNumber::parse(ext);
      if (!n) {
        std::string detail = at;
        detail += "/id[@root='" + root + "']/@extension: NHS number is not valid (";
        detail += n.error().detail + ")";
        return make_error(Errc::kUnprocessable, std::move(detail));
      }
      ids.nhs = *n;
      ids.status = root == kNhsNumberVerifiedRoot ? VerificationStatus::kPresentVerified
                                                  : VerificationStatus::kPresentNotTraced;
    } else if (ids.local_value.empty() && !ext.empty() && ext.size() <= store::kMaxLocalIdBytes) {
      ids.local_root = root;
      ids.local_value = ext;
    }
  }
  if (!ids.nhs && ids.local_value.empty()) {
    return make_error(Errc::kUnprocessable, at + "/id: no NHS number (root " +
                                                std::string(kNhsNumberVerifiedRoot) +
                                                ") and no local identifier");
  }
  return ids;
}

void read_address(const xmlNode* role, identity::IncomingIdentity& p) {
  auto addrs = children(role, kHl7v3Ns, "addr");
  const xmlNode* chosen = nullptr;
  for (const xmlNode* a : addrs) {
    auto use = attr(a, "use");
    if (use && (*use == "H" || *use == "HP")) {
      chosen = a;
      break;
    }
  }
  if (chosen == nullptr && !addrs.empty()) {
    chosen = addrs.front();
  }
  for (const xmlNode* part : elements(chosen)) {
    const std::string_view name = local_name(part);
    std::string value = text(part);
    if (value.empty() || p.address_lines.size() >= store::kMaxListEntries) {
      continue;
    }
    if (name == "postalCode") {
      p.match.postcode = value;
    } else if (name == "streetAddressLine" || name == "city" || name == "county" ||
               name == "houseNumber" || name == "streetName" || name == "additionalLocator") {
      p.address_lines.push_back(std::move(value));
    }
  }
}

void read_telecom(const xmlNode* role, identity::IncomingIdentity& p) {
  for (const xmlNode* t : children(role, kHl7v3Ns, "telecom")) {
    const std::string value = attr(t, "value").value_or("");
    store::ContactPoint cp;
    if (value.starts_with("tel:")) {
      cp.system = "phone";
      cp.value = value.substr(4);
    } else if (value.starts_with("mailto:")) {
      cp.system = "email";
      cp.value = value.substr(7);
    } else {
      continue;
    }
    const std::string use = attr(t, "use").value_or("");
    cp.use = use == "H" || use == "HP" ? "home"
             : use == "MC"             ? "mobile"
             : use == "WP"             ? "work"
                                       : "";
    if (!cp.value.empty() && p.telecom.size() < store::kMaxListEntries) {
      p.telecom.push_back(std::move(cp));
    }
  }
}

Result<identity::IncomingIdentity> read_patient(const xmlNode* doc, const OdsCode& sender,
                                                const mapping::Mapper& mapper,
                                                const std::string& location) {
  const std::string at = location + "/recordTarget/patientRole";
  const xmlNode* role = path(doc, kHl7v3Ns, {"recordTarget", "patientRole"});
  if (role == nullptr) {
    return make_error(Errc::kUnprocessable, at + ": missing (the document names no patient)");
  }
  auto ids = read_patient_ids(role, at);
  if (!ids) {
    return ids.error();
  }
  identity::IncomingIdentity p{sender};
  p.match.nhs_number = ids->nhs;
  p.match.nhs_status = ids->status;
  if (!ids->local_value.empty()) {
    p.local_id = store::LocalId{sender, store::LocalIdType::kHospitalMrn, ids->local_value};
  }
  const xmlNode* person = child(role, kHl7v3Ns, "patient");
  if (const xmlNode* name = preferred_name(person); name != nullptr) {
    Name n = read_name(name);
    p.match.family = n.family;
    p.match.given = n.given;
  }
  if (auto birth = attr(child(person, kHl7v3Ns, "birthTime"), "value"); birth) {
    if (auto d = identity::parse_date(fhir_datetime(*birth).substr(0, 10)); d) {
      p.match.birth_date = *d;
    }
  }
  if (const xmlNode* g = child(person, kHl7v3Ns, "administrativeGenderCode"); has_code(g)) {
    auto mapped = mapper.value(mapping::Adapter::kAcute, sender.str(), "cda_gender",
                               attr(g, "code").value_or(""), attr(g, "displayName").value_or(""),
                               "nhs-dd-person-gender");
    p.match.gender = mapped.coding.code;
  }
  read_address(role, p);
  read_telecom(role, p);
  return p;
}

/** subject: a logical reference to the patient by NHS number, else by the local id. */
void write_subject(Writer& w, const identity::IncomingIdentity& p) {
  w.StartObject();
  key(w, "identifier");
  w.StartObject();
  if (p.match.nhs_number) {
    kv(w, "system", kNhsNumberSystem);
    kv(w, "value", p.match.nhs_number->str());
  } else if (p.local_id) {
    kv(w, "system", "urn:caregw:id:" + p.source.str() + ":mrn");
    kv(w, "value", p.local_id->value);
  }
  w.EndObject();
  w.EndObject();
}

/** Author: the first author's person (a Practitioner) and organisation. */
struct Author {
  std::string practitioner_id;  // empty when the author is not a person
  std::string practitioner_json;
  std::string display;
  std::string org_ods;
  std::string org_name;
};

Author read_author(const xmlNode* doc) {
  Author a;
  const xmlNode* assigned = path(doc, kHl7v3Ns, {"author", "assignedAuthor"});
  if (assigned == nullptr) {
    return a;
  }
  const xmlNode* org = child(assigned, kHl7v3Ns, "representedOrganization");
  for (const xmlNode* id : children(org, kHl7v3Ns, "id")) {
    if (attr(id, "root").value_or("") == kOdsOid) {
      a.org_ods = attr(id, "extension").value_or("");
    }
  }
  a.org_name = text(child(org, kHl7v3Ns, "name"));
  const xmlNode* person = child(assigned, kHl7v3Ns, "assignedPerson");
  if (person == nullptr) {
    return a;
  }
  const xmlNode* id = child(assigned, kHl7v3Ns, "id");
  const std::string root = attr(id, "root").value_or("");
  const std::string ext = attr(id, "extension").value_or("");
  Name n = read_name(preferred_name(person));
  a.display = n.prefix.empty() ? "" : n.prefix + " ";
  for (const auto& g : n.given) {
    a.display += g + " ";
  }
  a.display += n.family;
  a.practitioner_id = stable_id("itk-pract-", root.empty() ? a.display : root, ext);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  kv(w, "resourceType", "Practitioner");
  kv(w, "id", a.practitioner_id);
  if (!ext.empty()) {
    key(w, "identifier");
    w.StartArray();
    w.StartObject();
    kv(w, "system", system_uri(root));
    kv(w, "value", ext);
    w.EndObject();
    w.EndArray();
  }
  key(w, "name");
  w.StartArray();
  write_name(w, n);
  w.EndArray();
  w.EndObject();
  a.practitioner_json = buf.GetString();
  return a;
}

/** read_encounter: componentOf/encompassingEncounter as an Encounter, with its id. */
std::optional<std::pair<std::string, std::string>> read_encounter(
    const xmlNode* doc, const identity::IncomingIdentity& patient, std::string_view doc_id) {
  const xmlNode* enc = path(doc, kHl7v3Ns, {"componentOf", "encompassingEncounter"});
  if (enc == nullptr) {
    return std::nullopt;
  }
  const xmlNode* id = child(enc, kHl7v3Ns, "id");
  const std::string root = attr(id, "root").value_or("");
  const std::string ext = attr(id, "extension").value_or("");
  const std::string enc_id =
      root.empty() ? stable_id("itk-enc-", doc_id, "encounter") : stable_id("itk-enc-", root, ext);
  const xmlNode* time = child(enc, kHl7v3Ns, "effectiveTime");
  std::string start = fhir_datetime(attr(child(time, kHl7v3Ns, "low"), "value").value_or(""));
  std::string end = fhir_datetime(attr(child(time, kHl7v3Ns, "high"), "value").value_or(""));
  if (start.empty()) {
    start = fhir_datetime(attr(child(time, kHl7v3Ns, "center"), "value").value_or(""));
  }
  if (start.empty()) {
    start = fhir_datetime(attr(time, "value").value_or(""));
  }
  const xmlNode* code = child(enc, kHl7v3Ns, "code");
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  kv(w, "resourceType", "Encounter");
  kv(w, "id", enc_id);
  if (!root.empty()) {
    key(w, "identifier");
    w.StartArray();
    w.StartObject();
    kv(w, "system", ext.empty() ? "urn:ietf:rfc:3986" : system_uri(root));
    kv(w, "value", ext.empty() ? "urn:uuid:" + root : ext);
    w.EndObject();
    w.EndArray();
  }
  // A discharge summary is written once the encounter has ended; a document whose encounter has
  // no end (an ambulance report's "center" time) leaves it unknown rather than guessing.
  kv(w, "status", end.empty() ? "unknown" : "finished");
  key(w, "class");
  if (has_code(code) && attr(code, "codeSystem").value_or("") == kActCodeOid) {
    write_coding(w, code);
  } else {
    // CDA's encounter code is a SNOMED CT concept, not an ActEncounterCode: it goes in type,
    // and class says it is not known (R4 requires one).
    w.StartObject();
    kv(w, "system", "http://terminology.hl7.org/CodeSystem/v3-NullFlavor");
    kv(w, "code", "UNK");
    kv(w, "display", "unknown");
    w.EndObject();
    if (has_code(code)) {
      key(w, "type");
      w.StartArray();
      write_concept(w, code);
      w.EndArray();
    }
  }
  key(w, "subject");
  write_subject(w, patient);
  if (!start.empty() || !end.empty()) {
    key(w, "period");
    w.StartObject();
    if (!start.empty()) {
      kv(w, "start", start);
    }
    if (!end.empty()) {
      kv(w, "end", end);
    }
    w.EndObject();
  }
  if (const xmlNode* d = child(enc, kHl7v3Ns, "dischargeDispositionCode"); has_code(d)) {
    key(w, "hospitalization");
    w.StartObject();
    key(w, "dischargeDisposition");
    write_concept(w, d);
    w.EndObject();
  }
  w.EndObject();
  return std::make_pair(enc_id, std::string(buf.GetString()));
}

void write_attachment(Writer& w, std::string_view content_type, std::string_view bytes,
                      std::string_view title, std::string_view creation) {
  key(w, "content");
  w.StartArray();
  w.StartObject();
  key(w, "attachment");
  w.StartObject();
  kv(w, "contentType", content_type.empty() ? "application/octet-stream" : content_type);
  kv(w, "data", base64_encode(bytes));
  key(w, "size");
  w.Uint64(bytes.size());
  if (!title.empty()) {
    kv(w, "title", title);
  }
  if (!creation.empty()) {
    kv(w, "creation", creation);
  }
  w.EndObject();
  w.EndObject();
  w.EndArray();
}

}  // namespace

std::string stable_id(std::string_view prefix, std::string_view a, std::string_view b) {
  std::string plain =
      std::string(prefix) + std::string(a) + (b.empty() ? "" : "." + std::string(b));
  if (plain.size() <= 64 && std::all_of(plain.begin(), plain.end(), id_char)) {
    return plain;
  }
  std::array<char, 17> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(fnv1a(a, b)));
  return std::string(prefix) + hex.data();
}

Result<CdaTranslation> translate_cda(const CdaInput& in, const OdsCode& sender,
                                     const mapping::Mapper& mapper) {
  const xmlNode* doc = in.document;
  const std::string& at = in.location;
  if (!is(doc, kHl7v3Ns, "ClinicalDocument")) {
    return make_error(Errc::kUnprocessable, at + ": not an hl7:ClinicalDocument");
  }
  const xmlNode* id = child(doc, kHl7v3Ns, "id");
  const std::string root = attr(id, "root").value_or("");
  const std::string ext = attr(id, "extension").value_or("");
  if (root.empty()) {
    return make_error(Errc::kUnprocessable, at + "/id/@root: missing (the document has no id)");
  }
  auto patient = read_patient(doc, sender, mapper, at);
  if (!patient) {
    return patient.error();
  }
  CdaTranslation out;
  const std::string doc_id = stable_id("itk-doc-", root, ext);
  const std::string title = text(child(doc, kHl7v3Ns, "title"));
  const std::string date =
      fhir_datetime(attr(child(doc, kHl7v3Ns, "effectiveTime"), "value").value_or(""));
  const Author author = read_author(doc);
  auto encounter = read_encounter(doc, *patient, doc_id);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  kv(w, "resourceType", "DocumentReference");
  kv(w, "id", doc_id);
  key(w, "masterIdentifier");
  w.StartObject();
  kv(w, "system", ext.empty() ? "urn:ietf:rfc:3986" : system_uri(root));
  kv(w, "value", ext.empty() ? "urn:uuid:" + root : ext);
  w.EndObject();
  if (auto set_id = attr(child(doc, kHl7v3Ns, "setId"), "root"); set_id && !set_id->empty()) {
    key(w, "identifier");
    w.StartArray();
    w.StartObject();
    kv(w, "use", "secondary");
    kv(w, "system", "urn:ietf:rfc:3986");
    kv(w, "value", "urn:uuid:" + *set_id);
    w.EndObject();
    w.EndArray();
  }
  kv(w, "status", "current");
  kv(w, "docStatus", "final");
  if (const xmlNode* code = child(doc, kHl7v3Ns, "code"); has_code(code)) {
    key(w, "type");
    write_concept(w, code);
  }
  key(w, "subject");
  write_subject(w, *patient);
  // DocumentReference.date is an instant: only a time with a zone qualifies.
  if (date.size() > 10) {
    kv(w, "date", date);
  }
  if (!author.practitioner_id.empty() || !author.org_ods.empty()) {
    key(w, "author");
    w.StartArray();
    if (!author.practitioner_id.empty()) {
      w.StartObject();
      kv(w, "reference", "Practitioner/" + author.practitioner_id);
      kv(w, "display", author.display);
      w.EndObject();
    }
    if (!author.org_ods.empty()) {
      w.StartObject();
      key(w, "identifier");
      w.StartObject();
      kv(w, "system", kOdsSystem);
      kv(w, "value", author.org_ods);
      w.EndObject();
      if (!author.org_name.empty()) {
        kv(w, "display", author.org_name);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  if (!title.empty()) {
    kv(w, "description", title);
  }
  if (const xmlNode* conf = child(doc, kHl7v3Ns, "confidentialityCode"); has_code(conf)) {
    key(w, "securityLabel");
    w.StartArray();
    w.StartObject();
    key(w, "coding");
    w.StartArray();
    w.StartObject();
    kv(w, "system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality");
    kv(w, "code", attr(conf, "code").value_or(""));
    w.EndObject();
    w.EndArray();
    w.EndObject();
    w.EndArray();
  }
  write_attachment(w, in.content_type, in.original, title, date);
  if (encounter) {
    key(w, "context");
    w.StartObject();
    key(w, "encounter");
    w.StartArray();
    w.StartObject();
    kv(w, "reference", "Encounter/" + encounter->first);
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();

  out.resources.push_back({"DocumentReference", doc_id, buf.GetString(), false});
  if (encounter) {
    out.resources.push_back({"Encounter", encounter->first, encounter->second, false});
  }
  if (!author.practitioner_id.empty()) {
    out.resources.push_back(
        {"Practitioner", author.practitioner_id, author.practitioner_json, false});
  }
  if (!patient->match.nhs_number) {
    out.warnings.push_back(at + "/recordTarget/patientRole: no NHS number; identified by local id");
  }
  out.patient = std::move(*patient);
  const xmlNode* provider =
      path(doc, kHl7v3Ns, {"recordTarget", "patientRole", "providerOrganization"});
  for (const xmlNode* pid : children(provider, kHl7v3Ns, "id")) {
    const std::string proot = attr(pid, "root").value_or("");
    if (proot == kOdsOid || proot == kOdsSiteOid) {
      if (auto code = OdsCode::parse(attr(pid, "extension").value_or("")); code) {
        out.registered_practice = *code;
        break;
      }
    }
  }
  return out;
}

ingest::TranslatedResource attachment_reference(std::string_view tracking_id,
                                                std::string_view payload_id,
                                                std::string_view content_type,
                                                std::string_view profile, std::string_view bytes) {
  const std::string id = stable_id("itk-att-", tracking_id, payload_id);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  kv(w, "resourceType", "DocumentReference");
  kv(w, "id", id);
  key(w, "masterIdentifier");
  w.StartObject();
  kv(w, "system", "urn:caregw:itk-payload");
  kv(w, "value", std::string(tracking_id) + "/" + std::string(payload_id));
  w.EndObject();
  kv(w, "status", "current");
  if (!profile.empty()) {
    key(w, "type");
    w.StartObject();
    kv(w, "text", profile);
    w.EndObject();
  }
  write_attachment(w, content_type, bytes, {}, {});
  w.EndObject();
  return {"DocumentReference", id, buf.GetString(), false};
}

}  // namespace gw::adapters::itk
