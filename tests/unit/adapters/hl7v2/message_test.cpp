// The HL7 v2 parser: delimiters, escapes, repetitions, components, null vs empty, terminators,
// limits and error locations.
#include "adapters/hl7v2/message.hpp"

#include <gtest/gtest.h>

#include "tests/unit/adapters/hl7v2/hl7v2_fixture.hpp"

namespace gw::adapters::hl7v2 {
namespace {

constexpr std::string_view kMsg =
    "MSH|^~\\&|PAS|RCB|ROUTE|ROUTE|201010101418||ADT^A01^ADT_A01|MSG0001|P|2.4\r"
    "PID|1||111^^^NHS^NH~RZZ001^^^RZZ^MR||DOE^JANE^Q^^MS||19700102|F\r"
    "ZU1|1|local&sub|\"\"\r";

TEST(Hl7v2Message, ReadsFieldsRepetitionsComponentsAndSubComponents) {
  auto m = Message::parse(kMsg);
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->segments().size(), 3U);
  EXPECT_EQ(m->get("MSH", 1), "|");
  EXPECT_EQ(m->get("MSH", 2), "^~\\&");
  EXPECT_EQ(m->get("MSH", 9, 1, 2), "A01");
  EXPECT_EQ(m->get("MSH", 10), "MSG0001");
  EXPECT_EQ(m->get("PID", 3, 2, 1), "RZZ001");
  EXPECT_EQ(m->get("PID", 3, 2, 5), "MR");
  EXPECT_EQ(m->repetitions(*m->find("PID"), 3), 2);
  EXPECT_EQ(m->get("PID", 5, 1, 2), "JANE");
  EXPECT_EQ(m->get("ZU1", 2, 1, 1, 2), "sub");  // Z-segments are kept and read like any other
  EXPECT_EQ(m->get("PID", 99), "");
  EXPECT_EQ(m->get("PV1", 1), "");
}

TEST(Hl7v2Message, TellsNullFromEmpty) {
  auto m = Message::parse(kMsg);
  ASSERT_TRUE(m);
  const Segment& z = *m->find("ZU1");
  EXPECT_EQ(m->presence(z, 3), Presence::kNull);
  EXPECT_EQ(m->get(z, 3), "");
  EXPECT_EQ(m->presence(z, 4), Presence::kAbsent);
  EXPECT_EQ(m->presence(z, 1), Presence::kPresent);
}

TEST(Hl7v2Message, TakesDelimitersFromMsh) {
  auto m =
      Message::parse("MSH#*@!%#PAS#RCB#####ADT*A08#X1#P#2.5\nPID#1##A1!F!1*2%3@B2##SMITH*ANN\n");
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->delimiters().component, '*');
  EXPECT_EQ(m->delimiters().repetition, '@');
  EXPECT_EQ(m->delimiters().subcomponent, '%');
  EXPECT_EQ(m->get("MSH", 9, 1, 2), "A08");
  EXPECT_EQ(m->get("PID", 3, 1, 1), "A1#1");  // !F! is the escaped field separator
  EXPECT_EQ(m->get("PID", 3, 1, 2, 2), "3");
  EXPECT_EQ(m->get("PID", 3, 2, 1), "B2");
}

TEST(Hl7v2Message, DecodesEscapeSequences) {
  auto m = Message::parse(
      "MSH|^~\\&|A|B|||||X|P|2.4\r"
      "NTE|1||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\X41C3A9\\h\\H\\bold\\N\\\r");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get("NTE", 3),
            "a|b^c&d~e\\f\ngA\xC3\xA9h"
            "bold");
}

TEST(Hl7v2Message, ReadsLatin1AsUtf8) {
  auto m = Message::parse("MSH|^~\\&|A|B|||||X|P|2.4\rPID|1||1||J\xF6rg\r");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get("PID", 5), "J\xC3\xB6rg");
}

TEST(Hl7v2Message, ReadsMalformedUtf8AsLatin1) {
  // Bytes that only look like UTF-8 are read as Latin-1, so the text is valid UTF-8 either way:
  // an encoded UTF-16 surrogate (ED BE BE, found by hl7v2_fuzz), an overlong form (E0 80 80) and
  // a code point past U+10FFFF (F4 90 80 80). Well-formed UTF-8 is kept as sent.
  auto m = Message::parse(
      "MSH|^~\\&|A|B|||||X|P|2.4\rPID|1||\xED\xBE\xBEZZ^\xE0\x80\x80^\xF4\x90\x80\x80^"
      "\xED\x9F\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\r");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get("PID", 3, 1, 1), "\xC3\xAD\xC2\xBE\xC2\xBEZZ");
  EXPECT_EQ(m->get("PID", 3, 1, 2), "\xC3\xA0\xC2\x80\xC2\x80");
  EXPECT_EQ(m->get("PID", 3, 1, 3), "\xC3\xB4\xC2\x90\xC2\x80\xC2\x80");
  EXPECT_EQ(m->get("PID", 3, 1, 4), "\xED\x9F\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF");
}

TEST(Hl7v2Message, ToleratesCrLfCrlfBlankLinesAndMllpFraming) {
  for (std::string_view sep : {"\r", "\n", "\r\n", "\n\n"}) {
    const std::string text = "\x0bMSH|^~\\&|A|B|||||ADT^A01|1|P|2.4" + std::string(sep) +
                             "PID|1||X" + std::string(sep) + "\x1c\r";
    auto m = Message::parse(text);
    ASSERT_TRUE(m) << m.error().detail;
    EXPECT_EQ(m->segments().size(), 2U);
    EXPECT_EQ(m->get("PID", 3), "X");
  }
}

