// The `subscriptions:` and `delivery:` config sections: valid entries become typed structs, and
// each mistake is reported on the line that has it.
#include <initializer_list>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"

namespace gw::config {
namespace {

LoadResult load(std::string_view rest) {
  LoadOptions o;
  o.check_files = false;
  const std::string text =
      std::string(
          "data_dir: /srv/caregw\n"                                          // 1
          "tls:\n"                                                           // 2
          "  certificate: server.crt\n"                                      // 3
          "  private_key: server.key\n"                                      // 4
          "  client_ca: ca.crt\n"                                            // 5
          "listeners:\n"                                                     // 6
          "  - name: provider\n"                                             // 7
          "    port: 8443\n"                                                 // 8
          "organisations:\n"                                                 // 9
          "  - {ods: Z90001, name: Example GP, kind: gp}\n"                  // 10
          "  - {ods: Z9S01, name: Example council, kind: social-care}\n") +  // 11
      std::string(rest);
  return load_text(text, "test.yaml", "/tmp", o);
}

::testing::AssertionResult has_error(const LoadResult& r, int line, std::string_view part) {
  std::string all;
  for (const auto& d : r.errors) {
    if (d.line == line && d.message.find(part) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    all += "  " + d.str() + "\n";
  }
  return ::testing::AssertionFailure()
         << "no error on line " << line << " with '" << part << "'; got:\n"
         << all;
}

TEST(SubscriptionsConfig, ValidSectionsBecomeTypedStructs) {
  auto r = load(
      "delivery:\n"                                             // 12
      "  max_attempts: 5\n"                                     // 13
      "  max_age_s: 3600\n"                                     // 14
      "  initial_backoff_ms: 200\n"                             // 15
      "  max_backoff_ms: 60000\n"                               // 16
      "subscriptions:\n"                                        // 17
      "  - name: gp-discharges\n"                               // 18
      "    recipient: Z90001\n"                                 // 19
      "    message_kinds: [discharge-summary, ed-discharge]\n"  // 20
      "    patients: registered-practice\n"                     // 21
      "    transport: https\n"                                  // 22
      "    endpoint: https://gp.example.test:9443/fhir/$process-message\n"
      "    format: fhir-r4\n"
      "  - name: council-mailbox\n"
      "    recipient: Z9S01\n"
      "    events: ADT^A03\n"
      "    patients: open-case\n"
      "    transport: mailbox\n"
      "    format: fhir-r4\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].str();
  const auto& c = *r.config;
  EXPECT_EQ(c.delivery.max_attempts, 5U);
  EXPECT_EQ(c.delivery.max_age, std::chrono::seconds(3600));
  EXPECT_EQ(c.delivery.initial_backoff, std::chrono::milliseconds(200));
  ASSERT_EQ(c.subscriptions.size(), 2U);
  const auto& gp = c.subscriptions[0];
  EXPECT_EQ(gp.name, "gp-discharges");
  EXPECT_EQ(gp.recipient.str(), "Z90001");
  EXPECT_EQ(gp.message_kinds, (std::vector<std::string>{"discharge-summary", "ed-discharge"}));
  EXPECT_EQ(gp.patients, PatientScope::kRegisteredPractice);
  EXPECT_EQ(gp.transport, SubscriptionTransport::kHttps);
  EXPECT_EQ(gp.line, 18);
  const auto& council = c.subscriptions[1];
  EXPECT_EQ(council.events, std::vector<std::string>{"ADT^A03"});
  EXPECT_EQ(council.transport, SubscriptionTransport::kMailbox);
  EXPECT_EQ(council.patients, PatientScope::kOpenCase);
}

TEST(SubscriptionsConfig, MistakesAreReportedOnTheirLines) {
  auto r = load(
      "subscriptions:\n"                    // 12
      "  - name: a\n"                       // 13
      "    recipient: Z99999\n"             // 14 not configured
      "    message_kinds: [x]\n"            // 15
      "    transport: https\n"              // 16
      "    endpoint: http://plain.test/\n"  // 17 not https
      "    format: fhir-r5\n"               // 18 unknown format
      "  - name: b\n"                       // 19
      "    recipient: Z90001\n"             // 20
      "    transport: pigeon\n"             // 21
      "    format: hl7v2\n"                 // 22
      "  - name: c\n"                       // 23
      "    recipient: Z90001\n"             // 24
      "    events: [ADT^A01]\n"             // 25
      "    patients: some\n"                // 26
      "    transport: mllp\n"               // 27
      "    endpoint: pas.example.test\n"    // 28 no port
      "    format: hl7v2\n"                 // 29
      "  - name: c\n"                       // 30 used twice
      "    recipient: Z90001\n"             // 31
      "    events: [ADT^A01]\n"             // 32
      "    transport: mailbox\n"            // 33
      "    format: hl7v2\n"                 // 34
      "    colour: blue\n");                // 35
  EXPECT_TRUE(has_error(r, 14, "not one of the configured organisations"));
  EXPECT_TRUE(has_error(r, 17, "must be an https URL"));
  EXPECT_TRUE(has_error(r, 18, "unknown format 'fhir-r5'"));
  EXPECT_TRUE(has_error(r, 19, "must name message_kinds, events or resource_types"));
  EXPECT_TRUE(has_error(r, 21, "'transport' must be https, mllp or mailbox"));
  EXPECT_TRUE(has_error(r, 26, "'patients' must be"));
  EXPECT_TRUE(has_error(r, 28, "host:port"));
  EXPECT_TRUE(has_error(r, 30, "is used twice"));
  EXPECT_TRUE(has_error(r, 35, "unknown key 'colour'"));
  EXPECT_FALSE(r.config);
}

TEST(SubscriptionsConfig, DeliveryBoundsAreChecked) {
  auto r = load(
      "delivery:\n"                      // 12
      "  max_attempts: 0\n"              // 13
      "  initial_backoff_ms: 5000\n"     // 14
      "  max_backoff_ms: 1000\n"         // 15
      "  client_certificate: c.crt\n");  // 16
  EXPECT_TRUE(has_error(r, 13, "'max_attempts' must be a whole number from 1"));
  EXPECT_TRUE(has_error(r, 13, "'max_backoff_ms' must not be less"));
  EXPECT_TRUE(has_error(r, 13, "come together"));
}

TEST(SubscriptionsConfig, RetentionDefaultsAndBounds) {
  auto defaults = load("");
  ASSERT_TRUE(defaults.config);
  EXPECT_EQ(defaults.config->retention.journal_days, 90U);
  EXPECT_EQ(defaults.config->retention.delivered_days, 30U);
  EXPECT_EQ(defaults.config->retention.interval, std::chrono::hours(1));
  auto set = load(
      "retention:\n"           // 12
      "  journal_days: 0\n"    // 13 keep forever
      "  delivered_days: 7\n"  // 14
      "  interval_s: 600\n");  // 15
  ASSERT_TRUE(set.config) << set.errors.front().str();
  EXPECT_EQ(set.config->retention.journal_days, 0U);
  EXPECT_EQ(set.config->retention.delivered_days, 7U);
  EXPECT_EQ(set.config->retention.interval, std::chrono::minutes(10));
  auto bad = load(
      "retention:\n"          // 12
      "  journal_days: -1\n"  // 13
      "  interval_s: 0\n"     // 14
      "  keep: forever\n");   // 15
  EXPECT_TRUE(has_error(bad, 13, "'journal_days' must be a whole number"));
  EXPECT_TRUE(has_error(bad, 14, "'interval_s' must be a whole number from 1"));
  EXPECT_TRUE(has_error(bad, 15, "unknown key 'keep'"));
}

}  // namespace
}  // namespace gw::config
