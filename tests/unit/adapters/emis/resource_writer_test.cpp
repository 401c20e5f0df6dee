// detail::ResourceWriter (adapters/emis/resource_writer.hpp): the EMIS XML adapter's resources
// must be byte for byte what RapidJSON's compact writer gives for the same calls, since stored
// resources, digests and golden files depend on the bytes.
#include "adapters/emis/resource_writer.hpp"

#include <string>

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gw::adapters::emis::detail {
namespace {

using RapidWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void put(RapidWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

TEST(ResourceWriterTest, EveryByteIsWrittenAsRapidJsonWritesIt) {
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all.push_back(static_cast<char>(c));
  }
  rapidjson::StringBuffer sb;
  RapidWriter w(sb);
  w.StartObject();
  put(w, "text");
  put(w, all);
  put(w, "short");
  put(w, "a\"b\\c\n\x01\x1F\xC3\xA9");
  w.EndObject();

  ResourceWriter j;
  j.open().kv("text", all).kv("short", "a\"b\\c\n\x01\x1F\xC3\xA9").close();
  EXPECT_EQ(j.take(), std::string(sb.GetString(), sb.GetSize()));
}

TEST(ResourceWriterTest, NestingAndSeparatorsAreRapidJsons) {
  rapidjson::StringBuffer sb;
  RapidWriter w(sb);
  w.StartObject();
  put(w, "resourceType");
  put(w, "Observation");
  put(w, "meta");
  w.StartObject();
  put(w, "security");
  w.StartArray();
  w.StartObject();
  put(w, "code");
  put(w, "R");
  w.EndObject();
  w.StartObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  put(w, "given");
  w.StartArray();
  put(w, "Imogen");
  put(w, "Clare");
  w.EndArray();
  put(w, "empty");
  w.StartArray();
  w.EndArray();
  put(w, "valueQuantity");
  w.StartObject();
  put(w, "value");
  w.RawValue("1.5e3", 5, rapidjson::kNumberType);
  w.EndObject();
  put(w, "subject");
  w.StartObject();
  put(w, "reference");
  put(w, "Patient/G1");
  w.EndObject();
  w.EndObject();

  ResourceWriter j;
  j.open().kv("resourceType", "Observation");
  j.obj("meta").arr("security").open().kv("code", "R").close().open().close().end_arr().close();
  j.arr("given").str("Imogen").str("Clare").end_arr();
  j.arr("empty").end_arr();
  j.obj("valueQuantity").num("value", "1.5e3").close();
  j.ref("subject", "Patient", "G1");
  j.close();
  EXPECT_FALSE(j.bad_number());
  EXPECT_EQ(j.take(), std::string(sb.GetString(), sb.GetSize()));
}

TEST(ResourceWriterTest, ANumberBeyondADoubleIsNoted) {
  ResourceWriter j;
  j.open().num("value", "1e400").close();
  EXPECT_TRUE(j.bad_number());
  EXPECT_EQ(j.take(), "{\"value\":1e400}");
}

}  // namespace
}  // namespace gw::adapters::emis::detail
