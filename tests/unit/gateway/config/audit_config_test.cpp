// The `audit:` section of the config: defaults, values, and file:line errors.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"
#include "tests/unit/gateway/config/config_test_support.hpp"

namespace gw::config {
namespace {

using test::has_error;
using test::load;

TEST(AuditConfigTest, DefaultsWithoutASection) {
  auto r = load("");
  ASSERT_TRUE(r.errors.empty());
  const AuditConfig& a = r.config->audit;
  EXPECT_EQ(a.key_file, "/srv/caregw/keys/audit-ed25519.pem");
  EXPECT_EQ(a.checkpoint_every, 10000U);
  EXPECT_EQ(a.checkpoint_interval_s, 60U);
  EXPECT_EQ(a.queue_bound, 65536U);
  EXPECT_EQ(a.retention_days, 2922U);
  EXPECT_EQ(a.unusual_activity.distinct_patients, 50U);
  EXPECT_TRUE(a.unusual_activity.match_surname);
}

TEST(AuditConfigTest, ReadsEveryKey) {
  auto r = load(
      "audit:\n"
      "  key_file: ${data_dir}/secrets/audit.pem\n"
      "  checkpoint_every: 500\n"
      "  checkpoint_interval_s: 30\n"
      "  queue_bound: 1000\n"
      "  max_batch: 256\n"
      "  retention_days: 3000\n"
      "  unusual_activity:\n"
      "    distinct_patients: 20\n"
      "    window_minutes: 15\n"
      "    match_surname: false\n"
      "    match_address: true\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().str();
  const AuditConfig& a = r.config->audit;
  EXPECT_EQ(a.key_file, "/srv/caregw/secrets/audit.pem");
  EXPECT_EQ(a.checkpoint_every, 500U);
  EXPECT_EQ(a.checkpoint_interval_s, 30U);
  EXPECT_EQ(a.queue_bound, 1000U);
  EXPECT_EQ(a.max_batch, 256U);
  EXPECT_EQ(a.retention_days, 3000U);
  EXPECT_EQ(a.unusual_activity.distinct_patients, 20U);
  EXPECT_EQ(a.unusual_activity.window_minutes, 15U);
  EXPECT_FALSE(a.unusual_activity.match_surname);
}

TEST(AuditConfigTest, ErrorsNameTheLine) {
  auto r = load(
      "audit:\n"                      // 9
      "  checkpoint_every: 0\n"       // 10
      "  retention: 5\n"              // 11
      "  unusual_activity:\n"         // 12
      "    match_surname: maybe\n");  // 13
  EXPECT_TRUE(has_error(r, 10, "'checkpoint_every' must be a whole number"));
  EXPECT_TRUE(has_error(r, 11, "unknown key 'retention'"));
  EXPECT_TRUE(has_error(r, 13, "'match_surname' must be true or false"));
}

}  // namespace
}  // namespace gw::config
