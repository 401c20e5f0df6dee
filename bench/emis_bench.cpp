// caregw-emis-bench: GP records/s through the emis adapter (parse + map + validate) for a
// 200-entry record, as an EMIS XML extract and as a GP Connect structured record, against a
// baseline measured in the same run: the bare parse of the same bytes (libxml2 for the XML,
// RapidJSON via parse_json for the JSON). Inputs are generated here (synthetic: an invented
// patient with a 999 test-range NHS number). Usage: caregw-emis-bench [seconds-per-case]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include <libxml/parser.h>

#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/mapping/loader.hpp"

namespace {

constexpr int kEntries = 200;

/** extract: an EMIS XML extract with `kEntries` entries: events, problems, medication, allergies.
 */
std::string extract() {
  std::string x =
      "<MedicalRecord><ExtractHeader><ExtractID>B1</ExtractID><ExtractDateTime>2026-11-20T09:15:"
      "00Z</ExtractDateTime></ExtractHeader><PeopleList><Person><RefID>1</RefID><GUID>P1</GUID>"
      "<LastName>Invented</LastName></Person></PeopleList><Registration><GUID>G1</GUID><NhsNumber>"
      "9990040044</NhsNumber><NhsNumberStatus>01</NhsNumberStatus><FirstNames>Ada</FirstNames>"
      "<FamilyName>Fictional</FamilyName><DateOfBirth>1950-05-06</DateOfBirth><Sex>F</Sex>"
      "<RegisteredPractice><OdsCode>Z90001</OdsCode></RegisteredPractice><UsualGP><RefID>1</RefID>"
      "</UsualGP></Registration><EventList>";
  const char* codes[] = {"2469.00", "246A.00", "22A..00", "G20..11", "G33..00", "XaZZZ"};
  for (int i = 0; i < kEntries - 40; ++i) {
    x += "<Event><GUID>E" + std::to_string(i) +
         "</GUID><AssignedDate>2020-01-02</AssignedDate>"
         "<AuthorID><RefID>1</RefID></AuthorID><Code><Value>" +
         std::string(codes[i % 6]) + "</Value><Scheme>READ2</Scheme><Term>t</Term></Code>";
    x += i % 4 == 3 ? "<Problem><Status>Active</Status><Significance>Minor</Significance></Problem>"
                    : "<NumericValue><Value>" + std::to_string(100 + i) +
                          "</Value><Units>mm[Hg]</Units></NumericValue>";
    x += "</Event>";
  }
  x += "</EventList><MedicationList>";
  for (int i = 0; i < 30; ++i) {
    x += "<Medication><GUID>M" + std::to_string(i) +
         "</GUID><AssignedDate>2024-01-01</AssignedDate>"
         "<Drug><PreparationID><Value>319775004</Value><Scheme>DMD</Scheme></PreparationID></Drug>"
         "<Dosage>One daily</Dosage><Quantity>28</Quantity><PrescriptionType>Repeat"
         "</PrescriptionType><DrugStatus>Active</DrugStatus></Medication>";
  }
  x += "</MedicationList><AllergyList>";
  for (int i = 0; i < 10; ++i) {
    x += "<Allergy><GUID>A" + std::to_string(i) +
         "</GUID><AssignedDate>2010</AssignedDate><Code>"
         "<Value>SN53100</Value><Scheme>READ2</Scheme></Code><Status>Active</Status></Allergy>";
  }
  return x + "</AllergyList></MedicalRecord>";
}

/** gpconnect: a GP Connect STU3 bundle with `kEntries` Conditions and Observations. */
std::string gpconnect() {
  std::string j =
      R"({"resourceType":"Bundle","id":"b1","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"3F2504E0-4F89-41D3-9A0C-0305E82C3301","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990040044"}],"name":[{"family":"Fictional","given":["Ada"]}],"birthDate":"1950-05-06","managingOrganization":{"reference":"Organization/o1"}}},{"resource":{"resourceType":"Organization","id":"o1","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Z90001"}]}})";
  for (int i = 0; i < kEntries; ++i) {
    const std::string id = std::to_string(i);
    if (i % 2 == 0) {
      j +=
          R"(,{"resource":{"resourceType":"Condition","id":"c)" + id +
          R"(","clinicalStatus":"active","verificationStatus":"confirmed","subject":{"reference":"Patient/3F2504E0-4F89-41D3-9A0C-0305E82C3301"},"code":{"coding":[{"system":"http://read.info/readv2","code":"G33..00","display":"Angina pectoris"}]}}})";
    } else {
      j +=
          R"(,{"resource":{"resourceType":"Observation","id":"o)" + id +
          R"(","status":"final","subject":{"reference":"Patient/3F2504E0-4F89-41D3-9A0C-0305E82C3301"},"code":{"coding":[{"system":"http://read.info/readv2","code":"2469.00"},{"system":"http://snomed.info/sct","code":"72313002"}]},"valueQuantity":{"value":140,"unit":"mm[Hg]"}}})";
    }
  }
  return j + "]}";
}

