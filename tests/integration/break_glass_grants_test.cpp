// The break-glass grants in force, for information governance: GET /audit/break-glass/grants
// (IG purpose only, audited) lists who holds a grant for which patient, why and until when; a
// grant ended early is not listed; /metrics counts them (caregw_break_glass_grants_active); and
// `caregw audit break-glass grants` reads the same list from the data directory.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/record_api_fixture.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

constexpr const char* kWhy =
    R"({"reason":"emergency-treatment","justification":"unresponsive on scene, need history"})";

class BreakGlassGrantsTest : public RecordApiTest {
protected:
  /** open_two_end_one: the paramedic breaks the glass for Rhys and Eileen, then ends Eileen's. */
  void open_two_end_one() {
    ASSERT_EQ(break_the_glass("paramedic", kRhys, kWhy).status, 200U);
    ASSERT_EQ(break_the_glass("paramedic", kEileen, kWhy).status, 200U);
    ASSERT_EQ(
        call("POST", "/fhir/Patient/" + std::string(kEileen) + "/$break-glass-close", "paramedic")
            .status,
        200U);
  }

  /** opened_seq: the seq of the paramedic's granted break-glass record for Rhys. */
  std::uint64_t opened_seq() {
    for (const auto& r : audited()) {
      if (r.type == audit::EventType::kBreakGlass && r.decision == audit::Decision::kBreakGlass &&
          r.nhs_number == kRhys) {
        return r.seq;
      }
    }
    return 0;
  }

  static void expect_rhys_grant(const rapidjson::Value& g) {
    EXPECT_STREQ(g["user"].GetString(), auth::find_demo_user("paramedic")->id.data());
    EXPECT_STREQ(g["organisation"].GetString(), "Z9L01");
    EXPECT_STREQ(g["role"].GetString(), "R1070");
    EXPECT_STREQ(g["patient"].GetString(), std::string(kRhys).c_str());
    EXPECT_STREQ(g["reason"].GetString(), "emergency-treatment");
    EXPECT_STREQ(g["justification"].GetString(), "unresponsive on scene, need history");
    const auto opened = audit::parse_time_utc(g["opened"].GetString());
    const auto expires = audit::parse_time_utc(g["expires"].GetString());
    ASSERT_TRUE(opened && expires);
    EXPECT_EQ(*expires - *opened, 4LL * 3600 * 1'000'000);  // policy.break_glass_hours
  }
};

TEST_F(BreakGlassGrantsTest, IgLeadsListTheGrantsInForce) {
  open_two_end_one();
  const auto r = call("GET", "/audit/break-glass/grants", "ig-lead");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  EXPECT_EQ(doc["total"].GetUint(), 1U);  // Eileen's was ended early
  ASSERT_EQ(doc["grants"].Size(), 1U);
  const auto& g = doc["grants"][0];
  expect_rhys_grant(g);
  const std::uint64_t seq = opened_seq();
  ASSERT_NE(seq, 0U);
  EXPECT_EQ(g["auditSeq"].GetUint64(), seq);  // the record the review queue lists

  const auto text = call("GET", "/audit/break-glass/grants?_format=text", "ig-lead");
  ASSERT_EQ(text.status, 200U) << text.body;
  EXPECT_NE(text.body.find("1 break-glass grant in force at "), std::string::npos) << text.body;
  EXPECT_NE(text.body.find(std::string(kRhys)), std::string::npos);
  EXPECT_EQ(text.body.find(std::string(kEileen)), std::string::npos);
}

TEST_F(BreakGlassGrantsTest, OnlyTheIgPurposeMayListAndEveryLookIsAudited) {
  open_two_end_one();
  for (const char* login : {"gp", "paramedic", "operator"}) {
    const auto refused = call("GET", "/audit/break-glass/grants", login);
    EXPECT_EQ(refused.status, 403U) << login;
    EXPECT_EQ(refused.body.find(std::string(kRhys)), std::string::npos) << login;
    EXPECT_NE(refused.body.find("break-glass grants in force is for information governance"),
              std::string::npos)
        << refused.body;
  }
  const auto bad = call("GET", "/audit/break-glass/grants?status=any", "ig-lead");
  EXPECT_EQ(bad.status, 400U);
  EXPECT_NE(bad.body.find("status"), std::string::npos) << bad.body;
  ASSERT_EQ(call("GET", "/audit/break-glass/grants", "ig-lead").status, 200U);
  std::size_t looks = 0;
  std::size_t refusals = 0;
  for (const auto& a : audited()) {
    if (a.type != audit::EventType::kAuditQuery) {
      continue;
    }
    if (a.outcome == audit::Outcome::kSuccess) {
      EXPECT_EQ(a.detail, "break-glass grants in force: 1");
      EXPECT_EQ(a.user_id, auth::find_demo_user("ig-lead")->id);
      EXPECT_TRUE(a.nhs_number.empty());
      ++looks;
    } else {
      ++refusals;
    }
  }
  EXPECT_EQ(looks, 1U);
  EXPECT_EQ(refusals, 4U);  // three other purposes and the bad parameter
}

TEST_F(BreakGlassGrantsTest, MetricsCountTheGrantsInForce) {
  const auto before = call("GET", "/metrics");
  EXPECT_NE(before.body.find("\ncaregw_break_glass_grants_active 0\n"), std::string::npos)
      << before.body;
  open_two_end_one();
  const auto after = call("GET", "/metrics");
  EXPECT_NE(after.body.find("\ncaregw_break_glass_grants_active 1\n"), std::string::npos)
      << after.body;
}

TEST_F(BreakGlassGrantsTest, TheCliListsTheSameGrantsFromTheDataDirectory) {
  open_two_end_one();
  const std::uint64_t seq = opened_seq();
  server_.reset();  // the CLI reads the files the gateway wrote
  audit_->close();
  const std::string data = dir_.file("data");
  const auto j = run_command({caregw_binary(), "audit", "break-glass", "grants", "--data-dir", data,
                              "--format", "json", "--as", "ig-lead-1"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto doc = fhir::parse_json(j.out);
  ASSERT_TRUE(doc) << j.out;
  ASSERT_EQ((*doc)["grants"].Size(), 1U) << j.out;
  expect_rhys_grant((*doc)["grants"][0]);
  EXPECT_EQ((*doc)["grants"][0]["auditSeq"].GetUint64(), seq);
  const auto table =
      run_command({caregw_binary(), "audit", "break-glass", "grants", "--data-dir", data});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("1 break-glass grant in force at "), std::string::npos) << table.out;
  EXPECT_EQ(run_command({caregw_binary(), "audit", "break-glass", "grants", "--data-dir", data,
                         "--format", "csv"})
                .exit_code,
            2);
  // A directory with no gateway state is an error, and nothing is made there.
  const auto none = run_command(
      {caregw_binary(), "audit", "break-glass", "grants", "--data-dir", dir_.file("empty")});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("empty")));
}

}  // namespace
}  // namespace gw::test
