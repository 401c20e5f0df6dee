#include "gateway/audit/reports.hpp"

#include <map>

#include <gtest/gtest.h>

#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

class AuditReportsTest : public test::LogFixture {
protected:
  void SetUp() override { log_ = open(); }
  std::uint64_t add(AuditRecord r) { return ok(log_->append_sync(std::move(r))); }
  AuditRecord break_glass(int patient, const std::string& user) {
    AuditRecord r = read_record(test_nhs(patient), user, "Z9L01");
    r.type = EventType::kBreakGlass;
    r.decision = Decision::kBreakGlass;
    r.purpose_of_use = "ETREAT";
    r.break_glass_reason = "found collapsed; no relationship on record";
    return r;
  }
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditReportsTest, BreakGlassQueueShowsUnreviewedFirstAndReviewsAreAudited) {
  const auto a = add(break_glass(1, "para-1"));
  add(read_record(test_nhs(2)));
  const auto b = add(break_glass(3, "para-2"));
  const auto c = add(break_glass(4, "para-3"));
  ReviewInput review{b,
                     "ig-lead-1",
                     "Ivy Governance",
                     "IG lead",
                     "Z90001",
                     ReviewOutcome::kAppropriate,
                     "ED attendance confirmed"};
  const auto review_seq = ok(record_break_glass_review(*log_, review));
  auto queue = ok(log_->with_reader([](AuditStore& s) { return break_glass_queue(s); }));
  ASSERT_EQ(queue.size(), 3U);
  EXPECT_EQ(queue[0].event.record.seq, a);
  EXPECT_FALSE(queue[0].review);
  EXPECT_EQ(queue[1].event.record.seq, c);
  EXPECT_EQ(queue[2].event.record.seq, b);
  ASSERT_TRUE(queue[2].review);
  EXPECT_EQ(queue[2].review->record.seq, review_seq);
  EXPECT_EQ(queue[2].review->record.detail, "appropriate: ED attendance confirmed");
  // The review is itself an audit record, in the chain.
  auto r = ok(log_->get(review_seq));
  EXPECT_EQ(r.record.type, EventType::kBreakGlassReview);
  EXPECT_EQ(r.record.related_seq, b);
  EXPECT_EQ(r.record.nhs_number, test_nhs(3));
  EXPECT_TRUE(ok(log_->verify()).ok);
  // Only a break-glass event can be reviewed.
  review.break_glass_seq = 2;
  EXPECT_EQ(record_break_glass_review(*log_, review).error().code, Errc::kNotFound);
}

TEST_F(AuditReportsTest, TheQueueListsGrantedBreakGlassOnlyNotRefusedAttempts) {
  const auto granted = add(break_glass(1, "para-1"));
  // Refused: the agreement does not let this role break the glass (a denial, outcome 4).
  AuditRecord refused = break_glass(2, "nurse-1");
  refused.decision = Decision::kDeny;
  refused.outcome = Outcome::kMinorFailure;
  refused.dsa_rule = "no-legitimate-relationship";
  const auto refused_seq = add(refused);
  // Refused for a bad body (no justification): no decision at all.
  AuditRecord bad = break_glass(3, "para-2");
  bad.decision = Decision::kNone;
  bad.outcome = Outcome::kMinorFailure;
  add(bad);
  // A read under the grant: found from the grant, not queued on its own.
  AuditRecord read = read_record(test_nhs(1), "para-1", "Z9L01");
  read.decision = Decision::kBreakGlass;
  read.break_glass_reason = "emergency-treatment";
  add(read);
  auto queue = ok(log_->with_reader([](AuditStore& s) { return break_glass_queue(s); }));
  ASSERT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue[0].event.record.seq, granted);
  // The refusal is where refusals are: the denied-access report.
  auto denied = ok(
      log_->with_reader([](AuditStore& s) { return denied_summary(s, 0, std::int64_t{1} << 62); }));
  ASSERT_EQ(denied.size(), 1U);
  EXPECT_EQ(denied[0].user_id, "nurse-1");
  // And it cannot be reviewed as if it were a grant.
  ReviewInput review;
  review.break_glass_seq = refused_seq;
  review.reviewer_id = "ig-lead-1";
  auto r = record_break_glass_review(*log_, review);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_NE(r.error().detail.find("refused"), std::string::npos);
}

