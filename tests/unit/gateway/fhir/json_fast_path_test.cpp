// parse_json's fast path (simdjson) answers exactly what the reference path (RapidJSON alone,
// gateway/fhir/json_reference.hpp) answers: the same document, number types and bits included,
// or the same refusal with the same byte offset.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/json_reference.hpp"

namespace gw::fhir {
namespace {

/** raw: the value's bytes as RapidJSON 1.1 lays them out on x86-64: the flags in the last two,
 * an inline string's bytes and length slot before them, a container's size and capacity first. */
std::string raw(const rapidjson::Value& v) {
  unsigned char bytes[sizeof(rapidjson::Value)];
  std::memcpy(bytes, static_cast<const void*>(&v), sizeof bytes);
  const unsigned flags = bytes[14] | (unsigned{bytes[15]} << 8);
  constexpr unsigned kInlineString = 0x1000;  // RapidJSON's kInlineStrFlag
  // Pointers differ between two documents; everything else must not.
  const std::size_t shown =
      (flags & kInlineString) != 0 || !(v.IsString() || v.IsObject() || v.IsArray()) ? 14 : 8;
  std::string out = "<";
  for (std::size_t i = 0; i < shown; ++i) {
    out += std::to_string(bytes[i]) + ".";
  }
  return out + "f" + std::to_string(flags) + ">";
}

/** describe: the value with every number's RapidJSON type flags and bits, and the raw layout of
 * every value (raw), so two documents that json_equal or to_json would call the same still differ
 * here if a number's type or a value's flags differ. */
void describe(const rapidjson::Value& v, std::string& out) {
  out += raw(v);
  if (v.IsObject()) {
    out += '{';
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      out.append(raw(m->name)).append(m->name.GetString(), m->name.GetStringLength()).append(":");
      describe(m->value, out);
      out += ',';
    }
    out += '}';
  } else if (v.IsArray()) {
    // The capacity too: both paths give a parsed array exactly its size.
    out.append("a(").append(std::to_string(v.Capacity())).append(")[");
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
  expect_same(std::string("[").append(101, '1').append("]"));
  expect_same(std::string("[0.").append(120, '0').append("1]"));
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
      std::string("\"").append(70, 'x').append("\\u00e9").append(40, 'y').append("\""),
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

TEST(ParseJsonFastPath, ContainersOfEverySizeAndShapeMatch) {
  expect_same("[]");
  expect_same("{}");
  expect_same(R"([[],{},[[]],[{}],{"a":{}},{"a":[]},{"":[{}]}])");
  // Objects around the size where the repeated-key check changes method, with and without a
  // repeat (first, middle, last key), and a repeat nested under a large object.
  for (const int size : {1, 2, 15, 16, 17, 18, 100, 1000}) {
    std::string object = "{";
    std::string array = "[";
    for (int i = 0; i < size; ++i) {
      const std::string n = std::to_string(i);
      object.append(i != 0 ? "," : "").append("\"key").append(n).append("\":").append(n);
      array.append(i != 0 ? "," : "").append("\"s").append(n).append("\"");
    }
    expect_same(object + "}");
    expect_same(array + "]");
    expect_same(object + R"(,"key0":true})");
    expect_same(object + ",\"key" + std::to_string(size / 2) + "\":null}");
    expect_same(object + ",\"key" + std::to_string(size - 1) + "\":[]}");
    expect_same(object + R"(,"inner":{"x":1,"x":2}})");
    expect_same(R"({"outer":)" + object + R"(},"outer":1})");
    expect_same(R"({"a":)" + array + R"(],"b":)" + object + R"(},"c":{}})");
  }
  // Keys that differ only after a NUL or an escape, and repeats written with escapes.
  expect_same(std::string("{\"a\\u0000b\":1,\"a\\u0000c\":2}"));
  expect_same(std::string("{\"a\\u0000b\":1,\"a\\u0000b\":2}"));
  expect_same(R"({"\u0061":1,"a":2})");
  expect_same(R"({"\n":"\t","\"":"\\","é":"\u00e9","k":"a\u0000b"})");
  expect_same(R"(["short","exactly13chars","fourteen chars","\u0000\u0000"])");
}

TEST(ParseJsonFastPath, StringsOfEveryLengthAroundTheInlineLimitMatch) {
  // RapidJSON keeps strings of up to 13 bytes inside the value; the fast path builds those
  // itself. Each length as a key, a value, the last string of the text and the whole text, with
  // a NUL (escaped) at the start, the middle and the end.
  for (std::size_t length = 0; length <= 20; ++length) {
    std::string plain;
    for (std::size_t i = 0; i < length; ++i) {
      plain += static_cast<char>('a' + i);
    }
    std::vector<std::string> texts{plain};
    if (length > 0) {
      for (const std::size_t at : {std::size_t{0}, length / 2, length - 1}) {
        texts.push_back(plain.substr(0, at) + "\\u0000" + plain.substr(at + 1));
      }
    }
    for (const std::string& t : texts) {
      expect_same("\"" + t + "\"");
      expect_same("[\"" + t + "\"]");
      expect_same("{\"" + t + "\":\"" + t + "\",\"z\":[\"" + t + "\"]}");
      expect_same("{\"k\":1,\"" + t + "\":{\"" + t + "\":\"" + t + "\"}}");
    }
  }
}

TEST(ParseJsonFastPath, NestingAtTheLimitMatches) {
  for (const std::size_t depth : {std::size_t{1}, std::size_t{2}, std::size_t{50}}) {
    ParseLimits limits;
    limits.max_depth = depth;
    for (const std::size_t levels : {depth - 1, depth, depth + 1}) {
      std::string objects;
      std::string mixed;
      for (std::size_t i = 0; i < levels; ++i) {
        objects += R"({"k":)";
        mixed += i % 2 == 0 ? "[1," : R"({"a":)";
      }
      objects += "0";
      mixed += "\"x\"";
      for (std::size_t i = levels; i > 0; --i) {
        objects += "}";
        mixed += (i - 1) % 2 == 0 ? "]" : "}";
      }
      expect_same(objects, limits);
      expect_same(mixed, limits);
    }
  }
  expect_same(std::string(99, '[') + "{}" + std::string(99, ']'));
  expect_same(std::string(99, '[') + R"({"a":[]})" + std::string(99, ']'));
}

TEST(ParseJsonFastPath, ParsedDocumentsCanBeChangedAndCopied) {
  const std::string text =
      R"({"resourceType":"Observation","code":{"coding":[{"system":"http://snomed.info/sct","code":"72313002"}]},"component":[],"note":{}})";
  auto fast = parse_json(text);
  auto reference = detail::parse_json_reference(text);
  ASSERT_TRUE(fast);
  ASSERT_TRUE(reference);
  for (Json* doc : {&*fast, &*reference}) {
    auto& a = doc->GetAllocator();
    (*doc)["code"]["coding"].PushBack(rapidjson::Value(rapidjson::kObjectType), a);
    (*doc)["code"]["coding"][0].AddMember("display", rapidjson::Value("Systolic blood pressure", a),
                                          a);
    (*doc)["component"].PushBack(1, a);
    (*doc)["note"].AddMember("text", rapidjson::Value("a note longer than a short string", a), a);
    (*doc)["resourceType"].SetString("Observation-with-a-longer-name", a);
    doc->RemoveMember("code");
  }
  EXPECT_EQ(to_json(*fast), to_json(*reference));
  Json copy;
  copy.CopyFrom(*fast, copy.GetAllocator());
  fast = parse_json("{}");  // the original document's memory goes
  ASSERT_TRUE(fast);
  EXPECT_EQ(to_json(copy), to_json(*reference));
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

// A number followed by more number characters ("0e-310e830") is read by RapidJSON as the number
// JSON's grammar gives (0e-310) before the rest is a syntax error: the checks look at that
// number, not at the whole run (found by the fhir_json fuzz target under UBSan).
TEST(ParseJsonFastPath, TheNumberAHazardIsFoundInIsTheOneRapidJsonReads) {
  for (const std::string run : {"0e-310e830", "0e-310.5", "-0.0e40-1", "1e400e1", "0e-310+"}) {
    const std::string text = R"({"v":)" + run + "}";
    const auto fast = parse_json(text);
    ASSERT_FALSE(fast) << run;
    EXPECT_NE(fast.error().detail.find("at byte 5"), std::string::npos) << fast.error().detail;
    EXPECT_TRUE(fast.error().detail.find("a zero written with a power of ten") !=
                    std::string::npos ||
                fast.error().detail.find("outside the range of a double") != std::string::npos)
        << run << ": " << fast.error().detail;
  }
  // Runs whose number is harmless are refused by the parser's own syntax error, as before.
  for (const std::string run : {"0e5e1", "1.5.5", "--1", "0e", "1.e3"}) {
    const std::string text = R"({"v":)" + run + "}";
    const auto fast = parse_json(text);
    ASSERT_FALSE(fast) << run;
    EXPECT_EQ(fast.error().detail.find("power of ten"), std::string::npos) << run;
    EXPECT_EQ(fast.error().detail.find("range of a double"), std::string::npos) << run;
  }
}

}  // namespace
}  // namespace gw::fhir
