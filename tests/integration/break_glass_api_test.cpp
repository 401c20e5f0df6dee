// Break-glass over real TLS, beyond opening it (record_api_test.cpp): a grant survives a restart
// of the gateway, its user can end it early (POST /fhir/Patient/{id}/$break-glass-close), and an
// IG lead records the review over HTTP (POST /audit/break-glass/{seq}/review), with every step
// in the audit log and the review queue showing granted break-glass only.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/audit/export.hpp"
#include "gateway/audit/reports.hpp"
#include "tests/integration/record_api_fixture.hpp"

namespace gw::test {
namespace {

constexpr const char* kWhy =
    R"({"reason":"emergency-treatment","justification":"unresponsive on scene, need history"})";

class BreakGlassApiTest : public RecordApiTest {
protected:
  /** queue: the review queue's records as the IG lead sees them (Bundle order). */
  std::vector<audit::StoredRecord> queue(const std::string& status) {
    const auto r = call("GET", "/audit/break-glass?status=" + status, "ig-lead");
    EXPECT_EQ(r.status, 200U) << r.body;
    auto records = audit::read_audit_event_bundle(r.body);
    EXPECT_TRUE(records) << r.body;
    return records ? std::move(*records) : std::vector<audit::StoredRecord>{};
  }

  /** granted_seq: the seq of the paramedic's break-glass record for Rhys. */
  std::uint64_t granted_seq() {
    for (const auto& a : audit_records()) {
      if (a.record.type == audit::EventType::kBreakGlass &&
          a.record.decision == audit::Decision::kBreakGlass && a.record.nhs_number == kRhys) {
        return a.record.seq;
      }
    }
    return 0;
  }

  std::vector<audit::StoredRecord> audit_records() {
    audit::PageRequest page_request;
    page_request.limit = 1000;
    auto page = audit_->query(audit::QueryFilter{}, page_request);
    EXPECT_TRUE(page) << page.error().detail;
    return page ? std::move(page->records) : std::vector<audit::StoredRecord>{};
  }

  HttpResponse review(std::uint64_t seq, const std::string& body,
                      std::string_view login = "ig-lead") {
    return call("POST", "/audit/break-glass/" + std::to_string(seq) + "/review", login, body);
  }

