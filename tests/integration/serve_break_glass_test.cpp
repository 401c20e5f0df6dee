// `caregw serve` and the break-glass grants on disk: at start it keeps the grants still in force
// (a clinician mid-emergency keeps access across a restart) and purges the expired ones.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "gateway/policy/sqlite_grant_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;

policy::GrantRecord grant(const char* user, policy::TimePoint opened) {
  policy::GrantRecord r;
  r.grant.user_id = user;
  r.grant.nhs_number = "9991237577";  // a demo patient (999 test range)
  r.grant.reason = policy::BreakGlassReason::kEmergencyTreatment;
  r.grant.justification = "unresponsive on scene, need history";
  r.grant.granted_at = opened;
  r.grant.expires_at = opened + 4h;
  r.origin.organisation = "Z9L01";
  return r;
}

TEST(ServeBreakGlass, StartKeepsGrantsStillInForceAndPurgesExpiredOnes) {
  TempDir dir;
  const auto now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  {
    auto store = policy::SqliteGrantStore::open(dir.file("data"));
    ASSERT_TRUE(store) << store.error().detail;
    ASSERT_TRUE((*store)->save(grant("paramedic-1", now - 1h)));  // 3 hours left
    ASSERT_TRUE((*store)->save(grant("paramedic-2", now - 5h)));  // expired an hour ago
  }
  std::string yaml = config_yaml_in(dir.file("data"));
  const auto path = dir.write("caregw.yaml", yaml);
  Child child({caregw_binary(), "serve", "--config", path});
  ASSERT_TRUE(child.wait_listening(2, 10s));
  EXPECT_NE(child.output().find("caregw: break-glass: 1 grants still in force"), std::string::npos)
      << child.output();
  // Serving (so its signal handling is in place) before it is asked to stop.
  bool serving = false;
  for (int i = 0; i < 100 && !serving; ++i) {
    serving = https_get(child.port("provider"), "/healthz", client_for("Z90001")).status == 200;
    if (!serving) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(serving);
  child.signal(SIGTERM);
  ASSERT_EQ(child.wait_exit(10s), 0);

  auto store = policy::SqliteGrantStore::open(dir.file("data"));
  ASSERT_TRUE(store) << store.error().detail;
  auto rows = (*store)->all();
  ASSERT_TRUE(rows) << rows.error().detail;
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ((*rows)[0].grant.user_id, "paramedic-1");
  EXPECT_FALSE((*rows)[0].closed_at.has_value());
}

}  // namespace
}  // namespace gw::test
