// HL7 v2 to FHIR R4: the public ITK samples, every supported ADT event, ORU^R01, merges, and
// the refusals (with the location an ACK points at).
#include "adapters/hl7v2/translate.hpp"

#include <gtest/gtest.h>

#include "adapters/hl7v2/adapter.hpp"
#include "tests/unit/adapters/hl7v2/hl7v2_fixture.hpp"

namespace gw::adapters::hl7v2 {
namespace {

using test::resource;
using test::str;

class Hl7v2Translate : public ::testing::Test {
protected:
  Result<ingest::TranslatedMessage> run(const std::string& text, const char* sender = "Z9A01") {
    return adapter_->translate(test::ods(sender), text, mapper_);
  }
  /** adt: an invented Z9A01 message: MSH, EVN, PID (MRN RZZ + NHS number), PD1, then `tail`. */
  std::string adt(const std::string& event, const std::string& tail,
                  const std::string& version = "2.4") {
    const std::string trigger = event.substr(4, 3);
    return "MSH|^~\\&|PAS|Z9A01|CAREGW|Z9A00|20260301101500||" + event + "|CTL" + trigger + "|P|" +
           version + "\r" + "EVN|" + trigger + "|20260301101500\r" +
           test::segment("PID", {{1, "1"},
                                 {3, "RZZ100200^^^RZZ^MR~" + nhs_ + "^^^NHS^NH"},
                                 {5, "TESTPATIENT^ALEX^B^^MX^^L"},
                                 {7, "19800229"},
                                 {8, "2"},
                                 {11, "1 Invented Row^Flat 2^Testtown^^ZZ99 3ZZ^GBR^H"},
                                 {13, "020 7946 0000^PRN^PH~^NET^Internet^alex@example.invalid"},
                                 {14, "07700 900000^WPN^CP"},
                                 {32, "NSTS01"}}) +
           "PD1|||TEST PRACTICE^^Z90001|G9999998^Doctor^Demo^^^Dr^^^GMP\r" + tail;
  }

