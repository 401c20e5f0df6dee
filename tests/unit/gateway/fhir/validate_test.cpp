// UK Core checks on hand-written R4 resources (written here; reference samples are checked in
// the conformance suite). Each rule has a passing and a failing case.
#include "gateway/fhir/validate.hpp"

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"

namespace gw::fhir {
namespace {

std::vector<Issue> check(const std::string& json) {
  auto doc = parse_json(json);
  EXPECT_TRUE(doc) << json;
  return doc ? check_uk_core(*doc) : std::vector<Issue>{};
}

bool has(const std::vector<Issue>& issues, const std::string& path, const std::string& text) {
  for (const auto& i : issues) {
    if (i.path == path && i.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string dump(const std::vector<Issue>& issues) {
  std::string s;
  for (const auto& i : issues) {
    s += i.path + ": " + i.message + "\n";
  }
  return s;
}

constexpr const char* kGoodPatient = R"({
  "resourceType": "Patient", "id": "p1",
  "meta": {"lastUpdated": "2024-03-01T09:00:00Z"},
  "identifier": [{
    "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018",
    "extension": [{
      "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
      "valueCodeableConcept": {"coding": [{
        "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
        "code": "01", "display": "Number present and verified"}]}}]}],
  "name": [{"family": "Testpatient", "given": ["Ada"]}],
  "gender": "female", "birthDate": "1950-02-28"})";

TEST(CheckUkCore, GoodPatientPasses) {
  const auto issues = check(kGoodPatient);
  EXPECT_TRUE(issues.empty()) << dump(issues);
  EXPECT_FALSE(has_errors(issues));
}

TEST(CheckUkCore, NhsNumberIdentifierChecks) {
  std::string bad = kGoodPatient;
  bad.replace(bad.find("9990000018"), 10, "9990000019");
  auto issues = check(bad);
  EXPECT_TRUE(has(issues, "Patient.identifier[0].value", "check digit is wrong")) << dump(issues);

  std::string spaced = kGoodPatient;
  spaced.replace(spaced.find("9990000018"), 10, "999 000 0018");
  issues = check(spaced);
  EXPECT_TRUE(has(issues, "Patient.identifier[0].value", "10 digits without spaces"))
      << dump(issues);

  std::string code = kGoodPatient;
  code.replace(code.find("\"01\""), 4, "\"09\"");
  issues = check(code);
  EXPECT_TRUE(has(issues, "Patient.identifier[0].extension[0].valueCodeableConcept.coding[0].code",
                  "01 to 08"))
      << dump(issues);

  std::string system = kGoodPatient;
  system.replace(system.find("UKCore-NHSNumberVerificationStatusEngland"), 41, "Other");
  issues = check(system);
  EXPECT_TRUE(has(issues,
                  "Patient.identifier[0].extension[0].valueCodeableConcept.coding[0].system",
                  "must be https://fhir.hl7.org.uk/CodeSystem/"))
      << dump(issues);
}

TEST(CheckUkCore, TwoNhsNumbersAreRefused) {
  const auto issues = check(R"({"resourceType":"Patient","identifier":[
    {"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"},
    {"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}]})");
  EXPECT_TRUE(has(issues, "Patient.identifier", "at most one NHS number")) << dump(issues);
}

TEST(CheckUkCore, DatesAndCodes) {
  const auto issues = check(R"({"resourceType":"Patient","id":"bad id!","gender":"F",
    "birthDate":"1950-02-30","meta":{"lastUpdated":"2024-03-01"}})");
  EXPECT_TRUE(has(issues, "Patient.id", "1-64 letters")) << dump(issues);
  EXPECT_TRUE(has(issues, "Patient.gender", "not in the required value set")) << dump(issues);
  EXPECT_TRUE(has(issues, "Patient.birthDate", "day 30 does not exist")) << dump(issues);
  EXPECT_TRUE(has(issues, "Patient.meta.lastUpdated", "instant")) << dump(issues);
}

TEST(CheckUkCore, RequiredElements) {
  auto issues = check(R"({"resourceType":"Observation","status":"final"})");
  EXPECT_TRUE(has(issues, "Observation.code", "required")) << dump(issues);
  issues = check(R"({"resourceType":"MedicationStatement","status":"active",
    "subject":{"reference":"Patient/1"}})");
  EXPECT_TRUE(has(issues, "MedicationStatement.medication[x]", "required")) << dump(issues);
  issues = check(R"({"resourceType":"MedicationStatement","status":"active",
    "medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Patient/1"}})");
  EXPECT_FALSE(has_errors(issues)) << dump(issues);
  issues = check(R"({"resourceType":"Composition","status":"final","type":{},"date":"2024",
    "author":[],"title":"t"})");
  EXPECT_TRUE(has(issues, "Composition.author", "required")) << dump(issues);
}

