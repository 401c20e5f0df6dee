// The ITK 2.2 adapter against the public TKW-x SOAP sample (shared/reference/tkw-x/ITK_SOAP.xml,
// an Ambulance Service Summary Patient Report CDA in a DistributionEnvelope) and malformed
// variants of it, with the replies a sender gets.
#include "adapters/itk/itk_adapter.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "adapters/itk/base64.hpp"
#include "adapters/itk/envelope.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace gw::adapters::itk {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/** The TKW-x sample (ITK_SOAP.xml): its NHS number 9999345201 fails Modulus 11. */
std::string tkw_soap() {
  return read_file(CAREGW_SOURCE_DIR "/../shared/reference/tkw-x/ITK_SOAP.xml");
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

/** A 999 test-range NHS number with a valid check digit (computed, not guessed). */
std::string synthetic_nhs_number() {
  for (int n = 100000; n < 999999; ++n) {
    std::string nine = "999" + std::to_string(n);
    if (int d = NhsNumber::check_digit(nine); d >= 0) {
      return nine + std::to_string(d);
    }
  }
  return {};
}

/** ITK_SOAP.xml with a valid synthetic NHS number in place of the published invalid one. */
std::string valid_soap() { return replace_all(tkw_soap(), "9999345201", synthetic_nhs_number()); }

class FixedClock final : public Clock {
public:
  explicit FixedClock(std::chrono::system_clock::time_point t) : t_(t) {}
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return t_; }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override { return {}; }

private:
  std::chrono::system_clock::time_point t_;
};

class ItkAdapterTest : public ::testing::Test {
protected:
  // Within the sample's WS-Security window (Created 2017-09-28T14:16:18Z, Expires +10 s).
  FixedClock clock_{*parse_xml_datetime("2017-09-28T14:16:20Z")};
  std::unique_ptr<ingest::InboundAdapter> adapter_ = make_itk_adapter({&clock_});
  mapping::Mapper mapper_{nullptr, nullptr};
  OdsCode sender_ = *OdsCode::parse("Z9A01");
};

TEST_F(ItkAdapterTest, TranslatesTheTkwSampleWithAValidNhsNumber) {
  // Source: shared/reference/tkw-x/ITK_SOAP.xml (NHS number replaced by a synthetic one).
  const std::string body = valid_soap();
  EXPECT_EQ(adapter_->message_id(body), "217D1168-7F0B-4F31-A0A9-5B030E545FAE");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sender_message_id, "217D1168-7F0B-4F31-A0A9-5B030E545FAE");
  EXPECT_EQ(r->event, "urn:nhs-itk:interaction:primaryRecipientAmbulanceServicePatientReport-v1-0");
  EXPECT_EQ(r->kind, "document");  // an ambulance report, not a discharge summary
  ASSERT_TRUE(r->patient);
  ASSERT_TRUE(r->patient->match.nhs_number);
  EXPECT_EQ(r->patient->match.nhs_number->str(), synthetic_nhs_number());
  EXPECT_EQ(r->patient->match.nhs_status, VerificationStatus::kPresentVerified);
  EXPECT_EQ(r->patient->match.family, "Jones");
  ASSERT_EQ(r->patient->match.given.size(), 1U);
  EXPECT_EQ(r->patient->match.given[0], "Barry");
  ASSERT_TRUE(r->patient->match.birth_date);
  EXPECT_EQ(r->patient->match.birth_date->str(), "1928-12-18");
  EXPECT_EQ(r->patient->match.gender, "1");  // no mapping set loaded: kept as sent
  EXPECT_EQ(r->patient->match.postcode, "S1 1AA");
  ASSERT_TRUE(r->registered_practice);  // patientRole/providerOrganization (ODS site code root)
  EXPECT_EQ(r->registered_practice->str(), "GP011");
  ASSERT_GE(r->resources.size(), 3U);
  EXPECT_EQ(r->resources[0].resource_type, "DocumentReference");
  EXPECT_NE(r->resources[0].json.find("\"data\":\""), std::string::npos);
  EXPECT_NE(r->resources[0].json.find("\"contentType\":\"text/xml\""), std::string::npos);
  EXPECT_NE(r->resources[0].json.find("\"reference\":\"Encounter/"), std::string::npos);
  EXPECT_EQ(r->resources[1].resource_type, "Encounter");
  EXPECT_EQ(r->resources[2].resource_type, "Practitioner");
  // Stable ids: the same message yields the same ids.
  auto again = adapter_->translate(sender_, body, mapper_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->resources[0].id, r->resources[0].id);
}

