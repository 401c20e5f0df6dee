// detail::JsonWriter (adapters/emis/common.hpp): the bytes RapidJSON's own writer gives, for
// strings and keys that need escapes and for those that do not, at every length around the
// sixteen-byte blocks it checks.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapters/emis/common.hpp"

namespace gw::adapters::emis {
namespace {

/** both: `v` written by RapidJSON's writer and by JsonWriter. */
std::pair<std::string, std::string> both(const rapidjson::Value& v) {
  rapidjson::StringBuffer a;
  rapidjson::Writer<rapidjson::StringBuffer> wa(a);
  v.Accept(wa);
  rapidjson::StringBuffer b;
  detail::JsonWriter wb(b);
  v.Accept(wb);
  return {std::string(a.GetString(), a.GetSize()), std::string(b.GetString(), b.GetSize())};
}

TEST(EmisJsonWriter, WritesWhatRapidJsonWrites) {
  std::vector<std::string> strings{"",
                                   "plain",
                                   "a\"b",
                                   "back\\slash",
                                   "tab\tnewline\n",
                                   std::string("nul\0in", 6),
                                   "\x01\x1f",
                                   "\x7f del",
                                   "caf\xC3\xA9 and \xF0\x9F\x98\x80",
                                   "/slash/"};
  for (std::size_t n = 1; n <= 40; ++n) {
    for (const char special : {'"', '\\', '\x1f', '\x20', '\x80'}) {
      std::string s(n, 'x');
      s[n - 1] = special;  // the special byte at each place in and around a block
      strings.push_back(s);
      s[0] = special;
      strings.push_back(s);
    }
  }
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  rapidjson::Value list(rapidjson::kArrayType);
  for (std::size_t i = 0; i < strings.size(); ++i) {
    const std::string& s = strings[i];
    rapidjson::Value key(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
    rapidjson::Value value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
    rapidjson::Value member(rapidjson::kObjectType);
    member.AddMember(key, value, alloc);
    member.AddMember("n", static_cast<unsigned>(i), alloc);
    list.PushBack(member, alloc);
  }
  doc.AddMember("list", list, alloc);
  const auto [expected, got] = both(doc);
  EXPECT_EQ(got, expected);
  EXPECT_NE(got.find("\\\""), std::string::npos);  // the escapes are there
  EXPECT_NE(got.find("\\u001F"), std::string::npos);
}

}  // namespace
}  // namespace gw::adapters::emis
