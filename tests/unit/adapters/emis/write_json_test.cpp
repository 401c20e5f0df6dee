// detail::write_json (adapters/emis/resource_writer.hpp): the bytes RapidJSON's own writer gives,
// for strings and keys that need escapes and for those that do not, with the byte to escape at
// every place of every length around the blocks it copies, and for numbers of every kind.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapters/emis/resource_writer.hpp"

namespace gw::adapters::emis {
namespace {

/** rapidjson_bytes: `v` written by RapidJSON's writer, and whether it wrote all of it. */
std::pair<std::string, bool> rapidjson_bytes(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  const bool ok = v.Accept(w);
  return {std::string(sb.GetString(), sb.GetSize()), ok};
}

/** ours: `v` written by write_json, and what it returned. */
std::pair<std::string, bool> ours(const rapidjson::Value& v) {
  detail::JsonOut out;
  const bool ok = detail::write_json(v, out);
  return {std::string(out.view()), ok};
}

/** strings: strings that need escapes and strings that do not, of every length up to 40 with a
 *  special byte at each place. */
std::vector<std::string> strings() {
  std::vector<std::string> all{"",
                               "plain",
                               "a\"b",
                               "back\\slash",
                               "tab\tnewline\n",
                               std::string("nul\0in", 6),
                               std::string(1, '\0'),
                               "\x01\x1f",
                               "\x7f del",
                               "\b\f\r",
                               "caf\xC3\xA9 and \xF0\x9F\x98\x80",
                               "/slash/",
                               "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-X"};
  for (std::size_t n = 1; n <= 40; ++n) {
    all.emplace_back(n, 'x');
    for (std::size_t at = 0; at < n; ++at) {
      for (const char special : {'"', '\\', '\0', '\x1f', '\x20', '\x7f', '\x80', '\xff'}) {
        std::string s(n, 'x');
        s[at] = special;
        all.push_back(s);
      }
    }
  }
  return all;
}

TEST(EmisWriteJson, StringsAndKeysAreWrittenAsRapidJsonWritesThem) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  rapidjson::Value list(rapidjson::kArrayType);
  const std::vector<std::string> all = strings();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string& s = all[i];
    rapidjson::Value key(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
    rapidjson::Value value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
    rapidjson::Value member(rapidjson::kObjectType);
    member.AddMember(key, value, alloc);
    member.AddMember("n", static_cast<unsigned>(i), alloc);
    list.PushBack(member, alloc);
    list.PushBack(rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc),
                  alloc);
  }
  doc.AddMember("list", list, alloc);
  const auto [expected, expected_ok] = rapidjson_bytes(doc);
  const auto [got, ok] = ours(doc);
  ASSERT_TRUE(expected_ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(got, expected);
  EXPECT_NE(got.find("\\\""), std::string::npos);  // the escapes are there
  EXPECT_NE(got.find("\\u001F"), std::string::npos);
  EXPECT_NE(got.find("\\u0000"), std::string::npos);
}

TEST(EmisWriteJson, NumbersAndLiteralsAreWrittenAsRapidJsonWritesThem) {
  rapidjson::Document doc(rapidjson::kArrayType);
  auto& alloc = doc.GetAllocator();
  for (const double d : {0.0, -0.0, 1.0, 1.5, 0.1, -3.25, 1e21, 1e-7, 2.5e-7, 123456789012.0,
                         5e-324, std::numeric_limits<double>::min(),
                         std::numeric_limits<double>::max(), 1.7976931348623157e308}) {
    doc.PushBack(d, alloc);
  }
  doc.PushBack(0, alloc).PushBack(-3, alloc).PushBack(100U, alloc);
  doc.PushBack(std::numeric_limits<std::int64_t>::min(), alloc);
  doc.PushBack(std::numeric_limits<std::int64_t>::max(), alloc);
  doc.PushBack(std::numeric_limits<std::uint64_t>::max(), alloc);
  doc.PushBack(std::numeric_limits<std::int32_t>::min(), alloc);
  doc.PushBack(std::numeric_limits<std::uint32_t>::max(), alloc);
  rapidjson::Value obj(rapidjson::kObjectType);
  obj.AddMember("t", true, alloc).AddMember("f", false, alloc);
  obj.AddMember("z", rapidjson::Value(rapidjson::kNullType), alloc);
  obj.AddMember("o", rapidjson::Value(rapidjson::kObjectType), alloc);
  obj.AddMember("a", rapidjson::Value(rapidjson::kArrayType), alloc);
  doc.PushBack(obj, alloc);
  doc.PushBack(rapidjson::Value(rapidjson::kNullType), alloc).PushBack(true, alloc);
  // The same numbers parsed from text, as the adapter's documents hold them.
  rapidjson::Document parsed;
  parsed.Parse(R"({"v":[1.0,1e21,-0.0,0.1,18446744073709551615,-9223372036854775808,140,2.5e-7]})");
  ASSERT_FALSE(parsed.HasParseError());
  doc.PushBack(rapidjson::Value(parsed, alloc), alloc);

  const auto [expected, expected_ok] = rapidjson_bytes(doc);
  const auto [got, ok] = ours(doc);
  ASSERT_TRUE(expected_ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(got, expected);
}

TEST(EmisWriteJson, RefusesWhatRapidJsonRefusesLeavingTheSameBytes) {
  for (const double d : {std::nan(""), std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()}) {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& alloc = doc.GetAllocator();
    rapidjson::Value list(rapidjson::kArrayType);
    list.PushBack("a", alloc).PushBack(d, alloc).PushBack("b", alloc);
    doc.AddMember("k", "v", alloc).AddMember("list", list, alloc).AddMember("x", d, alloc);
    const auto [expected, expected_ok] = rapidjson_bytes(doc);
    const auto [got, ok] = ours(doc);
    EXPECT_FALSE(expected_ok);
    EXPECT_FALSE(ok);
    EXPECT_EQ(got, expected);
  }
}

}  // namespace
}  // namespace gw::adapters::emis