TEST(CheckUkCore, CodeableConceptBindings) {
  auto issues = check(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"gone"}]}})");
  EXPECT_TRUE(has(issues, "Condition.clinicalStatus.coding[0].code", "not a code of"))
      << dump(issues);
  issues = check(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "clinicalStatus":{"coding":[{"system":"http://example.org","code":"active"}]}})");
  EXPECT_TRUE(has(issues, "Condition.clinicalStatus.coding", "required binding")) << dump(issues);
}

TEST(CheckUkCore, BundleReferencesMustResolve) {
  const std::string msg = R"({"resourceType":"Bundle","type":"message","entry":[
    {"fullUrl":"urn:uuid:aaaa","resource":{"resourceType":"MessageHeader",
      "eventCoding":{"code":"x"},"source":{"endpoint":"e"},"focus":[{"reference":"urn:uuid:bbbb"}]}},
    {"fullUrl":"urn:uuid:bbbb","resource":{"resourceType":"Patient","id":"p"}},
    {"fullUrl":"urn:uuid:cccc","resource":{"resourceType":"Observation","status":"final",
      "code":{"text":"t"},"subject":{"reference":"urn:uuid:dddd"},
      "performer":[{"reference":"Patient/p"}]}}]})";
  const auto issues = check(msg);
  EXPECT_TRUE(has(issues, "Bundle.entry[2].resource.subject.reference", "does not resolve"))
      << dump(issues);
  EXPECT_EQ(issues.size(), 1U) << dump(issues);
}

TEST(CheckUkCore, AMessageOrDocumentBundleWithoutEntriesIsAFindingNotACrash) {
  // Written here: an empty entry list once read entry[0] of an empty array.
  for (const char* type : {"message", "document"}) {
    for (const std::string entries : {R"(,"entry":[])", ""}) {
      const auto issues =
          check(std::string(R"({"resourceType":"Bundle","type":")") + type + "\"" + entries + "}");
      EXPECT_TRUE(has(issues, "Bundle.entry", "Bundle needs entries, the first a"))
          << type << entries << dump(issues);
    }
  }
  EXPECT_FALSE(has(check(R"({"resourceType":"Bundle","type":"collection","entry":[]})"),
                   "Bundle.entry", "needs entries"));
}

TEST(CheckUkCore, MessageBundleStartsWithMessageHeader) {
  const auto issues = check(R"({"resourceType":"Bundle","type":"message","entry":[
    {"fullUrl":"urn:uuid:b","resource":{"resourceType":"Patient"}}]})");
  EXPECT_TRUE(has(issues, "Bundle.entry[0].resource", "must be a MessageHeader")) << dump(issues);
}

TEST(CheckUkCore, ContainedReferences) {
  const auto issues = check(R"({"resourceType":"MedicationStatement","status":"active",
    "contained":[{"resourceType":"Medication","id":"m1"}],
    "medicationReference":{"reference":"#m2"},"subject":{"reference":"Patient/1"}})");
  EXPECT_TRUE(has(issues, "MedicationStatement.medicationReference.reference", "does not contain"))
      << dump(issues);
}

TEST(CheckUkCore, ReferenceFindingsNameTheElementThroughArraysAndNesting) {
  const auto issues = check(R"({"resourceType":"Observation","status":"final","code":{"text":"t"},
    "contained":[{"resourceType":"Practitioner","id":"pr1"}],
    "performer":[{"reference":"#pr1"},{"display":"d"},{"reference":"#gone"}],
    "component":[{"code":{"text":"c"}},{"code":{"text":"c"},
      "extension":[{"url":"u","valueReference":{"reference":"#also-gone"}}]}]})");
  EXPECT_TRUE(has(issues, "Observation.performer[2].reference", "does not contain"))
      << dump(issues);
  EXPECT_TRUE(
      has(issues, "Observation.component[1].extension[0].valueReference.reference", "does not"))
      << dump(issues);
  EXPECT_EQ(issues.size(), 2U) << dump(issues);
}

