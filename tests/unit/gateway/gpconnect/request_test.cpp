// The GP Connect structured record request as it goes on the wire: the operation URL, the Spine
// headers, the consumer JWT (decoded here) and the Parameters body, checked against GP Connect
// 1.x and the specification's request samples (../shared/reference/gpconnect-structured/
// allergies_request1.json, meds_request.json: patientNHSNumber with the NHS number system,
// includeAllergies with its includeResolvedAllergies part).
#include "gateway/gpconnect/request.hpp"

#include <map>

#include <gtest/gtest.h>

#include "gateway/auth/token.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::gpconnect {
namespace {

constexpr std::string_view kNhs = "9990000018";  // synthetic, 999 range, Modulus 11 valid

RequestInput input() {
  RequestInput in{*NhsNumber::parse(kNhs),
                  Provider{*OdsCode::parse("Z90001"), "https://gpc.example/Z90001/STU3/1/gpconnect",
                           "918999198738"},
                  Consumer{"200000000359", "Z9G01", "Borough Care Gateway",
                           "https://caregw.example/node-1", "node-1"},
                  Requester{"u-gp-1", "Dr Tamsin Okonjo-Hale", "R8000"},
                  std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)),
                  "5b1e7f0c-2a4d-4c8e-9f10-3d6b7a8c9e01"};
  return in;
}

std::map<std::string, std::string> headers_of(const routing::HttpCall& c) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : c.headers) {
    EXPECT_TRUE(out.emplace(name, value).second) << "header twice: " << name;
  }
  return out;
}

fhir::Json decode_part(std::string_view token, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    start = token.find('.', start) + 1;
  }
  const auto end = token.find('.', start);
  auto bytes = auth::base64url_decode(token.substr(start, end - start));
  EXPECT_TRUE(bytes.has_value());
  auto doc = fhir::parse_json(bytes.value_or("{}"));
  EXPECT_TRUE(doc);
  return doc ? std::move(*doc) : fhir::Json{};
}

TEST(GpConnectRequestTest, PostsTheOperationWithTheSpineHeaders) {
  const auto call = build_request(input());
  EXPECT_EQ(call.url,
            "https://gpc.example/Z90001/STU3/1/gpconnect/Patient/$gpc.getstructuredrecord");
  const auto h = headers_of(call);
  EXPECT_EQ(h.at("Ssp-TraceID"), "5b1e7f0c-2a4d-4c8e-9f10-3d6b7a8c9e01");
  EXPECT_EQ(h.at("Ssp-From"), "200000000359");
  EXPECT_EQ(h.at("Ssp-To"), "918999198738");
  EXPECT_EQ(h.at("Ssp-InteractionID"),
            "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1");
  EXPECT_EQ(h.at("Accept"), "application/fhir+json");
  EXPECT_EQ(h.at("Content-Type"), "application/fhir+json");
  ASSERT_TRUE(h.at("Authorization").starts_with("Bearer "));
}

TEST(GpConnectRequestTest, TheTokenIsAnUnsignedGpConnectJwt) {
  const auto token = build_request(input()).headers.back().second.substr(7);
  ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(token.back(), '.');  // no signature
  const auto header = decode_part(token, 0);
  EXPECT_STREQ(header["alg"].GetString(), "none");
  EXPECT_STREQ(header["typ"].GetString(), "JWT");

  const auto c = decode_part(token, 1);
  EXPECT_STREQ(c["iss"].GetString(), "https://caregw.example/node-1");
  EXPECT_STREQ(c["sub"].GetString(), "u-gp-1");
  EXPECT_STREQ(c["aud"].GetString(), "https://gpc.example/Z90001/STU3/1/gpconnect");
  EXPECT_EQ(c["iat"].GetInt64(), 1'800'000'000);
  EXPECT_EQ(c["exp"].GetInt64(), 1'800'000'300);
  EXPECT_STREQ(c["reason_for_request"].GetString(), "directcare");
  EXPECT_STREQ(c["requested_scope"].GetString(), "patient/*.read");
  EXPECT_STREQ(c["requesting_device"]["resourceType"].GetString(), "Device");
  EXPECT_STREQ(c["requesting_device"]["identifier"][0]["value"].GetString(), "node-1");
  const auto& org = c["requesting_organization"];
  EXPECT_STREQ(org["resourceType"].GetString(), "Organization");
  EXPECT_STREQ(org["identifier"][0]["system"].GetString(),
               "https://fhir.nhs.uk/Id/ods-organization-code");
  EXPECT_STREQ(org["identifier"][0]["value"].GetString(), "Z9G01");
  EXPECT_STREQ(org["name"].GetString(), "Borough Care Gateway");
  const auto& who = c["requesting_practitioner"];
  EXPECT_STREQ(who["resourceType"].GetString(), "Practitioner");
  EXPECT_STREQ(who["id"].GetString(), "u-gp-1");
  EXPECT_STREQ(who["identifier"][0]["system"].GetString(), "https://fhir.nhs.uk/Id/sds-user-id");
  EXPECT_STREQ(who["identifier"][1]["system"].GetString(),
               "https://fhir.nhs.uk/Id/sds-role-profile-id");
  EXPECT_STREQ(who["identifier"][2]["value"].GetString(), "u-gp-1");
  EXPECT_STREQ(who["name"][0]["family"].GetString(), "Dr Tamsin Okonjo-Hale");
}

TEST(GpConnectRequestTest, WithoutAUserTheGatewayIsThePractitioner) {
  auto in = input();
  in.requester = {};
  const auto c = decode_part(access_token(in), 1);
  EXPECT_STREQ(c["sub"].GetString(), "caregw-system");
  EXPECT_STREQ(c["requesting_practitioner"]["id"].GetString(), "caregw-system");
}

TEST(GpConnectRequestTest, TheBodyAsksForWhatTheAdapterConverts) {
  auto doc = fhir::parse_json(build_request(input()).body);
  ASSERT_TRUE(doc);
  EXPECT_STREQ((*doc)["resourceType"].GetString(), "Parameters");
  std::map<std::string, const rapidjson::Value*> by_name;
  for (const auto& p : (*doc)["parameter"].GetArray()) {
    by_name[p["name"].GetString()] = &p;
  }
  ASSERT_TRUE(by_name.contains("patientNHSNumber"));
  const auto& id = (*by_name["patientNHSNumber"])["valueIdentifier"];
  EXPECT_STREQ(id["system"].GetString(), "https://fhir.nhs.uk/Id/nhs-number");
  EXPECT_EQ(std::string(id["value"].GetString()), kNhs);
  ASSERT_TRUE(by_name.contains("includeAllergies"));
  const auto& part = (*by_name["includeAllergies"])["part"][0];
  EXPECT_STREQ(part["name"].GetString(), "includeResolvedAllergies");
  EXPECT_TRUE(part["valueBoolean"].GetBool());
  for (const char* name :
       {"includeMedication", "includeConsultations", "includeProblems", "includeImmunisations",
        "includeUncategorisedData", "includeInvestigations", "includeReferrals"}) {
    EXPECT_TRUE(by_name.contains(name)) << name;
  }
  EXPECT_EQ(by_name.size(), 9U);
}

}  // namespace
}  // namespace gw::gpconnect