TEST_F(ItkAdapterTest, PublishedInvalidNhsNumberIsRefusedWithoutEchoingIt) {
  // Source: shared/reference/tkw-x/ITK_SOAP.xml as published (9999345201 fails Modulus 11).
  const std::string body = tkw_soap();
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnprocessable);
  EXPECT_NE(r.error().detail.find("recordTarget/patientRole/id"), std::string::npos);
  EXPECT_EQ(r.error().detail.find("9999345201"), std::string::npos);
  // The sample asks for an infrastructure ack only: the rejection is an infrastructure NACK.
  ingest::AckRequest ack{ingest::AckRequest::Code::kRejected, r.error(), {}, "ACK-1"};
  const std::string reply = adapter_->acknowledge(body, ack);
  EXPECT_NE(reply.find("result=\"ERROR\""), std::string::npos);
  EXPECT_NE(reply.find(">1000</itk:ErrorCode>"), std::string::npos);
  EXPECT_NE(reply.find("trackingIdRef=\"217D1168-7F0B-4F31-A0A9-5B030E545FAE\""),
            std::string::npos);
  EXPECT_EQ(reply.find("9999345201"), std::string::npos);
}

TEST_F(ItkAdapterTest, AcceptedWithInfrastructureAck) {
  const std::string body = valid_soap();
  const std::string reply =
      adapter_->acknowledge(body, {ingest::AckRequest::Code::kAccepted, {}, {}, "ACK-2"});
  EXPECT_NE(reply.find("OK:217D1168-7F0B-4F31-A0A9-5B030E545FAE"), std::string::npos);
  EXPECT_NE(reply.find("result=\"OK\""), std::string::npos);
  EXPECT_NE(reply.find("<wsa:RelatesTo>D174645D-AD0E-4363-89EE-910A4BEF7201</wsa:RelatesTo>"),
            std::string::npos);
  EXPECT_NE(reply.find("timestamp=\"2017-09-28T14:16:20Z\""), std::string::npos);
  EXPECT_EQ(reply.find("BusinessResponseMessage"), std::string::npos);  // ackrequested=false
  // The reply is well-formed XML.
  EXPECT_TRUE(XmlTree::parse(reply));
}

TEST_F(ItkAdapterTest, BusinessAckWhenRequestedAndNackOnRejection) {
  // As test-wrapped-busack.xml / test-wrapped-busnack.xml (ciao-transport-itk): AA, then AR.
  const std::string body =
      replace_all(valid_soap(), "value=\"false\" key=\"urn:nhs-itk:ns:201005:ackrequested\"",
                  "value=\"true\" key=\"urn:nhs-itk:ns:201005:ackrequested\"");
  std::string reply =
      adapter_->acknowledge(body, {ingest::AckRequest::Code::kAccepted, {}, {}, "ACK-3"});
  EXPECT_NE(reply.find("<hl7:acknowledgedBy3 typeCode=\"AA\">"), std::string::npos);
  EXPECT_NE(reply.find("SendBusinessAck-v1-0"), std::string::npos);
  ingest::AckRequest nack{
      ingest::AckRequest::Code::kRejected, make_error(Errc::kUnprocessable, "x: y"), {}, "ACK-4"};
  reply = adapter_->acknowledge(body, nack);
  EXPECT_NE(reply.find("<hl7:acknowledgedBy3 typeCode=\"AR\">"), std::string::npos);
  EXPECT_NE(reply.find("x: y"), std::string::npos);
  EXPECT_TRUE(XmlTree::parse(reply));
}

