// ORU^R01 results: each OBR becomes a DiagnosticReport and the OBX segments under it become
// Observations it references. Codes are kept as the laboratory sent them (LOINC and SNOMED CT
// named by their FHIR URIs, other coding systems as local ones); values by OBX-2 data type.
#include <vector>

#include "adapters/hl7v2/detail.hpp"

namespace gw::adapters::hl7v2::detail {
namespace {

/** code_system: a CE/CWE coding system name (HL7 table 0396) as a FHIR system URI. */
std::string code_system(const Ctx& c, std::string_view name) {
  if (name == "LN") {
    return "http://loinc.org";
  }
  if (name == "SCT" || name == "SNM" || name == "SNOMED" || name == "SNOMEDCT") {
    return "http://snomed.info/sct";
  }
  if (name == "UCUM") {
    return "http://unitsofmeasure.org";
  }
  if (name == "HL70078") {
    return "http://terminology.hl7.org/CodeSystem/v2-0078";
  }
  // Any other name becomes part of a URI: only letters, digits, '.' and '-' are kept as they are.
  std::string safe;
  for (char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
    safe.push_back(ok ? ch : '-');
  }
  if (name.empty() || name == "L" || name.starts_with("99")) {
    return cat("urn:caregw:codes:", c.sender.str(), ":", name.empty() ? "local" : safe);
  }
  return cat("urn:caregw:codes:hl7v2:", safe);
}

/** write_ce: a CE/CWE field (id ^ text ^ system, with the alternate id ^ text ^ system) as a
 * CodeableConcept under `key`. False when nothing was sent. */
bool write_ce(Out& o, const Ctx& c, const Segment& s, int field, std::string_view key) {
  const std::string code = c.m.get(s, field, 1, 1);
  const std::string text = c.m.get(s, field, 1, 2);
  const std::string alt = c.m.get(s, field, 1, 4);
  if (code.empty() && text.empty()) {
    return false;
  }
  o.begin(key);
  if (!code.empty() || !alt.empty()) {
    o.array("coding");
    if (!code.empty()) {
      o.coding(code_system(c, c.m.raw(s, field, 1, 3)), code, text);
    }
    if (!alt.empty()) {
      o.coding(code_system(c, c.m.raw(s, field, 1, 6)), alt, c.m.get(s, field, 1, 5));
    }
    o.end_array();
  }
  o.opt("text", text);
  o.end();
  return true;
}

std::string_view result_status(std::string_view code) {
  if (code == "F") {
    return "final";
  }
  if (code == "C") {
    return "corrected";
  }
  if (code == "P" || code == "A") {
    return "preliminary";
  }
  if (code == "X") {
    return "cancelled";
  }
  if (code == "D" || code == "W") {
    return "entered-in-error";
  }
  return code.empty() ? "final" : "registered";
}

bool parse_number(std::string_view text, double& out) {
  if (text.empty() || text.size() > 32 ||
      text.find_first_not_of("+-.0123456789") != std::string_view::npos) {
    return false;
  }
  char* end = nullptr;
  const std::string s(text);
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

Result<void> write_value(Out& o, const Ctx& c, const Segment& obx, int occurrence) {
  const std::string_view type = c.m.raw(obx, 2);
  if (c.m.raw(obx, 5).empty()) {
    return {};
  }
  if (type == "NM") {
    double v = 0;
    const std::string text = c.m.get(obx, 5);
    if (!parse_number(text, v)) {
      return located(at("OBX", 5, 0, occurrence), "not a number (OBX-2 says NM)");
    }
    o.begin("valueQuantity");
    o.number("value", v);
    const std::string unit = c.m.get(obx, 6, 1, 1);
    if (!unit.empty()) {
      o.field("unit", c.m.get(obx, 6, 1, 2).empty() ? unit : c.m.get(obx, 6, 1, 2));
      const std::string_view units_system = c.m.raw(obx, 6, 1, 3);
      if (units_system == "UCUM" || units_system == "ISO+") {
        o.constant("system", "http://unitsofmeasure.org");
        o.field("code", unit);
      }
    }
    o.end();
  } else if (type == "CE" || type == "CWE" || type == "CNE") {
    (void)write_ce(o, c, obx, 5, "valueCodeableConcept");
  } else if (type == "DT" || type == "TS" || type == "DTM") {
    auto when = datetime(c, obx, 5, "OBX", occurrence);
    if (!when) {
      return when.error();
    }
    o.field("valueDateTime", *when);
  } else {
    // ST, TX, FT, SN and anything else: the text, repetitions as lines
    std::string text;
    const int reps = c.m.repetitions(obx, 5);
    for (int r = 1; r <= reps; ++r) {
      if (r > 1) {
        text.push_back('\n');
      }
      text += c.m.decode(split(c.m.field(obx, 5), c.m.delimiters().repetition, r));
    }
    o.field("valueString", text);
  }
  return {};
}

Result<std::string> write_observation(Ctx& c, const Segment& obx, int occurrence,
                                      std::string_view report_id, std::string_view effective) {
  const std::string set_id = c.m.get(obx, 1);
  const std::string id = fhir_id(std::string(report_id.substr(3)).insert(0, "obs-") + "-",
                                 set_id.empty() ? std::to_string(occurrence) : set_id);
  Out o;
  o.begin();
  o.constant("resourceType", "Observation");
  o.field("id", id);
  o.profile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation");
  o.field("status", result_status(c.m.raw(obx, 11)));
  if (!write_ce(o, c, obx, 3, "code")) {
    return located(at("OBX", 3, 0, occurrence), "required field missing (observation identifier)");
  }
  o.reference("subject", "Patient", c.patient_id, {});
  auto when = datetime(c, obx, 14, "OBX", occurrence);
  if (!when) {
    return when.error();
  }
  o.opt("effectiveDateTime", when->empty() ? effective : std::string_view(*when));
  if (auto r = write_value(o, c, obx, occurrence); !r) {
    return r.error();
  }
  if (const std::string flag = c.m.get(obx, 8); !flag.empty()) {
    o.array("interpretation");
    o.begin();
    o.array("coding");
    o.coding("http://terminology.hl7.org/CodeSystem/v2-0078", flag, {});
    o.end_array();
    o.end();
    o.end_array();
  }
  if (const std::string range = c.m.get(obx, 7); !range.empty()) {
    o.array("referenceRange");
    o.begin();
    o.field("text", range);
    o.end();
    o.end_array();
  }
  o.end();
  c.out.resources.push_back({"Observation", id, o.take(), false});
  return id;
}

struct Report {
  const Segment* obr = nullptr;
  int occurrence = 0;
  std::vector<std::pair<const Segment*, int>> obx;  // segment, occurrence in the message
};

Result<void> write_report(Ctx& c, const Report& rep) {
  const Segment& obr = *rep.obr;
  std::string filler = c.m.get(obr, 3, 1, 1);
  if (filler.empty()) {
    filler = c.m.get(obr, 2, 1, 1);  // placer order number
  }
  if (filler.empty()) {
    return located(at("OBR", 3, 0, rep.occurrence), "required field missing (filler order number)");
  }
  const std::string id = fhir_id("dr-", filler);
  auto effective = datetime(c, obr, 7, "OBR", rep.occurrence);
  if (!effective) {
    return effective.error();
  }
  auto issued = datetime(c, obr, 22, "OBR", rep.occurrence);
  if (!issued) {
    return issued.error();
  }
  std::vector<std::string> results;
  for (const auto& [obx, occ] : rep.obx) {
    auto r = write_observation(c, *obx, occ, id, *effective);
    if (!r) {
      return r.error();
    }
    results.push_back(std::move(*r));
  }
  Out o;
  o.begin();
  o.constant("resourceType", "DiagnosticReport");
  o.field("id", id);
  o.profile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-DiagnosticReport");
  o.array("identifier");
  o.begin();
  o.field("system", {"urn:caregw:id:", c.sender.str(), ":filler-order-number"});
  o.field("value", filler);
  o.end();
  o.end_array();
  o.field("status", result_status(c.m.raw(obr, 25)));
  if (!write_ce(o, c, obr, 4, "code")) {
    return located(at("OBR", 4, 0, rep.occurrence), "required field missing (service identifier)");
  }
  o.reference("subject", "Patient", c.patient_id, {});
  o.opt("effectiveDateTime", *effective);
  if (issued->size() > 10) {
    o.field("issued", *issued);  // an instant needs a time
  }
  if (!results.empty()) {
    o.array("result");
    for (const auto& r : results) {
      o.begin();
      o.field("reference", "Observation/" + r);
      o.end();
    }
    o.end_array();
  }
  o.end();
  c.out.resources.push_back({"DiagnosticReport", id, o.take(), false});
  return {};
}

}  // namespace

Result<void> write_results(Ctx& c) {
  std::vector<Report> reports;
  int obr_seen = 0;
  int obx_seen = 0;
  for (const auto& s : c.m.segments()) {
    if (s.id == "OBR") {
      reports.push_back({&s, ++obr_seen, {}});
    } else if (s.id == "OBX") {
      ++obx_seen;
      if (reports.empty()) {
        return located(at("OBX", 0, 0, obx_seen), "segment sequence error (OBX before any OBR)");
      }
      reports.back().obx.emplace_back(&s, obx_seen);
    }
  }
  if (reports.empty()) {
    return located(Location{"OBR"}, "required segment missing");
  }
  for (const auto& r : reports) {
    if (auto w = write_report(c, r); !w) {
      return w.error();
    }
  }
  return {};
}

}  // namespace gw::adapters::hl7v2::detail