  std::unique_ptr<ingest::InboundAdapter> adapter_ = make_hl7v2_adapter();
  mapping::Mapper mapper_{test::shipped_mappings(), nullptr};
  std::string nhs_ = test::synthetic_nhs(42);
  const std::string pv1_ = test::segment("PV1", {{1, "1"},
                                                 {2, "I"},
                                                 {3, "RZZ^AMU^B3^Z9A01"},
                                                 {7, "C1234567^Consultant^Casey^^^Dr^^^GMC"},
                                                 {10, "GSURG"},
                                                 {14, "19"},
                                                 {19, "V0042"},
                                                 {36, "19"},
                                                 {44, "20260301100000"},
                                                 {45, "20260305120000"}});
};

// ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A01_ADT_A01.hl7 (NHS number replaced by a
// synthetic one: the sample's ten 3s fail the NHS number check).
TEST_F(Hl7v2Translate, ItkA01AdmitsAnInpatient) {
  auto t = run(test::read_sample("ITK_v2.4_ADT_A01_ADT_A01.hl7"), "RCB");
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ(t->kind, "adt");
  EXPECT_EQ(t->event, "ADT^A01");
  EXPECT_EQ(t->sender_message_id, "1391320453338055");
  const auto patient = resource(*t, "Patient");
  EXPECT_EQ(str(patient, "/identifier/0/system"), "https://fhir.nhs.uk/Id/nhs-number");
  EXPECT_EQ(str(patient, "/identifier/0/value"), test::synthetic_nhs(1));
  EXPECT_EQ(str(patient, "/identifier/0/extension/0/valueCodeableConcept/coding/0/code"), "02");
  EXPECT_EQ(str(patient, "/name/0/family"), "SMITH");
  EXPECT_EQ(str(patient, "/birthDate"), "1965-12-13");
  EXPECT_EQ(str(patient, "/gender"), "female");  // NHS DD "2", read although RCB's map is 0001
  EXPECT_EQ(str(patient, "/address/0/postalCode"), "YO32 5TT");
  EXPECT_EQ(str(patient, "/generalPractitioner/0/identifier/value"), "Y06601");
  EXPECT_EQ(str(patient, "/generalPractitioner/1/identifier/system"),
            "https://fhir.hl7.org.uk/Id/gmp-number");
  ASSERT_TRUE(t->registered_practice);
  EXPECT_EQ(t->registered_practice->str(), "Y06601");
  const auto enc = resource(*t, "Encounter");
  EXPECT_EQ(str(enc, "/id"), "enc-2139");
  EXPECT_EQ(str(enc, "/status"), "in-progress");
  EXPECT_EQ(str(enc, "/class/code"), "IMP");
  EXPECT_EQ(str(enc, "/participant/0/individual/identifier/value"), "C3456789");
  EXPECT_EQ(str(enc, "/subject/reference"), "Patient/" + str(patient, "/id"));
  EXPECT_EQ(str(enc, "/location/0/location/reference"),
            "Location/" + str(resource(*t, "Location"), "/id"));
  ASSERT_TRUE(t->patient);
  EXPECT_EQ(t->patient->source.str(), "RCB");
  EXPECT_FALSE(t->patient->local_id);  // the sample carries no hospital number
  EXPECT_EQ(t->patient->match.family, "SMITH");
  // The patient id never spells out the NHS number.
  EXPECT_EQ(str(patient, "/id").find(test::synthetic_nhs(1)), std::string::npos);
}

// ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A03_ADT_A03.hl7
TEST_F(Hl7v2Translate, ItkA03DischargesWithTimesAndDestination) {
  auto t = run(test::read_sample("ITK_v2.4_ADT_A03_ADT_A03.hl7"), "RCB");
  ASSERT_TRUE(t) << t.error().detail;
  const auto enc = resource(*t, "Encounter");
  EXPECT_EQ(str(enc, "/status"), "finished");
  EXPECT_EQ(str(enc, "/period/start"), "2010-03-30T11:00:00+01:00");
  EXPECT_EQ(str(enc, "/period/end"), "2010-03-31T17:15:00+01:00");
  EXPECT_EQ(str(enc, "/hospitalization/dischargeDisposition/coding/0/code"), "19");
  EXPECT_EQ(str(enc, "/class/code"), "AMB");
}

// ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A04_ADT_A01.hl7 and ..._A05_ADT_A05.hl7
TEST_F(Hl7v2Translate, ItkA04AndA05RegisterAndPreAdmit) {
  auto a04 = run(test::read_sample("ITK_v2.4_ADT_A04_ADT_A01.hl7"), "RCB");
  ASSERT_TRUE(a04) << a04.error().detail;
  EXPECT_EQ(a04->event, "ADT^A04");
  EXPECT_EQ(str(resource(*a04, "Encounter"), "/status"), "arrived");
  auto a05 = run(test::read_sample("ITK_v2.4_ADT_A05_ADT_A05.hl7"), "RCB");
  ASSERT_TRUE(a05) << a05.error().detail;
  EXPECT_EQ(str(resource(*a05, "Encounter"), "/status"), "planned");
  EXPECT_EQ(str(resource(*a05, "Encounter"), "/class/code"), "PRENC");
}

// ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A28_ADT_A05.hl7 and ..._A31_ADT_A05.hl7 as
// published carry PID-7 "196513121515" (month 13): refused, pointing at PID-7.
TEST_F(Hl7v2Translate, ItkA28AndA31AreRefusedForTheirBirthDate) {
  for (const char* name : {"ITK_v2.4_ADT_A28_ADT_A05.hl7", "ITK_v2.4_ADT_A31_ADT_A05.hl7"}) {
    auto t = run(test::read_sample(name), "RCB");
    ASSERT_FALSE(t) << name;
    EXPECT_EQ(t.error().detail.rfind("PID-7: bad date", 0), 0U) << t.error().detail;
  }
  // With the month and day the right way round, A28 adds the person (no visit).
  std::string fixed = test::read_sample("ITK_v2.4_ADT_A28_ADT_A05.hl7");
  fixed.replace(fixed.find("196513121515"), 12, "196512131515");
  auto t = run(fixed, "RCB");
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ(t->resources.size(), 1U);
  EXPECT_EQ(t->resources[0].resource_type, "Patient");
}

// ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A01_ADT_A01.hl7 as published.
TEST_F(Hl7v2Translate, ItkSampleNhsNumberIsRefused) {
  auto t = run(test::read_sample("ITK_v2.4_ADT_A01_ADT_A01.hl7", true), "RCB");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().detail.rfind("PID-3.1: not a valid NHS number", 0), 0U);
  EXPECT_EQ(t.error().detail.find(test::kPublishedNhs), std::string::npos);  // never echoed
}

TEST_F(Hl7v2Translate, IdentityForTheMpiUsesTheSenderOverrides) {
  auto t = run(adt("ADT^A01^ADT_A01", pv1_));
  ASSERT_TRUE(t) << t.error().detail;
  ASSERT_TRUE(t->patient);
  const auto& who = *t->patient;
  ASSERT_TRUE(who.local_id);
  EXPECT_EQ(who.local_id->type, store::LocalIdType::kHospitalMrn);
  EXPECT_EQ(who.local_id->value, "RZZ100200");
  EXPECT_EQ(who.local_id->source.str(), "Z9A01");
  ASSERT_TRUE(who.match.nhs_number);
  EXPECT_EQ(who.match.nhs_number->str(), nhs_);
  EXPECT_EQ(who.match.nhs_status, VerificationStatus::kPresentVerified);  // PID-32 NSTS01
  EXPECT_EQ(who.match.gender, "female");  // Z9A01 sends NHS DD gender codes (override)
  ASSERT_TRUE(who.match.birth_date);
  EXPECT_EQ(who.match.birth_date->str(), "1980-02-29");
  EXPECT_EQ(who.match.postcode, "ZZ99 3ZZ");
  ASSERT_TRUE(who.valid_from);  // EVN-2 20260301101500, GMT in March before the change
  EXPECT_EQ(*who.valid_from, std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} +
                                 std::chrono::hours{10} + std::chrono::minutes{15});
  EXPECT_EQ(who.match.given, (std::vector<std::string>{"ALEX", "B"}));
  ASSERT_EQ(who.telecom.size(), 3U);
  EXPECT_EQ(who.telecom[1].system, "email");
  EXPECT_EQ(who.telecom[2].use, "mobile");
  const auto patient = resource(*t, "Patient");
  EXPECT_EQ(str(patient, "/id"), "pat-RZZ100200");
  EXPECT_EQ(str(patient, "/identifier/1/system"), "urn:caregw:id:Z9A01:mrn");
  EXPECT_EQ(str(patient, "/identifier/0/extension/0/valueCodeableConcept/coding/0/code"), "01");
  // Z9A01's ward and specialty maps name the ward and the service.
  const auto enc = resource(*t, "Encounter");
  EXPECT_EQ(str(enc, "/location/0/location/display"), "Acute Medical Unit (Borough General)");
  EXPECT_EQ(str(enc, "/serviceType/coding/0/code"), "100");
}