/** lines: each issue as "E|W code path: message", in order, to compare whole findings. */
std::vector<std::string> lines(const std::vector<Issue>& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) {
    out.push_back(std::string(i.severity == Issue::Severity::kError ? "E " : "W ") + i.code + " " +
                  i.path + ": " + i.message);
  }
  return out;
}

TEST(CheckUkCore, FindingsComeInRuleOrderWithTheirPaths) {
  const auto issues = check(R"({"resourceType":"Condition","id":"c 1",
    "meta":{"lastUpdated":"2024"},
    "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"},
      {"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"maybe"}]},
    "clinicalStatus":"active",
    "evidence":[{"detail":[{"reference":"#e1"},{"reference":"Observation/1"}]}],
    "note":[{"authorReference":{"reference":"#"}}]})");
  const std::vector<std::string> want{
      "E value Condition.id: id must be 1-64 letters, digits, '-' or '.'",
      "E value Condition.meta.lastUpdated: an instant needs a full date, time and timezone",
      "E required Condition.subject: Condition.subject is required (minimum cardinality 1)",
      "E structure Condition.clinicalStatus: must be a CodeableConcept with a coding",
      "E code-invalid Condition.verificationStatus.coding[1].code: not a code of "
      "http://terminology.hl7.org/CodeSystem/condition-ver-status",
      "E not-found Condition.evidence[0].detail[0].reference: refers to contained resource '#e1', "
      "which the resource does not contain"};
  EXPECT_EQ(lines(issues), want);
}

TEST(CheckUkCore, ContainedResourcesAreCheckedAtTheirIndex) {
  const auto issues = check(R"({"resourceType":"MedicationStatement","status":"stopped",
    "medicationReference":{"reference":"#m2"},"subject":{"reference":"Patient/1"},
    "contained":[{"resourceType":"Medication","id":"m1"},
      {"resourceType":"Observation","id":"m2","status":"done","code":{"text":"t"},
        "hasMember":[{"reference":"#nowhere"}]},
      {"id":"m3"}]})");
  const std::vector<std::string> want{
      "E code-invalid MedicationStatement.contained[1].status: 'done' is not in the required "
      "value set of Observation.status",
      "E not-found MedicationStatement.contained[1].hasMember[0].reference: refers to contained "
      "resource '#nowhere', which the resource does not contain",
      "E required MedicationStatement.contained[2]: resourceType is missing"};
  EXPECT_EQ(lines(issues), want);
}

TEST(CheckUkCore, BundleEntriesAreCheckedAtTheirIndex) {
  const auto issues =
      check(R"({"resourceType":"Bundle","type":"document","timestamp":"2024-13-01T00:00:00Z",
    "entry":[
    {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Composition","status":"final","type":{},
      "date":"2024","author":[{"reference":"http://example.org/fhir/Practitioner/pr1"}],"title":"t",
      "subject":{"reference":"Patient/p"},"section":[{"entry":[{"reference":"urn:uuid:z"}]}]}},
    {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","id":"p","gender":"f"}},
    {"fullUrl":"urn:uuid:c","resource":{"resourceType":"Practitioner","id":"pr1"}},
    {"fullUrl":"urn:uuid:d"}]})");
  const std::vector<std::string> want{
      "E value Bundle.timestamp: month 13 is out of range",
      "E invalid Bundle.entry[1].fullUrl: two entries have the same fullUrl",
      "E code-invalid Bundle.entry[1].resource.gender: 'f' is not in the required value set of "
      "Patient.gender",
      "E required Bundle.entry[3].resource: each entry of a document Bundle needs a resource",
      "E not-found Bundle.entry[0].resource.section[0].entry[0].reference: the reference does not "
      "resolve to an entry of the Bundle"};
  EXPECT_EQ(lines(issues), want);
}

TEST(OperationOutcomeOfIssues, ListsPathsAsExpressions) {
  const auto text =
      operation_outcome({{Issue::Severity::kError, "value", "Patient.birthDate", "bad"}});
  auto doc = parse_json(text);
  ASSERT_TRUE(doc);
  EXPECT_STREQ((*doc)["issue"][0]["expression"][0].GetString(), "Patient.birthDate");
  EXPECT_STREQ((*doc)["issue"][0]["severity"].GetString(), "error");
  auto ok = parse_json(operation_outcome({}));
  ASSERT_TRUE(ok);
  EXPECT_STREQ((*ok)["issue"][0]["severity"].GetString(), "information");
}

}  // namespace
}  // namespace gw::fhir
