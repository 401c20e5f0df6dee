// Tests for FHIR XML <-> JSON: round trips over every public reference example (UK Core R4,
// CareConnect/ITK3/GP Connect STU3), value types, `_name` alignment, ordering, error messages,
// and hostile input (entity bombs, XXE, deep nesting, bad encodings, oversized values).
#include "gateway/fhir/xml.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"

namespace gw::fhir {
namespace {

namespace fs = std::filesystem;

constexpr FhirVersion kR4 = FhirVersion::kR4;
constexpr FhirVersion kStu3 = FhirVersion::kStu3;

std::string reference_dir() { return std::string(CAREGW_SOURCE_DIR) + "/../shared/reference"; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/** ReferenceFile: one public example, named by its folder under shared/reference. */
struct ReferenceFile {
  std::string relative;  // e.g. "ukcore-r4/UKCore-Patient-RichardSmith-Example.xml"
  FhirVersion version;
};

// Published examples that are faulty as published (see shared/reference/SOURCES-nhs-samples.md):
// they are tested below as refusals, not as round trips.
const std::vector<std::string> kKnownBadXml = {
    // Not well-formed: an unclosed <p> in the narrative (line 106).
    "itk3-digital-medicines/engage_william_smith_meds_block1_document.xml",
    // Bundle.entry[3].resource holds only a comment ("INSERT THE ROOT <Bundle> ...").
    "itk3-digital-medicines/engage_william_smith_meds_block2_message.xml",
};

std::vector<ReferenceFile> list_files(const std::vector<std::string>& folders, FhirVersion version,
                                      const std::string& extension, bool skip_known_bad) {
  std::vector<ReferenceFile> out;
  const fs::path root = reference_dir();
  for (const auto& folder : folders) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root / folder, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (!it->is_regular_file() || it->path().extension() != extension) {
        continue;
      }
      std::string rel = fs::relative(it->path(), root).generic_string();
      if (skip_known_bad &&
          std::find(kKnownBadXml.begin(), kKnownBadXml.end(), rel) != kKnownBadXml.end()) {
        continue;
      }
      out.push_back({rel, version});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.relative < b.relative; });
  return out;
}

const std::vector<std::string> kStu3XmlFolders = {"careconnect-stu3", "careconnect-document",
                                                  "ccri-eolc", "itk3-digital-medicines",
                                                  "gpconnect-send-document-update-record"};

std::vector<ReferenceFile> all_xml_examples() {
  auto out = list_files({"ukcore-r4"}, kR4, ".xml", true);
  auto stu3 = list_files(kStu3XmlFolders, kStu3, ".xml", true);
  out.insert(out.end(), stu3.begin(), stu3.end());
  return out;
}

std::string test_name(const testing::TestParamInfo<ReferenceFile>& info) {
  std::string name = info.param.relative;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

Json must_parse(std::string_view xml, FhirVersion version) {
  auto r = xml_to_json(xml, version);
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return r ? std::move(*r) : Json();
}

std::string error_of(std::string_view xml, FhirVersion version, const XmlLimits& limits = {}) {
  auto r = xml_to_json(xml, version, limits);
  EXPECT_FALSE(r) << "accepted: " << xml.substr(0, 200);
  if (r) {
    return "";
  }
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  return r.error().detail;
}

std::string json_error_of(std::string_view json, FhirVersion version) {
  auto doc = parse_json(json);
  EXPECT_TRUE(doc) << json;
  if (!doc) {
    return "";
  }
  auto r = json_to_xml(*doc, version);
  EXPECT_FALSE(r) << "accepted: " << json;
  if (r) {
    return "";
  }
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  return r.error().detail;
}

// ---- round trips over the reference examples ------------------------------------------------

class XmlRoundTripTest : public testing::TestWithParam<ReferenceFile> {};

// XML -> JSON -> XML -> JSON: the two JSONs are equal, and writing is stable (the second XML is
// byte-identical to the first), pretty and compact.
TEST_P(XmlRoundTripTest, XmlToJsonToXmlIsLossless) {
  const ReferenceFile& file = GetParam();
  SCOPED_TRACE("shared/reference/" + file.relative + " as " +
               std::string(version_name(file.version)));
  const std::string xml = read_file(fs::path(reference_dir()) / file.relative);
  ASSERT_FALSE(xml.empty());
  auto json = xml_to_json(xml, file.version);
  ASSERT_TRUE(json) << json.error().detail;
  for (bool pretty : {true, false}) {
    auto xml2 = json_to_xml(*json, file.version, {.pretty = pretty});
    ASSERT_TRUE(xml2) << xml2.error().detail;
    auto json2 = xml_to_json(*xml2, file.version);
    ASSERT_TRUE(json2) << json2.error().detail;
    EXPECT_TRUE(json_equal(*json, *json2));
    auto xml3 = json_to_xml(*json2, file.version, {.pretty = pretty});
    ASSERT_TRUE(xml3) << xml3.error().detail;
    EXPECT_EQ(*xml2, *xml3);
  }
}

INSTANTIATE_TEST_SUITE_P(Reference, XmlRoundTripTest, testing::ValuesIn(all_xml_examples()),
                         test_name);

TEST(XmlReferenceSetTest, EveryExampleIsCovered) {
  // All 147 UK Core R4 examples round-trip; of the 43 STU3 XML examples, 41 do and the two
  // faulty published ones are refused (tested below).
  EXPECT_EQ(list_files({"ukcore-r4"}, kR4, ".xml", false).size(), 147U);
  EXPECT_EQ(list_files({"ukcore-r4"}, kR4, ".xml", true).size(), 147U);
  EXPECT_EQ(list_files(kStu3XmlFolders, kStu3, ".xml", false).size(), 43U);
  EXPECT_EQ(list_files(kStu3XmlFolders, kStu3, ".xml", true).size(), 41U);
}

TEST(XmlReferenceSetTest, FaultyPublishedExamplesAreRefused) {
  const fs::path root = reference_dir();
  // itk3-digital-medicines: an unclosed <p> in the narrative.
  std::string e = error_of(read_file(root / kKnownBadXml[0]), kStu3);
  EXPECT_NE(e.find("not well-formed at line 106"), std::string::npos) << e;
  // itk3-digital-medicines: an entry whose resource is a placeholder comment.
  e = error_of(read_file(root / kKnownBadXml[1]), kStu3);
  EXPECT_NE(e.find("Bundle.entry[3].resource at line 103 holds no resource"), std::string::npos)
      << e;
}

// JSON-only STU3 examples: JSON -> XML -> JSON.
class JsonExampleRoundTripTest : public testing::TestWithParam<ReferenceFile> {};

const std::vector<std::string> kKnownBadJson = {
    "careconnect-stu3/yhcr-examples/ADTA01.json",
    "careconnect-stu3/yhcr-examples/encounter-1.json",
    "gpconnect-structured/consultations_response2.json",
    "gpconnect-structured/diaryentries_response1.json",
    "gpconnect-structured/meds_response.json",
    "gpconnect-structured/problems_response1.json",
};

std::vector<ReferenceFile> json_examples() {
  auto all =
      list_files({"gpconnect-structured", "careconnect-stu3/yhcr-examples"}, kStu3, ".json", false);
  std::erase_if(all, [](const ReferenceFile& f) {
    return std::find(kKnownBadJson.begin(), kKnownBadJson.end(), f.relative) != kKnownBadJson.end();
  });
  return all;
}

TEST_P(JsonExampleRoundTripTest, JsonToXmlToJsonIsLossless) {
  const ReferenceFile& file = GetParam();
  SCOPED_TRACE("shared/reference/" + file.relative + " as STU3");
  auto json = parse_json(read_file(fs::path(reference_dir()) / file.relative));
  ASSERT_TRUE(json) << json.error().detail;
  auto xml = json_to_xml(*json, file.version);
  ASSERT_TRUE(xml) << xml.error().detail;
  auto back = xml_to_json(*xml, file.version);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_TRUE(json_equal(*json, *back));
}

INSTANTIATE_TEST_SUITE_P(Reference, JsonExampleRoundTripTest, testing::ValuesIn(json_examples()),
                         test_name);

TEST(XmlReferenceSetTest, JsonExamplesAreCovered) { EXPECT_EQ(json_examples().size(), 31U); }

// Published GP Connect / YHCR JSON that is not valid FHIR JSON; each is refused, naming where.
TEST(XmlReferenceSetTest, FaultyPublishedJsonIsRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kKnownBadJson[0], "value of MessageDefinition.focus[0].max is not a string"},
      {kKnownBadJson[1],
       "Encounter.participant[1].individual.identifier is an array but the element does not "
       "repeat"},
      {kKnownBadJson[2], "Bundle.entry[0].resource.generalPractitioner must be an array"},
      {kKnownBadJson[3], "unknown property 'resourceType' in Bundle.entry[6]"},
      {kKnownBadJson[4],
       "value of Bundle.entry[8].resource.dispenseRequest.expectedSupplyDuration.value is not a "
       "number"},
      {kKnownBadJson[5], "Bundle.entry[0].resource.generalPractitioner must be an array"},
  };
  for (const auto& [file, expected] : cases) {
    SCOPED_TRACE(file);
    std::string e = json_error_of(read_file(fs::path(reference_dir()) / file), kStu3);
    EXPECT_NE(e.find(expected), std::string::npos) << e;
  }
}