/** rate: records/s running `f` for `seconds` (after a short warm-up). */
double rate(const std::function<bool()>& f, double seconds) {
  for (int i = 0; i < 20; ++i) {
    if (!f()) {
      std::fprintf(stderr, "caregw-emis-bench: a run failed\n");
      std::exit(1);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  long n = 0;
  double elapsed = 0;
  do {
    (void)f();
    ++n;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(n) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  auto loaded = gw::mapping::load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings");
  if (!loaded.set) {
    std::fprintf(stderr, "caregw-emis-bench: mappings/ did not load\n");
    return 1;
  }
  gw::mapping::UnmappedTracker tracker;
  const gw::mapping::Mapper mapper(loaded.set, &tracker);
  const auto sender = *gw::OdsCode::parse("Z90001");
  const std::string xml = extract(), json = gpconnect();
  auto emis = gw::adapters::emis::make_emis_xml_adapter();
  auto gpc = gw::adapters::emis::make_gpconnect_adapter();

  // parse + map + validate: translate, then the UK Core checks on every resource.
  auto full = [&](const gw::ingest::InboundAdapter& a, const std::string& body) {
    auto m = a.translate(sender, body, mapper);
    if (!m) {
      return false;
    }
    for (const auto& r : m->resources) {
      auto d = gw::fhir::parse_json(r.json);
      if (!d || gw::fhir::has_errors(gw::fhir::check_uk_core(*d))) {
        return false;
      }
    }
    return true;
  };
  const double xml_base = rate(
      [&] {
        xmlDocPtr d = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                                    XML_PARSE_NONET);
        xmlFreeDoc(d);
        return d != nullptr;
      },
      seconds);
  const double xml_rate = rate([&] { return full(*emis, xml); }, seconds);
  const double json_base =
      rate([&] { return static_cast<bool>(gw::fhir::parse_json(json)); }, seconds);
  const double json_rate = rate([&] { return full(*gpc, json); }, seconds);
  std::printf("caregw-emis-bench: %d-entry GP record, one thread, %.1f s per case\n", kEntries,
              seconds);
  std::printf("  emis-xml   %8.0f records/s (%zu bytes); libxml2 parse alone %8.0f/s; ratio %.3f\n",
              xml_rate, xml.size(), xml_base, xml_rate / xml_base);
  std::printf("  gpconnect  %8.0f records/s (%zu bytes); JSON parse alone    %8.0f/s; ratio %.3f\n",
              json_rate, json.size(), json_base, json_rate / json_base);
  std::printf("  (%d entries per record: %.0f and %.0f entries/s)\n", kEntries, xml_rate * kEntries,
              json_rate * kEntries);
  std::printf(
      "emis_xml_rps=%.0f gpconnect_rps=%.0f emis_xml_ratio=%.4f gpconnect_ratio=%.4f "
      "target_rps=2000 target_met=%s\n",
      xml_rate, json_rate, xml_rate / xml_base, json_rate / json_base,
      xml_rate >= 2000 && json_rate >= 2000 ? "yes" : "no");
  return 0;
}
