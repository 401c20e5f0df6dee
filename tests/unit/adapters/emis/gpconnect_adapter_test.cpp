// The "gpconnect" inbound adapter on EMIS Web's real GP Connect structured-record responses
// (../shared/reference/emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP*.json), the
// GP Connect specification's samples (../shared/reference/gpconnect-structured/) and small
// synthetic bundles for what the samples do not show.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/resource.hpp"
#include "tests/unit/adapters/emis/emis_test_support.hpp"

namespace gw::adapters::emis {
namespace {

using test::ods;

constexpr const char* kPwtp10 =
    "emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP10.json";
constexpr const char* kPwtp7 =
    "emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP7.json";

/** stu3_patient: the one STU3 Patient of an input bundle. */
const rapidjson::Value* stu3_patient(const fhir::Json& bundle) {
  for (const auto& e : bundle["entry"].GetArray()) {
    if (e.HasMember("resource") &&
        std::string_view(e["resource"]["resourceType"].GetString()) == "Patient") {
      return &e["resource"];
    }
  }
  return nullptr;
}

class GpConnectTest : public ::testing::Test {
protected:
  std::unique_ptr<ingest::InboundAdapter> adapter_ = make_gpconnect_adapter();
  test::RepoMappings mappings_;
};

TEST_F(GpConnectTest, EmisResponseGivesTheRecordItsPracticeAndThePatientsIdentity) {
  // Source: emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP10.json
  const std::string body = test::reference(kPwtp10);
  ASSERT_FALSE(body.empty());
  auto input = fhir::parse_json(body);
  ASSERT_TRUE(input);
  const rapidjson::Value* in_patient = stu3_patient(*input);
  ASSERT_NE(in_patient, nullptr);

  auto m = adapter_->translate(ods("A82038"), body, mappings_.mapper());
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(adapter_->name(), "gpconnect");
  EXPECT_EQ(m->kind, "gp-record");
  EXPECT_EQ(m->sender_message_id, (*input)["id"].GetString());
  EXPECT_EQ(adapter_->message_id(body), m->sender_message_id);
  ASSERT_TRUE(m->registered_practice);
  EXPECT_EQ(m->registered_practice->str(), "A82038");  // the managing Organization's ODS code

  ASSERT_TRUE(m->patient);
  const auto& who = *m->patient;
  EXPECT_EQ(who.source.str(), "A82038");
  ASSERT_TRUE(who.local_id);
  EXPECT_EQ(who.local_id->type, store::LocalIdType::kEmisPatientGuid);
  EXPECT_EQ(who.local_id->value, (*in_patient)["id"].GetString());
  ASSERT_TRUE(who.match.nhs_number);
  EXPECT_EQ(who.match.nhs_number->str(),
            (*in_patient)["identifier"][0]["value"].GetString());  // compared, never written here
  EXPECT_EQ(who.match.nhs_status, VerificationStatus::kPresentVerified);  // GPC extension, "01"
  EXPECT_FALSE(who.match.family.empty());
  EXPECT_EQ(who.match.previous_families.size(), 1u);  // the "old" name
  EXPECT_TRUE(who.match.birth_date);
}

TEST_F(GpConnectTest, EveryResourceNamesItsPracticeAndKeepsItsIdsAndIdentifiers) {
  // Source: emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP10.json
  const std::string body = test::reference(kPwtp10);
  auto input = fhir::parse_json(body);
  ASSERT_TRUE(input);
  auto m = adapter_->translate(ods("A82038"), body, mappings_.mapper());
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->resources.size(), (*input)["entry"].Size());

  std::set<std::string> keys;
  for (const auto& d : test::parsed(*m)) {
    fhir::ResourceView v(d);
    EXPECT_EQ(v.meta_source(), "urn:caregw:ods:A82038") << v.type() << "/" << v.id();
    EXPECT_TRUE(keys.insert(std::string(v.type()) + "/" + std::string(v.id())).second)
        << "ids are unique per type: " << v.type() << "/" << v.id();
  }
  // The practice's own ids are kept, and its identifiers with them.
  auto allergy =
      test::json_of(test::find(*m, "AllergyIntolerance", "51D3D924-287E-4FC4-997C-BE70492EE48F"));
  ASSERT_TRUE(allergy.HasMember("identifier"));
  EXPECT_STREQ(allergy["identifier"][0]["system"].GetString(), "https://EMISWeb/A82038");
  // R4 shape: clinicalStatus became a CodeableConcept; the Read v2 and SNOMED CT codes both kept.
  EXPECT_TRUE(allergy["clinicalStatus"].IsObject());
  EXPECT_EQ(allergy["code"]["coding"].Size(), 2u);
  EXPECT_EQ(test::count(*m, "Condition"), 2u);
  EXPECT_EQ(test::count(*m, "MedicationStatement"), 2u);
  EXPECT_EQ(test::count(*m, "MedicationRequest"), 2u);
  EXPECT_EQ(test::count(*m, "AllergyIntolerance"), 2u);
  EXPECT_EQ(test::count(*m, "ServiceRequest"), 4u);  // STU3 ProcedureRequest, renamed in R4
}

TEST_F(GpConnectTest, ListsWithoutIdsGetTheSameDerivedIdEveryTime) {
  // Source: emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP7.json (GP Connect
  // section Lists carry no id).
  const std::string body = test::reference(kPwtp7);
  auto a = adapter_->translate(ods("A82038"), body, mappings_.mapper());
  auto b = adapter_->translate(ods("A82038"), body, mappings_.mapper());
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->resources.size(), b->resources.size());
  std::size_t derived = 0;
  for (std::size_t i = 0; i < a->resources.size(); ++i) {
    EXPECT_EQ(a->resources[i].id, b->resources[i].id);
    derived += a->resources[i].id.starts_with("gpc-") ? 1 : 0;
  }
  EXPECT_GT(derived, 5u);
}