// ---- value types and shapes --------------------------------------------------------------------

TEST(XmlToJsonTest, PatientValuesHaveTheirJsonTypes) {
  // ukcore-r4/UKCore-Patient-RichardSmith-Example.xml
  Json p = must_parse(
      read_file(fs::path(reference_dir()) / "ukcore-r4/UKCore-Patient-RichardSmith-Example.xml"),
      kR4);
  ASSERT_TRUE(p.IsObject());
  EXPECT_STREQ(p["resourceType"].GetString(), "Patient");
  ASSERT_TRUE(p["birthDate"].IsString());
  EXPECT_STREQ(p["birthDate"].GetString(), "1970-09-11");
  ASSERT_TRUE(p["name"].IsArray());
  ASSERT_TRUE(p["name"][0]["given"].IsArray());
  EXPECT_STREQ(p["name"][0]["given"][0].GetString(), "Richard");
  ASSERT_TRUE(p["text"]["div"].IsString());
  EXPECT_STREQ(p["text"]["div"].GetString(),
               "<div xmlns=\"http://www.w3.org/1999/xhtml\">An example to illustrate a generic "
               "patient</div>");
  ASSERT_TRUE(p["identifier"].IsArray());
  EXPECT_TRUE(p["identifier"][0]["extension"].IsArray());
}