TEST_F(AuditReportsTest, AnEventIsReviewedOnceUnlessTheReviewerRevisesIt) {
  const auto event = add(break_glass(1, "para-1"));
  // A refused review attempt (e.g. over HTTP with a bad body) is audited but is no review.
  AuditRecord attempt;
  attempt.type = EventType::kBreakGlassReview;
  attempt.outcome = Outcome::kMinorFailure;
  attempt.user_id = "ig-lead-1";
  attempt.related_seq = event;
  add(attempt);
  ReviewInput review;
  review.break_glass_seq = event;
  review.reviewer_id = "ig-lead-1";
  review.outcome = ReviewOutcome::kNeedsFollowUp;
  review.note = "ask the crew lead for the incident log";
  const auto first = ok(record_break_glass_review(*log_, review));
  review.reviewer_id = "ig-lead-2";
  review.outcome = ReviewOutcome::kAppropriate;
  review.note = "incident log seen";
  auto again = record_break_glass_review(*log_, review);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  EXPECT_NE(again.error().detail.find(std::to_string(first)), std::string::npos);
  review.revise = true;
  const auto second = ok(record_break_glass_review(*log_, review));
  auto queue = ok(log_->with_reader([](AuditStore& s) { return break_glass_queue(s); }));
  ASSERT_EQ(queue.size(), 1U);
  ASSERT_TRUE(queue[0].review);
  EXPECT_EQ(queue[0].review->record.seq, second);  // the latest review is shown
  const auto finding = parse_review_detail(queue[0].review->record.detail);
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->outcome, ReviewOutcome::kAppropriate);
  EXPECT_EQ(finding->note, "incident log seen");
  EXPECT_TRUE(ok(log_->verify()).ok);
}

TEST_F(AuditReportsTest, ReviewDetailsReadBack) {
  auto plain = parse_review_detail("inappropriate");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->outcome, ReviewOutcome::kInappropriate);
  EXPECT_TRUE(plain->note.empty());
  auto noted = parse_review_detail("follow-up: call the GP: today");
  ASSERT_TRUE(noted);
  EXPECT_EQ(noted->outcome, ReviewOutcome::kNeedsFollowUp);
  EXPECT_EQ(noted->note, "call the GP: today");
  EXPECT_FALSE(parse_review_detail("refused (not-found)"));
}

TEST_F(AuditReportsTest, ARefusedBreakGlassIsNotToldToThePatientAsAnOpening) {
  AuditRecord refused = break_glass(7, "nurse-1");
  refused.decision = Decision::kDeny;
  refused.outcome = Outcome::kMinorFailure;
  add(refused);
  auto h = ok(log_->with_reader([](AuditStore& s) { return access_history(s, test_nhs(7)); }));
  ASSERT_EQ(h.size(), 1U);
  EXPECT_NE(h[0].sentence.find("in an emergency but was not allowed to"), std::string::npos)
      << h[0].sentence;
}