TEST_F(Hl7v2Translate, EncounterLifecycleUpsertsOneVisit) {
  auto a01 = run(adt("ADT^A01^ADT_A01", pv1_));
  auto a02 = run(adt("ADT^A02^ADT_A02", pv1_));
  auto a03 = run(adt("ADT^A03^ADT_A03", pv1_));
  auto a11 = run(adt("ADT^A11^ADT_A09", pv1_));
  auto a12 = run(adt("ADT^A12^ADT_A12", pv1_));
  auto a13 = run(adt("ADT^A13^ADT_A01", pv1_));
  for (auto* r : {&a01, &a02, &a03, &a11, &a12, &a13}) {
    ASSERT_TRUE(*r) << r->error().detail;
  }
  EXPECT_EQ(str(resource(*a01, "Encounter"), "/id"), "enc-V0042");
  EXPECT_EQ(str(resource(*a03, "Encounter"), "/id"), "enc-V0042");
  EXPECT_EQ(str(resource(*a01, "Encounter"), "/status"), "in-progress");
  EXPECT_EQ(str(resource(*a01, "Encounter"), "/period/end"), "");
  EXPECT_EQ(str(resource(*a03, "Encounter"), "/status"), "finished");
  EXPECT_EQ(str(resource(*a03, "Encounter"), "/period/end"), "2026-03-05T12:00:00+00:00");
  // A11 cancels the admission: the visit is withdrawn.
  const auto& withdrawn = a11->resources.back();
  EXPECT_EQ(withdrawn.resource_type, "Encounter");
  EXPECT_EQ(withdrawn.id, "enc-V0042");
  EXPECT_TRUE(withdrawn.deleted);
  EXPECT_TRUE(withdrawn.json.empty());
  // A12 cancels a transfer and A13 a discharge: the visit is open again, with no end.
  EXPECT_EQ(str(resource(*a12, "Encounter"), "/status"), "in-progress");
  EXPECT_EQ(str(resource(*a13, "Encounter"), "/status"), "in-progress");
  EXPECT_EQ(str(resource(*a13, "Encounter"), "/period/end"), "");
}