TEST(XmlToJsonTest, BooleanIsAJsonBoolean) {
  // careconnect-stu3/ccri-interopen-examples/: the record Bundle of the patient whose NHS number
  // ending 8873 names the file; its Patient has active=true. (The file name is built in two
  // parts so that the repository holds no NHS number outside the 999 test range.)
  const std::string file = std::string("96582188") + "73.xml";
  Json b = must_parse(
      read_file(fs::path(reference_dir()) / "careconnect-stu3/ccri-interopen-examples" / file),
      kStu3);
  ASSERT_TRUE(b["entry"].IsArray());
  bool found = false;
  for (const auto& entry : b["entry"].GetArray()) {
    const auto& r = entry["resource"];
    if (std::string_view(r["resourceType"].GetString()) == "Patient") {
      ASSERT_TRUE(r["active"].IsBool());
      EXPECT_TRUE(r["active"].GetBool());
      found = true;
      break;
    }
  }
  EXPECT_TRUE(found);
}

TEST(XmlToJsonTest, DecimalIsAJsonNumber) {
  // ukcore-r4/UKCore-Observation-VitalSigns-BodyTemperature-Example.xml: 36.5 degrees.
  Json t =
      must_parse(read_file(fs::path(reference_dir()) /
                           "ukcore-r4/UKCore-Observation-VitalSigns-BodyTemperature-Example.xml"),
                 kR4);
  ASSERT_TRUE(t["valueQuantity"]["value"].IsNumber());
  EXPECT_DOUBLE_EQ(t["valueQuantity"]["value"].GetDouble(), 36.5);
  // ukcore-r4/UKCore-Observation-VitalSigns-BodyWeight-Example.xml: 90 (an integral decimal).
  Json w = must_parse(read_file(fs::path(reference_dir()) /
                                "ukcore-r4/UKCore-Observation-VitalSigns-BodyWeight-Example.xml"),
                      kR4);
  ASSERT_TRUE(w["valueQuantity"]["value"].IsInt64());
  EXPECT_EQ(w["valueQuantity"]["value"].GetInt64(), 90);
}

constexpr std::string_view kGivenWithExtension = R"(<Patient xmlns="http://hl7.org/fhir">
  <name>
    <given value="Ann"/>
    <given id="g2">
      <extension url="http://example.org/fhir/StructureDefinition/x">
        <valueString value="y"/>
      </extension>
    </given>
    <given value="Jo" id="g3"/>
  </name>
  <birthDate value="1970-01-01">
    <extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime">
      <valueDateTime value="1970-01-01T10:30:00Z"/>
    </extension>
  </birthDate>
</Patient>)";

