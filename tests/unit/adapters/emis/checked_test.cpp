// translate_emis_xml_checked / translate_gpconnect_checked (adapters/emis/checked.hpp): the
// message is exactly translate()'s, and the UK Core findings on each resource, found on the
// documents the adapter builds, are exactly those of check_uk_core(parse_json(json)).
#include "adapters/emis/checked.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/validate.hpp"
#include "tests/unit/adapters/emis/emis_test_support.hpp"

namespace gw::adapters::emis {
namespace {

using test::ods;

/** text: the findings as comparable lines. */
std::vector<std::string> text(const std::vector<fhir::Issue>& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) {
    std::string line = i.severity == fhir::Issue::Severity::kError ? "error " : "warning ";
    line.append(i.code).append(" ").append(i.path).append(" ").append(i.message);
    out.push_back(std::move(line));
  }
  return out;
}

/** replaced: `s` with the first `from` replaced by `to`. */
std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    s.replace(at, from.size(), to);
  }
  return s;
}

class CheckedTest : public ::testing::Test {
protected:
  /** expect_same: checked() gives translate()'s message and a re-parse's findings; returns
   *  how many findings there were. */
  std::size_t expect_same(const ingest::InboundAdapter& adapter,
                          Result<CheckedTranslation> (*checked)(const OdsCode&, std::string_view,
                                                                const mapping::Mapper&),
                          const std::string& body) {
    auto plain = adapter.translate(ods("Z90001"), body, mappings_.mapper());
    auto c = checked(ods("Z90001"), body, mappings_.mapper());
    EXPECT_EQ(static_cast<bool>(plain), static_cast<bool>(c));
    if (!plain || !c) {
      if (!plain && !c) {
        EXPECT_EQ(plain.error().detail, c.error().detail);
      }
      return 0;
    }
    const ingest::TranslatedMessage& m = c->message;
    EXPECT_EQ(m.kind, plain->kind);
    EXPECT_EQ(m.sender_message_id, plain->sender_message_id);
    EXPECT_EQ(m.warnings, plain->warnings);
    EXPECT_EQ(m.patient.has_value(), plain->patient.has_value());
    EXPECT_EQ(m.resources.size(), plain->resources.size());
    EXPECT_EQ(c->issues.size(), m.resources.size());
    std::size_t findings = 0;
    for (std::size_t i = 0;
         i < m.resources.size() && i < plain->resources.size() && i < c->issues.size(); ++i) {
      EXPECT_EQ(m.resources[i].json, plain->resources[i].json);
      auto reparsed = fhir::parse_json(m.resources[i].json);
      EXPECT_TRUE(reparsed) << m.resources[i].json;
      if (reparsed) {
        EXPECT_EQ(text(c->issues[i]), text(fhir::check_uk_core(*reparsed))) << m.resources[i].json;
      }
      findings += c->issues[i].size();
    }
    return findings;
  }

  test::RepoMappings mappings_;
  std::unique_ptr<ingest::InboundAdapter> emis_xml_ = make_emis_xml_adapter();
  std::unique_ptr<ingest::InboundAdapter> gpconnect_ = make_gpconnect_adapter();
};

TEST_F(CheckedTest, EmisXmlExtractGivesTheMessageAndTheFindingsOfAReparse) {
  const std::string x = test::example();
  EXPECT_EQ(expect_same(*emis_xml_, translate_emis_xml_checked, x), 0u);
  // Decimals that are not plain integers (a double, an exponent, a negative value), and
  // confidential entries (security labels), are checked as parse_json reads them.
  const std::string quantity = "<Quantity>28</Quantity>\n      <QuantityUnits>";
  for (const char* q : {"2.50", "1.5e3", "-3", "0", "4294967296", "123456789012345678"}) {
    SCOPED_TRACE(q);
    expect_same(*emis_xml_, translate_emis_xml_checked,
                replaced(x, quantity,
                         std::string("<Quantity>") + q +
                             "</Quantity>\n      "
                             "<QuantityUnits>"));
  }
}

