// The pieces under the ITK adapter: WS-Security timestamps, base64 (payloads and attachments),
// reading the tracking id of a bare envelope, and the CDA attachment standing alone.
#include "adapters/itk/envelope.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "adapters/itk/base64.hpp"
#include "adapters/itk/cda.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::adapters::itk {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

TEST(ItkDateTime, ReadsZonesAndRefusesWhatIsNotAnInstant) {
  const auto utc = parse_xml_datetime("2017-09-28T14:16:18Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(*utc, sys_days{std::chrono::year{2017} / 9 / 28} + 14h + 16min + 18s);
  const auto plus_one = parse_xml_datetime("2017-09-28T15:16:18.250+01:00");
  ASSERT_TRUE(plus_one);
  EXPECT_EQ(*plus_one, *utc);
  EXPECT_FALSE(parse_xml_datetime("2017-09-28T14:16:18"));   // no zone
  EXPECT_FALSE(parse_xml_datetime("2017-02-30T14:16:18Z"));  // no such day
  EXPECT_FALSE(parse_xml_datetime("2017-09-28 14:16:18Z"));
  EXPECT_FALSE(parse_xml_datetime(""));
}

TEST(ItkBase64, RoundTripsAndRefusesBadText) {
  for (std::string_view s : {"", "a", "ab", "abc", "abcd", "\x00\xff\x10 binary"}) {
    const std::string bytes(s);
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back) << bytes;
    EXPECT_EQ(*back, bytes);
  }
  auto wrapped = base64_decode("SGVs\r\n bG8=\n");  // line breaks as ITK payloads carry them
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(*wrapped, "Hello");
  EXPECT_FALSE(base64_decode("SGVsbG8"));   // length not a multiple of 4
  EXPECT_FALSE(base64_decode("SG=sbG8="));  // padding in the middle
  EXPECT_FALSE(base64_decode("SGVs*G8="));  // not in the alphabet
}

std::string read_ref(const std::string& path) {
  std::ifstream in(CAREGW_SOURCE_DIR "/../shared/reference/" + path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ItkEnvelope, BareDistributionEnvelopeIsReadButRefusedWithoutSoap) {
  // Source: shared/reference/tkw-x/ITK_DE.xml (a DistributionEnvelope with no SOAP around it).
  const std::string de = read_ref("tkw-x/ITK_DE.xml");
  ASSERT_FALSE(de.empty());
  const std::string id = tracking_id_of(de);
  EXPECT_FALSE(id.empty());
  Envelope e = parse_envelope(de);
  ASSERT_TRUE(e.fault);
  EXPECT_EQ(e.fault->code.code, "1000");
  EXPECT_EQ(e.tracking_id, id);  // still known, so the refusal can name it
  EXPECT_TRUE(e.infack_requested);
  EXPECT_FALSE(e.busack_requested);
}

TEST(ItkEnvelope, ReadsEveryPartOfTheTkwSoapSample) {
  // Source: shared/reference/tkw-x/ITK_SOAP.xml.
  Envelope e = parse_envelope(read_ref("tkw-x/ITK_SOAP.xml"));
  ASSERT_FALSE(e.fault) << e.fault->detail;
  EXPECT_EQ(e.soap.message_id, "D174645D-AD0E-4363-89EE-910A4BEF7201");
  EXPECT_EQ(e.soap.from, "http://127.0.0.1:4000/syncsoap");
  EXPECT_EQ(e.service, "urn:nhs-itk:services:201005:SendCDADocument-v2-0");
  ASSERT_EQ(e.addresses.size(), 3U);
  EXPECT_EQ(e.addresses[1].uri, "urn:nhs-uk:addressing:ods:X0913");
  EXPECT_EQ(e.audit_identity, "urn:nhs-uk:identity:ods:XZ901");
  ASSERT_EQ(e.manifest.size(), 1U);
  EXPECT_EQ(e.manifest[0].profileid,
            "urn:nhs-en:profile:ambulanceServiceSummaryPatientReport-v1-1");
  ASSERT_TRUE(e.sender_address);
  EXPECT_EQ(e.sender_address->uri, "urn:nhs-uk:addressing:ods:AAA:XZ901:XY7650987");
  ASSERT_EQ(e.payloads.size(), 1U);
  EXPECT_TRUE(is(e.payloads[0].element, kHl7v3Ns, "ClinicalDocument"));
}

TEST(ItkCda, AttachmentIsTheDocumentStandingAlone) {
  // Source: shared/reference/tkw-x/ITK_SOAP.xml: the CDA inside the envelope, written out with the
  // namespaces it uses (its npfitlc: elements) declared on it.
  Envelope e = parse_envelope(read_ref("tkw-x/ITK_SOAP.xml"));
  ASSERT_FALSE(e.fault);
  auto xml = serialize(e.payloads[0].element);
  ASSERT_TRUE(xml);
  auto tree = XmlTree::parse(*xml);
  ASSERT_TRUE(tree) << tree.error().detail;
  EXPECT_TRUE(is(tree->root(), kHl7v3Ns, "ClinicalDocument"));
  const xmlNode* message_type = child(tree->root(), "NPFIT:HL7:Localisation", "messageType");
  ASSERT_NE(message_type, nullptr);
  EXPECT_EQ(attr(message_type, "extension").value_or(""), "POCD_MT030001UK01");
}

TEST(ItkCda, StableIdsFitFhirIdRules) {
  EXPECT_EQ(stable_id("itk-doc-", "D4059820-1ACB-400A-B61D-A0A900A3D11F"),
            "itk-doc-D4059820-1ACB-400A-B61D-A0A900A3D11F");
  const std::string hashed = stable_id("itk-enc-", "1.2.3", "an extension with spaces");
  EXPECT_EQ(hashed.size(), 8U + 16U);
  EXPECT_EQ(hashed, stable_id("itk-enc-", "1.2.3", "an extension with spaces"));
  EXPECT_NE(hashed, stable_id("itk-enc-", "1.2.3", "another extension"));
}

}  // namespace
}  // namespace gw::adapters::itk