TEST(XmlToJsonTest, RepeatingPrimitiveExtensionsAlignWithNulls) {
  Json p = must_parse(kGivenWithExtension, kR4);
  const auto& name = p["name"][0];
  ASSERT_TRUE(name["given"].IsArray());
  ASSERT_EQ(name["given"].Size(), 3U);
  EXPECT_STREQ(name["given"][0].GetString(), "Ann");
  EXPECT_TRUE(name["given"][1].IsNull());
  EXPECT_STREQ(name["given"][2].GetString(), "Jo");
  ASSERT_TRUE(name["_given"].IsArray());
  ASSERT_EQ(name["_given"].Size(), 3U);
  EXPECT_TRUE(name["_given"][0].IsNull());
  EXPECT_STREQ(name["_given"][1]["id"].GetString(), "g2");
  EXPECT_STREQ(name["_given"][1]["extension"][0]["valueString"].GetString(), "y");
  EXPECT_STREQ(name["_given"][2]["id"].GetString(), "g3");
  // A single primitive with an extension: the value and a `_birthDate` object.
  EXPECT_STREQ(p["birthDate"].GetString(), "1970-01-01");
  EXPECT_STREQ(p["_birthDate"]["extension"][0]["url"].GetString(),
               "http://hl7.org/fhir/StructureDefinition/patient-birthTime");

  auto xml = json_to_xml(p, kR4, {.pretty = false});
  ASSERT_TRUE(xml) << xml.error().detail;
  EXPECT_NE(
      xml->find("<given id=\"g2\"><extension url=\"http://example.org/fhir/StructureDefinition/"
                "x\"><valueString value=\"y\"/></extension></given>"),
      std::string::npos)
      << *xml;
  Json back = must_parse(*xml, kR4);
  EXPECT_TRUE(json_equal(p, back));
}

TEST(XmlToJsonTest, ContainedResourcesAndCommentsAndElementIds) {
  constexpr std::string_view xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the root -->
<Patient xmlns="http://hl7.org/fhir">
  <id value="p1"/>
  <!-- a comment among elements -->
  <contained>
    <Organization>
      <id value="org1"/>
      <name value="Example Surgery"/>
    </Organization>
  </contained>
  <name id="n1"><family value="Smith"/><!-- inside --></name>
  <managingOrganization><reference value="#org1"/></managingOrganization>
</Patient>)";
  Json p = must_parse(xml, kR4);
  ASSERT_TRUE(p["contained"].IsArray());
  EXPECT_STREQ(p["contained"][0]["resourceType"].GetString(), "Organization");
  EXPECT_STREQ(p["contained"][0]["id"].GetString(), "org1");
  EXPECT_STREQ(p["name"][0]["id"].GetString(), "n1");  // Element.id: an attribute in XML
  EXPECT_STREQ(p["id"].GetString(), "p1");             // Resource.id: an element in XML
  auto text = to_json(p);
  EXPECT_EQ(text.find("comment"), std::string::npos) << text;

  auto out = json_to_xml(p, kR4, {.pretty = false});
  ASSERT_TRUE(out) << out.error().detail;
  EXPECT_NE(out->find("<contained><Organization><id value=\"org1\"/>"), std::string::npos) << *out;
  EXPECT_NE(out->find("<name id=\"n1\"><family value=\"Smith\"/></name>"), std::string::npos);
}

TEST(XmlToJsonTest, NarrativeDivKeepsItsXhtml) {
  constexpr std::string_view xml = R"(<Patient xmlns="http://hl7.org/fhir">
  <text>
    <status value="generated"/>
    <div xmlns="http://www.w3.org/1999/xhtml"><p class="a">Tom &amp; Jerry <b>x&lt;y</b></p><!-- c --><br/></div>
  </text>
</Patient>)";
  Json p = must_parse(xml, kR4);
  EXPECT_STREQ(p["text"]["div"].GetString(),
               "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p class=\"a\">Tom &amp; Jerry "
               "<b>x&lt;y</b></p><br/></div>");
  auto out = json_to_xml(p, kR4, {.pretty = false});
  ASSERT_TRUE(out) << out.error().detail;
  EXPECT_NE(out->find("<text><status value=\"generated\"/><div "
                      "xmlns=\"http://www.w3.org/1999/xhtml\"><p class=\"a\">"),
            std::string::npos)
      << *out;
}

TEST(XmlToJsonTest, DecimalPrecisionIsThatOfADouble) {
  // RapidJSON holds decimals as doubles: "1.50" arrives as 1.5 and is written back as "1.5".
  // Integral decimals ("100") are held as integers and keep every digit.
  constexpr std::string_view xml = R"(<Observation xmlns="http://hl7.org/fhir">
  <status value="final"/>
  <code><text value="x"/></code>
  <valueQuantity><value value="1.50"/></valueQuantity>
  <referenceRange><low><value value="100"/></low><high><value value="0.1"/></high></referenceRange>
</Observation>)";
  Json o = must_parse(xml, kR4);
  EXPECT_TRUE(o["valueQuantity"]["value"].IsDouble());
  EXPECT_DOUBLE_EQ(o["valueQuantity"]["value"].GetDouble(), 1.5);
  EXPECT_TRUE(o["referenceRange"][0]["low"]["value"].IsInt64());
  auto out = json_to_xml(o, kR4, {.pretty = false});
  ASSERT_TRUE(out) << out.error().detail;
  EXPECT_NE(out->find("<value value=\"1.5\"/>"), std::string::npos) << *out;
  EXPECT_NE(out->find("<value value=\"100\"/>"), std::string::npos) << *out;
  EXPECT_NE(out->find("<value value=\"0.1\"/>"), std::string::npos) << *out;
}