TEST_F(GpConnectTest, ARecordSentByAnotherOrganisationIsFlagged) {
  // Source: emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP7.json
  auto m = adapter_->translate(ods("Z90001"), test::reference(kPwtp7), mappings_.mapper());
  ASSERT_TRUE(m) << m.error().detail;
  ASSERT_TRUE(m->registered_practice);
  EXPECT_EQ(m->registered_practice->str(), "A82038");
  EXPECT_EQ(m->patient->source.str(), "Z90001");  // the MPI files it under who sent it
  bool flagged = false;
  for (const auto& w : m->warnings) {
    flagged =
        flagged || w.find("names practice A82038 but was sent by Z90001") != std::string::npos;
  }
  EXPECT_TRUE(flagged);
}

TEST_F(GpConnectTest, SpecificationSampleWithAnInvalidNhsNumberIsIdentifiedByDemographics) {
  // Source: gpconnect-structured/allergies_response1.json (its NHS number fails Modulus 11).
  auto m = adapter_->translate(ods("Z90001"),
                               test::reference("gpconnect-structured/allergies_response1.json"),
                               mappings_.mapper());
  ASSERT_TRUE(m) << m.error().detail;
  ASSERT_TRUE(m->patient);
  EXPECT_FALSE(m->patient->match.nhs_number);
  EXPECT_FALSE(m->patient->match.family.empty());
  bool warned = false;
  for (const auto& w : m->warnings) {
    warned = warned || w.find("the NHS number is not valid") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  EXPECT_GE(test::count(*m, "AllergyIntolerance"), 3u);
  EXPECT_GE(test::count(*m, "List"), 2u);  // active and resolved allergy lists are kept
}

/** synthetic: a minimal GP Connect bundle with one Condition coded as given. */
std::string synthetic(const std::string& condition_coding) {
  return R"({"resourceType":"Bundle","id":"b-1","type":"collection","entry":[
    {"resource":{"resourceType":"Patient","id":"3F2504E0-4F89-41D3-9A0C-0305E82C3301",
      "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990040028"}],
      "name":[{"family":"Quill","given":["Ada"]}],"birthDate":"1950-01-02",
      "managingOrganization":{"reference":"Organization/org1"}}},
    {"resource":{"resourceType":"Organization","id":"org1",
      "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Z90001"}]}},
    {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/3F2504E0-4F89-41D3-9A0C-0305E82C3301"},
      "clinicalStatus":"active","verificationStatus":"confirmed",
      "code":{"coding":[)" +
         condition_coding + R"(]}}}]})";
}

TEST_F(GpConnectTest, ReadV2OnlyCodesGainTheirSnomedConceptAndKeepTheOriginal) {
  // Synthetic (invented patient); the pair G33..00 -> 194828000 is in mappings/terminology.
  auto m = adapter_->translate(
      ods("Z90001"),
      synthetic(
          R"({"system":"http://read.info/readv2","code":"G33..00","display":"Angina pectoris"})"),
      mappings_.mapper());
  ASSERT_TRUE(m) << m.error().detail;
  auto c = test::json_of(test::find(*m, "Condition", "c1"));
  ASSERT_EQ(c["code"]["coding"].Size(), 2u);
  EXPECT_STREQ(c["code"]["coding"][0]["system"].GetString(), "http://snomed.info/sct");
  EXPECT_STREQ(c["code"]["coding"][0]["code"].GetString(), "194828000");
  EXPECT_STREQ(c["code"]["coding"][1]["code"].GetString(), "G33..00");
  EXPECT_EQ(mappings_.tracker().total(), 0u);
  // A local identity without a GUID-shaped id would have no emis-guid; this one has.
  ASSERT_TRUE(m->patient && m->patient->local_id);
  EXPECT_EQ(m->patient->match.nhs_status, VerificationStatus::kPresentNotTraced);
}

TEST_F(GpConnectTest, UnmappedReadCodesAreKeptAsSentCountedAndWarned) {
  auto m = adapter_->translate(
      ods("Z90001"),
      synthetic(R"({"system":"http://read.info/readv2","code":"Xa9Zz","display":"x"})"),
      mappings_.mapper());
  ASSERT_TRUE(m) << m.error().detail;
  auto c = test::json_of(test::find(*m, "Condition", "c1"));
  ASSERT_EQ(c["code"]["coding"].Size(), 1u);
  EXPECT_STREQ(c["code"]["coding"][0]["code"].GetString(), "Xa9Zz");
  EXPECT_EQ(mappings_.tracker().total(), 1u);
  bool warned = false;
  for (const auto& w : m->warnings) {
    warned = warned || w.find("no SNOMED CT mapping") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST_F(GpConnectTest, ResourcesAreWrittenAsRapidJsonWritesThem) {
  // Synthetic: numbers of every kind and strings that need escapes. Each resource's JSON must be
  // the bytes RapidJSON's writer gives for the same document, as consumers and the record store
  // have always seen them.
  const std::string extra =
      R"({"system":"http://snomed.info/sct","code":"271649006","display":"Systolic \"BP\"\ttab"}]},
      "extension":[{"url":"https://example.org/a","valueDecimal":1.5},
        {"url":"https://example.org/b","valueDecimal":1e21},
        {"url":"https://example.org/c","valueDecimal":0.1},
        {"url":"https://example.org/d","valueInteger":100},
        {"url":"https://example.org/e","valueInteger":-3},
        {"url":"https://example.org/f","valueDecimal":123456789012},
        {"url":"https://example.org/g","valueDecimal":2.5e-7},
        {"url":"https://example.org/h","valueDecimal":18446744073709551615},
        {"url":"https://example.org/i","valueDecimal":-0.0}],
      "note":[{"text":"line\nbreak, control \u0001, caf\u00e9 \ud83d\ude00 and a \\ backslash"}],
      "severity":{"coding":[{"system":"http://snomed.info/sct","code":"24484000"})";
  auto m = adapter_->translate(ods("Z90001"), synthetic(extra), mappings_.mapper());
  ASSERT_TRUE(m) << m.error().detail;
  for (const auto& r : m->resources) {
    auto parsed = fhir::parse_json(r.json);
    ASSERT_TRUE(parsed) << r.resource_type;
    EXPECT_EQ(fhir::to_json(*parsed), r.json) << r.resource_type;
  }
  const auto* condition = test::find(*m, "Condition", "c1");
  ASSERT_NE(condition, nullptr);
  const std::string& json = condition->json;
  for (const char* expected :
       {R"("valueDecimal":1.5})", R"("valueDecimal":1e21})", R"("valueInteger":100})",
        R"("valueInteger":-3})", R"("valueDecimal":-0.0})", R"(Systolic \"BP\"\ttab)",
        R"(control \u0001)", R"(line\nbreak)", R"(a \\ backslash)"}) {
    EXPECT_NE(json.find(expected), std::string::npos) << expected << " in " << json;
  }
}

TEST_F(GpConnectTest, BadInputNamesWhereItWentWrong) {
  struct Case {
    std::string body;
    std::string where;
  };
  const std::vector<Case> cases = {
      {"{", "/: "},
      {R"({"resourceType":"Patient","id":"p"})", "resourceType: "},
      {R"({"resourceType":"Bundle","type":"document","entry":[]})", "Bundle.type: "},
      {R"({"resourceType":"Bundle","type":"collection"})", "Bundle.entry: "},
      {R"({"resourceType":"Bundle","type":"collection","entry":[]})", "Bundle.entry: no Patient"},
  };
  for (const auto& c : cases) {
    auto m = adapter_->translate(ods("Z90001"), c.body, mappings_.mapper());
    ASSERT_FALSE(m) << c.body;
    EXPECT_TRUE(m.error().detail.starts_with(c.where)) << m.error().detail;
  }
}

TEST_F(GpConnectTest, AcknowledgementIsAnOperationOutcomeNamingTheElement) {
  ingest::AckRequest ack;
  ack.code = ingest::AckRequest::Code::kRejected;
  ack.error = make_error(Errc::kUnprocessable, "Bundle.type: expected collection or searchset");
  ack.ack_id = "ack-1";
  auto out = fhir::parse_json(adapter_->acknowledge("{", ack));
  ASSERT_TRUE(out);
  EXPECT_STREQ((*out)["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ((*out)["issue"][0]["severity"].GetString(), "error");
  EXPECT_STREQ((*out)["issue"][0]["expression"][0].GetString(), "Bundle.type");
  EXPECT_EQ(adapter_->ack_content_type(), "application/fhir+json");
}

TEST_F(GpConnectTest, OfflineTranslationPrintsAnR4CollectionBundle) {
  // Source: emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP7.json
  auto t = translate_gpconnect_offline(test::reference(kPwtp7), mappings_.mapper());
  ASSERT_TRUE(t) << t.error().detail;
  auto b = fhir::parse_json(t->bundle_json);
  ASSERT_TRUE(b);
  EXPECT_STREQ((*b)["type"].GetString(), "collection");
  EXPECT_GT((*b)["entry"].Size(), 100u);
}

}  // namespace
}  // namespace gw::adapters::emis