TEST(Hl7v2Message, ReadsThePublicItkSamples) {
  // ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A01_ADT_A01.hl7 (CR separated, with
  // ZU1/ZU3/ZU4/ZU8 Z-segments).
  const std::string text = test::read_sample("ITK_v2.4_ADT_A01_ADT_A01.hl7", true);
  auto m = Message::parse(text);
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->get("MSH", 12), "2.4");
  EXPECT_EQ(m->get("PID", 3, 1, 4), "NHS");
  EXPECT_EQ(m->get("PD1", 3, 1, 3), "Y06601");
  EXPECT_EQ(m->get("PV1", 19, 1, 1), "2139");
  EXPECT_NE(m->find("ZU8"), nullptr);
}

struct BadCase {
  std::string text;
  std::string where;
};

TEST(Hl7v2Message, RefusesMalformedInputSayingWhere) {
  const std::vector<BadCase> cases = {
      {"", "MSH: "},
      {"PID|1||X\rMSH|^~\\&|A", "MSH: "},
      {"MSH|^~|A|B\r", "MSH-2: "},
      {"MSH|^^\\&|A|B\r", "MSH-2: "},
      {"MSH|^~\\&|A|B|||||ADT^A01|1|P|2.4\rPID|1\rpv1|1\r", "segment 3: "},
      {"MSH|^~\\&|A|B|||||ADT^A01|1|P|2.4\rMSH|^~\\&|A\r", "segment 2: "},
  };
  for (const auto& c : cases) {
    auto m = Message::parse(c.text);
    ASSERT_FALSE(m) << c.text;
    EXPECT_EQ(m.error().detail.rfind(c.where, 0), 0U) << m.error().detail;
    EXPECT_EQ(m.error().code, Errc::kBadRequest);
  }
}

TEST(Hl7v2Message, EnforcesSizeLimits) {
  ParseLimits limits;
  limits.max_bytes = 64;
  EXPECT_FALSE(Message::parse(std::string(kMsg), limits));
  limits = {};
  limits.max_segments = 2;
  EXPECT_FALSE(Message::parse(kMsg, limits));
  limits = {};
  limits.max_fields = 5;
  EXPECT_FALSE(Message::parse(kMsg, limits));
  EXPECT_TRUE(Message::parse(kMsg));
}

TEST(Hl7v2Location, WritesAndReadsBack) {
  Location l;
  l.segment = "OBX";
  l.occurrence = 2;
  l.field = 5;
  l.repetition = 3;
  l.component = 1;
  l.subcomponent = 2;
  EXPECT_EQ(l.str(), "OBX[2]-5(3).1.2");
  Location back;
  ASSERT_TRUE(Location::parse(l.str(), back));
  EXPECT_EQ(back.str(), l.str());
  ASSERT_TRUE(Location::parse("PID-3", back));
  EXPECT_EQ(back.field, 3);
  EXPECT_FALSE(Location::parse("not a place", back));
  EXPECT_FALSE(Location::parse("PID-x", back));
}

TEST(Hl7v2Datetime, ConvertsToFhirWithUkOffsets) {
  std::string out;
  ASSERT_TRUE(to_fhir_datetime("19651213", out));
  EXPECT_EQ(out, "1965-12-13");
  ASSERT_TRUE(to_fhir_datetime("196512", out));
  EXPECT_EQ(out, "1965-12");
  ASSERT_TRUE(to_fhir_datetime("201001021215", out));  // January: GMT
  EXPECT_EQ(out, "2010-01-02T12:15:00+00:00");
  ASSERT_TRUE(to_fhir_datetime("201010101400", out));  // October before the change: BST
  EXPECT_EQ(out, "2010-10-10T14:00:00+01:00");
  ASSERT_TRUE(to_fhir_datetime("20100328005959", out));  // last Sunday of March, before 01:00
  EXPECT_EQ(out, "2010-03-28T00:59:59+00:00");
  ASSERT_TRUE(to_fhir_datetime("20101010140000.123-0500^S", out));
  EXPECT_EQ(out, "2010-10-10T14:00:00-05:00");
  EXPECT_FALSE(to_fhir_datetime("196513121515", out));  // month 13
  EXPECT_FALSE(to_fhir_datetime("20100230", out));      // 30 February
  EXPECT_FALSE(to_fhir_datetime("2010-01-01", out));
  EXPECT_FALSE(to_fhir_datetime("201001011", out));
}

TEST(Hl7v2Datetime, TimePointsAreUtc) {
  using namespace std::chrono;  // NOLINT(google-build-using-namespace): test arithmetic
  system_clock::time_point t{};
  ASSERT_TRUE(to_time_point("201010101400", t));  // BST: 13:00 UTC
  EXPECT_EQ(t, sys_days{year{2010} / 10 / 10} + hours{13});
  ASSERT_TRUE(to_time_point("20100102121500-0500", t));
  EXPECT_EQ(t, sys_days{year{2010} / 1 / 2} + hours{17} + minutes{15});
  EXPECT_FALSE(to_time_point("20100102", t));  // a date alone is not a moment
  EXPECT_FALSE(to_time_point("garbage", t));
  // A valid DTM the clock cannot hold (found by fuzzing: it overflowed) is refused, not wrapped.
  EXPECT_FALSE(to_time_point("99991231235959+0000", t));
  EXPECT_FALSE(to_time_point("16000101120000+0000", t));
  ASSERT_TRUE(to_time_point("22611231235959+0000", t));
  EXPECT_EQ(t, sys_days{year{2261} / 12 / 31} + hours{23} + minutes{59} + seconds{59});
}

}  // namespace
}  // namespace gw::adapters::hl7v2