TEST_F(Hl7v2Translate, TransferKeepsThePreviousLocation) {
  const std::string pv1 = test::segment(
      "PV1", {{1, "1"}, {2, "I"}, {3, "RZZ^AMU^B3^Z9A01"}, {6, "RZZ^ELM^B1^Z9A01"}, {19, "V0042"}});
  auto t = run(adt("ADT^A02^ADT_A02", pv1));
  ASSERT_TRUE(t) << t.error().detail;
  const auto enc = resource(*t, "Encounter");
  EXPECT_EQ(str(enc, "/location/0/status"), "active");
  EXPECT_EQ(str(enc, "/location/1/status"), "completed");
  int locations = 0;
  for (const auto& r : t->resources) {
    locations += r.resource_type == "Location" ? 1 : 0;
  }
  EXPECT_EQ(locations, 2);
}

TEST_F(Hl7v2Translate, PersonEventsCarryNoVisit) {
  for (const char* event : {"ADT^A28^ADT_A05", "ADT^A31^ADT_A05"}) {
    auto t = run(adt(event, "PV1|1|N\r"));
    ASSERT_TRUE(t) << t.error().detail;
    ASSERT_EQ(t->resources.size(), 1U) << event;
    EXPECT_EQ(t->resources[0].resource_type, "Patient");
  }
  auto a08 = run(adt("ADT^A08^ADT_A01", "PV1|1|N\r"));
  ASSERT_TRUE(a08);
  EXPECT_EQ(a08->resources.size(), 1U);
  auto a08_visit = run(adt("ADT^A08^ADT_A01", pv1_));
  ASSERT_TRUE(a08_visit);
  EXPECT_EQ(str(resource(*a08_visit, "Encounter"), "/status"), "finished");
}

TEST_F(Hl7v2Translate, A40AndA34AskTheMpiToMerge) {
  for (const char* event : {"ADT^A40^ADT_A39", "ADT^A34^ADT_A30"}) {
    auto t = run(adt(event, "MRG|RZZ999111^^^RZZ^MR\r"));
    ASSERT_TRUE(t) << t.error().detail;
    ASSERT_EQ(t->merges.size(), 1U);
    EXPECT_EQ(t->merges[0].survivor.value, "RZZ100200");
    EXPECT_EQ(t->merges[0].superseded.value, "RZZ999111");
    EXPECT_EQ(t->merges[0].superseded.type, store::LocalIdType::kHospitalMrn);
    EXPECT_EQ(t->merges[0].superseded.source.str(), "Z9A01");
  }
  auto no_mrg = run(adt("ADT^A40^ADT_A39", ""));
  ASSERT_FALSE(no_mrg);
  EXPECT_EQ(no_mrg.error().detail.rfind("MRG: required segment missing", 0), 0U);
  auto no_prior = run(adt("ADT^A40^ADT_A39", "MRG|" + nhs_ + "^^^NHS^NH\r"));
  ASSERT_FALSE(no_prior);
  EXPECT_EQ(no_prior.error().detail.rfind("MRG-1: required field missing", 0), 0U);
}

TEST_F(Hl7v2Translate, OruR01BecomesAReportWithObservations) {
  const std::string oru =
      "MSH|^~\\&|LAB|Z9A01|CAREGW|Z9A00|20260301101500||ORU^R01^ORU_R01|LAB1|P|2.5.1\r"
      "PID|1||RZZ100200^^^RZZ^MR\r"
      "OBR|1|PL1|FL77|26958-3^Full blood count^LN|||20260301090000|||||||||||||||"
      "20260301100000|||F\r"
      "OBX|1|NM|718-7^Haemoglobin^LN||131|g/L^g/L^UCUM|115-165|N|||F|||20260301090000\r"
      "OBX|2|ST|X1^Comment^99LAB||Sample \\T\\ slide reviewed||||||P\r"
      "OBX|3|CE|Y1^Group^99LAB||A^Group A^99LAB||||||F\r";
  auto t = run(oru);
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ(t->kind, "result");
  EXPECT_EQ(t->event, "ORU^R01");
  const auto report = resource(*t, "DiagnosticReport");
  EXPECT_EQ(str(report, "/id"), "dr-FL77");
  EXPECT_EQ(str(report, "/status"), "final");
  EXPECT_EQ(str(report, "/code/coding/0/system"), "http://loinc.org");
  EXPECT_EQ(str(report, "/result/2/reference"), "Observation/obs-FL77-3");
  const auto hb = resource(*t, "Observation");
  EXPECT_EQ(str(hb, "/code/coding/0/code"), "718-7");
  const auto* value = rapidjson::Pointer("/valueQuantity/value").Get(hb);
  ASSERT_NE(value, nullptr);
  EXPECT_DOUBLE_EQ(value->GetDouble(), 131.0);
  EXPECT_EQ(str(hb, "/valueQuantity/system"), "http://unitsofmeasure.org");
  EXPECT_EQ(str(hb, "/referenceRange/0/text"), "115-165");
  std::vector<fhir::Json> obs;
  for (const auto& r : t->resources) {
    if (r.resource_type == "Observation") {
      obs.push_back(std::move(*fhir::parse_json(r.json)));
    }
  }
  ASSERT_EQ(obs.size(), 3U);
  EXPECT_EQ(str(obs[1], "/valueString"), "Sample & slide reviewed");
  EXPECT_EQ(str(obs[1], "/status"), "preliminary");
  EXPECT_EQ(str(obs[1], "/code/coding/0/system"), "urn:caregw:codes:Z9A01:99LAB");
  EXPECT_EQ(str(obs[2], "/valueCodeableConcept/coding/0/code"), "A");
}

