// The ITK3 adapter against public ITK3 messages and Transfer of Care documents in
// shared/reference (each test names its file), and the response codes for malformed ones.
#include "adapters/itk/itk3_adapter.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace gw::adapters::itk {
namespace {

std::string read_ref(const std::string& path) {
  std::ifstream in(CAREGW_SOURCE_DIR "/../shared/reference/" + path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

/** A 999 test-range NHS number with a valid check digit (computed, not guessed). */
std::string synthetic_nhs_number() {
  for (int n = 200000; n < 999999; ++n) {
    std::string nine = "999" + std::to_string(n);
    if (int d = NhsNumber::check_digit(nine); d >= 0) {
      return nine + std::to_string(d);
    }
  }
  return {};
}

/**
 * An ITK3 message Bundle (XML) around a Transfer of Care document Bundle file, with `event`.
 * The published examples' NHS numbers (`published`) fail Modulus 11; unless `as_published`,
 * a synthetic valid one replaces it.
 */
std::string toc_message(const std::string& document_file, std::string_view event,
                        std::string_view published = {}, bool as_published = false) {
  std::string doc = read_ref(document_file);
  if (!published.empty() && !as_published) {
    doc = replace_all(doc, published, synthetic_nhs_number());
  }
  if (doc.starts_with("<?xml")) {
    doc = doc.substr(doc.find("?>") + 2);
  }
  return std::string(
             "<Bundle xmlns=\"http://hl7.org/fhir\"><id value=\"msg-bundle-1\"/>"
             "<type value=\"message\"/><entry><fullUrl value=\"urn:uuid:header-1\"/><resource>"
             "<MessageHeader><id value=\"3f2c8b7e-0d7c-4f4e-9b0e-6a3f1f0a2b11\"/>"
             "<extension url=\"https://fhir.nhs.uk/STU3/StructureDefinition/"
             "Extension-ITK-MessageHandling-2\">"
             "<extension url=\"BusAckRequested\"><valueBoolean value=\"true\"/></extension>"
             "<extension url=\"InfAckRequested\"><valueBoolean value=\"true\"/></extension>"
             "<extension url=\"RecipientType\"><valueCoding><system "
             "value=\"https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1\"/><code "
             "value=\"FA\"/></valueCoding></extension>"
             "<extension url=\"MessageDefinition\"><valueReference><reference "
             "value=\"https://fhir.nhs.uk/STU3/MessageDefinition/"
             "ITK-eDischarge-MessageDefinition-1\"/></valueReference></extension>"
             "<extension url=\"SenderReference\"><valueString value=\"None\"/></extension>"
             "</extension><event><system "
             "value=\"https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2\"/><code value=\"") +
         std::string(event) +
         "\"/></event><receiver><reference value=\"urn:uuid:org-r\"/></receiver>"
         "<sender><reference value=\"urn:uuid:org-s\"/></sender>"
         "<timestamp value=\"2026-11-26T10:00:00+00:00\"/><source><endpoint "
         "value=\"Z9A01OT001\"/></source><focus><reference value=\"urn:uuid:doc-1\"/></focus>"
         "</MessageHeader></resource></entry>"
         "<entry><fullUrl value=\"urn:uuid:org-s\"/><resource><Organization><id value=\"org-s\"/>"
         "</Organization></resource></entry>"
         "<entry><fullUrl value=\"urn:uuid:org-r\"/><resource><Organization><id value=\"org-r\"/>"
         "</Organization></resource></entry>"
         "<entry><fullUrl value=\"urn:uuid:doc-1\"/><resource>" +
         doc + "</resource></entry></Bundle>";
}

class Itk3AdapterTest : public ::testing::Test {
protected:
  std::unique_ptr<ingest::InboundAdapter> adapter_ = make_itk3_adapter();
  mapping::Mapper mapper_{nullptr, nullptr};
  OdsCode sender_ = *OdsCode::parse("Z9A01");

  /** response_code: the ITK3 response code in an acknowledgement. */
  static std::string issue_code(const std::string& response) {
    auto j = fhir::parse_json(response);
    EXPECT_TRUE(j);
    const auto& outcome = (*j)["entry"][1]["resource"];
    if (!outcome["issue"][0].HasMember("details")) {
      return {};
    }
    return outcome["issue"][0]["details"]["coding"][0]["code"].GetString();
  }
  static std::string response_code(const std::string& response) {
    auto j = fhir::parse_json(response);
    EXPECT_TRUE(j);
    return (*j)["entry"][0]["resource"]["response"]["code"].GetString();
  }
};

TEST_F(Itk3AdapterTest, EDischargeFromTheCareConnectExample) {
  // Source: shared/reference/careconnect-stu3/edms-documents-upload/ITK-EDIS-Example-1.xml,
  // wrapped in an ITK3 message (ITK003D) as toc-specs/itk3-messaging-distribution describes.
  const std::string body = toc_message(
      "careconnect-stu3/edms-documents-upload/ITK-EDIS-Example-1.xml", "ITK003D", "1352465790");
  EXPECT_EQ(adapter_->message_id(body), "3f2c8b7e-0d7c-4f4e-9b0e-6a3f1f0a2b11");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->kind, "discharge-summary");
  EXPECT_EQ(r->event, "ITK003D");
  ASSERT_TRUE(r->patient);
  ASSERT_TRUE(r->patient->match.nhs_number);
  ASSERT_FALSE(r->resources.empty());
  EXPECT_EQ(r->resources[0].resource_type, "Composition");
  EXPECT_FALSE(r->registered_practice);  // the example names no GP
  for (const auto& res : r->resources) {
    EXPECT_NE(res.resource_type, "Patient");
    EXPECT_FALSE(res.id.empty());
    EXPECT_NE(res.json.find("\"id\":\"" + res.id + "\""), std::string::npos);
    // References between the document's entries now name the filed Type/id, not a fullUrl.
    EXPECT_EQ(res.json.find("\"reference\":\"urn:uuid:"), std::string::npos) << res.json;
  }
  // The patient is referred to by NHS number (the MPI decides who that is).
  EXPECT_NE(r->resources[0].json.find("\"subject\":{\"identifier\":{\"system\":"
                                      "\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"" +
                                      synthetic_nhs_number() + "\"}"),
            std::string::npos)
      << r->resources[0].json;
  const std::string ack = adapter_->acknowledge(body, {});
  EXPECT_EQ(response_code(ack), "ok");
  EXPECT_EQ(issue_code(ack), "20013");
  // The response is STU3 the gateway's own FHIR writer accepts (elements, types, cardinality).
  auto parsed = fhir::parse_json(ack);
  ASSERT_TRUE(parsed);
  auto as_xml = fhir::json_to_xml(*parsed, fhir::FhirVersion::kStu3);
  EXPECT_TRUE(as_xml) << as_xml.error().detail;
  EXPECT_NE(ack.find("3f2c8b7e-0d7c-4f4e-9b0e-6a3f1f0a2b11"), std::string::npos);
}

TEST_F(Itk3AdapterTest, KindsByEventCode) {
  // Sources: the emergency care, mental health and outpatient letter examples in
  // shared/reference/careconnect-stu3/edms-documents-upload/.
  // (The EC and OPL examples' NHS numbers fail Modulus 11 and are replaced; the MH one is valid.)
  struct Case {
    const char* file;
    const char* event;
    const char* kind;
    const char* published_nhs_number;
  };
  for (const Case& c :
       {Case{"careconnect-stu3/edms-documents-upload/ITK-EC-Document-Bundle-1-Example-1.xml",
             "ITK005D", "ed-discharge", "1352465790"},
        Case{"careconnect-stu3/edms-documents-upload/ITK-MH-Document-Bundle-Example-1.xml",
             "ITK004D", "mh-discharge", ""},
        Case{"careconnect-stu3/edms-documents-upload/ITK-OPL-Document-Bundle-1-Example-4.xml",
             "ITK006D", "outpatient-letter", "1243567890"}}) {
    auto r =
        adapter_->translate(sender_, toc_message(c.file, c.event, c.published_nhs_number), mapper_);
    ASSERT_TRUE(r) << c.file << ": " << r.error().detail;
    EXPECT_EQ(r->kind, c.kind) << c.file;
  }
}

TEST_F(Itk3AdapterTest, DigitalMedicinesMessageAsPublished) {
  // Source: shared/reference/itk3-digital-medicines/engage_hettie_winters_imms_block2_message.xml
  const std::string body =
      read_ref("itk3-digital-medicines/engage_hettie_winters_imms_block2_message.xml");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->event, "ITK009D");
  EXPECT_EQ(r->kind, "document");
  EXPECT_EQ(r->sender_message_id, "cd836dc4-2e34-11eb-adc1-0242ac120002");
  // The CareConnect verification status extension (01) survives the STU3 -> R4 conversion.
  ASSERT_TRUE(r->patient);
  ASSERT_TRUE(r->patient->match.nhs_number);
  EXPECT_EQ(r->patient->match.nhs_status, VerificationStatus::kPresentVerified);
  EXPECT_EQ(r->patient->match.family, "WINTERS");
  // Patient.generalPractitioner names the Organization entry with ODS code A83627.
  ASSERT_TRUE(r->registered_practice);
  EXPECT_EQ(r->registered_practice->str(), "A83627");
  EXPECT_EQ(r->patient->source.str(), "Z9A01");
}

TEST_F(Itk3AdapterTest, JsonAndXmlGiveTheSameMessage) {
  // Source: shared/reference/itk3-digital-medicines/engage_hettie_winters_imms_block2_message.xml,
  // and the same message as STU3 JSON (converted here with the gateway's FHIR XML reader).
  const std::string xml =
      read_ref("itk3-digital-medicines/engage_hettie_winters_imms_block2_message.xml");
  auto json = fhir::xml_to_json(xml, fhir::FhirVersion::kStu3);
  ASSERT_TRUE(json) << json.error().detail;
  const std::string body = fhir::to_json(*json);
  auto from_xml = adapter_->translate(sender_, xml, mapper_);
  auto from_json = adapter_->translate(sender_, body, mapper_);
  ASSERT_TRUE(from_xml);
  ASSERT_TRUE(from_json) << from_json.error().detail;
  EXPECT_EQ(adapter_->message_id(body), adapter_->message_id(xml));
  ASSERT_EQ(from_json->resources.size(), from_xml->resources.size());
  for (std::size_t i = 0; i < from_xml->resources.size(); ++i) {
    EXPECT_EQ(from_json->resources[i].id, from_xml->resources[i].id);
    EXPECT_EQ(from_json->resources[i].json, from_xml->resources[i].json);
  }
}

TEST_F(Itk3AdapterTest, MinimalJsonMessage) {
  // Written here (also the fuzz seed): an invented patient in a minimal ITK003D message in JSON.
  std::ifstream in(CAREGW_SOURCE_DIR "/tests/fuzz/corpus/itk3_message/discharge_message.json");
  std::stringstream s;
  s << in.rdbuf();
  auto r = adapter_->translate(sender_, s.str(), mapper_);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->kind, "discharge-summary");
  EXPECT_EQ(r->sender_message_id, "h1");
  ASSERT_EQ(r->resources.size(), 2U);  // Composition and the author Organization
  EXPECT_EQ(r->resources[0].resource_type, "Composition");
  EXPECT_NE(r->resources[0].json.find("\"author\":[{\"reference\":\"Organization/o1\"}]"),
            std::string::npos)
      << r->resources[0].json;
  EXPECT_EQ(r->patient->match.nhs_status, VerificationStatus::kPresentVerified);
}