TEST(XmlToJsonTest, AttributeWhitespaceSurvivesTheRoundTrip) {
  constexpr std::string_view json =
      R"({"resourceType":"Patient","name":[{"text":"line1\nline2\ttab \"q\" <&>"}]})";
  auto doc = parse_json(json);
  ASSERT_TRUE(doc);
  auto xml = json_to_xml(*doc, kR4);
  ASSERT_TRUE(xml) << xml.error().detail;
  EXPECT_NE(xml->find("value=\"line1&#xA;line2&#x9;tab &quot;q&quot; &lt;&amp;&gt;\""),
            std::string::npos)
      << *xml;
  Json back = must_parse(*xml, kR4);
  EXPECT_TRUE(json_equal(*doc, back));
}

// ---- JSON -> XML -------------------------------------------------------------------------------

TEST(JsonToXmlTest, WritesInDefinitionOrder) {
  auto doc = parse_json(
      R"({"birthDate":"1970-01-01","gender":"male","name":[{"given":["A","B"],"family":"C"}],)"
      R"("active":true,"id":"p1","resourceType":"Patient","meta":{"versionId":"2"}})");
  ASSERT_TRUE(doc);
  auto xml = json_to_xml(*doc, kR4, {.pretty = false});
  ASSERT_TRUE(xml) << xml.error().detail;
  EXPECT_EQ(*xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Patient xmlns=\"http://hl7.org/fhir\">"
            "<id value=\"p1\"/><meta><versionId value=\"2\"/></meta><active value=\"true\"/>"
            "<name><family value=\"C\"/><given value=\"A\"/><given value=\"B\"/></name>"
            "<gender value=\"male\"/><birthDate value=\"1970-01-01\"/></Patient>");
}

TEST(JsonToXmlTest, PrettyOutputIsIndented) {
  auto doc = parse_json(R"({"resourceType":"Patient","id":"p1","name":[{"family":"C"}]})");
  ASSERT_TRUE(doc);
  auto xml = json_to_xml(*doc, kR4);
  ASSERT_TRUE(xml) << xml.error().detail;
  EXPECT_EQ(*xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Patient xmlns=\"http://hl7.org/fhir\">\n"
            "  <id value=\"p1\"/>\n  <name>\n    <family value=\"C\"/>\n  </name>\n</Patient>\n");
}

TEST(JsonToXmlTest, RefusesWhatIsNotFhirJson) {
  EXPECT_NE(json_error_of(R"({"id":"x"})", kR4).find("has no resourceType"), std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Nope"})", kR4)
                .find("resourceType 'Nope' is not a known FHIR R4 resource type"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"ServiceRequest"})", kStu3).find("not a known"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","foo":1})", kR4)
                .find("unknown property 'foo' in Patient"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","name":[{"fooz":1}]})", kR4)
                .find("unknown property 'fooz' in Patient.name[0]"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","gender":["male"]})", kR4)
                .find("Patient.gender is an array but the element does not repeat"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","name":{"family":"x"}})", kR4)
                .find("Patient.name must be an array"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","active":"true"})", kR4)
                .find("value of Patient.active is not a boolean"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","multipleBirthInteger":1.5})", kR4)
                .find("value of Patient.multipleBirthInteger is not a valid integer"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","birthDate":19700101})", kR4)
                .find("value of Patient.birthDate is not a string"),
            std::string::npos);
  EXPECT_NE(json_error_of(
                R"({"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]})", kR4)
                .find("differ in length"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","deceasedBoolean":true,)"
                          R"("deceasedDateTime":"2020"})",
                          kR4)
                .find("deceased[x] takes one type"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","_name":{}})", kR4)
                .find("unknown property '_name'"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","name":[{"family":"a\u0001b"}]})", kR4)
                .find("control character"),
            std::string::npos);
  EXPECT_NE(json_error_of(R"({"resourceType":"Patient","contained":[{"id":"x"}]})", kR4)
                .find("Patient.contained[0] has no resourceType"),
            std::string::npos);
}

