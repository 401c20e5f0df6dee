// detail::set_meta_source (adapters/emis/common.hpp): meta.source set on every resource the
// GP Connect adapter yields, with the members around it kept in RapidJSON's order.
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "adapters/emis/common.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::adapters::emis {
namespace {

/** stamped: `json` with meta.source set to "urn:caregw:ods:Z1", written back compactly. */
std::string stamped(const std::string& json) {
  auto doc = fhir::parse_json(json);
  EXPECT_TRUE(doc) << json;
  if (!doc) {
    return {};
  }
  detail::set_meta_source(*doc, "urn:caregw:ods:Z1", doc->GetAllocator());
  return fhir::to_json(*doc);
}

TEST(EmisMetaSource, IsSetWhereverMetaStandsAndReplacesAnOldValue) {
  EXPECT_EQ(stamped(R"({"resourceType":"Condition","id":"c1"})"),
            R"({"resourceType":"Condition","id":"c1","meta":{"source":"urn:caregw:ods:Z1"}})");
  EXPECT_EQ(stamped(R"({"meta":{"profile":["p"],"source":"old","versionId":"2"},"id":"c1"})"),
            R"({"meta":{"profile":["p"],"source":"urn:caregw:ods:Z1","versionId":"2"},"id":"c1"})");
  EXPECT_EQ(stamped(R"({"meta":{"versionId":"2"}})"),
            R"({"meta":{"versionId":"2","source":"urn:caregw:ods:Z1"}})");
  // A meta that is not an object is replaced; the last member takes its place (RapidJSON's
  // RemoveMember), the new meta goes last.
  EXPECT_EQ(stamped(R"({"resourceType":"X","meta":"bad","id":"1","text":"t"})"),
            R"({"resourceType":"X","text":"t","id":"1","meta":{"source":"urn:caregw:ods:Z1"}})");
  EXPECT_EQ(stamped(R"(["not","a","resource"])"), R"(["not","a","resource"])");
}

}  // namespace
}  // namespace gw::adapters::emis
