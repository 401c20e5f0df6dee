// Strict JSON parsing: hostile input is refused with a clear error, bounded in time and memory.
#include "gateway/fhir/json.hpp"

#include <string>

#include <gtest/gtest.h>

namespace gw::fhir {
namespace {

std::string error_of(std::string_view text, const ParseLimits& limits = {}) {
  auto r = parse_json(text, limits);
  return r ? std::string{} : r.error().detail;
}

TEST(ParseJson, ParsesAResource) {
  auto r = parse_json(R"({"resourceType":"Patient","active":true,"multipleBirthInteger":2})");
  ASSERT_TRUE(r);
  EXPECT_STREQ((*r)["resourceType"].GetString(), "Patient");
  EXPECT_TRUE((*r)["active"].GetBool());
}

TEST(ParseJson, RefusesSyntaxErrorsWithTheOffset) {
  EXPECT_EQ(error_of(R"({"a":1,})").rfind("invalid JSON at byte 7", 0), 0U)
      << error_of(R"({"a":1,})");
  EXPECT_NE(error_of("").find("invalid JSON at byte 0"), std::string::npos);
  EXPECT_NE(error_of("{} {}").find("invalid JSON"), std::string::npos);
}

TEST(ParseJson, RefusesDeepNestingWithoutRecursing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(error_of(deep).find("nesting deeper than 100 levels"), std::string::npos);
  std::string ok = std::string(99, '[') + std::string(99, ']');
  EXPECT_EQ(error_of(ok), "");
}

TEST(ParseJson, RefusesDuplicateKeys) {
  EXPECT_NE(error_of(R"({"a":{"b":1,"b":2}})").find("key 'b' appears twice in one object"),
            std::string::npos);
  // The same key in sibling objects is fine.
  EXPECT_EQ(error_of(R"([{"b":1},{"b":2}])"), "");
}

TEST(ParseJson, RefusesInvalidUtf8) {
  EXPECT_NE(error_of("{\"a\":\"\xC3\x28\"}").find("invalid JSON"), std::string::npos);
  EXPECT_NE(error_of("{\"a\":\"\xED\xA0\x80\"}").find("invalid JSON"),
            std::string::npos);  // surrogate
}

TEST(ParseJson, RefusesEscapedLoneSurrogatesAndKeepsPairsAndEscapedBackslashes) {
  // Found by the policy_explain fuzz target: "\udddd" decoded to bytes that are not UTF-8, so
  // the document's own JSON no longer parsed.
  EXPECT_NE(error_of(R"({"a":"x\udddd"})").find("lone UTF-16 surrogate"), std::string::npos);
  EXPECT_NE(error_of(R"({"a":"\uDC00"})").find("at byte 6"), std::string::npos);
  EXPECT_NE(error_of(R"({"a":"\ud83d x \ude00"})").find("lone UTF-16 surrogate"),
            std::string::npos);  // a low surrogate that does not follow its high one
  auto pair = parse_json(R"({"a":"\ud83d\ude00"})");  // U+1F600, a real pair
  ASSERT_TRUE(pair) << pair.error().detail;
  EXPECT_EQ(std::string((*pair)["a"].GetString()), "\xF0\x9F\x98\x80");
  auto escaped = parse_json(R"({"a":"\\udddd"})");  // a backslash, then the text "udddd"
  ASSERT_TRUE(escaped) << escaped.error().detail;
  EXPECT_EQ(std::string((*escaped)["a"].GetString()), "\\udddd");
}

TEST(ParseJson, FindsLoneSurrogatesAndStringEndsAfterLongRunsOfText) {
  // Long runs of plain text are skipped sixteen bytes at a time: the escape, the closing quote
  // and the number after it must still be found wherever they fall in a block.
  for (std::size_t run = 0; run < 40; ++run) {
    const std::string text(run, 'x');
    const std::string lone = "{\"a\":\"" + text + "\\udddd\"}";
    EXPECT_NE(error_of(lone).find("at byte " + std::to_string(6 + run)), std::string::npos) << run;
    const std::string paired = "{\"a\":\"" + text + "\\ud83d\\ude00" + text + "\"}";
    EXPECT_EQ(error_of(paired), "") << run;
    const std::string long_number = "{\"a\":\"" + text + "\",\"n\":" + std::string(101, '1') + "}";
    EXPECT_NE(error_of(long_number).find("at byte " + std::to_string(12 + run)), std::string::npos)
        << run;
  }
}

TEST(ParseJson, RefusesNumbersADoubleCannotHoldAndNulBytes) {
  // Found by the fhir_json fuzz target: "7e-325" (an underflow) read as a value whose JSON text
  // did not read back the same; and a NUL byte ended the document early, so what followed it
  // was silently ignored.
  for (const char* n : {"7e-325", "[1e400]", "{\"a\":-1e-310}", "{\"a\":1.0e309}"}) {
    EXPECT_NE(error_of(n).find("a number outside the range of a double"), std::string::npos) << n;
  }
  EXPECT_NE(error_of("{\"a\":1,\"b\":7e-325}").find("at byte 11"), std::string::npos);
  for (const char* n : {"0", "-0.0", "0e-400", "1.5e-300", "-2.2250738585072014e-308", "1e308"}) {
    auto doc = parse_json(n);
    ASSERT_TRUE(doc) << n << ": " << doc.error().detail;
    auto again = parse_json(to_json(*doc));
    ASSERT_TRUE(again) << n;
    EXPECT_TRUE(json_equal(*doc, *again)) << n;
  }
  const std::string nul("{\"a\":1}\0{\"b\":2}", 15);
  EXPECT_NE(error_of(nul).find("at byte 7: a NUL byte"), std::string::npos) << error_of(nul);
}

TEST(ParseJson, RefusesNumberTokensLongerThanAHundredCharacters) {
  // Found by the policy_explain fuzz target: RapidJSON 1.1's full-precision strtod read out of
  // bounds on a decimal with hundreds of leading zeros (Tencent/rapidjson#1251).
  const std::string tiny = "{\"n\":0." + std::string(400, '0') + "2121548083889635328}";
  EXPECT_NE(error_of(tiny).find("a number longer than 100 characters"), std::string::npos);
  const std::string ok_number = "{\"n\":0." + std::string(90, '0') + "1}";
  EXPECT_TRUE(parse_json(ok_number));
  // Digits inside strings are text, not numbers.
  EXPECT_TRUE(parse_json("{\"s\":\"" + std::string(500, '7') + "\"}"));
}

TEST(ParseJson, RefusesNumbersOutOfRange) {
  EXPECT_NE(error_of(R"({"n":1e400})").find("invalid JSON"), std::string::npos);
}

TEST(ParseJson, BoundsSize) {
  ParseLimits small;
  small.max_bytes = 16;
  auto r = parse_json(R"({"resourceType":"Patient"})", small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kPayloadTooLarge);
}

TEST(ParseJson, HugeFlatArrayIsFine) {
  std::string big = "[";
  for (int i = 0; i < 200000; ++i) {
    big += (i ? ",1" : "1");
  }
  big += "]";
  auto r = parse_json(big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Size(), 200000U);
}

TEST(JsonEqual, IgnoresKeyOrderAndNumberSpelling) {
  auto a = parse_json(R"({"a":1,"b":[1.0,"x"],"c":{"d":null}})");
  auto b = parse_json(R"({"c":{"d":null},"b":[1,"x"],"a":1.0})");
  auto c = parse_json(R"({"c":{"d":null},"b":["x",1],"a":1})");
  ASSERT_TRUE(a && b && c);
  EXPECT_TRUE(json_equal(*a, *b));
  EXPECT_FALSE(json_equal(*a, *c));  // array order matters
  EXPECT_EQ(to_json(*a), R"({"a":1,"b":[1.0,"x"],"c":{"d":null}})");
}

// RapidJSON 1.1 does not say an object's capacity: what the document's allocator hands out says
// it (a member is 32 bytes; names and literals below are referred to, not copied).
constexpr std::size_t kMemberBytes = sizeof(rapidjson::Value::Member);

TEST(ReserveMembers, AnEmptyObjectTakesRoomForExactlyTheMembersItWillHave) {
  Json doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  const std::size_t before = a.Size();
  rapidjson::Value coding(rapidjson::kObjectType);
  reserve_members(coding, 2, a);
  coding.AddMember("system", "http://snomed.info/sct", a);
  coding.AddMember("code", "22298006", a);
  EXPECT_EQ(a.Size() - before, 2 * kMemberBytes);  // not RapidJSON's sixteen
  EXPECT_EQ(to_json(coding), R"({"system":"http://snomed.info/sct","code":"22298006"})");
}

TEST(ReserveMembers, AFullObjectKeepsItsMembersInOrderWhenGivenMoreRoom) {
  auto doc = parse_json(R"({"resourceType":"Condition","id":"c1","subject":{"reference":"x"}})");
  ASSERT_TRUE(doc) << doc.error().detail;
  auto& a = doc->GetAllocator();
  const std::size_t before = a.Size();
  reserve_members(*doc, 4, a);  // parsed containers are exactly full: the three move
  rapidjson::Value meta(rapidjson::kObjectType);
  reserve_members(meta, 1, a);
  meta.AddMember("source", "urn:x", a);
  doc->AddMember("meta", meta, a);
  // Four members and one: AddMember alone would have taken five and sixteen.
  EXPECT_EQ(a.Size() - before, 5 * kMemberBytes);
  EXPECT_EQ(to_json(*doc), R"({"resourceType":"Condition","id":"c1","subject":{"reference":"x"},)"
                           R"("meta":{"source":"urn:x"}})");
}

TEST(ReserveMembers, RoomAlreadyThereOrNoObjectChangesNothing) {
  Json doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  rapidjson::Value o(rapidjson::kObjectType);
  reserve_members(o, 3, a);
  o.AddMember("a", 1, a);
  const std::size_t before = a.Size();
  reserve_members(o, 2, a);  // fewer than it has room for
  o.AddMember("b", 2, a);
  rapidjson::Value array(rapidjson::kArrayType);
  reserve_members(array, 5, a);
  EXPECT_EQ(a.Size(), before);
  EXPECT_TRUE(array.IsArray());
  EXPECT_EQ(to_json(o), R"({"a":1,"b":2})");
}

}  // namespace
}  // namespace gw::fhir