TEST_F(Itk3AdapterTest, PublishedExampleIsAHeaderFailure) {
  // Source: shared/reference/gpconnect-send-document-update-record/
  // update-record--itk3--cpcs-minor-illness--justin-thyme.xml: its first entry is an
  // Organization, not the MessageHeader, and its event code is "ITK???".
  const std::string body = read_ref(
      "gpconnect-send-document-update-record/"
      "update-record--itk3--cpcs-minor-illness--justin-thyme.xml");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  EXPECT_NE(r.error().detail.find("Bundle.entry[0]"), std::string::npos);
  // No MessageHeader.id or Bundle.id: the Bundle.identifier names the message.
  EXPECT_EQ(adapter_->message_id(body), "cbfc2916-af51-41eb-a73a-7a6eae1cf537");
  const std::string ack = adapter_->acknowledge(body, {});
  EXPECT_EQ(response_code(ack), "fatal-error");
  EXPECT_EQ(issue_code(ack), "20006");
}

TEST_F(Itk3AdapterTest, PlaceholderEventCodeIsAHeaderFailure) {
  // The event code of the justin-thyme example above ("ITK???") in an otherwise good message.
  const std::string body = toc_message(
      "careconnect-stu3/edms-documents-upload/ITK-EDIS-Example-1.xml", "ITK???", "1352465790");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("MessageHeader.event"), std::string::npos);
  EXPECT_EQ(issue_code(adapter_->acknowledge(body, {})), "20006");
}