TEST(JsonToXmlTest, RefusesABadDiv) {
  auto div_error = [](std::string_view div) {
    std::string json = R"({"resourceType":"Patient","text":{"status":"generated","div":)";
    auto d = parse_json(R"({"x":")" + std::string(div) + "\"}");
    EXPECT_TRUE(d);
    json += to_json((*d)["x"]) + "}}";
    return json_error_of(json, kR4);
  };
  EXPECT_NE(div_error("<div xmlns='http://www.w3.org/1999/xhtml'><p>x</div>")
                .find("Patient.text.div is not well-formed XHTML"),
            std::string::npos);
  EXPECT_NE(
      div_error("<p xmlns='http://www.w3.org/1999/xhtml'>x</p>").find("must be an XHTML <div>"),
      std::string::npos);
  EXPECT_NE(div_error("<!DOCTYPE div [<!ENTITY a 'b'>]><div>&a;</div>").find("DOCTYPE"),
            std::string::npos);
  EXPECT_NE(
      div_error("<div xmlns='http://www.w3.org/1999/xhtml'>&nbsp;</div>").find("not well-formed"),
      std::string::npos);
  EXPECT_NE(div_error("<div xmlns='http://www.w3.org/1999/xhtml'><svg:g "
                      "xmlns:svg='http://www.w3.org/2000/svg'/></div>")
                .find("is not XHTML"),
            std::string::npos);
}

TEST(JsonToXmlTest, AcceptsADivWithoutItsNamespace) {
  auto doc = parse_json(
      R"({"resourceType":"Patient","text":{"status":"generated","div":"<div><p>x</p></div>"}})");
  ASSERT_TRUE(doc);
  auto xml = json_to_xml(*doc, kR4, {.pretty = false});
  ASSERT_TRUE(xml) << xml.error().detail;
  EXPECT_NE(xml->find("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>"),
            std::string::npos);
}

// ---- error messages: where, never what ---------------------------------------------------------

TEST(XmlErrorTest, UnknownElementNamesPathAndLine) {
  std::string e = error_of(
      "<Patient xmlns=\"http://hl7.org/fhir\">\n<name>\n<family value=\"x\"/>\n<foo value=\"1\"/>"
      "\n</name>\n</Patient>",
      kR4);
  EXPECT_EQ(e, "unknown element 'foo' in Patient.name[0] at line 4");
}

TEST(XmlErrorTest, NonRepeatingElementTwice) {
  std::string e = error_of(
      "<Patient xmlns=\"http://hl7.org/fhir\">\n<birthDate value=\"1970\"/>\n"
      "<birthDate value=\"1971\"/>\n</Patient>",
      kR4);
  EXPECT_EQ(e, "element 'birthDate' appears twice in Patient but does not repeat at line 3");
}

TEST(XmlErrorTest, WrongValueNamesTheElementButNotTheValue) {
  std::string e = error_of(
      "<Patient xmlns=\"http://hl7.org/fhir\">\n<active value=\"Smithson\"/>\n</Patient>", kR4);
  EXPECT_EQ(e, "value of Patient.active at line 2 is not a boolean");
  EXPECT_EQ(e.find("Smithson"), std::string::npos);
  e = error_of(
      "<Patient xmlns=\"http://hl7.org/fhir\"><multipleBirthInteger value=\"two\"/></Patient>",
      kR4);
  EXPECT_EQ(e, "value of Patient.multipleBirthInteger at line 1 is not a valid integer");
  e = error_of(
      "<Patient xmlns=\"http://hl7.org/fhir\"><telecom><rank value=\"0\"/></telecom></Patient>",
      kR4);
  EXPECT_EQ(e, "value of Patient.telecom[0].rank at line 1 is not a valid positiveInt");
  e = error_of(
      "<Observation xmlns=\"http://hl7.org/fhir\"><valueQuantity><value value=\"1,5\"/>"
      "</valueQuantity></Observation>",
      kR4);
  EXPECT_EQ(e, "value of Observation.valueQuantity.value at line 1 is not a decimal");
  e = error_of(
      "<Patient xmlns=\"http://hl7.org/fhir\"><name><family>Smithson</family></name></Patient>",
      kR4);
  EXPECT_NE(e.find("unexpected text in Patient.name[0].family at line 1"), std::string::npos) << e;
  EXPECT_EQ(e.find("Smithson"), std::string::npos);
}

