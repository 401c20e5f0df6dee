// The "emis-xml" inbound adapter on the annotated synthetic extract
// (examples/emis/extract-synthetic.xml: an invented patient with a 999 test-range NHS number) and
// on broken copies of it, each refused with the XPath of the element at fault.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/resource.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/translate/translate.hpp"
#include "tests/unit/adapters/emis/emis_test_support.hpp"

namespace gw::adapters::emis {
namespace {

using test::ods;

/** replaced: `text` with the first `from` replaced by `to` (the test fails if absent). */
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

bool has_warning(const ingest::TranslatedMessage& m, std::string_view part) {
  for (const auto& w : m.warnings) {
    if (w.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

class EmisXmlTest : public ::testing::Test {
protected:
  Result<ingest::TranslatedMessage> translate(const std::string& body) {
    return adapter_->translate(ods("Z90001"), body, mappings_.mapper());
  }
  std::unique_ptr<ingest::InboundAdapter> adapter_ = make_emis_xml_adapter();
  test::RepoMappings mappings_;
};

TEST_F(EmisXmlTest, ExampleExtractBecomesTheGpRecord) {
  // Source: examples/emis/extract-synthetic.xml
  auto m = translate(test::example());
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->kind, "gp-record");
  EXPECT_EQ(m->event, "emis-extract");
  EXPECT_EQ(m->sender_message_id, "5B1E7F0C-2A4D-4C8E-9F61-0D3B8A7C2E15");
  EXPECT_EQ(adapter_->message_id(test::example()), m->sender_message_id);
  ASSERT_TRUE(m->registered_practice);
  EXPECT_EQ(m->registered_practice->str(), "Z90001");
  EXPECT_TRUE(m->warnings.empty()) << m->warnings.front();

  EXPECT_EQ(test::count(*m, "Patient"), 1u);
  EXPECT_EQ(test::count(*m, "Organization"), 1u);
  EXPECT_EQ(test::count(*m, "Practitioner"), 2u);
  EXPECT_EQ(test::count(*m, "Encounter"), 1u);
  EXPECT_EQ(test::count(*m, "Observation"), 1u);
  EXPECT_EQ(test::count(*m, "Condition"), 2u);
  EXPECT_EQ(test::count(*m, "MedicationStatement"), 1u);
  EXPECT_EQ(test::count(*m, "MedicationRequest"), 3u);  // the authorisation and two issues
  EXPECT_EQ(test::count(*m, "AllergyIntolerance"), 1u);
  EXPECT_EQ(test::count(*m, "Flag"), 1u);
  for (const auto& d : test::parsed(*m)) {
    EXPECT_EQ(fhir::ResourceView(d).meta_source(), "urn:caregw:ods:Z90001");
  }
}

TEST_F(EmisXmlTest, EveryResourcePassesTheUkCoreChecks) {
  auto m = translate(test::example());
  ASSERT_TRUE(m) << m.error().detail;
  for (const auto& d : test::parsed(*m)) {
    const auto issues = fhir::check_uk_core(d);
    EXPECT_FALSE(fhir::has_errors(issues))
        << fhir::ResourceView(d).type() << ": " << (issues.empty() ? "" : issues.front().message);
  }
}

TEST_F(EmisXmlTest, DecimalsAreNumbersAndBadOnesAreRefused) {
  auto m = translate(replaced(test::example(), "<Quantity>28</Quantity>\n      <QuantityUnits>",
                              "<Quantity>2.50</Quantity>\n      <QuantityUnits>"));
  ASSERT_TRUE(m) << m.error().detail;
  const auto* plan = test::find(*m, "MedicationRequest", "0A1B2C3D-4E5F-4061-8728-394A5B6C7D8E");
  ASSERT_NE(plan, nullptr);
  // A number, not a string (RapidJSON holds it as a double: gateway/fhir/README.md, "Numbers").
  EXPECT_NE(plan->json.find("\"value\":2.5"), std::string::npos) << plan->json;
  for (const char* bad : {"028", ".5", "1e", "NaN", "+3", "1,5"}) {
    auto r =
        translate(replaced(test::example(), "<Quantity>28</Quantity>\n      <QuantityUnits>",
                           std::string("<Quantity>") + bad + "</Quantity>\n      <QuantityUnits>"));
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error().detail.starts_with(
        "/MedicalRecord/MedicationList/Medication[1]/Quantity: not a decimal"))
        << r.error().detail;
  }
}

TEST_F(EmisXmlTest, IdentityCarriesTheNhsNumberItsStatusAndTheEmisGuid) {
  auto m = translate(test::example());
  ASSERT_TRUE(m && m->patient);
  const auto& who = *m->patient;
  EXPECT_EQ(who.source.str(), "Z90001");
  ASSERT_TRUE(who.local_id);
  EXPECT_EQ(who.local_id->type, store::LocalIdType::kEmisPatientGuid);
  EXPECT_EQ(who.local_id->value, "C5E1A3F4-9D86-4B2C-8E7A-3B4F5D6C7E8F");
  ASSERT_TRUE(who.match.nhs_number);
  EXPECT_EQ(who.match.nhs_number->str(), "9990040028");
  EXPECT_EQ(who.match.nhs_status, VerificationStatus::kPresentVerified);
  EXPECT_EQ(who.match.family, "Ashdown");
  EXPECT_EQ(who.match.given, (std::vector<std::string>{"Imogen", "Clare"}));
  EXPECT_EQ(who.match.previous_families, std::vector<std::string>{"Brereton"});
  EXPECT_EQ(who.match.gender, "female");  // Sex F through mappings/emis value map "sex"
  EXPECT_EQ(who.match.postcode, "ZZ9 4QT");
  ASSERT_TRUE(who.match.birth_date);
  EXPECT_EQ(who.match.birth_date->str(), "1961-07-14");
  auto p = test::json_of(test::find(*m, "Patient", "C5E1A3F4-9D86-4B2C-8E7A-3B4F5D6C7E8F"));
  auto nhs = fhir::PatientView(p).nhs_number();
  ASSERT_TRUE(nhs && nhs->verification);
  EXPECT_EQ(*nhs->verification, VerificationStatus::kPresentVerified);
  EXPECT_EQ(fhir::PatientView(p).gp_practice_ods(), "Z90001");
}

TEST_F(EmisXmlTest, CodedEntriesKeepReadV2AfterTheirSnomedConcept) {
  auto m = translate(test::example());
  ASSERT_TRUE(m);
  // Read v2 only: SNOMED CT from mappings/terminology/read-v2-to-snomed.csv.
  auto obs = test::json_of(test::find(*m, "Observation", "E7A3C5B6-1FA8-4D4E-8A9C-5D6B7F8E9A01"));
  EXPECT_STREQ(obs["code"]["coding"][0]["code"].GetString(), "72313002");
  EXPECT_STREQ(obs["code"]["coding"][1]["system"].GetString(), "http://read.info/readv2");
  EXPECT_EQ(obs["valueQuantity"]["value"].GetDouble(), 152);
  EXPECT_STREQ(obs["encounter"]["reference"].GetString(),
               "Encounter/D6F2B4A5-0E97-4C3D-9F8B-4C5A6E7D8F90");  // from the consultation
  // EMIS's own MapCode is used as sent.
  auto problem = test::json_of(test::find(*m, "Condition", "F8B4D6C7-2AB9-4E5F-9BAD-6E7C8A9F0B12"));
  EXPECT_STREQ(problem["code"]["coding"][0]["code"].GetString(), "24184005");
  EXPECT_STREQ(problem["code"]["coding"][1]["code"].GetString(), "G20..11");
  EXPECT_STREQ(problem["clinicalStatus"]["coding"][0]["code"].GetString(), "active");
  EXPECT_STREQ(problem["extension"][0]["valueCode"].GetString(), "major");
  auto past = test::json_of(test::find(*m, "Condition", "1B2C3D4E-5F60-4172-8839-4A5B6C7D8E9F"));
  EXPECT_STREQ(past["clinicalStatus"]["coding"][0]["code"].GetString(), "resolved");
  EXPECT_STREQ(past["onsetDateTime"].GetString(), "2019-03");  // partial dates kept as sent
  EXPECT_STREQ(past["abatementDateTime"].GetString(), "2019-06-11");
  EXPECT_EQ(mappings_.tracker().total(), 0u);
}

TEST_F(EmisXmlTest, MedicationIsACourseAnAuthorisationAndItsIssues) {
  auto m = translate(test::example());
  ASSERT_TRUE(m);
  const std::string guid = "0A1B2C3D-4E5F-4061-8728-394A5B6C7D8E";
  auto ms = test::json_of(test::find(*m, "MedicationStatement", guid + "-MS"));
  EXPECT_STREQ(ms["status"].GetString(), "active");
  EXPECT_STREQ(ms["medicationCodeableConcept"]["coding"][0]["code"].GetString(), "319775004");
  EXPECT_STREQ(ms["dosage"][0]["text"].GetString(), "One To Be Taken Each Day");
  auto plan = test::json_of(test::find(*m, "MedicationRequest", guid));
  EXPECT_STREQ(plan["intent"].GetString(), "plan");
  EXPECT_STREQ(plan["courseOfTherapyType"]["coding"][0]["code"].GetString(), "continuous");
  EXPECT_STREQ(plan["extension"][0]["valueCodeableConcept"]["coding"][0]["code"].GetString(),
               "repeat");
  EXPECT_EQ(plan["dispenseRequest"]["quantity"]["value"].GetDouble(), 28);
  auto issue =
      test::json_of(test::find(*m, "MedicationRequest", "3D4E5F60-7182-4394-8A5B-6C7D8E9FA0B1"));
  EXPECT_STREQ(issue["intent"].GetString(), "order");
  EXPECT_STREQ(issue["basedOn"][0]["reference"].GetString(), ("MedicationRequest/" + guid).c_str());
  EXPECT_STREQ(issue["requester"]["reference"].GetString(),
               "Practitioner/B4D0F2E3-8C75-4A1B-9D6F-2A3E4C5B6D7E");  // the issue's own author
}

TEST_F(EmisXmlTest, AllergiesAndAlerts) {
  auto m = translate(test::example());
  ASSERT_TRUE(m);
  auto a =
      test::json_of(test::find(*m, "AllergyIntolerance", "4E5F6071-8293-44A5-9B6C-7D8E9FA0B1C2"));
  EXPECT_STREQ(a["code"]["coding"][0]["code"].GetString(), "300916003");
  EXPECT_STREQ(a["reaction"][0]["severity"].GetString(), "moderate");
  EXPECT_STREQ(a["type"].GetString(), "allergy");
  auto f = test::json_of(test::find(*m, "Flag", "5F607182-93A4-45B6-8C7D-8E9FA0B1C2D3"));
  EXPECT_STREQ(f["status"].GetString(), "active");
  EXPECT_STREQ(f["category"][0]["coding"][0]["code"].GetString(), "admin");
  EXPECT_STREQ(f["category"][0]["text"].GetString(), "reasonableadjustment");
}

TEST_F(EmisXmlTest, NoKnownAllergiesIsKeptAsItsCodedStatement) {
  std::string body = replaced(
      test::example(), "<Value>SN53100</Value><Scheme>READ2</Scheme><Term>Latex allergy</Term>",
      "<Value>716186003</Value><Scheme>SNOMED</Scheme><Term>No known allergy</Term>");
  auto m = translate(body);
  ASSERT_TRUE(m) << m.error().detail;
  auto a =
      test::json_of(test::find(*m, "AllergyIntolerance", "4E5F6071-8293-44A5-9B6C-7D8E9FA0B1C2"));
  EXPECT_STREQ(a["code"]["coding"][0]["code"].GetString(), "716186003");
  EXPECT_STREQ(a["verificationStatus"]["coding"][0]["code"].GetString(), "confirmed");
}

TEST_F(EmisXmlTest, ConfidentialEntriesAreLabelledRestricted) {
  std::string body = replaced(test::example(), "<Problem><Status>Active</Status>",
                              "<Confidential>true</Confidential><Problem><Status>Active</Status>");
  auto m = translate(body);
  ASSERT_TRUE(m) << m.error().detail;
  auto c = test::json_of(test::find(*m, "Condition", "F8B4D6C7-2AB9-4E5F-9BAD-6E7C8A9F0B12"));
  ASSERT_TRUE(c["meta"].HasMember("security"));
  EXPECT_STREQ(c["meta"]["security"][0]["code"].GetString(), "R");
}

TEST_F(EmisXmlTest, AnInvalidNhsNumberIsLeftOutWithAWarningThatDoesNotRepeatIt) {
  std::string body = replaced(test::example(), "<NhsNumber>9990040028</NhsNumber>",
                              "<NhsNumber>9990040029</NhsNumber>");
  auto m = translate(body);
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_FALSE(m->patient->match.nhs_number);
  EXPECT_TRUE(m->patient->local_id);  // still identified: by GUID and demographics
  ASSERT_TRUE(has_warning(*m, "/MedicalRecord/Registration/NhsNumber: not a valid NHS number"));
  for (const auto& w : m->warnings) {
    EXPECT_EQ(w.find("9990040029"), std::string::npos);
  }
}

TEST_F(EmisXmlTest, UnknownSexCodeIsRecordedAsUnknownWithAWarning) {
  auto m = translate(replaced(test::example(), "<Sex>F</Sex>", "<Sex>Q</Sex>"));
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_TRUE(has_warning(*m, "/MedicalRecord/Registration/Sex: "));
  auto p = test::json_of(test::find(*m, "Patient", "C5E1A3F4-9D86-4B2C-8E7A-3B4F5D6C7E8F"));
  EXPECT_STREQ(p["gender"].GetString(), "unknown");
}

TEST_F(EmisXmlTest, ConsultationTypeIsMappedOrKeptOrMarkedAbsent) {
  const std::string id = "D6F2B4A5-0E97-4C3D-9F8B-4C5A6E7D8F90";
  auto unknown =
      translate(replaced(test::example(), "<Type>SURGERY</Type>", "<Type>CARE-HOME</Type>"));
  ASSERT_TRUE(unknown) << unknown.error().detail;
  EXPECT_TRUE(has_warning(*unknown, "/MedicalRecord/ConsultationList/Consultation[1]/Type: "));
  auto e = test::json_of(test::find(*unknown, "Encounter", id));
  EXPECT_STREQ(e["class"]["code"].GetString(), "CARE-HOME");
  auto none = translate(replaced(test::example(), "<Type>SURGERY</Type>", ""));
  ASSERT_TRUE(none) << none.error().detail;
  auto n = test::json_of(test::find(*none, "Encounter", id));
  EXPECT_STREQ(n["class"]["extension"][0]["valueCode"].GetString(), "unknown");
  EXPECT_FALSE(n.HasMember("type"));
}

TEST_F(EmisXmlTest, MalformedExtractsAreRefusedWithTheElementPath) {
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"<Scheme>READ2</Scheme><Term>O/E - Systolic", "<Scheme>READ3</Scheme><Term>O/E - Systolic",
       "/MedicalRecord/EventList/Event[1]/Code/Scheme: unknown value; expected one of READ2, "
       "SNOMED, EMIS"},
      {"<AssignedDate>2026-10-02</AssignedDate>\n      <AuthorID><RefID>1</RefID></AuthorID>\n     "
       " "
       "<Code><Value>2469",
       "<AssignedDate>2026-02-30</AssignedDate>\n      <AuthorID><RefID>1</RefID></AuthorID>\n     "
       " "
       "<Code><Value>2469",
       "/MedicalRecord/EventList/Event[1]/AssignedDate: not a valid date"},
      {"<NumericValue><Value>152</Value>", "<NumericValue><Value>high</Value>",
       "/MedicalRecord/EventList/Event[1]/NumericValue/Value: not a decimal number"},
      {"<Status>Resolved</Status><Significance>Minor",
       "<Status>Ongoing</Status><Significance>Minor",
       "/MedicalRecord/EventList/Event[3]/Problem/Status: unknown value"},
      {"<GUID>1B2C3D4E-5F60-4172-8839-4A5B6C7D8E9F</GUID>",
       "<GUID>F8B4D6C7-2AB9-4E5F-9BAD-6E7C8A9F0B12</GUID>",
       "/MedicalRecord/EventList/Event[3]/GUID: the GUID is used by another entry"},
      {"<IssueDate>2026-10-30</IssueDate>\n          <Quantity>28</Quantity>\n          "
       "<QuantityUnits>tablet</QuantityUnits>\n          <AuthorID><RefID>2</RefID>",
       "<IssueDate>2026-10-30</IssueDate>\n          <Quantity>28</Quantity>\n          "
       "<QuantityUnits>tablet</QuantityUnits>\n          <AuthorID><RefID>7</RefID>",
       "/MedicalRecord/MedicationList/Medication[1]/IssueList/Issue[2]/AuthorID/RefID: no Person"},
      {"<PrescriptionType>Repeat</PrescriptionType>", "",
       "/MedicalRecord/MedicationList/Medication[1]/PrescriptionType: required element is missing"},
      {"<FamilyName>Ashdown</FamilyName>",
       "<FamilyName>Ashdown</FamilyName><FamilyName>X</FamilyName>",
       "/MedicalRecord/Registration/FamilyName: the element is repeated"},
      {"<DateOfBirth>1961-07-14</DateOfBirth>", "<DateOfBirth>1961-07-14T10:00:00Z</DateOfBirth>",
       "/MedicalRecord/Registration/DateOfBirth: a date of birth is a date"},
      {"<OdsCode>Z90001</OdsCode>", "<OdsCode>Z9-0001</OdsCode>",
       "/MedicalRecord/Registration/RegisteredPractice/OdsCode: not an ODS code"},
      {"<Type>Allergy</Type>", "<Type><Code>A</Code></Type>",
       "/MedicalRecord/AllergyList/Allergy[1]/Type: expected text, found an element"},
      {"<ExtractID>5B1E7F0C-2A4D-4C8E-9F61-0D3B8A7C2E15</ExtractID>", "",
       "/MedicalRecord/ExtractHeader/ExtractID: required element is missing"},
      {"<MedicalRecord>", "<GpRecord>",
       "/GpRecord: XML is not well-formed at line 157: the end tag </MedicalRecord> does not "
       "match"},
  };
  for (const auto& c : cases) {
    auto m = translate(replaced(test::example(), c.from, c.to));
    ASSERT_FALSE(m) << c.expected;
    EXPECT_TRUE(m.error().detail.starts_with(c.expected)) << m.error().detail;
  }
}

TEST_F(EmisXmlTest, ErrorsNeverRepeatTheValueAtFault) {
  auto m = translate(replaced(test::example(), "<Scheme>READ2</Scheme><Term>O/E - Systolic",
                              "<Scheme>Ashdown-secret</Scheme><Term>O/E - Systolic"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().detail.find("Ashdown-secret"), std::string::npos);
}

TEST_F(EmisXmlTest, DoctypeAndExternalEntitiesAreRefusedAndNeverFetched) {
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE MedicalRecord [<!ENTITY x SYSTEM "
      "\"file:///etc/passwd\">]>\n"
      "<MedicalRecord><ExtractHeader><ExtractID>&x;</ExtractID></ExtractHeader></MedicalRecord>";
  auto m = translate(xxe);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kBadRequest);
  EXPECT_NE(m.error().detail.find("a DOCTYPE is not allowed"), std::string::npos);
  EXPECT_EQ(adapter_->message_id(xxe), "");

  std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b "
      "\"&a;&a;&a;\">]><r>&b;</r>";
  EXPECT_FALSE(translate(laughs));
}

TEST_F(EmisXmlTest, OtherEncodingsAndDeepNestingAreRefused) {
  auto utf16 = translate("<?xml version=\"1.0\" encoding=\"UTF-16\"?><MedicalRecord/>");
  ASSERT_FALSE(utf16);
  EXPECT_NE(utf16.error().detail.find("other than UTF-8"), std::string::npos);
  std::string deep = "<MedicalRecord>";
  for (int i = 0; i < 200; ++i) {
    deep += "<a>";
  }
  auto d = translate(deep);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().detail.find("nesting is deeper"), std::string::npos);
  auto root = translate("<Bundle xmlns=\"http://hl7.org/fhir\"/>");
  ASSERT_FALSE(root);
  EXPECT_TRUE(root.error().detail.starts_with("/: the root element must be MedicalRecord"));
}

TEST_F(EmisXmlTest, AnExtractFromAnotherOrganisationIsFlagged) {
  auto m = adapter_->translate(ods("Z9A01"), test::example(), mappings_.mapper());
  ASSERT_TRUE(m);
  EXPECT_TRUE(has_warning(*m, "names practice Z90001 but was sent by Z9A01"));
  EXPECT_EQ(m->patient->source.str(), "Z9A01");
}

TEST_F(EmisXmlTest, AcknowledgementSaysAcceptedOrRejectedWithReasonAndPath) {
  ingest::AckRequest ok;
  ok.ack_id = "ack-7";
  ok.warnings = {"/MedicalRecord/Registration/Sex: no mapping"};
  std::string a = adapter_->acknowledge(test::example(), ok);
  EXPECT_NE(a.find("<Status>Accepted</Status>"), std::string::npos);
  EXPECT_NE(a.find("<ExtractID>5B1E7F0C-2A4D-4C8E-9F61-0D3B8A7C2E15</ExtractID>"),
            std::string::npos);
  EXPECT_NE(a.find("<AckID>ack-7</AckID>"), std::string::npos);
  EXPECT_NE(a.find("<Warning path=\"/MedicalRecord/Registration/Sex\">no mapping</Warning>"),
            std::string::npos);

  auto bad = translate(replaced(test::example(), "<NumericValue><Value>152</Value>",
                                "<NumericValue><Value>x</Value>"));
  ASSERT_FALSE(bad);
  ingest::AckRequest rej;
  rej.code = ingest::AckRequest::Code::kRejected;
  rej.error = bad.error();
  std::string r = adapter_->acknowledge("not xml at all", rej);
  EXPECT_NE(r.find("<Status>Rejected</Status>"), std::string::npos);
  EXPECT_NE(r.find("<Reason>not a decimal number</Reason>"), std::string::npos);
  EXPECT_NE(r.find("<Path>/MedicalRecord/EventList/Event[1]/NumericValue/Value</Path>"),
            std::string::npos);
  EXPECT_EQ(r.find("<ExtractID>"), std::string::npos);  // the body could not be read
  EXPECT_EQ(adapter_->ack_content_type(), "application/xml; charset=utf-8");
}

TEST_F(EmisXmlTest, TranslateCommandPrintsAnR4Bundle) {
  // `caregw translate --from emis-xml --to fhir-r4` goes through gw::translate.
  auto t = gw::translate::translate(gw::translate::Kind::kEmisXml, gw::translate::Kind::kFhirR4,
                                    test::example(), mappings_.options());
  ASSERT_TRUE(t) << t.error().detail;
  auto b = fhir::parse_json(t->output);
  ASSERT_TRUE(b);
  EXPECT_STREQ((*b)["resourceType"].GetString(), "Bundle");
  EXPECT_EQ((*b)["entry"].Size(), 14u);
  auto x = gw::translate::translate(gw::translate::Kind::kEmisXml, gw::translate::Kind::kFhirR4Xml,
                                    test::example(), mappings_.options());
  EXPECT_FALSE(x);
  auto bad = gw::translate::translate(gw::translate::Kind::kEmisXml, gw::translate::Kind::kFhirR4,
                                      "<x", mappings_.options());
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace gw::adapters::emis
