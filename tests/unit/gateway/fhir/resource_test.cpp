// Typed views over FHIR JSON, read from UK Core examples (the Patient from the conformance case
// ukcore-patient-xml-to-json, itself from ../shared/reference/ukcore-r4 with a 999 NHS number;
// the MessageHeader and NEWS2 Bundle from ../shared/reference/ukcore-r4).
#include "gateway/fhir/resource.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/xml.hpp"

namespace gw::fhir {
namespace {

Json load_xml(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  auto doc = xml_to_json(ss.str(), FhirVersion::kR4);
  EXPECT_TRUE(doc) << path << ": " << (doc ? "" : doc.error().detail);
  return doc ? std::move(*doc) : Json{};
}

std::string repo(const std::string& rel) { return std::string(CAREGW_SOURCE_DIR) + "/" + rel; }

TEST(PatientView, ReadsIdentityElements) {
  const Json doc = load_xml(repo("conformance/cases/fhir/ukcore-patient-xml-to-json/input.xml"));
  const PatientView p(doc);
  ASSERT_TRUE(p.valid());
  EXPECT_EQ(p.type(), "Patient");
  EXPECT_EQ(p.id(), "UKCore-Patient-RichardSmith-Example");
  auto nhs = p.nhs_number();
  ASSERT_TRUE(nhs);
  ASSERT_TRUE(nhs->number);
  EXPECT_EQ(nhs->number->str(), "9990000026");
  ASSERT_TRUE(nhs->verification);
  EXPECT_EQ(*nhs->verification, VerificationStatus::kPresentVerified);
  EXPECT_EQ(p.family(), "SMITH");  // the official name, not the contact's
  EXPECT_EQ(p.given(), std::vector<std::string_view>{"Richard"});
  EXPECT_EQ(p.birth_date(), "1970-09-11");
  EXPECT_EQ(p.gender(), "male");
  EXPECT_EQ(p.postcode(), "LS17 7DF");
}

TEST(PatientView, InvalidOrMissingNhsNumber) {
  auto bad = parse_json(R"({"resourceType":"Patient","identifier":[
    {"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]})");
  ASSERT_TRUE(bad);
  auto e = PatientView(*bad).nhs_number();
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->number);  // present but invalid: kept apart from a valid one
  EXPECT_FALSE(e->verification);
  auto none = parse_json(R"({"resourceType":"Patient","name":[{"family":"X"}]})");
  ASSERT_TRUE(none);
  EXPECT_FALSE(PatientView(*none).nhs_number());
  EXPECT_EQ(PatientView(*none).postcode(), "");
  EXPECT_EQ(PatientView(*none).family(), "X");
}

TEST(PatientView, GpPracticeOdsCode) {
  auto doc = parse_json(R"({"resourceType":"Patient","generalPractitioner":[
    {"reference":"Practitioner/1"},
    {"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Z90001"}}]})");
  ASSERT_TRUE(doc);
  EXPECT_EQ(PatientView(*doc).gp_practice_ods(), "Z90001");
}

TEST(MessageHeaderView, ReadsRoutingElements) {
  const Json doc =
      load_xml(repo("../shared/reference/ukcore-r4/UKCore-MessageHeader-Discharge-Example.xml"));
  const MessageHeaderView m(doc);
  auto event = m.event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->system, "http://snomed.info/sct");
  EXPECT_EQ(event->code, "306689006");
  EXPECT_EQ(m.source_endpoint(), "NOROT003");
  EXPECT_EQ(m.focus_references(),
            std::vector<std::string_view>{"Encounter/UKCore-Encounter-InpatientEncounter-Example"});
  EXPECT_EQ(m.sender_ods(), "");  // this example names its sender by URL, not identifier
  EXPECT_EQ(m.response_to(), "");
}

TEST(BundleView, EntriesAndReferenceLookup) {
  const Json doc =
      load_xml(repo("conformance/cases/fhir/ukcore-news2-bundle-xml-to-json/input.xml"));
  const BundleView b(doc);
  EXPECT_EQ(b.bundle_type(), "collection");
  const auto resources = b.resources();
  ASSERT_FALSE(resources.empty());
  for (const auto& r : resources) {
    EXPECT_EQ(r.type(), "Observation");
    EXPECT_FALSE(r.subject_reference().empty());
    EXPECT_FALSE(r.codes("code").empty());
    EXPECT_EQ(r.status(), "final");
  }
  const std::string ref = "Observation/" + std::string(resources[0].id());
  EXPECT_EQ(b.find(ref), &resources[0].json());
  EXPECT_EQ(b.find("Observation/none"), nullptr);
}

TEST(ResourceView, SubjectUnderItsVariousNames) {
  for (const char* json :
       {R"({"resourceType":"Observation","subject":{"reference":"Patient/a"}})",
        R"({"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/a"}})",
        R"({"resourceType":"Coverage","beneficiary":{"reference":"Patient/a"}})"}) {
    auto doc = parse_json(json);
    ASSERT_TRUE(doc);
    EXPECT_EQ(ResourceView(*doc).subject_reference(), "Patient/a") << json;
  }
  auto notres = parse_json("[1]");
  ASSERT_TRUE(notres);
  EXPECT_FALSE(ResourceView(*notres).valid());
  EXPECT_EQ(ResourceView(*notres).type(), "");
}

}  // namespace
}  // namespace gw::fhir
