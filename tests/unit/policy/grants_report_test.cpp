// The listing of break-glass grants in force: oldest first, every field an IG lead needs (who,
// organisation, role, patient, reason and justification, opened, expires, the audit record), the
// same grants as JSON and as the CLI's table, and a justification kept on one line.
#include "gateway/policy/grants_report.hpp"

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"

namespace gw::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + hours{9};

GrantRecord grant(const char* user, const char* patient, TimePoint opened, std::string role,
                  std::uint64_t seq) {
  GrantRecord r;
  r.grant.user_id = user;
  r.grant.nhs_number = patient;
  r.grant.reason = BreakGlassReason::kEmergencyTreatment;
  r.grant.justification = "unresponsive on scene,\nneed history";
  r.grant.granted_at = opened;
  r.grant.expires_at = opened + hours{4};
  r.origin = {"Z9L01", "req-" + std::string(user), std::move(role)};
  r.audit_seq = seq;
  return r;
}

std::vector<GrantRecord> two_grants() {
  // Synthetic patients (999 range, Modulus 11 valid).
  return {grant("demo-user-para", "9991237577", kNow - minutes{30}, "R1070", 17),
          grant("demo-user-ae", "9991158383", kNow - hours{2}, "", 0)};
}

TEST(GrantsReport, ListsOldestFirstWithWhoWhyAndWhen) {
  auto grants = two_grants();
  sort_grants(grants);
  const auto doc = fhir::parse_json(grants_json(grants, kNow));
  ASSERT_TRUE(doc);
  EXPECT_STREQ((*doc)["asOf"].GetString(), "2026-11-27T09:00:00Z");
  EXPECT_EQ((*doc)["total"].GetUint(), 2U);
  const auto& list = (*doc)["grants"];
  ASSERT_EQ(list.Size(), 2U);
  const auto& older = list[0];
  EXPECT_STREQ(older["user"].GetString(), "demo-user-ae");
  EXPECT_STREQ(older["opened"].GetString(), "2026-11-27T07:00:00Z");
  EXPECT_STREQ(older["expires"].GetString(), "2026-11-27T11:00:00Z");
  EXPECT_FALSE(older.HasMember("role"));      // kept before roles were recorded
  EXPECT_FALSE(older.HasMember("auditSeq"));  // its audit record not linked yet
  const auto& newer = list[1];
  EXPECT_STREQ(newer["user"].GetString(), "demo-user-para");
  EXPECT_STREQ(newer["organisation"].GetString(), "Z9L01");
  EXPECT_STREQ(newer["role"].GetString(), "R1070");
  EXPECT_STREQ(newer["patient"].GetString(), "9991237577");
  EXPECT_STREQ(newer["reason"].GetString(), "emergency-treatment");
  EXPECT_STREQ(newer["justification"].GetString(), "unresponsive on scene,\nneed history");
  EXPECT_EQ(newer["auditSeq"].GetUint64(), 17U);
}

TEST(GrantsReport, TheTableHasOneLinePerGrantAndACount) {
  auto grants = two_grants();
  sort_grants(grants);
  const std::string text = grants_text(grants, kNow);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);  // header, two grants, the count
  EXPECT_EQ(text.rfind("opened", 0), 0U);
  EXPECT_NE(text.find("unresponsive on scene, need history"), std::string::npos);
  EXPECT_LT(text.find("demo-user-ae"), text.find("demo-user-para"));
  EXPECT_NE(text.find("2 break-glass grants in force at 2026-11-27T09:00:00Z\n"),
            std::string::npos);
}

TEST(GrantsReport, NoGrantsSaysSo) {
  EXPECT_EQ(grants_text({}, kNow), "0 break-glass grants in force at 2026-11-27T09:00:00Z\n");
  const auto doc = fhir::parse_json(grants_json({}, kNow));
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["total"].GetUint(), 0U);
  EXPECT_TRUE((*doc)["grants"].Empty());
}

}  // namespace
}  // namespace gw::policy