TEST(XmlErrorTest, StructuralProblems) {
  EXPECT_NE(error_of("<Patient xmlns=\"http://hl7.org/fhir\"><deceasedBoolean value=\"true\"/>"
                     "<deceasedDateTime value=\"2020\"/></Patient>",
                     kR4)
                .find("deceased[x] takes one type"),
            std::string::npos);
  EXPECT_NE(error_of("<Patient xmlns=\"http://hl7.org/fhir\" id=\"x\"/>", kR4)
                .find("unknown attribute 'id' on Patient"),
            std::string::npos);
  EXPECT_NE(error_of("<Patient xmlns=\"http://hl7.org/fhir\"><gender/></Patient>", kR4)
                .find("Patient.gender at line 1 has no value, id or extension"),
            std::string::npos);
  EXPECT_NE(error_of("<Nope xmlns=\"http://hl7.org/fhir\"/>", kR4)
                .find("'Nope' at line 1 is not a known FHIR R4 resource type"),
            std::string::npos);
  EXPECT_NE(error_of("<ServiceRequest xmlns=\"http://hl7.org/fhir\"/>", kStu3)
                .find("not a known FHIR STU3 resource type"),
            std::string::npos);
  EXPECT_NE(error_of("<ReferralRequest xmlns=\"http://hl7.org/fhir\"/>", kR4)
                .find("not a known FHIR R4 resource type"),
            std::string::npos);
  EXPECT_NE(error_of("<Patient xmlns=\"http://hl7.org/fhir\"><contained/></Patient>", kR4)
                .find("Patient.contained[0] at line 1 holds no resource"),
            std::string::npos);
  EXPECT_NE(error_of("<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"x\"/>"
                     "<div><p>no xhtml namespace</p></div></text></Patient>",
                     kR4)
                .find("element 'div' in Patient.text at line 1 is not in the XHTML namespace"),
            std::string::npos);
}

// ---- hostile input
// -------------------------------------------------------------------------------

TEST(XmlHostileTest, EntityBombIsRefusedBeforeExpansion) {
  std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE Patient [\n<!ENTITY l0 \"lol\">\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "<!ENTITY l" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) {
      bomb += "&l" + std::to_string(i - 1) + ";";
    }
    bomb += "\">\n";
  }
  bomb += "]>\n<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&l9;\"/></Patient>";
  std::string e = error_of(bomb, kR4);
  EXPECT_EQ(e,
            "a DOCTYPE is not allowed in FHIR XML (line 2): DTDs and entity declarations are "
            "refused");
}

TEST(XmlHostileTest, ExternalEntityIsRefused) {
  std::string e = error_of(
      "<?xml version=\"1.0\"?><!DOCTYPE Patient [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
      "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&xxe;\"/></Patient>",
      kR4);
  EXPECT_NE(e.find("a DOCTYPE is not allowed"), std::string::npos) << e;
  EXPECT_EQ(e.find("root:"), std::string::npos);
  // An external DTD, and a parameter entity.
  e = error_of(
      "<!DOCTYPE Patient SYSTEM \"http://127.0.0.1:9/x.dtd\"><Patient "
      "xmlns=\"http://hl7.org/fhir\"/>",
      kR4);
  EXPECT_NE(e.find("a DOCTYPE is not allowed"), std::string::npos) << e;
  e = error_of(
      "<!DOCTYPE Patient [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
      "<Patient xmlns=\"http://hl7.org/fhir\"/>",
      kR4);
  EXPECT_NE(e.find("a DOCTYPE is not allowed"), std::string::npos) << e;
  // Without a DOCTYPE an entity reference is simply undefined.
  e = error_of("<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&xxe;\"/></Patient>", kR4);
  EXPECT_NE(e.find("not well-formed at line 1: Entity 'xxe' not defined"), std::string::npos) << e;
}

TEST(XmlHostileTest, DeepNestingIsRefused) {
  std::string deep = "<Patient xmlns=\"http://hl7.org/fhir\">";
  for (int i = 0; i < 10000; ++i) {
    deep += "<extension url=\"u\">";
  }
  std::string e = error_of(deep, kR4);
  EXPECT_EQ(e, "XML nesting is deeper than 100 levels at line 1");
  // A smaller bound applies when asked for.
  std::string shallow =
      "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"x\"/>"
      "</name></Patient>";
  XmlLimits limits;
  limits.max_depth = 2;
  EXPECT_EQ(error_of(shallow, kR4, limits), "XML nesting is deeper than 2 levels at line 1");
  limits.max_depth = 3;
  EXPECT_TRUE(xml_to_json(shallow, kR4, limits));
}

TEST(XmlHostileTest, NonFhirNamespaceIsRefused) {
  EXPECT_EQ(error_of("<Patient xmlns=\"http://example.org/not-fhir\"/>", kR4),
            "element 'Patient' at line 1 is not in the FHIR namespace (http://hl7.org/fhir)");
  EXPECT_EQ(error_of("<Patient/>", kR4),
            "element 'Patient' at line 1 is not in the FHIR namespace (http://hl7.org/fhir)");
  EXPECT_EQ(
      error_of("<Patient xmlns=\"http://hl7.org/fhir\"><name xmlns=\"urn:x\"/></Patient>", kR4),
      "element 'name' in Patient at line 1 is not in the FHIR namespace");
}

