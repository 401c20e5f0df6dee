// The GP Connect keys of the config: the `gpconnect:` section (the gateway as a consumer) and
// each practice's `organisations[].gpconnect` endpoint and ASID, with file:line errors.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"
#include "tests/unit/gateway/config/config_test_support.hpp"

namespace gw::config {
namespace {

using test::has_error;
using test::load;

constexpr std::string_view kDelivery =
    "delivery:\n"                     // 9
    "  client_certificate: gw.crt\n"  // 10
    "  client_key: gw.key\n";         // 11

TEST(GpConnectConfigTest, ReadsTheConsumerAndAPracticeEndpoint) {
  auto r = load(std::string(kDelivery) +
                "gpconnect:\n"                                                    // 12
                "  asid: \"200000000359\"\n"                                      // 13
                "  ods: z9g01\n"                                                  // 14
                "  name: Borough Care Gateway\n"                                  // 15
                "  timeout_ms: 5000\n"                                            // 16
                "organisations:\n"                                                // 17
                "  - ods: Z90001\n"                                               // 18
                "    name: Riverside\n"                                           // 19
                "    kind: gp\n"                                                  // 20
                "    gpconnect:\n"                                                // 21
                "      endpoint: https://gpc.example/Z90001/STU3/1/gpconnect/\n"  // 22
                "      asid: \"918999198738\"\n");                                // 23
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().str();
  EXPECT_EQ(r.config->gpconnect.asid, "200000000359");
  EXPECT_EQ(r.config->gpconnect.ods, "Z9G01");
  EXPECT_EQ(r.config->gpconnect.name, "Borough Care Gateway");
  EXPECT_EQ(r.config->gpconnect.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(r.config->gpconnect.system_url, "https://caregw.invalid/caregw-1");
  const auto& org = r.config->organisations.front();
  ASSERT_TRUE(org.gpconnect.has_value());
  EXPECT_EQ(org.gpconnect->endpoint, "https://gpc.example/Z90001/STU3/1/gpconnect");
  EXPECT_EQ(org.gpconnect->asid, "918999198738");
  EXPECT_EQ(org.gpconnect->line, 22);
}

TEST(GpConnectConfigTest, WithoutTheSectionNothingIsConfigured) {
  auto r = load("");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().str();
  EXPECT_TRUE(r.config->gpconnect.asid.empty());
}

TEST(GpConnectConfigTest, ErrorsNameTheLine) {
  auto r = load(std::string(kDelivery) +
                "gpconnect:\n"                           // 12
                "  asid: 2000-0000\n"                    // 13
                "  ods: Z9G01\n"                         // 14
                "  retries: 3\n"                         // 15
                "organisations:\n"                       // 16
                "  - ods: Z90001\n"                      // 17
                "    name: Riverside\n"                  // 18
                "    kind: gp\n"                         // 19
                "    gpconnect:\n"                       // 20
                "      endpoint: http://gpc.example/\n"  // 21
                "      asid: \"918999198738\"\n"         // 22
                "  - ods: Z9A01\n"                       // 23
                "    name: Hospital\n"                   // 24
                "    kind: acute\n"                      // 25
                "    gpconnect:\n"                       // 26
                "      endpoint: https://pas.example\n"  // 27
                "      asid: \"1\"\n");                  // 28
  EXPECT_TRUE(has_error(r, 13, "'asid' must be a Spine ASID"));
  EXPECT_TRUE(has_error(r, 15, "unknown key 'retries'"));
  EXPECT_TRUE(has_error(r, 21, "'endpoint' must be an https URL"));
  EXPECT_TRUE(has_error(r, 27, "'gpconnect' is for GP practices"));
}

TEST(GpConnectConfigTest, APracticeEndpointNeedsTheGatewaysAsidAndCertificate) {
  auto r = load(
      "organisations:\n"                         // 9
      "  - ods: Z90001\n"                        // 10
      "    name: Riverside\n"                    // 11
      "    kind: gp\n"                           // 12
      "    gpconnect:\n"                         // 13
      "      endpoint: https://gpc.example/x\n"  // 14
      "      asid: \"918999198738\"\n");         // 15
  EXPECT_TRUE(has_error(r, 14, "needs the gateway's own ASID and ODS code"));
  EXPECT_TRUE(has_error(r, 14, "delivery.client_certificate"));
}

}  // namespace
}  // namespace gw::config