  static std::string issue_text(const HttpResponse& r) {
    auto doc = fhir::parse_json(r.body);
    if (!doc || !doc->IsObject() || !doc->HasMember("issue")) {
      return {};
    }
    return (*doc)["issue"][0]["details"]["text"].GetString();
  }
};

TEST_F(BreakGlassApiTest, AnOpenGrantOutlivesARestartOfTheGateway) {
  ASSERT_EQ(everything("paramedic", kRhys).status, 403U);
  ASSERT_EQ(break_the_glass("paramedic", kRhys, kWhy).status, 200U);
  ASSERT_EQ(everything("paramedic", kRhys).status, 200U);
  // The grant on disk names its audit record (linked once that record was written).
  const auto seq = granted_seq();
  ASSERT_NE(seq, 0U);
  ASSERT_EQ(break_glass_->active_records().size(), 1U);
  EXPECT_EQ(break_glass_->active_records()[0].audit_seq, seq);
  EXPECT_EQ(break_glass_->active_records()[0].origin.organisation, "Z9L01");

  restart();  // mid-emergency: the clinician keeps access

  const auto r = everything("paramedic", kRhys);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_STREQ(json(r)["meta"]["security"][0]["code"].GetString(), "BTG");
  ASSERT_EQ(break_glass_->active_records().size(), 1U);
  EXPECT_EQ(break_glass_->active_records()[0].audit_seq, seq);
  EXPECT_EQ(everything("paramedic", kEileen).status, 403U);  // still that patient only
}

TEST_F(BreakGlassApiTest, NoGrantStaysInForceWithoutItsAuditRecord) {
  audit_->close();  // the audit log refuses every append from now on
  const auto r = break_the_glass("paramedic", kRhys, kWhy);
  EXPECT_EQ(r.status, 503U) << r.body;
  EXPECT_FALSE(
      break_glass_->active(std::string(auth::find_demo_user("paramedic")->id), std::string(kRhys)));
  restart();  // nor after a restart: the grant was ended on disk as well
  EXPECT_FALSE(
      break_glass_->active(std::string(auth::find_demo_user("paramedic")->id), std::string(kRhys)));
}

TEST_F(BreakGlassApiTest, ItsUserEndsABreakGlassEarlyAndTheEndIsAudited) {
  ASSERT_EQ(break_the_glass("paramedic", kRhys, kWhy).status, 200U);
  const auto opened_seq = granted_seq();
  ASSERT_NE(opened_seq, 0U);
  const std::string close = "/fhir/Patient/" + std::string(kRhys) + "/$break-glass-close";
  // Another user has no grant of theirs to end, and cannot end the paramedic's.
  const auto other = call("POST", close, "gp");
  EXPECT_EQ(other.status, 404U) << other.body;
  EXPECT_EQ(other.body.find(std::string(kRhys)), std::string::npos);  // no NHS number in errors
  ASSERT_EQ(everything("paramedic", kRhys).status, 200U);

  const auto ended = call("POST", close, "paramedic");
  ASSERT_EQ(ended.status, 200U) << ended.body;
  const auto doc = json(ended);
  EXPECT_STREQ(doc["resourceType"].GetString(), "Parameters");
  EXPECT_EQ(everything("paramedic", kRhys).status, 403U);
  EXPECT_EQ(call("POST", close, "paramedic").status, 404U);  // nothing left to end
  restart();
  EXPECT_EQ(everything("paramedic", kRhys).status, 403U);  // and it stays ended

  bool end_audited = false;
  std::size_t refused = 0;
  for (const auto& a : audit_records()) {
    if (a.record.type != audit::EventType::kBreakGlassClose) {
      continue;
    }
    if (a.record.outcome == audit::Outcome::kSuccess) {
      end_audited = a.record.nhs_number == kRhys &&
                    a.record.user_id == auth::find_demo_user("paramedic")->id &&
                    a.record.related_seq == opened_seq;
    } else {
      ++refused;
    }
  }
  EXPECT_TRUE(end_audited);
  EXPECT_EQ(refused, 2U);  // the GP's attempt and the second close
}

TEST_F(BreakGlassApiTest, IgLeadsRecordTheReviewOverHttp) {
  ASSERT_EQ(break_the_glass("paramedic", kRhys, kWhy).status, 200U);
  // Refused (the agreement does not let a nurse break the glass): a denial, never queued.
  ASSERT_EQ(break_the_glass("mh-nurse", kEileen, kWhy).status, 403U);
  const auto unreviewed = queue("unreviewed");
  ASSERT_EQ(unreviewed.size(), 1U);
  const auto seq = unreviewed[0].record.seq;
  EXPECT_EQ(unreviewed[0].record.nhs_number, kRhys);
  std::uint64_t refused_seq = 0;
  for (const auto& a : audit_records()) {
    if (a.record.type == audit::EventType::kBreakGlass &&
        a.record.decision == audit::Decision::kDeny) {
      refused_seq = a.record.seq;
    }
  }
  ASSERT_NE(refused_seq, 0U);

  const std::string good = R"({"outcome":"inappropriate","note":"no emergency on the log"})";
  // Who may review, and what is refused, each saying what was wrong.
  const auto clinician = review(seq, good, "gp");
  EXPECT_EQ(clinician.status, 403U);
  EXPECT_NE(clinician.body.find("OperationOutcome"), std::string::npos);
  EXPECT_EQ(review(999999, good).status, 404U);
  const auto not_a_grant = review(refused_seq, good);
  EXPECT_EQ(not_a_grant.status, 404U);
  EXPECT_NE(issue_text(not_a_grant).find("refused break-glass attempt"), std::string::npos)
      << not_a_grant.body;
  const auto bad_outcome = review(seq, R"({"outcome":"fine"})");
  EXPECT_EQ(bad_outcome.status, 400U);
  EXPECT_NE(issue_text(bad_outcome).find("outcome"), std::string::npos) << bad_outcome.body;
  const auto bad_note = review(seq, R"({"outcome":"appropriate","note":7})");
  EXPECT_EQ(bad_note.status, 400U);
  EXPECT_NE(issue_text(bad_note).find("note"), std::string::npos) << bad_note.body;
  const auto extra = review(seq, R"({"outcome":"appropriate","rating":5})");
  EXPECT_EQ(extra.status, 400U);
  EXPECT_NE(issue_text(extra).find("rating"), std::string::npos) << extra.body;
  EXPECT_EQ(review(seq, "outcome=appropriate").status, 400U);
  EXPECT_EQ(call("POST", "/audit/break-glass/first/review", "ig-lead", good).status, 400U);
  EXPECT_EQ(queue("unreviewed").size(), 1U);  // none of those counted as a review

  const auto done = review(seq, good);
  ASSERT_EQ(done.status, 201U) << done.body;
  auto event = json(done);
  EXPECT_STREQ(event["resourceType"].GetString(), "AuditEvent");
  // Once only: a second review is a conflict (the CLI's --revise records a revision).
  EXPECT_EQ(review(seq, R"({"outcome":"appropriate"})").status, 409U);

  // The queue: nothing unreviewed; with status=any the event followed by its review, which
  // carries the outcome, the note, the reviewer and the time.
  EXPECT_TRUE(queue("unreviewed").empty());
  const auto all = queue("any");
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].record.seq, seq);
  const auto& r = all[1].record;
  EXPECT_EQ(r.type, audit::EventType::kBreakGlassReview);
  EXPECT_EQ(r.related_seq, seq);
  EXPECT_EQ(r.user_id, auth::find_demo_user("ig-lead")->id);
  EXPECT_NE(r.recorded_us, 0);
  const auto finding = audit::parse_review_detail(r.detail);
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->outcome, audit::ReviewOutcome::kInappropriate);
  EXPECT_EQ(finding->note, "no emergency on the log");

  // The review is the audit of the action (with where it came from); refusals are audited too.
  std::size_t reviews = 0;
  std::size_t refusals = 0;
  for (const auto& a : audit_records()) {
    if (a.record.type != audit::EventType::kBreakGlassReview) {
      continue;
    }
    if (a.record.outcome == audit::Outcome::kSuccess) {
      ++reviews;
      EXPECT_FALSE(a.record.request_id.empty());
      EXPECT_FALSE(a.record.client_system.empty());
      EXPECT_EQ(a.record.nhs_number, kRhys);
    } else {
      ++refusals;
    }
  }
  EXPECT_EQ(reviews, 1U);
  EXPECT_EQ(refusals, 9U);  // gp, unknown, refused attempt, 5 bad bodies or paths, the conflict
}

}  // namespace
}  // namespace gw::test
