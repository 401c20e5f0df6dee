// Unit tests for gateway/fhir/json_lookup.hpp: the member-name compares every document walk makes
// (the converter, the UK Core checks, the adapters).
#include "gateway/fhir/json_lookup.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"

namespace gw::fhir {
namespace {

TEST(JsonMember, FindsTheMemberWhoseNameIsExactlyTheOneAskedFor) {
  // Names that share a length, a first byte or a prefix with the one asked for.
  auto doc =
      parse_json(R"({"codes":1,"cod":2,"Code":3,"code":4,"referenceRange":5,"reference":6,"x":7})");
  ASSERT_TRUE(doc) << doc.error().detail;
  const rapidjson::Value* code = json_member(*doc, "code");
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->GetInt(), 4);
  const rapidjson::Value* reference = json_member(*doc, "reference");
  ASSERT_NE(reference, nullptr);
  EXPECT_EQ(reference->GetInt(), 6);
  EXPECT_EQ(json_member(*doc, "display"), nullptr);
  EXPECT_EQ(json_member(*doc, "referenceRang"), nullptr);
  EXPECT_TRUE(named("reference", "reference"));
  EXPECT_FALSE(named("referencE", "reference"));
  EXPECT_FALSE(named("referenc", "reference"));
}

}  // namespace
}  // namespace gw::fhir
