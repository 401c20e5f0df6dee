// Unit tests for gateway/http/message.hpp: headers, request target parts and query parameters.
#include "gateway/http/message.hpp"

#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gw::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(Headers, GetIsCaseInsensitive) {
  Headers h;
  h.add("Content-Type", "application/fhir+json");
  EXPECT_EQ(h.get("content-type"), "application/fhir+json");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "application/fhir+json");
  EXPECT_TRUE(h.has("cOnTeNt-TyPe"));
}

TEST(Headers, MissingHeaderIsEmpty) {
  Headers h;
  h.add("Accept", "*/*");
  EXPECT_TRUE(h.get("Host").empty());
  EXPECT_FALSE(h.has("Host"));
  EXPECT_FALSE(h.has("Accep"));  // a prefix is not a match
  EXPECT_FALSE(h.has("Accepts"));
}

TEST(Headers, GetReturnsTheFirstOfRepeatedHeaders) {
  Headers h;
  h.add("Via", "one");
  h.add("via", "two");
  EXPECT_EQ(h.get("VIA"), "one");
  EXPECT_EQ(h.items().size(), 2U);
}

TEST(Headers, SetReplacesEveryValueOfThatNameCaseInsensitively) {
  Headers h;
  h.add("X-Thing", "a");
  h.add("Other", "keep");
  h.add("x-thing", "b");
  h.set("X-THING", "c");
  EXPECT_EQ(h.get("x-thing"), "c");
  EXPECT_THAT(h.items(), ElementsAre(Pair("Other", "keep"), Pair("X-THING", "c")));
}

TEST(Headers, SetAddsWhenAbsent) {
  Headers h;
  h.set("Allow", "GET, HEAD");
  EXPECT_THAT(h.items(), ElementsAre(Pair("Allow", "GET, HEAD")));
}

TEST(Request, PathAndQuery) {
  Request r;
  r.target = "/fhir/metadata?_format=json&x=1";
  EXPECT_EQ(r.path(), "/fhir/metadata");
  EXPECT_EQ(r.query(), "_format=json&x=1");
}

TEST(Request, NoQuery) {
  Request r;
  r.target = "/healthz";
  EXPECT_EQ(r.path(), "/healthz");
  EXPECT_TRUE(r.query().empty());
}

TEST(Request, EmptyQueryAfterQuestionMark) {
  Request r;
  r.target = "/healthz?";
  EXPECT_EQ(r.path(), "/healthz");
  EXPECT_TRUE(r.query().empty());
}

TEST(Request, OnlyTheFirstQuestionMarkSplits) {
  Request r;
  r.target = "/a?b=c?d";
  EXPECT_EQ(r.path(), "/a");
  EXPECT_EQ(r.query(), "b=c?d");
}

TEST(QueryParam, FindsAndPercentDecodes) {
  std::string v;
  ASSERT_TRUE(query_param("a=1&name=J%C3%A9r%C3%B4me%20Smith&b=2", "name", v));
  EXPECT_EQ(v, "J\xC3\xA9r\xC3\xB4me Smith");
  ASSERT_TRUE(query_param("a=1&_format=application%2Ffhir%2Bjson", "_format", v));
  EXPECT_EQ(v, "application/fhir+json");
}

TEST(QueryParam, PlusIsKeptLiterally) {
  // RFC 3986 queries, not HTML forms: '+' is a plus sign, so `_format=application/fhir+json`
  // works unencoded as FHIR clients send it.
  std::string v;
  ASSERT_TRUE(query_param("_format=application/fhir+json", "_format", v));
  EXPECT_EQ(v, "application/fhir+json");
}

TEST(QueryParam, FirstOccurrenceWins) {
  std::string v;
  ASSERT_TRUE(query_param("x=1&x=2", "x", v));
  EXPECT_EQ(v, "1");
}

TEST(QueryParam, KeyIsDecodedAndMatchedExactly) {
  std::string v;
  ASSERT_TRUE(query_param("a%5Fb=1", "a_b", v));
  EXPECT_EQ(v, "1");
  v = "untouched";
  EXPECT_FALSE(query_param("format=json", "_format", v));
  EXPECT_FALSE(query_param("_formats=json", "_format", v));
  EXPECT_FALSE(query_param("Format=json", "format", v));
  EXPECT_EQ(v, "untouched");
}

TEST(QueryParam, MissingParameter) {
  std::string v = "untouched";
  EXPECT_FALSE(query_param("a=1&b=2", "c", v));
  EXPECT_EQ(v, "untouched");
}

TEST(QueryParam, EmptyQuery) {
  std::string v = "untouched";
  EXPECT_FALSE(query_param("", "a", v));
  EXPECT_FALSE(query_param(std::string_view{}, "a", v));
  EXPECT_EQ(v, "untouched");
}

TEST(QueryParam, ParameterWithoutValue) {
  std::string v = "untouched";
  ASSERT_TRUE(query_param("flag&b=2", "flag", v));
  EXPECT_TRUE(v.empty());
  v = "untouched";
  ASSERT_TRUE(query_param("a=1&empty=", "empty", v));
  EXPECT_TRUE(v.empty());
}

TEST(QueryParam, MalformedPercentEncodingIsNotFound) {
  std::string v = "untouched";
  EXPECT_FALSE(query_param("_format=%zz", "_format", v));
  EXPECT_EQ(v, "untouched");
}

TEST(MethodName, Spellings) {
  EXPECT_EQ(method_name(Method::kGet), "GET");
  EXPECT_EQ(method_name(Method::kHead), "HEAD");
  EXPECT_EQ(method_name(Method::kPost), "POST");
  EXPECT_EQ(method_name(Method::kPut), "PUT");
  EXPECT_EQ(method_name(Method::kPatch), "PATCH");
  EXPECT_EQ(method_name(Method::kDelete), "DELETE");
  EXPECT_EQ(method_name(Method::kOptions), "OPTIONS");
  EXPECT_EQ(method_name(Method::kOther), "OTHER");
}

}  // namespace
}  // namespace gw::http

namespace gw::http {
namespace {

TEST(QueryParams, FhirTokenSearchesMayCarryAnUnencodedBar) {
  // curl sends "system|code" as it is; the encoded form means the same.
  for (const char* q : {"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018&_count=2",
                        "identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990000018&_count=2"}) {
    auto p = query_params(q);
    ASSERT_TRUE(p) << q;
    ASSERT_EQ(p->size(), 2U);
    EXPECT_EQ((*p)[0].second, "https://fhir.nhs.uk/Id/nhs-number|9990000018");
    EXPECT_EQ((*p)[1].first, "_count");
  }
  auto spaced = query_params("family=de la cruz&given=Ann+Marie");
  ASSERT_TRUE(spaced);
  EXPECT_EQ((*spaced)[0].second, "de la cruz");
}

}  // namespace
}  // namespace gw::http
