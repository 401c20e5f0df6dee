// Unit tests for the MPI review worklist on SQLite: an NHS number conflict held for review (the
// person unchanged), listing, inspecting both sides, linking, not-a-duplicate, new person, and
// the append-only action trail. Synthetic data only.
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "tests/unit/gateway/store/mpi_fixture.hpp"

namespace gw::store::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::year;

constexpr std::string_view kNhsA = "9990000018";
constexpr std::string_view kNhsB = "9990000026";
constexpr std::string_view kNhsC = "9990000034";

class SqliteMpiReview : public MpiFixture {
protected:
  ReviewItemId open_item(ReviewKind kind, std::vector<ReviewCandidate> candidates,
                         std::optional<LocalId> local_id = std::nullopt) {
    auto tx = begin();
    auto id = ok(tx->open_review_item(NewReviewItem{
        .kind = kind,
        .source = ods(kAcute),
        .local_id = std::move(local_id),
        .message_id = "adt-a28-7",
        .incoming_json = R"({"family":"Example","given":["Ann"],"birthDate":"1984-06-12"})",
        .scores_json = R"({"family":4.1,"given":2.0,"birthDate":5.2,"total":11.3})",
        .candidates = std::move(candidates),
        .opened_by = "caregw-mpi"}));
    ok(tx->commit());
    return id;
  }
};

// The scenario of the MPI issue: the acute trust sends an MRN the MPI holds for one NHS number,
// but with another NHS number. The MPI service (not this repository) decides; the repository
// refuses to merge it silently and holds the item for review.
TEST_F(SqliteMpiReview, AnNhsNumberConflictIsHeldForReviewAndChangesNothing) {
  const auto ann = person(kNhsA);
  const auto mrn = local(kAcute, LocalIdType::kHospitalMrn, "MRN0001");
  {
    auto tx = begin();
    ok(tx->link_local_identifier(mrn, ann, LinkProvenance::verified_nhs_number("adt-1")));
    ok(tx->commit());
  }
  const auto before = ok(repo_->get_person(ann));
  clock_.advance(1h);

  // What the service sees and does, in one transaction.
  auto tx = begin();
  const auto incoming = nhs(kNhsB);
  auto holder = ok(tx->find_by_local_id(mrn));
  ASSERT_TRUE(holder);
  ASSERT_NE(holder->nhs_number, incoming);
  // The store's own guards agree: no overwrite, no second link.
  EXPECT_EQ(outcome(tx->set_nhs_number(ann, incoming, VerificationStatus::kPresentVerified,
                                       ods(kAcute), "adt-2")),
            "conflict");
  EXPECT_TRUE(ok(tx->open_review_items_for(mrn)).empty());
  const auto item = ok(tx->open_review_item(
      NewReviewItem{.kind = ReviewKind::kNhsNumberConflict,
                    .source = ods(kAcute),
                    .local_id = mrn,
                    .message_id = "adt-2",
                    .incoming_json = R"({"nhsNumber":"9990000026","identifier":"MRN0001"})",
                    .candidates = {{ann, std::nullopt}},
                    .opened_by = "caregw-mpi"}));
  ok(tx->commit());

  // The person is exactly as it was; the item is on the worklist.
  const auto after = ok(repo_->get_person(ann));
  ASSERT_TRUE(after && before);
  EXPECT_EQ(after->nhs_number, before->nhs_number);
  EXPECT_EQ(after->updated_at, before->updated_at);
  EXPECT_EQ(ok(repo_->find_by_local_id(mrn))->id, ann);
  EXPECT_FALSE(ok(repo_->find_by_nhs_number(incoming)));
  EXPECT_EQ(ok(repo_->links(ann)).size(), 1U);
  EXPECT_EQ(ok(repo_->open_review_items_for(mrn)), std::vector<ReviewItemId>{item});
  auto open = ok(repo_->list_review_items(ReviewFilter{}));
  ASSERT_EQ(open.size(), 1U);
  EXPECT_EQ(open[0].kind, ReviewKind::kNhsNumberConflict);
  EXPECT_EQ(open[0].status, ReviewStatus::kOpen);
  EXPECT_EQ(open[0].local_id, mrn);
  EXPECT_EQ(open[0].scores_json, "{}");
  EXPECT_EQ(open[0].created_at, clock_.now());

  // A reviewer decides the MRN belongs to a different person: a new one with the other number.
  clock_.advance(1h);
  auto review = begin();
  const auto other =
      ok(review->create_person(NewPerson{.nhs_number = incoming,
                                         .verification = VerificationStatus::kPresentVerified,
                                         .source = ods(kAcute),
                                         .message_id = "adt-2"}));
  ok(review->relink_local_identifier(mrn, other, LinkProvenance::manual("reviewer.one", item)));
  ok(review->resolve_review_item(item, ReviewResolution{.status = ReviewStatus::kNewPerson,
                                                        .actor = "reviewer.one",
                                                        .person = other,
                                                        .note = "different patient"}));
  ok(review->commit());
  EXPECT_EQ(ok(repo_->find_by_local_id(mrn))->id, other);
  EXPECT_EQ(ok(repo_->find_by_nhs_number(nhs(kNhsA)))->id, ann);
  EXPECT_TRUE(ok(repo_->open_review_items_for(mrn)).empty());
}