TEST(XmlHostileTest, TruncatedDocumentIsRefused) {
  std::string xml =
      read_file(fs::path(reference_dir()) / "ukcore-r4/UKCore-Patient-RichardSmith-Example.xml");
  std::string e = error_of(xml.substr(0, xml.size() / 2), kR4);
  EXPECT_NE(e.find("XML is not well-formed at line"), std::string::npos) << e;
  EXPECT_NE(error_of("", kR4).find("empty"), std::string::npos);
  EXPECT_NE(error_of("<Patient xmlns=\"http://hl7.org/fhir\">", kR4).find("not well-formed"),
            std::string::npos);
}

TEST(XmlHostileTest, InvalidUtf8AndOtherEncodingsAreRefused) {
  std::string e = error_of(
      "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"\xC3\x28\"/></name></Patient>",
      kR4);
  EXPECT_NE(e.find("not well-formed at line 1"), std::string::npos) << e;
  EXPECT_NE(e.find("UTF-8"), std::string::npos) << e;
  EXPECT_EQ(e.find("Bytes"), std::string::npos) << e;  // libxml2's second line quotes input
  EXPECT_EQ(error_of(std::string("\xFF\xFE<\0P\0", 6), kR4), "XML document is not UTF-8");
  EXPECT_EQ(error_of("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                     "<Patient xmlns=\"http://hl7.org/fhir\"/>",
                     kR4),
            "XML document declares an encoding other than UTF-8");
  EXPECT_NE(
      error_of(std::string("<Patient xmlns=\"http://hl7.org/fhir\">") + '\0' + "</Patient>", kR4)
          .find("not well-formed"),
      std::string::npos);
}

// Found by fhir_xml_fuzz: a declared non-UTF-8 encoding made libxml2 convert the input and
// report conversion failures (quoting input bytes) on its global channel, i.e. stderr. Such
// input is now refused before libxml2 sees it, and nothing reaches stderr.
TEST(XmlHostileTest, OtherEncodingsAreRefusedBeforeParsingAndQuietly) {
  const std::vector<std::string> inputs = {
      "<?xml version=\"1.0\" encoding=\"EUC-JP\"?><Patient xmlns=\"http://hl7.org/fhir\">"
      "<id value=\"\xCA\x30\x22\x2F\"/></Patient>",
      "<?xml version='1.0' encoding = 'ISO-2022-JP'?><Patient xmlns=\"http://hl7.org/fhir\"/>",
      "\x4C\x6F\xA7\x94\x93\x40",  // "<?xml " in EBCDIC
      std::string("\x00\x00\x00<", 4),
  };
  for (const auto& input : inputs) {
    testing::internal::CaptureStderr();
    auto r = xml_to_json(input, kR4);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_NE(r.error().detail.find("UTF-8"), std::string::npos) << r.error().detail;
    }
    EXPECT_EQ(err, "");
  }
  // UTF-8 however spelt, with or without a byte-order mark, is fine.
  EXPECT_TRUE(
      xml_to_json("<?xml version=\"1.0\" encoding=\"utf-8\"?><Patient "
                  "xmlns=\"http://hl7.org/fhir\"/>",
                  kR4));
  EXPECT_TRUE(xml_to_json("\xEF\xBB\xBF<Patient xmlns=\"http://hl7.org/fhir\"/>", kR4));
  EXPECT_TRUE(xml_to_json("\n  <Patient xmlns=\"http://hl7.org/fhir\"/>", kR4));
}

TEST(XmlHostileTest, OversizedValuesAndDocumentsAreRefused) {
  const std::string big(1100 * 1000, 'a');  // a little over 1 MB: over FHIR's string limit
  std::string e = error_of("<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + big +
                               "\"/></name></Patient>",
                           kR4);
  EXPECT_EQ(e, "value of Patient.name[0].family at line 1 is longer than 1048576 bytes");
  // base64Binary is exempt (attachments are large); the document bound still applies.
  const std::string b64(2 * 1024 * 1024, 'A');
  const std::string attachment =
      "<DocumentReference xmlns=\"http://hl7.org/fhir\"><status "
      "value=\"current\"/><content><attachment><data value=\"" +
      b64 + "\"/></attachment></content></DocumentReference>";
  EXPECT_TRUE(xml_to_json(attachment, kR4));
  XmlLimits limits;
  limits.max_bytes = 1024 * 1024;
  EXPECT_EQ(error_of(attachment, kR4, limits), "XML document is larger than 1048576 bytes");
}

TEST(XmlHostileTest, SchemaLocationHintsAreIgnored) {
  Json p = must_parse(
      "<Patient xmlns=\"http://hl7.org/fhir\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:schemaLocation=\"http://hl7.org/fhir ../schema/patient.xsd\"><id "
      "value=\"a\"/></Patient>",
      kR4);
  EXPECT_EQ(p.MemberCount(), 2U);
}

}  // namespace
}  // namespace gw::fhir
