// The IG reports' renderings shared by `caregw audit ...` and `GET /audit/...`: the same facts
// in the CLI's text and in JSON, times in UTC, and what was not checked said plainly.
#include "gateway/audit/report_render.hpp"

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"

namespace gw::audit {
namespace {

constexpr std::int64_t kNov26 = 1'795'651'200'000'000;  // 2026-11-26T00:00:00Z

TEST(ReportRender, AccessReportTextIsOneSentenceALineAndSaysWhenNoOneLooked) {
  EXPECT_EQ(access_report_text({}),
            "No one has looked at this record in the period the audit log holds.\n");
  std::vector<AccessEntry> e{{7, kNov26, "First."}, {9, kNov26 + 1, "Second."}};
  EXPECT_EQ(access_report_text(e), "First.\nSecond.\n");
  auto doc = fhir::parse_json(access_report_json("9990000018", e));
  ASSERT_TRUE(doc);
  EXPECT_STREQ((*doc)["patient"].GetString(), "9990000018");
  ASSERT_EQ((*doc)["entries"].Size(), 2U);
  EXPECT_EQ((*doc)["entries"][0]["seq"].GetUint64(), 7U);
  EXPECT_STREQ((*doc)["entries"][0]["recorded"].GetString(), "2026-11-26T00:00:00.000000Z");
  EXPECT_STREQ((*doc)["entries"][1]["sentence"].GetString(), "Second.");
}

TEST(ReportRender, DeniedReportKeepsTheCliTableAndTheJsonCarriesTheSameRows) {
  std::vector<DeniedCount> rows{{"u-1", "Z90001", 12, kNov26}};
  EXPECT_EQ(denied_report_text(rows),
            "REFUSALS  LAST (UTC)                   ORG       USER\n"
            "12        2026-11-26T00:00:00.000000Z  Z90001    u-1\n");
  auto doc = fhir::parse_json(denied_report_json(rows, kNov26, std::nullopt));
  ASSERT_TRUE(doc);
  EXPECT_STREQ((*doc)["from"].GetString(), "2026-11-26T00:00:00.000000Z");
  EXPECT_FALSE(doc->HasMember("to"));
  EXPECT_EQ((*doc)["rows"][0]["refusals"].GetUint64(), 12U);
  EXPECT_STREQ((*doc)["rows"][0]["organization"].GetString(), "Z90001");
}

TEST(ReportRender, UnusualReportStatesTheThresholdsAndWhatWasNotChecked) {
  UnusualThresholds t;
  t.distinct_patients = 20;
  t.window_us = std::int64_t{15} * 60'000'000;
  std::vector<UnusualFinding> f{
      {UnusualKind::kManyPatients, "u-2", 40, kNov26, kNov26 + 60'000'000, 21, {}}};
  EXPECT_EQ(unusual_report_text(f, t, "not everything"),
            "(thresholds: 20 patients within 15 minutes; not everything)\n"
            "many-patients  user u-2  21 patients from 2026-11-26T00:00:00.000000Z to "
            "2026-11-26T00:01:00.000000Z  (first record 40)\n");
  auto doc = fhir::parse_json(unusual_report_json(f, t, ""));
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["thresholds"]["windowMinutes"].GetInt64(), 15);
  EXPECT_FALSE(doc->HasMember("notChecked"));
  EXPECT_STREQ((*doc)["findings"][0]["kind"].GetString(), "many-patients");
  EXPECT_EQ((*doc)["findings"][0]["patients"].GetUint(), 21U);
}

}  // namespace
}  // namespace gw::audit