TEST_F(SqliteMpiReview, WorklistListInspectLinkAndRecordEveryAction) {
  const auto ann = person(kNhsA, "emis-guid-0001");
  const auto bea = person(kNhsB, "emis-guid-0002");
  {
    auto tx = begin();
    ok(tx->add_demographics(ann, demographics("Example", "Ann", year{1984} / 6 / 12, "ZZ99 3AA"),
                            DemographicsSource{.source = ods(kGp)}));
    ok(tx->commit());
  }
  const auto mrn = local(kAcute, LocalIdType::kHospitalMrn, "MRN0009");
  const auto first = open_item(ReviewKind::kPossibleMatch, {{ann, 11.3}, {bea, 6.0}}, mrn);
  clock_.advance(1min);
  const auto second = open_item(ReviewKind::kPossibleMatch, {{bea, 8.0}});
  const auto third = open_item(ReviewKind::kNhsNumberConflict, {{ann, std::nullopt}});

  // List: oldest first, filtered by kind, paged.
  auto open = ok(repo_->list_review_items(ReviewFilter{}));
  ASSERT_EQ(open.size(), 3U);
  EXPECT_EQ(open[0].id, first);
  EXPECT_EQ(open[0].candidates, (std::vector<ReviewCandidate>{{ann, 11.3}, {bea, 6.0}}));
  auto conflicts =
      ok(repo_->list_review_items(ReviewFilter{.kind = ReviewKind::kNhsNumberConflict}));
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0].id, third);
  auto page = ok(repo_->list_review_items(ReviewFilter{.after = first, .limit = 1}));
  ASSERT_EQ(page.size(), 1U);
  EXPECT_EQ(page[0].id, second);
  EXPECT_EQ(outcome(repo_->list_review_items(ReviewFilter{.limit = kMaxReviewPage + 1})),
            "bad_request");

  // Inspect both sides: the incoming identity and each candidate as the MPI holds them.
  auto inspection = ok(repo_->inspect_review_item(first));
  ASSERT_TRUE(inspection);
  EXPECT_NE(inspection->item.incoming_json.find("Example"), std::string::npos);
  EXPECT_NE(inspection->item.scores_json.find("total"), std::string::npos);
  ASSERT_EQ(inspection->candidates.size(), 2U);
  EXPECT_EQ(inspection->candidates[0].person.id, ann);
  EXPECT_EQ(inspection->candidates[0].current_demographics.at(0).data.family, "Example");
  EXPECT_EQ(inspection->candidates[0].local_ids.at(0).local_id.value, "emis-guid-0001");
  EXPECT_EQ(inspection->candidates[1].person.id, bea);
  EXPECT_FALSE(ok(repo_->inspect_review_item(ReviewItemId{999})));

  // Link: the reviewer's look, the decision and the link, in one unit of work.
  clock_.advance(5min);
  const auto decided_at = clock_.now();
  {
    auto tx = begin();
    ok(tx->add_review_action(first, ReviewActionKind::kInspected, "reviewer.one", ""));
    ok(tx->add_review_action(first, ReviewActionKind::kCommented, "reviewer.one",
                             "same date of birth and postcode;\nGP confirms"));
    ok(tx->link_local_identifier(mrn, ann, LinkProvenance::manual("reviewer.one", first)));
    ok(tx->resolve_review_item(first, ReviewResolution{.status = ReviewStatus::kLinked,
                                                       .actor = "reviewer.one",
                                                       .person = ann,
                                                       .note = "confirmed"}));
    ok(tx->commit());
  }
  // Not a duplicate.
  {
    auto tx = begin();
    ok(tx->resolve_review_item(
        second, ReviewResolution{.status = ReviewStatus::kNotDuplicate, .actor = "reviewer.two"}));
    ok(tx->commit());
  }
  auto resolved = ok(repo_->get_review_item(first));
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->status, ReviewStatus::kLinked);
  EXPECT_EQ(resolved->resolved_by, "reviewer.one");
  EXPECT_EQ(resolved->resolved_at, decided_at);
  EXPECT_EQ(resolved->resolved_person, ann);
  EXPECT_EQ(resolved->note, "confirmed");
  EXPECT_EQ(ok(repo_->find_by_local_id(mrn))->id, ann);
  EXPECT_EQ(ok(repo_->links(ann)).back().provenance.review_item, first);

  auto remaining = ok(repo_->list_review_items(ReviewFilter{}));
  ASSERT_EQ(remaining.size(), 1U);
  EXPECT_EQ(remaining[0].id, third);
  EXPECT_EQ(ok(repo_->list_review_items(ReviewFilter{.status = ReviewStatus::kLinked})).size(), 1U);
  EXPECT_EQ(ok(repo_->list_review_items(ReviewFilter{.status = std::nullopt})).size(), 3U);

  auto actions = ok(repo_->review_actions(first));
  ASSERT_EQ(actions.size(), 4U);
  EXPECT_EQ(actions[0].kind, ReviewActionKind::kOpened);
  EXPECT_EQ(actions[0].actor, "caregw-mpi");
  EXPECT_EQ(actions[1].kind, ReviewActionKind::kInspected);
  EXPECT_EQ(actions[2].kind, ReviewActionKind::kCommented);
  EXPECT_EQ(actions[2].note, "same date of birth and postcode;\nGP confirms");
  EXPECT_EQ(actions[3].kind, ReviewActionKind::kLinked);
  EXPECT_EQ(actions[3].person, ann);
  EXPECT_EQ(actions[3].at, decided_at);
  auto second_actions = ok(repo_->review_actions(second));
  ASSERT_EQ(second_actions.size(), 2U);
  EXPECT_EQ(second_actions[1].kind, ReviewActionKind::kMarkedNotDuplicate);
}