TEST_F(Hl7v2Translate, OruCodingSystemNamesBecomeSafeUris) {
  // Found by hl7v2_fuzz (tests/fuzz/corpus/hl7v2/crash-oru-coding-system-not-utf8.hl7).
  auto t =
      run("MSH|^~\\&|LAB|Z9A01|||20260301101500||ORU^R01|LAB3|P|2.4\rPID|1||RZZ1^^^RZZ^MR\r"
          "OBR|1||FL1|X^Y^LN\rOBX|1|ST|718-7^Hb^L\xff\xfe N||x\r");
  ASSERT_TRUE(t) << t.error().detail;
  for (const auto& r : t->resources) {
    EXPECT_TRUE(fhir::parse_json(r.json)) << r.resource_type;
  }
  EXPECT_EQ(str(resource(*t, "Observation"), "/code/coding/0/system"),
            "urn:caregw:codes:hl7v2:L---N");
}

TEST_F(Hl7v2Translate, OruCodeWithAnEncodedSurrogateIsValidJson) {
  // Found by hl7v2_fuzz (tests/fuzz/corpus/hl7v2/crash-oru-code-utf16-surrogate.hl7): ED BE BE
  // (a UTF-16 surrogate encoded as UTF-8, which UTF-8 does not allow) is read as Latin-1.
  auto t =
      run("MSH|^~\\&|LAB|Z9A01|||20260301101500||ORU^R01|LAB4|P|2.4\rPID|1||RZZ1^^^RZZ^MR\r"
          "OBR|1||FL1|X^Y^LN\rOBX|1|NM|\xED\xBE\xBEZZ^MR||1\r");
  ASSERT_TRUE(t) << t.error().detail;
  for (const auto& r : t->resources) {
    EXPECT_TRUE(fhir::parse_json(r.json)) << r.resource_type;
  }
  EXPECT_EQ(str(resource(*t, "Observation"), "/code/coding/0/code"), "\xC3\xAD\xC2\xBE\xC2\xBEZZ");
}

TEST_F(Hl7v2Translate, OruRefusesANonNumericNmValue) {
  auto t =
      run("MSH|^~\\&|LAB|Z9A01|||20260301101500||ORU^R01|LAB2|P|2.4\rPID|1||RZZ1^^^RZZ^MR\r"
          "OBR|1||FL1|X^Y^LN\rOBX|1|NM|718-7^Hb^LN||12|\rOBX|2|NM|718-7^Hb^LN||high\r");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().detail.rfind("OBX[2]-5: not a number", 0), 0U) << t.error().detail;
}

struct Refusal {
  std::string message;
  std::string starts_with;
};

