// parse_json's fast path (simdjson) answers exactly what the reference path (RapidJSON alone,
// gateway/fhir/json_reference.hpp) answers: the same document, number types and bits included,
// or the same refusal with the same byte offset.
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/json_reference.hpp"

namespace gw::fhir {
namespace {

/** describe: the value with every number's RapidJSON type flags and bits, so two documents that
 * json_equal or to_json would call the same still differ here if a number's type differs. */
void describe(const rapidjson::Value& v, std::string& out) {
  if (v.IsObject()) {
    out += '{';
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      out.append(m->name.GetString(), m->name.GetStringLength()).append(":");
      describe(m->value, out);
      out += ',';
    }
    out += '}';
  } else if (v.IsArray()) {
    out += '[';
    for (const auto& item : v.GetArray()) {
      describe(item, out);
      out += ',';
    }
    out += ']';
  } else if (v.IsNumber()) {
    out.append("n(")
        .append(v.IsInt() ? "i" : "")
        .append(v.IsUint() ? "u" : "")
        .append(v.IsInt64() ? "I" : "")
        .append(v.IsUint64() ? "U" : "")
        .append(v.IsDouble() ? "d" : "")
        .append(")");
    out += v.IsDouble()   ? std::to_string(std::bit_cast<std::uint64_t>(v.GetDouble()))
           : v.IsUint64() ? std::to_string(v.GetUint64())
                          : std::to_string(v.GetInt64());
  } else if (v.IsString()) {
    out.append("s(").append(std::to_string(v.GetStringLength())).append(")");
    out.append(v.GetString(), v.GetStringLength());
  } else {
    out += v.IsNull() ? "null" : v.IsTrue() ? "true" : "false";
  }
}

std::string outcome(const Result<Json>& r) {
  if (!r) {
    return "error " + std::to_string(static_cast<int>(r.error().code)) + ": " + r.error().detail;
  }
  std::string out;
  describe(*r, out);
  return out;
}

void expect_same(std::string_view text, const ParseLimits& limits = {}) {
  EXPECT_EQ(outcome(parse_json(text, limits)), outcome(detail::parse_json_reference(text, limits)))
      << "input: " << text;
}

TEST(ParseJsonFastPath, NumbersKeepTheirTypeAndValue) {
  for (const char* n : {"0",
                        "-0",
                        "0.0",
                        "-0.0",
                        "[-0,0,-0.0]",
                        "1",
                        "-1",
                        "1.0",
                        "1e2",
                        "1E+2",
                        "100",
                        "0.1",
                        "3.14159265358979323846264338327950288",
                        "2147483647",
                        "2147483648",
                        "-2147483648",
                        "-2147483649",
                        "4294967295",
                        "4294967296",
                        "9223372036854775807",
                        "9223372036854775808",
                        "-9223372036854775808",
                        "-9223372036854775809",
                        "18446744073709551615",
                        "18446744073709551616",
                        "123456789012345678901234567890",
                        "1e-400",
                        "1e400",
                        "-1e400",
                        "4.9e-324",
                        "2.2250738585072014e-308",
                        "2.2250738585072011e-308",
                        "1.7976931348623157e308",
                        "1.7976931348623159e308",
                        "0.30000000000000004",
                        "9007199254740993",
                        "9007199254740993.0",
                        "1.5e-7",
                        "[1, 2.5, -3e-2]",
                        "01",
                        "1.",
                        ".5",
                        "-",
                        "1e",
                        "+1",
                        "1.0e+",
                        "0x10",
                        "NaN",
                        "Infinity"}) {
    expect_same(n);
    expect_same(std::string(R"({"valueQuantity":{"value":)") + n + "}}");
  }
  expect_same("[" + std::string(101, '1') + "]");
  expect_same("[0." + std::string(120, '0') + "1]");
}

TEST(ParseJsonFastPath, StringsAndEscapesMatch) {
  const std::vector<std::string> inputs{
      R"("")",
      R"("plain")",
      R"("\u0000")",
      R"("a\u00e9\ud83d\ude00b")",
      R"("\ud800")",
      R"("\ud800\u0041")",
      R"("\ud800x")",
      R"("\udc00")",
      R"("x\udc00\ud800")",
      R"("\/\"\\")",
      R"("\b\f\n\r\t")",
      R"("\x")",
      R"("\u12")",
      R"("\u12G4")",
      std::string("\"a\x01") + "b\"",
      std::string("\"a\0b\"", 5),
      "\"\xc3\xa9\"",
      "\"\xc3\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xf0\x9f\x98\x80\"",
      "\"\xef\xbf\xbe\"",
      "\"\x7f\"",
      "\"" + std::string(70, 'x') + "\\u00e9" + std::string(40, 'y') + "\"",
      "[\"\xe9\"]",
      "{\"\xc3\xa9\":1}",
      "{\"\xe9\":1}",
      "\"unterminated"};
  for (const std::string& s : inputs) {
    expect_same(s);
  }
}