TEST_F(AuditReportsTest, AccessHistoryIsInPlainWords) {
  AuditRecord read = read_record(test_nhs(5));
  read.user_name = "Dr Ada Testwell";
  read.user_role = "GP";
  read.withheld = {"sexual health"};
  add(read);
  AuditRecord denied = read_record(test_nhs(5), "sw-1", "Z9S01");
  denied.user_name = "Sol Worker";
  denied.user_role = "social worker";
  denied.decision = Decision::kDeny;
  denied.outcome = Outcome::kMinorFailure;
  denied.disclosed.clear();
  add(denied);
  add(break_glass(5, "para-1"));
  add(read_record(test_nhs(6)));  // someone else's record
  const OrgName names = [](std::string_view ods) {
    return ods == "Z90001" ? std::string("Riverside Medical Practice") : std::string();
  };
  auto h =
      ok(log_->with_reader([&](AuditStore& s) { return access_history(s, test_nhs(5), names); }));
  ASSERT_EQ(h.size(), 3U);
  EXPECT_EQ(h[0].sentence,
            "On 2 November 2026 at 09:00 (UTC), Dr Ada Testwell (GP) at Riverside Medical "
            "Practice looked at your record to care for you. They saw medicines and allergies. "
            "Some information was not shown to them (sexual health).");
  EXPECT_EQ(h[1].sentence,
            "On 2 November 2026 at 09:00 (UTC), Sol Worker (social worker) at the organisation "
            "with code Z9S01 asked to see your record but was not allowed to.");
  EXPECT_NE(h[2].sentence.find("in an emergency"), std::string::npos);
  for (const auto& e : h) {
    EXPECT_EQ(e.sentence.find(test_nhs(5)), std::string::npos) << "no codes or numbers";
  }
}

TEST_F(AuditReportsTest, DeniedSummaryCountsByUserAndOrganisation) {
  for (int i = 0; i < 3; ++i) {
    AuditRecord r = read_record(test_nhs(i), "nosy-1", "Z9S01");
    r.decision = Decision::kDeny;
    add(r);
  }
  AuditRecord r = read_record(test_nhs(1), "other", "Z90001");
  r.decision = Decision::kDeny;
  add(r);
  add(read_record(test_nhs(1)));
  auto rows = ok(
      log_->with_reader([](AuditStore& s) { return denied_summary(s, 0, std::int64_t{1} << 62); }));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].user_id, "nosy-1");
  EXPECT_EQ(rows[0].count, 3U);
  EXPECT_EQ(rows[1].count, 1U);
}

class Directory final : public DemographicsSource {
public:
  std::map<std::string, PersonFacts, std::less<>> patients, users;
  std::optional<PersonFacts> patient(std::string_view nhs) override {
    auto it = patients.find(nhs);
    return it == patients.end() ? std::nullopt : std::optional<PersonFacts>(it->second);
  }
  std::optional<PersonFacts> user(std::string_view id) override {
    auto it = users.find(id);
    return it == users.end() ? std::nullopt : std::optional<PersonFacts>(it->second);
  }
};

TEST_F(AuditReportsTest, UnusualActivityFlagsManyPatientsAndSharedSurnameOrAddress) {
  // busy-1 opens 6 different patients in 5 minutes; calm-1 opens 6 over 6 hours.
  for (int i = 0; i < 6; ++i) {
    add(read_record(test_nhs(i), "busy-1"));
    clock.advance(std::chrono::minutes(1));
  }
  for (int i = 0; i < 6; ++i) {
    add(read_record(test_nhs(i), "calm-1"));
    clock.advance(std::chrono::hours(1));
  }
  add(read_record(test_nhs(20), "nosy-2"));
  add(read_record(test_nhs(21), "nosy-2"));
  Directory people;
  people.users["nosy-2"] = {"Testwell", "ZZ99 3AA", "1 Example Row"};
  people.patients[test_nhs(20)] = {"TESTWELL", "ZZ99 9ZZ", "9 Other Road"};
  people.patients[test_nhs(21)] = {"Other", "zz99 3aa", "1 example row"};
  UnusualThresholds t;
  t.distinct_patients = 5;
  t.window_us = 10 * 60'000'000LL;
  auto found = ok(log_->with_reader(
      [&](AuditStore& s) { return unusual_activity(s, 0, std::int64_t{1} << 62, t, &people); }));
  std::vector<std::string> kinds;
  for (const auto& f : found) {
    kinds.push_back(std::string(unusual_kind_name(f.kind)) + ":" + f.user_id);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"many-patients:busy-1", "shared-surname:nosy-2",
                                             "shared-address:nosy-2"}));
  EXPECT_EQ(found[0].patients, 6U);
  EXPECT_EQ(found[1].nhs_number, test_nhs(20));
  EXPECT_EQ(found[2].nhs_number, test_nhs(21));
}

}  // namespace
}  // namespace gw::audit