TEST_F(Hl7v2Translate, RefusalsSayWhereAndWhy) {
  const std::string h = "MSH|^~\\&|PAS|Z9A01|||20260301101500||";
  const std::string pid = "PID|1||RZZ1^^^RZZ^MR\r";
  const std::vector<Refusal> cases = {
      {h + "SIU^S12|C1|P|2.4\r" + pid, "MSH-9.1: unsupported message type"},
      {h + "ADT^A99|C1|P|2.4\r" + pid, "MSH-9.2: unsupported event ADT^A99"},
      {h + "ADT|C1|P|2.4\r" + pid, "MSH-9.2: required field missing"},
      {h + "ADT^A01||P|2.4\r" + pid, "MSH-10: required field missing"},
      {h + "ADT^A01|C1|P|\r" + pid, "MSH-12: required field missing"},
      {h + "ADT^A01|C1|P|3.0\r" + pid, "MSH-12: unsupported version"},
      {h + "ADT^A01|C1|P|2.4\r", "PID: required segment missing"},
      {h + "ADT^A01|C1|P|2.4\rPID|1||X1^^^HOSP^PI\r", "PID-3: required field missing"},
      {h + "ADT^A01|C1|P|2.4\rPID|1||RZZ1^^^RZZ^MR~1234567890^^^NHS^NH\r",
       "PID-3(2).1: not a valid NHS number"},
      {h + "ADT^A01|C1|P|2.4\r" + pid, "PV1: required segment missing"},
      {h + "ADT^A01|C1|P|2.4\r" + pid + "PV1|1|I\r", "PV1-19: required field missing"},
      {h + "ADT^A01|C1|P|2.4\r" + pid + test::segment("PV1", {{1, "1"}, {19, "V1"}}),
       "PV1-2: required field missing"},
      {h + "ADT^A03|C1|P|2.4\r" + pid +
           test::segment("PV1", {{1, "1"}, {2, "I"}, {19, "V1"}, {45, "2026133"}}),
       "PV1-45: bad date"},
      {h + "ORU^R01|C1|P|2.4\r" + pid, "OBR: required segment missing"},
      {h + "ORU^R01|C1|P|2.4\r" + pid + "OBX|1|ST|A^B^LN||x\r", "OBX: segment sequence"},
  };
  for (const auto& c : cases) {
    auto t = run(c.message);
    ASSERT_FALSE(t) << c.starts_with;
    EXPECT_EQ(t.error().detail.rfind(c.starts_with, 0), 0U)
        << "want " << c.starts_with << ", got " << t.error().detail;
  }
}

TEST_F(Hl7v2Translate, UsStyleMessageTranslatesWithWhatItHas) {
  // An invented message in US style: no NHS number, an MRN, SSN in PID-19, a US address, v2.3.
  std::string us =
      "MSH|^~\\&|EPIC|GENHOSP|||20260301101500-0500||ADT^A01|US1|P|2.3\r"
      "EVN|A01|20260301101500-0500\r"
      "PID|1||55501^^^GENHOSP^MR||PUBLIC^JOHN^Q||19600704|M|||100 Main St^^Springfield^IL^62701^"
      "USA||(217)555-0100|||||ACCT1|000-00-0000\r";
  us += test::segment("PV1", {{1, "1"},
                              {2, "E"},
                              {3, "ED^^^GENHOSP"},
                              {7, "9999^Attending^Alex"},
                              {19, "VN77"},
                              {44, "20260301100000-0500"}});
  auto t = run(us, "RCB");
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_FALSE(t->patient->match.nhs_number);
  ASSERT_TRUE(t->patient->local_id);
  EXPECT_EQ(t->patient->local_id->value, "55501");
  const auto patient = resource(*t, "Patient");
  EXPECT_EQ(str(patient, "/address/0/district"), "IL");
  EXPECT_EQ(str(patient, "/gender"), "male");
  const auto enc = resource(*t, "Encounter");
  EXPECT_EQ(str(enc, "/class/code"), "EMER");
  EXPECT_EQ(str(enc, "/period/start"), "2026-03-01T10:00:00-05:00");
  EXPECT_EQ(str(enc, "/participant/0/individual/identifier/system"),
            "urn:caregw:id:RCB:practitioner");
}

TEST_F(Hl7v2Translate, WorksWithoutAMappingSet) {
  const mapping::Mapper none(nullptr, nullptr);
  auto t = adapter_->translate(test::ods("RCB"), test::read_sample("ITK_v2.4_ADT_A01_ADT_A01.hl7"),
                               none);
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ(str(resource(*t, "Patient"), "/gender"), "female");
  EXPECT_EQ(str(resource(*t, "Encounter"), "/class/code"), "I");  // kept as sent (v2 0004)
}

TEST_F(Hl7v2Translate, MessageIdIsReadCheaply) {
  EXPECT_EQ(adapter_->message_id(adt("ADT^A01^ADT_A01", pv1_)), "CTLA01");
  EXPECT_EQ(adapter_->message_id("\x0bMSH|^~\\&|A|B|||||ADT^A01|XYZ|P|2.4\r"), "XYZ");
  EXPECT_EQ(adapter_->message_id("garbage"), "");
  EXPECT_EQ(adapter_->name(), "hl7v2");
}

}  // namespace
}  // namespace gw::adapters::hl7v2