TEST_F(CheckedTest, ANumberJsonCannotHoldIsAFindingOnItsResource) {
  // FHIR decimal syntax allows 1e400; JSON readers (and parse_json) cannot hold it as a double.
  const std::string body =
      replaced(test::example(), "<Quantity>28</Quantity>\n      <QuantityUnits>",
               "<Quantity>1e400</Quantity>\n      <QuantityUnits>");
  auto c = translate_emis_xml_checked(ods("Z90001"), body, mappings_.mapper());
  ASSERT_TRUE(c) << c.error().detail;
  bool found = false;
  for (std::size_t i = 0; i < c->message.resources.size(); ++i) {
    if (c->message.resources[i].json.find("1e400") == std::string::npos) {
      continue;
    }
    EXPECT_FALSE(fhir::parse_json(c->message.resources[i].json));
    EXPECT_TRUE(fhir::has_errors(c->issues[i]));
    ASSERT_FALSE(c->issues[i].empty());
    EXPECT_EQ(c->issues[i].back().code, "value");
    EXPECT_EQ(c->issues[i].back().path, "MedicationRequest");
    found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(CheckedTest, GpConnectRecordsGiveTheMessageAndTheFindingsOfAReparse) {
  for (const char* file : {"emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP10.json",
                           "emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP7.json",
                           "gpconnect-structured/problems_response1.json",
                           "gpconnect-structured/meds_response.json"}) {
    SCOPED_TRACE(file);
    expect_same(*gpconnect_, translate_gpconnect_checked, test::reference(file));
  }
}

TEST_F(CheckedTest, EveryOccurrenceOfAnUnmappedCodeIsCountedAndMappedCodesRepeatTheirMapping) {
  // A Read v2 code with no SNOMED CT mapping three times and a mapped one (G33..00, angina)
  // twice, in one extract: the mapper counts each unmapped occurrence, and both occurrences of
  // the mapped code get the same concept.
  std::string events;
  for (int i = 0; i < 5; ++i) {
    events.append("<Event><GUID>E")
        .append(std::to_string(i))
        .append("</GUID><AssignedDate>2020-01-02</AssignedDate><Code><Value>")
        .append(i < 3 ? "XaZZZ" : "G33..00")
        .append("</Value><Scheme>READ2</Scheme><Term>t</Term></Code></Event>");
  }
  const std::string body =
      "<MedicalRecord><ExtractHeader><ExtractID>X1</ExtractID><ExtractDateTime>2026-11-20"
      "</ExtractDateTime></ExtractHeader><Registration><GUID>G1</GUID><FamilyName>Fictional"
      "</FamilyName><DateOfBirth>1950-05-06</DateOfBirth><Sex>F</Sex><RegisteredPractice>"
      "<OdsCode>Z90001</OdsCode></RegisteredPractice></Registration><EventList>" +
      events + "</EventList></MedicalRecord>";
  auto c = translate_emis_xml_checked(ods("Z90001"), body, mappings_.mapper());
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(mappings_.tracker().total(), 3u);
  std::vector<std::string> angina;
  for (const auto& r : c->message.resources) {
    if (r.json.find("G33..00") != std::string::npos) {
      EXPECT_NE(r.json.find("http://snomed.info/sct"), std::string::npos) << r.json;
      angina.push_back(r.json.substr(r.json.find("\"code\":{")));
    }
  }
  ASSERT_EQ(angina.size(), 2u);
  EXPECT_EQ(angina[0], angina[1]);
}

TEST_F(CheckedTest, GpConnectFindingsAreReportedPerResource) {
  // A Condition without its subject and an Observation with a status R4 does not know.
  const std::string body =
      R"({"resourceType":"Bundle","id":"b2","type":"collection","entry":[)"
      R"({"resource":{"resourceType":"Patient","id":"p1","identifier":[{"system":)"
      R"("https://fhir.nhs.uk/Id/nhs-number","value":"9990040044"}],"name":[{"family":)"
      R"("Fictional"}],"managingOrganization":{"reference":"Organization/o1"}}},)"
      R"({"resource":{"resourceType":"Organization","id":"o1","identifier":[{"system":)"
      R"("https://fhir.nhs.uk/Id/ods-organization-code","value":"Z90001"}]}},)"
      R"({"resource":{"resourceType":"Condition","id":"c1","clinicalStatus":"active",)"
      R"("verificationStatus":"confirmed","code":{"text":"x"},"contained":[],)"
      R"("evidence":[{"detail":[{"reference":"#missing"}]}]}},)"
      R"({"resource":{"resourceType":"Observation","id":"o2","status":"done",)"
      R"("code":{"text":"y"},"subject":{"reference":"Patient/p1"}}}]})";
  EXPECT_GT(expect_same(*gpconnect_, translate_gpconnect_checked, body), 1u);
}

}  // namespace
}  // namespace gw::adapters::emis
