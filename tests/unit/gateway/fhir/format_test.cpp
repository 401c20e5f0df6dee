// Media type negotiation: _format, Accept with q-values, and request Content-Type.
#include "gateway/fhir/format.hpp"

#include <gtest/gtest.h>

namespace gw::fhir {
namespace {

Format ok(Result<Format> r) {
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return r ? *r : Format::kJson;
}

TEST(ResponseFormat, FormatParameterWinsOverAccept) {
  EXPECT_EQ(ok(response_format("xml", "application/fhir+json")), Format::kXml);
  EXPECT_EQ(ok(response_format("json", "application/fhir+xml")), Format::kJson);
  EXPECT_EQ(ok(response_format("application/fhir+xml", "")), Format::kXml);
  EXPECT_EQ(ok(response_format("application/fhir+json;fhirVersion=4.0", "")), Format::kJson);
  EXPECT_EQ(ok(response_format("text/xml", "")), Format::kXml);
}

TEST(ResponseFormat, AcceptWithQValues) {
  EXPECT_EQ(ok(response_format("", "")), Format::kJson);
  EXPECT_EQ(ok(response_format("", "*/*")), Format::kJson);
  EXPECT_EQ(ok(response_format("", "application/fhir+xml")), Format::kXml);
  EXPECT_EQ(ok(response_format("", "application/fhir+json;q=0.5, application/fhir+xml;q=0.9")),
            Format::kXml);
  EXPECT_EQ(ok(response_format("", "text/html, application/xml;q=0.9, */*;q=0.8")), Format::kXml);
  EXPECT_EQ(ok(response_format("", "text/html, */*;q=0.1")), Format::kJson);
  EXPECT_EQ(ok(response_format("", "application/fhir+xml;q=0, application/json")), Format::kJson);
}

TEST(ResponseFormat, NothingServedIs406) {
  for (auto [param, accept] :
       {std::pair{"html", ""}, std::pair{"ttl", ""}, std::pair{"", "text/html"},
        std::pair{"", "image/png, text/plain"}, std::pair{"", "application/fhir+json;q=0"},
        std::pair{"", "application/fhir+json;q=abc"}}) {
    auto r = response_format(param, accept);
    ASSERT_FALSE(r) << param << " / " << accept;
    EXPECT_EQ(r.error().code, Errc::kNotAcceptable);
    EXPECT_EQ(http_status(r.error().code), 406U);
  }
  EXPECT_NE(response_format("html", "").error().detail.find("'html'"), std::string::npos);
}

TEST(RequestFormat, ContentType) {
  EXPECT_EQ(ok(request_format("application/fhir+json")), Format::kJson);
  EXPECT_EQ(ok(request_format("application/fhir+json; charset=UTF-8")), Format::kJson);
  EXPECT_EQ(ok(request_format("Application/FHIR+XML")), Format::kXml);
  EXPECT_EQ(ok(request_format("application/json")), Format::kJson);
  EXPECT_EQ(ok(request_format("text/xml;charset=\"utf-8\"")), Format::kXml);
  for (const char* bad : {"", "text/plain", "application/x-www-form-urlencoded", "json",
                          "application/fhir+json; charset=ISO-8859-1"}) {
    auto r = request_format(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kUnsupportedMediaType) << bad;
    EXPECT_EQ(http_status(r.error().code), 415U);
  }
}

TEST(MediaType, CarriesCharset) {
  EXPECT_EQ(media_type(Format::kJson), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(media_type(Format::kXml), "application/fhir+xml; charset=utf-8");
}

}  // namespace
}  // namespace gw::fhir