TEST_F(SqliteMpiReview, AResolvedItemIsFinal) {
  const auto ann = person(kNhsA);
  const auto item = open_item(ReviewKind::kPossibleMatch, {{ann, 10.0}});
  auto tx = begin();
  ok(tx->resolve_review_item(
      item, ReviewResolution{.status = ReviewStatus::kNotDuplicate, .actor = "reviewer.one"}));
  EXPECT_EQ(outcome(tx->resolve_review_item(item, ReviewResolution{.status = ReviewStatus::kLinked,
                                                                   .actor = "reviewer.two",
                                                                   .person = ann})),
            "conflict");
  // Comments may still be added to a closed item; the decision stays.
  ok(tx->add_review_action(item, ReviewActionKind::kCommented, "reviewer.two", "agree"));
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->get_review_item(item))->status, ReviewStatus::kNotDuplicate);
  EXPECT_EQ(ok(repo_->review_actions(item)).size(), 3U);
}

TEST_F(SqliteMpiReview, BadReviewInputIsRefused) {
  const auto ann = person(kNhsA);
  const auto item = open_item(ReviewKind::kPossibleMatch, {{ann, 10.0}});
  auto tx = begin();
  auto base = NewReviewItem{.kind = ReviewKind::kPossibleMatch,
                            .source = ods(kAcute),
                            .incoming_json = "{}",
                            .candidates = {{ann, 1.0}},
                            .opened_by = "caregw-mpi"};
  auto bad_json = base;
  bad_json.incoming_json = R"({"family": "Exam)";
  EXPECT_EQ(outcome(tx->open_review_item(bad_json)), "bad_request");
  auto bad_scores = base;
  bad_scores.scores_json = "[1,";
  EXPECT_EQ(outcome(tx->open_review_item(bad_scores)), "bad_request");
  auto deep = base;
  deep.incoming_json = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(outcome(tx->open_review_item(deep)), "ok");  // parsed iteratively: no stack blow-up
  auto unknown = base;
  unknown.candidates = {{PersonId{999}, 1.0}};
  EXPECT_EQ(outcome(tx->open_review_item(unknown)), "bad_request");
  auto nobody = base;
  nobody.opened_by.clear();
  EXPECT_EQ(outcome(tx->open_review_item(nobody)), "bad_request");
  auto nan = base;
  nan.candidates = {{ann, std::numeric_limits<double>::quiet_NaN()}};
  EXPECT_EQ(outcome(tx->open_review_item(nan)), "bad_request");

  EXPECT_EQ(outcome(tx->resolve_review_item(
                item, ReviewResolution{.status = ReviewStatus::kOpen, .actor = "r"})),
            "bad_request");
  EXPECT_EQ(outcome(tx->resolve_review_item(
                item, ReviewResolution{.status = ReviewStatus::kLinked, .actor = "r"})),
            "bad_request");  // linked to whom?
  EXPECT_EQ(outcome(tx->resolve_review_item(
                ReviewItemId{999},
                ReviewResolution{.status = ReviewStatus::kNotDuplicate, .actor = "r"})),
            "not_found");
  EXPECT_EQ(outcome(tx->add_review_action(item, ReviewActionKind::kLinked, "r", "")),
            "bad_request");  // decisions go through resolve_review_item
  EXPECT_EQ(outcome(tx->add_review_action(item, ReviewActionKind::kCommented, "r", "")),
            "bad_request");  // a comment needs text
  EXPECT_EQ(
      outcome(tx->add_review_action(ReviewItemId{999}, ReviewActionKind::kInspected, "r", "")),
      "not_found");
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->get_review_item(item))->status, ReviewStatus::kOpen);
}

}  // namespace
}  // namespace gw::store::test