TEST(ParseJsonFastPath, SyntaxWhitespaceAndTrailingBytesMatch) {
  const std::vector<std::string> inputs{std::string(""),
                                        std::string(" "),
                                        std::string("{}"),
                                        std::string(" \t\r\n{ } \n"),
                                        std::string("{} x"),
                                        std::string("{} {}"),
                                        std::string("{}\0", 3),
                                        std::string("\0{}", 3),
                                        std::string("\xEF\xBB\xBF{}"),
                                        std::string("[1,]"),
                                        std::string(R"({"a":1,})"),
                                        std::string(R"({"a" 1})"),
                                        std::string("[true,false,null]"),
                                        std::string("nul"),
                                        std::string("tru"),
                                        std::string("true"),
                                        std::string("[\x0c]"),
                                        std::string("{\"a\":[],\"b\":{},\"c\":[[],{}]}"),
                                        std::string("\"top\""),
                                        std::string("[1 2]"),
                                        std::string("{\"a\":1 \"b\":2}"),
                                        std::string("{1:2}")};
  for (const std::string& s : inputs) {
    expect_same(s);
  }
}

TEST(ParseJsonFastPath, RepeatedKeysAndDepthGiveTheReferenceRefusal) {
  expect_same(R"({"a":1,"a":2})");
  expect_same(R"({"a":{"b":1,"b":2}})");
  expect_same(R"([{"b":1},{"b":2}])");
  std::string many = "{";
  for (int i = 0; i < 40; ++i) {
    many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  expect_same(many + "\"z\":0}");
  expect_same(many + "\"k3\":0}");
  expect_same(many + "\"k39\":0}");
  expect_same(std::string(100, '[') + std::string(100, ']'));
  expect_same(std::string(101, '[') + std::string(101, ']'));
  expect_same(std::string(3000, '[') + std::string(3000, ']'));
  ParseLimits shallow;
  shallow.max_depth = 3;
  expect_same(R"({"a":{"b":{"c":1}}})", shallow);
  expect_same(R"({"a":{"b":[]}})", shallow);
  ParseLimits small;
  small.max_bytes = 8;
  expect_same(R"({"resourceType":"Patient"})", small);
}

TEST(ParseJsonFastPath, LargeDocumentsUseTheirOwnParserAndStillMatch) {
  std::string big = R"({"resourceType":"Bundle","entry":[)";
  for (int i = 0; i < 6000; ++i) {
    big += (i != 0 ? "," : "");
    big += R"({"resource":{"resourceType":"Observation","id":"o)" + std::to_string(i) +
           R"(","valueQuantity":{"value":)" + std::to_string(i) + R"(.25,"unit":"mm[Hg]"}}})";
  }
  big += "]}";
  ASSERT_GT(big.size(), std::size_t{256} * 1024);
  expect_same(big);
  expect_same(big + "x");
  // And a small one after it on the same thread still uses a clean parser.
  expect_same(R"({"resourceType":"Patient","id":"p1"})");
}

}  // namespace
}  // namespace gw::fhir

namespace gw::fhir {
namespace {

// A zero whose power of ten is below -22 or above 37 sends RapidJSON 1.1's full-precision
// reading into normalising a zero significand (undefined behaviour; 0e-325 read as 5.29e-23,
// found by the fhir_json fuzz target): both paths refuse it, naming the byte.
TEST(ParseJsonFastPath, AZeroRapidJsonWouldMisreadIsRefusedWhereItIs) {
  for (const std::string number :
       {"0e-325", "-0e-23", "0e38", "0.000000000000000000000000", "0.0e-22", "0E+40"}) {
    const std::string text = R"({"v":)" + number + "}";
    const auto fast = parse_json(text);
    const auto reference = detail::parse_json_reference(text);
    ASSERT_FALSE(fast) << number;
    ASSERT_FALSE(reference) << number;
    EXPECT_EQ(fast.error().detail, reference.error().detail);
    EXPECT_NE(fast.error().detail.find("at byte 5"), std::string::npos) << fast.error().detail;
    EXPECT_NE(fast.error().detail.find("a zero written with a power of ten"), std::string::npos);
  }
  // Zeros RapidJSON reads on its fast path, and numbers that are not zero, are unchanged.
  for (const std::string number :
       {"0", "-0", "0.0", "0e5", "0e-22", "0e37", "0.0e-21", "1e-30", "5e-300", "0.5"}) {
    const std::string text = R"({"v":)" + number + "}";
    const auto fast = parse_json(text);
    ASSERT_TRUE(fast) << number << ": " << fast.error().detail;
    const auto reference = detail::parse_json_reference(text);
    ASSERT_TRUE(reference) << number;
    EXPECT_EQ(to_json(*fast), to_json(*reference)) << number;
  }
}

}  // namespace
}  // namespace gw::fhir