TEST_F(ItkAdapterTest, TemporaryFailureIsARetryableServerFault) {
  const std::string reply =
      adapter_->acknowledge(valid_soap(), {ingest::AckRequest::Code::kError,
                                           make_error(Errc::kUnavailable, "journal: busy"),
                                           {},
                                           "ACK-5"});
  EXPECT_NE(reply.find("<faultcode>soap:Server</faultcode>"), std::string::npos);
  EXPECT_NE(reply.find(">2100</itk:ErrorCode>"), std::string::npos);
}

TEST_F(ItkAdapterTest, ExpiredRequestIsRefusedWhenAskedTo) {
  FixedClock later{*parse_xml_datetime("2026-11-26T16:30:00Z")};
  // The transport's check at receipt.
  auto fresh = check_timestamp(valid_soap(), later.now());
  ASSERT_FALSE(fresh);
  EXPECT_NE(fresh.error().detail.find("wsu:Expires: the message has expired"), std::string::npos);
  EXPECT_TRUE(check_timestamp(valid_soap(), clock_.now()));
  // The adapter's own check, when turned on.
  ItkOptions strict_options{&later};
  strict_options.check_expiry = true;
  auto strict = make_itk_adapter(strict_options);
  auto r = strict->translate(sender_, valid_soap(), mapper_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  EXPECT_NE(r.error().detail.find("wsu:Expires"), std::string::npos);
  const std::string reply = strict->acknowledge(valid_soap(), {});
  EXPECT_NE(reply.find("soap/fault"), std::string::npos);
  EXPECT_NE(reply.find(">1000</itk:ErrorCode>"), std::string::npos);
  // Off by default: a journalled message re-translated after a restart is not refused as expired.
  EXPECT_TRUE(make_itk_adapter({&later})->translate(sender_, valid_soap(), mapper_));
}

struct Malformed {
  const char* name;
  const char* from;
  const char* to;
  const char* code;
};

class ItkMalformedTest : public ItkAdapterTest, public ::testing::WithParamInterface<Malformed> {};

TEST_P(ItkMalformedTest, RefusedWithItsErrorCode) {
  // Each case edits shared/reference/tkw-x/ITK_SOAP.xml in one place.
  const Malformed& m = GetParam();
  const std::string body = replace_all(valid_soap(), m.from, m.to);
  ASSERT_NE(body, valid_soap()) << m.name;
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_FALSE(r) << m.name;
  EXPECT_EQ(r.error().code, Errc::kBadRequest) << m.name;
  const std::string reply = adapter_->acknowledge(body, {});
  EXPECT_NE(reply.find(std::string(">") + m.code + "</itk:ErrorCode>"), std::string::npos)
      << m.name << ": " << r.error().detail;
  EXPECT_NE(reply.find("<faultcode>soap:Client</faultcode>"), std::string::npos) << m.name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ItkMalformedTest,
    ::testing::Values(
        Malformed{"manifest count", "<itk:manifest count=\"1\">", "<itk:manifest count=\"2\">",
                  "DE0006"},
        Malformed{"payload id", "<itk:payload id=\"uuid_57B3E02B",
                  "<itk:payload id=\"uuid_X7B3E02B", "DE0012"},
        Malformed{"tracking id", "trackingid=\"217D1168-7F0B-4F31-A0A9-5B030E545FAE\"",
                  "trackingid=\"\"", "DE0005"},
        Malformed{"no interaction", "key=\"urn:nhs-itk:ns:201005:interaction\"",
                  "key=\"urn:example:other\"", "DE0009"},
        Malformed{"bad ack flag", "value=\"true\" key=\"urn:nhs-itk:ns:201005:infackrequested\"",
                  "value=\"yes\" key=\"urn:nhs-itk:ns:201005:infackrequested\"", "DE0010"},
        Malformed{"no audit identity", "<itk:id  uri=\"urn:nhs-uk:identity:ods:XZ901\"/>", "",
                  "DE0004"},
        Malformed{"action mismatch",
                  "<wsa:Action>urn:nhs-itk:services:201005:SendCDADocument-v2-0</wsa:Action>",
                  "<wsa:Action>urn:nhs-itk:services:201005:Other</wsa:Action>", "1000"},
        Malformed{"no message id",
                  "<wsa:MessageID>D174645D-AD0E-4363-89EE-910A4BEF7201</wsa:MessageID>", "",
                  "1000"},
        Malformed{"doctype", "<soap:Envelope",
                  "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><soap:Envelope", "1000"},
        Malformed{"not xml", "</soap:Envelope>", "", "1000"}),
    [](const ::testing::TestParamInfo<Malformed>& p) {
      std::string n = p.param.name;
      for (char& c : n) {
        c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      }
      return n;
    });

TEST_F(ItkAdapterTest, AccessDeniedForAnUnauthorisedSender) {
  const std::string reply =
      adapter_->acknowledge(valid_soap(), {ingest::AckRequest::Code::kRejected,
                                           make_error(Errc::kForbidden, "sender: not allowed"),
                                           {},
                                           "ACK-6"});
  EXPECT_NE(reply.find(">3000</itk:ErrorCode>"), std::string::npos);
}

/** The CDA document of valid_soap(), and the envelope around it with `payload` in its place. */
std::pair<std::string, std::string> split_payload(const std::string& soap) {
  const auto start = soap.find("<ClinicalDocument");
  const auto end =
      soap.find("</ClinicalDocument>") + std::string_view("</ClinicalDocument>").size();
  return {soap.substr(start, end - start), soap.substr(0, start) + "@PAYLOAD@" + soap.substr(end)};
}

TEST_F(ItkAdapterTest, Base64CdaIsReadAndAttachedByteForByte) {
  // Source: shared/reference/tkw-x/ITK_SOAP.xml with its CDA sent base64 (manifest base64="true").
  auto [cda, around] = split_payload(valid_soap());
  const std::string encoded = base64_encode(cda);
  std::string body = replace_all(around, "@PAYLOAD@", encoded);
  body = replace_all(body,
                     "profileid=\"urn:nhs-en:profile:ambulanceServiceSummaryPatientReport-v1-1\"",
                     "profileid=\"urn:nhs-en:profile:ambulanceServiceSummaryPatientReport-v1-1\" "
                     "base64=\"true\"");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_TRUE(r) << r.error().detail;
  ASSERT_TRUE(r->patient);
  EXPECT_EQ(r->patient->match.family, "Jones");
  EXPECT_NE(r->resources[0].json.find("\"data\":\"" + encoded + "\""), std::string::npos);
}

TEST_F(ItkAdapterTest, SecondCdaDocumentIsRefused) {
  // Source: shared/reference/tkw-x/ITK_SOAP.xml with its payload sent twice.
  auto [cda, around] = split_payload(valid_soap());
  std::string body = replace_all(around, "@PAYLOAD@",
                                 cda + "</itk:payload><itk:payload id=\"uuid_SECOND\">" + cda);
  body = replace_all(body, "<itk:payloads count=\"1\">", "<itk:payloads count=\"2\">");
  body = replace_all(body, "<itk:manifest count=\"1\">",
                     "<itk:manifest count=\"2\"><itk:manifestitem id=\"uuid_SECOND\" "
                     "mimetype=\"text/xml\"/>");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnprocessable);
  EXPECT_NE(r.error().detail.find("itk:payload[2]: a second CDA document"), std::string::npos)
      << r.error().detail;
}

TEST_F(ItkAdapterTest, DischargeSummaryKindFromTheDocumentTitle) {
  const std::string body =
      replace_all(valid_soap(), "<title>Ambulance Service Summary Patient Report</title>",
                  "<title>Inpatient Discharge Summary</title>");
  auto r = adapter_->translate(sender_, body, mapper_);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->kind, "discharge-summary");
}

}  // namespace
}  // namespace gw::adapters::itk
