// HL7 ACKs: header swapped, MSA codes, ERR locations (ERR-2 in 2.5+, ERR-1 before) and reasons,
// and an answer even for input that is not HL7 at all.
#include "adapters/hl7v2/ack.hpp"

#include <deque>

#include <gtest/gtest.h>

#include "adapters/hl7v2/adapter.hpp"
#include "adapters/hl7v2/message.hpp"
#include "tests/unit/adapters/hl7v2/hl7v2_fixture.hpp"

namespace gw::adapters::hl7v2 {
namespace {

ingest::AckRequest rejected(std::string detail) {
  ingest::AckRequest a;
  a.code = ingest::AckRequest::Code::kRejected;
  a.error = make_error(Errc::kUnprocessable, std::move(detail));
  a.ack_id = "ACK-1";
  return a;
}

/** parsed: the ACK parsed back with our own parser (it must be valid HL7). The text is kept
 * for the test's lifetime: a Message views the buffer it was parsed from. */
Message parsed(std::string ack) {
  static std::deque<std::string> kept;
  kept.push_back(std::move(ack));
  auto m = Message::parse(kept.back());
  EXPECT_TRUE(m) << kept.back();
  return m ? std::move(*m) : *Message::parse("MSH|^~\\&|X|X\r");
}

TEST(Hl7v2Ack, AcceptSwapsSenderAndReceiverAndEchoesTheControlId) {
  // ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A01_ADT_A01.hl7
  const std::string body = test::read_sample("ITK_v2.4_ADT_A01_ADT_A01.hl7");
  ingest::AckRequest ok;
  ok.ack_id = "GW-0001";
  const std::string ack = build_ack(body, ok);
  const Message m = parsed(ack);
  EXPECT_EQ(m.get("MSH", 3), "ROUTE");
  EXPECT_EQ(m.get("MSH", 4), "ROUTE");
  EXPECT_EQ(m.get("MSH", 5), "PAS");
  EXPECT_EQ(m.get("MSH", 6), "RCB");
  EXPECT_EQ(m.get("MSH", 9, 1, 1), "ACK");
  EXPECT_EQ(m.get("MSH", 9, 1, 2), "A01");
  EXPECT_EQ(m.get("MSH", 10), "GW-0001");
  EXPECT_EQ(m.get("MSH", 12), "2.4");
  EXPECT_EQ(m.get("MSA", 1), "AA");
  EXPECT_EQ(m.get("MSA", 2), "1391320453338055");
  EXPECT_EQ(m.find("ERR"), nullptr);
  EXPECT_EQ(m.get("MSH", 7), "");  // the caller gave no time
}

TEST(Hl7v2Ack, Msh7IsWhenTheGatewayAnsweredInUtc) {
  using namespace std::chrono;  // NOLINT(google-build-using-namespace): test arithmetic
  ingest::AckRequest ok;
  ok.ack_id = "GW-0002";
  ok.at = sys_days{year{2026} / 7 / 1} + hours{9} + minutes{5} + seconds{7} + milliseconds{250};
  const Message m = parsed(build_ack("MSH|^~\\&|A|B|C|D|20260701100500||ADT^A01|Z1|P|2.4\r", ok));
  EXPECT_EQ(m.get("MSH", 7), "20260701090507+0000");
  EXPECT_EQ(m.get("MSH", 10), "GW-0002");
}

TEST(Hl7v2Ack, Version25PointsAtTheFieldWithErr2) {
  const std::string body =
      "MSH|^~\\&|PAS|Z9A01|CAREGW|Z9A00|20260301101500||ADT^A01^ADT_A01|C77|P|2.5\r"
      "PID|1||RZZ1^^^RZZ^MR~1234567890^^^NHS^NH\r";
  const std::string ack =
      build_ack(body, rejected("PID-3(2).1: not a valid NHS number (wrong check digit)"));
  const Message m = parsed(ack);
  EXPECT_EQ(m.get("MSA", 1), "AR");
  EXPECT_EQ(m.get("MSA", 2), "C77");
  const Segment& err = *m.find("ERR");
  EXPECT_EQ(m.get(err, 2, 1, 1), "PID");
  EXPECT_EQ(m.get(err, 2, 1, 2), "1");
  EXPECT_EQ(m.get(err, 2, 1, 3), "3");
  EXPECT_EQ(m.get(err, 2, 1, 4), "2");
  EXPECT_EQ(m.get(err, 2, 1, 5), "1");
  EXPECT_EQ(m.get(err, 3, 1, 1), "102");
  EXPECT_EQ(m.get(err, 3, 1, 3), "HL70357");
  EXPECT_EQ(m.get(err, 4), "E");
  EXPECT_EQ(m.get(err, 8), "not a valid NHS number (wrong check digit)");
}

TEST(Hl7v2Ack, OlderVersionsUseErr1AndMsa3) {
  const std::string body = "MSH|^~\\&|PAS|RCB|||20260301||ADT^A01|C1|P|2.3\rPID|1||X\r";
  const Message m = parsed(build_ack(body, rejected("PV1-19: required field missing (visit)")));
  EXPECT_EQ(m.get("MSH", 9), "ACK");
  EXPECT_EQ(m.get("MSH", 9, 1, 2), "A01");
  EXPECT_EQ(m.get("MSA", 3), "PV1-19: required field missing (visit)");
  const Segment& err = *m.find("ERR");
  EXPECT_EQ(m.get(err, 1, 1, 1), "PV1");
  EXPECT_EQ(m.get(err, 1, 1, 2), "1");
  EXPECT_EQ(m.get(err, 1, 1, 3), "19");
  EXPECT_EQ(m.get(err, 1, 1, 4, 1), "101");
  EXPECT_EQ(m.get(err, 1, 1, 4, 2), "Required field missing");
}

TEST(Hl7v2Ack, CodesFollowTheReason) {
  EXPECT_EQ(error_code("MSH-9.1: unsupported message type (ADT and ORU are accepted)", true),
            "200");
  EXPECT_EQ(error_code("MSH-9.2: unsupported event ADT^A99", true), "201");
  EXPECT_EQ(error_code("MSH-12: unsupported version id (HL7 v2.x only)", true), "203");
  EXPECT_EQ(error_code("PID-7: bad date (expected ...)", true), "102");
  EXPECT_EQ(error_code("OBX-0: segment sequence error (OBX before any OBR)", true), "100");
  EXPECT_EQ(error_code("journal unavailable", false), "207");
}

TEST(Hl7v2Ack, TranslateErrorsRoundTripIntoTheAck) {
  // What translate() refuses with is what the ACK points at (adapter.hpp location convention).
  const auto adapter = make_hl7v2_adapter();
  const mapping::Mapper mapper(test::shipped_mappings(), nullptr);
  // ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A28_ADT_A05.hl7: PID-7 has month 13.
  const std::string body = test::read_sample("ITK_v2.4_ADT_A28_ADT_A05.hl7");
  auto t = adapter->translate(test::ods("RCB"), body, mapper);
  ASSERT_FALSE(t);
  ingest::AckRequest a;
  a.code = ingest::AckRequest::Code::kRejected;
  a.error = t.error();
  a.ack_id = "A2";
  const Message m = parsed(adapter->acknowledge(body, a));
  EXPECT_EQ(m.get("MSA", 1), "AR");
  EXPECT_EQ(m.get("MSA", 2), "13403891320453338075");
  EXPECT_EQ(m.get("ERR", 1, 1, 1), "PID");
  EXPECT_EQ(m.get("ERR", 1, 1, 3), "7");
  EXPECT_EQ(m.get("ERR", 1, 1, 4, 1), "102");
}

TEST(Hl7v2Ack, TemporaryFailureIsAe) {
  ingest::AckRequest a;
  a.code = ingest::AckRequest::Code::kError;
  a.error = make_error(Errc::kUnavailable, "the journal is busy");
  a.ack_id = "A3";
  const Message m = parsed(build_ack("MSH|^~\\&|A|B|C|D|||ADT^A01|Z1|P|2.5.1\r", a));
  EXPECT_EQ(m.get("MSA", 1), "AE");
  EXPECT_EQ(m.get("ERR", 3, 1, 1), "207");
  EXPECT_EQ(m.get("ERR", 8), "the journal is busy");
  EXPECT_EQ(m.get("ERR", 2), "");  // no location to point at
}

TEST(Hl7v2Ack, WarningsGoInErrWithSeverityW) {
  ingest::AckRequest a;
  a.ack_id = "A4";
  a.warnings = {"PID-8: sex code not in the mappings; read as female"};
  const Message m = parsed(build_ack("MSH|^~\\&|A|B|C|D|||ADT^A01|Z1|P|2.5\r", a));
  EXPECT_EQ(m.get("MSA", 1), "AA");
  EXPECT_EQ(m.get("ERR", 4), "W");
  EXPECT_EQ(m.get("ERR", 2, 1, 3), "8");
}

TEST(Hl7v2Ack, GarbageStillGetsAMinimalRejection) {
  for (std::string_view body : {std::string_view{}, std::string_view{"hello world"},
                                std::string_view{"MSH|^^^^|broken|||||||ID9|P|2.4"},
                                std::string_view{"\x00\xff\x0b\x1c", 4}}) {
    const std::string ack = build_ack(body, rejected("MSH: the message does not start with MSH"));
    const Message m = parsed(ack);
    EXPECT_EQ(m.get("MSA", 1), "AR");
    EXPECT_EQ(m.get("MSH", 12), "2.4");
    EXPECT_EQ(m.get("ERR", 1, 1, 1), "MSH");
  }
  const Message m = parsed(build_ack("MSH|^^^^|broken|||||||ID9|P|2.4", rejected("MSH-2: bad")));
  EXPECT_EQ(m.get("MSA", 2), "ID9");  // the control id is still answered
}

TEST(Hl7v2Ack, AVersionThatIsNotOneIsNotEchoed) {
  // Found by hl7v2_fuzz (tests/fuzz/corpus/hl7v2/crash-ack-version-with-line-break.hl7).
  const Message m = parsed(build_ack("MSH|^~\\&|A|B|C|D|||ADT^A01|Z1|P|2.\\.br\\4\r",
                                     rejected("MSH-12: unsupported version id")));
  EXPECT_EQ(m.segments().size(), 3U);
  EXPECT_EQ(m.get("MSH", 12), "2.4");
}

TEST(Hl7v2Ack, TextIsEscapedForTheDelimiters) {
  const Message m = parsed(build_ack("MSH|^~\\&|A|B|C|D|||ADT^A01|Z1|P|2.5\r",
                                     rejected("PID-5: odd | text ^ with & delimiters ~ \\")));
  EXPECT_EQ(m.get("ERR", 8), "odd | text ^ with & delimiters ~ \\");
}

}  // namespace
}  // namespace gw::adapters::hl7v2