TEST_F(Itk3AdapterTest, PublishedInvalidNhsNumberIsAPayloadFailure) {
  // Source: shared/reference/careconnect-stu3/edms-documents-upload/ITK-EDIS-Example-1.xml as
  // published: its NHS number fails Modulus 11.
  const std::string body =
      toc_message("careconnect-stu3/edms-documents-upload/ITK-EDIS-Example-1.xml", "ITK003D",
                  "1352465790", true);
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnprocessable);
  EXPECT_EQ(r.error().detail.find("1352465790"), std::string::npos);
  const std::string ack =
      adapter_->acknowledge(body, {ingest::AckRequest::Code::kRejected, r.error(), {}, "a0"});
  EXPECT_EQ(response_code(ack), "fatal-error");
  EXPECT_EQ(issue_code(ack), "20009");
}

TEST_F(Itk3AdapterTest, UnreadableMessage) {
  const std::string ack = adapter_->acknowledge("{not json", {});
  EXPECT_EQ(issue_code(ack), "10009");
  EXPECT_NE(ack.find("UNREADABLE-IN-ORIGINAL-MESSAGE"), std::string::npos);
  EXPECT_EQ(adapter_->message_id("{not json"), "");
}

TEST_F(Itk3AdapterTest, HandlingSpecificationFailures) {
  const std::string good = toc_message(
      "careconnect-stu3/edms-documents-upload/ITK-EDIS-Example-1.xml", "ITK003D", "1352465790");
  struct Case {
    const char* from;
    const char* to;
    const char* code;
  };
  for (const Case& c : {
           Case{"Extension-ITK-MessageHandling-2", "Extension-Other", "10001"},
           Case{"<extension url=\"RecipientType\"><valueCoding><system "
                "value=\"https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1\"/><code "
                "value=\"FA\"/>",
                "<extension url=\"RecipientType\"><valueCoding><system "
                "value=\"https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1\"/><code "
                "value=\"XX\"/>",
                "10010"},
           Case{"<code value=\"ITK003D\"/>", "<code value=\"ITK008M\"/>", "10004"},
           Case{"<source><endpoint value=\"Z9A01OT001\"/></source>", "", "20006"},
           Case{"<focus><reference value=\"urn:uuid:doc-1\"/></focus>",
                "<focus><reference value=\"urn:uuid:nowhere\"/></focus>", "20006"},
       }) {
    const std::string body = replace_all(good, c.from, c.to);
    ASSERT_NE(body, good) << c.code;
    EXPECT_FALSE(adapter_->translate(sender_, body, mapper_)) << c.code;
    EXPECT_EQ(issue_code(adapter_->acknowledge(body, {})), c.code) << c.from;
  }
}

TEST_F(Itk3AdapterTest, RejectionsAndTemporaryFailures) {
  const std::string body = toc_message(
      "careconnect-stu3/edms-documents-upload/ITK-EDIS-Example-1.xml", "ITK003D", "1352465790");
  std::string ack = adapter_->acknowledge(
      body,
      {ingest::AckRequest::Code::kRejected, make_error(Errc::kForbidden, "sender: no"), {}, "a1"});
  EXPECT_EQ(issue_code(ack), "20012");
  ack = adapter_->acknowledge(
      body,
      {ingest::AckRequest::Code::kRejected, make_error(Errc::kUnprocessable, "x: y"), {}, "a2"});
  EXPECT_EQ(issue_code(ack), "20009");
  ack = adapter_->acknowledge(
      body,
      {ingest::AckRequest::Code::kError, make_error(Errc::kUnavailable, "store: busy"), {}, "a3"});
  EXPECT_EQ(response_code(ack), "transient-error");
}

}  // namespace
}  // namespace gw::adapters::itk
