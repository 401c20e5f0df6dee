// Unit tests for gateway/store/sqlite/sqlite_mpi_repository.hpp: persons, local identifiers
// and link provenance, demographics history, merges and unmerges, blocking-key candidates,
// transactions and durability. Synthetic data only (999 test-range NHS numbers, invented names).
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/unit/gateway/store/mpi_fixture.hpp"

namespace gw::store::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

constexpr std::string_view kNhsA = "9990000018";
constexpr std::string_view kNhsB = "9990000026";
constexpr std::string_view kNhsC = "9990000034";
constexpr std::string_view kNhsD = "9990000042";

class SqliteMpiRepository : public MpiFixture {};

TEST_F(SqliteMpiRepository, TestNumbersAreValid) {
  for (auto n : {kNhsA, kNhsB, kNhsC, kNhsD, std::string_view("9990000050")}) {
    EXPECT_TRUE(NhsNumber::parse(n)) << n;
  }
}

TEST_F(SqliteMpiRepository, CreatesAPersonAndFindsThemByNhsNumber) {
  const auto created_at = clock_.now();
  const auto id = person(kNhsA);
  auto found = ok(repo_->find_by_nhs_number(nhs(kNhsA)));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(found->nhs_number, nhs(kNhsA));
  EXPECT_EQ(found->nhs_verification, VerificationStatus::kPresentVerified);
  EXPECT_EQ(found->created_at, created_at);
  EXPECT_FALSE(found->superseded_by);
  EXPECT_FALSE(ok(repo_->find_by_nhs_number(nhs(kNhsB))));
  EXPECT_EQ(ok(repo_->resolve(id)), id);
  EXPECT_EQ(outcome(repo_->resolve(PersonId{999})), "not_found");

  auto history = ok(repo_->nhs_number_history(id));
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].nhs_number, nhs(kNhsA));
  EXPECT_EQ(history[0].source, ods(kGp));
}

TEST_F(SqliteMpiRepository, OnePersonPerNhsNumber) {
  person(kNhsA);
  auto tx = begin();
  auto r = tx->create_person(NewPerson{.nhs_number = nhs(kNhsA), .source = ods(kAcute)});
  EXPECT_EQ(outcome(r), "conflict");
  EXPECT_EQ(r.error().detail.find(kNhsA), std::string::npos);  // never the number itself
  EXPECT_EQ(outcome(tx->create_person(NewPerson{.verification = static_cast<VerificationStatus>(9),
                                                .source = ods(kAcute)})),
            "bad_request");
}

TEST_F(SqliteMpiRepository, SetNhsNumberFillsAGapOrUpgradesTheStatusButNeverOverwrites) {
  const auto unknown = person(std::nullopt, "guid-unknown");
  const auto other = person(kNhsB);
  auto tx = begin();
  ok(tx->set_nhs_number(unknown, nhs(kNhsA), VerificationStatus::kPresentNotTraced, ods(kAcute),
                        "adt-1"));
  clock_.advance(1h);
  ok(tx->set_nhs_number(unknown, nhs(kNhsA), VerificationStatus::kPresentVerified, ods(kAcute),
                        "adt-2"));
  ok(tx->set_nhs_number(unknown, nhs(kNhsA), VerificationStatus::kPresentVerified, ods(kAcute),
                        "adt-3"));  // no change: not recorded again
  EXPECT_EQ(outcome(tx->set_nhs_number(unknown, nhs(kNhsC), VerificationStatus::kPresentVerified,
                                       ods(kAcute), "adt-4")),
            "conflict");
  EXPECT_EQ(outcome(tx->set_nhs_number(other, nhs(kNhsA), VerificationStatus::kPresentVerified,
                                       ods(kAcute), "adt-5")),
            "conflict");  // someone else holds it
  ok(tx->commit());

  auto p = ok(repo_->get_person(unknown));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nhs_number, nhs(kNhsA));
  EXPECT_EQ(p->nhs_verification, VerificationStatus::kPresentVerified);
  auto history = ok(repo_->nhs_number_history(unknown));
  ASSERT_EQ(history.size(), 2U);
  EXPECT_EQ(history[0].verification, VerificationStatus::kPresentNotTraced);
  EXPECT_EQ(history[1].verification, VerificationStatus::kPresentVerified);
  EXPECT_EQ(history[1].message_id, "adt-2");
}

TEST_F(SqliteMpiRepository, LocalIdentifiersAreUniqueAndResolveToTheirPerson) {
  const auto ann = person(kNhsA, "emis-guid-0001");
  const auto bea = person(kNhsB);
  const auto guid = local(kGp, LocalIdType::kEmisPatientGuid, "emis-guid-0001");
  auto found = ok(repo_->find_by_local_id(guid));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, ann);
  // The same value from another organisation or of another type is another identifier.
  EXPECT_FALSE(
      ok(repo_->find_by_local_id(local(kAcute, LocalIdType::kEmisPatientGuid, "emis-guid-0001"))));
  EXPECT_FALSE(
      ok(repo_->find_by_local_id(local(kGp, LocalIdType::kHospitalMrn, "emis-guid-0001"))));

  auto tx = begin();
  EXPECT_EQ(ok(tx->link_local_identifier(guid, ann, LinkProvenance::exact_identifier("m2"))),
            LinkOutcome::kAlreadyLinked);
  EXPECT_EQ(outcome(tx->link_local_identifier(guid, bea, LinkProvenance::exact_identifier("m3"))),
            "conflict");
  EXPECT_EQ(outcome(tx->link_local_identifier(local(kGp, LocalIdType::kEmisPatientGuid, ""), ann,
                                              LinkProvenance::exact_identifier("m4"))),
            "bad_request");
  EXPECT_EQ(
      outcome(tx->link_local_identifier(local(kGp, LocalIdType::kEmisPatientGuid, "x"),
                                        PersonId{4242}, LinkProvenance::exact_identifier("m5"))),
      "not_found");
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->links(ann)).size(), 1U);  // kAlreadyLinked wrote nothing
}

TEST_F(SqliteMpiRepository, EveryLinkRecordsHowItWasMade) {
  const auto ann = person(kNhsA, "emis-guid-0001");
  auto tx = begin();
  clock_.advance(1min);
  const auto linked_at = clock_.now();
  ok(tx->link_local_identifier(local(kAcute, LocalIdType::kHospitalMrn, "MRN0001"), ann,
                               LinkProvenance::probabilistic(14.25, "adt-a28-1")));
  ok(tx->link_local_identifier(local(kCouncil, LocalIdType::kLasPersonId, "LAS-77"), ann,
                               LinkProvenance::exact_identifier("las-1")));
  auto item = ok(tx->open_review_item(NewReviewItem{.kind = ReviewKind::kPossibleMatch,
                                                    .source = ods(kMentalHealth),
                                                    .incoming_json = R"({"family":"Example"})",
                                                    .candidates = {{ann, 9.5}},
                                                    .opened_by = "caregw-mpi"}));
  ok(tx->link_local_identifier(local(kMentalHealth, LocalIdType::kMentalHealthId, "MH-9"), ann,
                               LinkProvenance::manual("reviewer.one", item)));
  EXPECT_EQ(outcome(tx->link_local_identifier(
                local(kAcute, LocalIdType::kHospitalMrn, "MRN0002"), ann,
                LinkProvenance{.method = LinkMethod::kProbabilistic, .message_id = "m"})),
            "bad_request");  // a probabilistic link needs its score
  EXPECT_EQ(outcome(tx->link_local_identifier(local(kAcute, LocalIdType::kHospitalMrn, "MRN0003"),
                                              ann, LinkProvenance{.method = LinkMethod::kManual})),
            "bad_request");  // a manual link needs its reviewer
  ok(tx->commit());

  auto links = ok(repo_->links(ann));
  ASSERT_EQ(links.size(), 4U);
  EXPECT_EQ(links[0].provenance.method, LinkMethod::kVerifiedNhsNumber);
  EXPECT_EQ(links[0].local_id.value, "emis-guid-0001");
  EXPECT_EQ(links[1].provenance.method, LinkMethod::kProbabilistic);
  EXPECT_EQ(links[1].provenance.score, 14.25);
  EXPECT_EQ(links[1].provenance.message_id, "adt-a28-1");
  EXPECT_EQ(links[1].created_at, linked_at);
  EXPECT_EQ(links[2].provenance.method, LinkMethod::kExactIdentifier);
  EXPECT_EQ(links[3].provenance.method, LinkMethod::kManual);
  EXPECT_EQ(links[3].provenance.reviewer, "reviewer.one");
  EXPECT_EQ(links[3].provenance.review_item, item);
  EXPECT_EQ(ok(repo_->local_identifiers(ann)).size(), 4U);
}

TEST_F(SqliteMpiRepository, RelinkMovesALocalIdentifierAndKeepsTheOldLink) {
  const auto ann = person(kNhsA, "emis-guid-0001");
  const auto bea = person(kNhsB);
  const auto guid = local(kGp, LocalIdType::kEmisPatientGuid, "emis-guid-0001");
  auto tx = begin();
  ok(tx->relink_local_identifier(guid, bea, LinkProvenance::manual("reviewer.two")));
  EXPECT_EQ(outcome(tx->relink_local_identifier(local(kGp, LocalIdType::kEmisPatientGuid, "nope"),
                                                bea, LinkProvenance::manual("reviewer.two"))),
            "not_found");
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->find_by_local_id(guid))->id, bea);
  EXPECT_TRUE(ok(repo_->local_identifiers(ann)).empty());
  EXPECT_EQ(ok(repo_->links(ann)).size(), 1U);  // the original link, kept as history
  auto bea_links = ok(repo_->links(bea));
  ASSERT_EQ(bea_links.size(), 1U);
  EXPECT_EQ(bea_links[0].provenance.reviewer, "reviewer.two");
}

TEST_F(SqliteMpiRepository, ANameChangeKeepsTheOldName) {
  const auto id = person(kNhsA);
  const auto born = year{1984} / month{6} / day{12};
  const auto t1 = clock_.now();
  auto before = demographics("Example", "Ann", born, "ZZ99 3AA");
  auto after = before;
  after.family = "Sample";
  after.previous_names = {PersonName{"Example", {"Ann"}}};
  after.address_lines = {"2 Specimen Street", "Testtown"};
  after.postcode = "ZZ99 3AB";
  {
    auto tx = begin();
    ok(tx->add_demographics(id, before,
                            DemographicsSource{.source = ods(kGp), .message_id = "g1"}));
    ok(tx->commit());
  }
  clock_.advance(24h * 30);
  const auto t2 = clock_.now();
  DemographicsVersionId v2;
  {
    auto tx = begin();
    v2 = ok(tx->add_demographics(id, after,
                                 DemographicsSource{.source = ods(kGp), .message_id = "g2"}));
    // The source repeating itself records nothing new.
    EXPECT_EQ(ok(tx->add_demographics(id, after, DemographicsSource{.source = ods(kGp)})), v2);
    ok(tx->commit());
  }
  auto history = ok(repo_->demographics_history(id));
  ASSERT_EQ(history.size(), 2U);
  EXPECT_EQ(history[0].data, before);
  EXPECT_EQ(history[0].data.family, "Example");
  EXPECT_EQ(history[0].valid_from, t1);
  EXPECT_EQ(history[0].valid_to, t2);
  EXPECT_EQ(history[0].message_id, "g1");
  EXPECT_EQ(history[1].data, after);  // every field round-trips
  EXPECT_EQ(history[1].valid_from, t2);
  EXPECT_FALSE(history[1].valid_to);
  auto current = ok(repo_->current_demographics(id));
  ASSERT_EQ(current.size(), 1U);
  EXPECT_EQ(current[0].id, v2);
  EXPECT_EQ(current[0].data.previous_names.at(0).family, "Example");
}

TEST_F(SqliteMpiRepository, EachSourceHasItsOwnTimelineAndLateArrivalsSlotIn) {
  const auto id = person(kNhsA);
  const auto born = year{1990} / month{1} / day{31};
  const auto t0 = clock_.now();
  auto v1 = demographics("Example", "Ann", born, "ZZ99 1AA");
  auto v2 = demographics("Example", "Ann", born, "ZZ99 2AA");
  auto v3 = demographics("Example", "Ann", born, "ZZ99 3AA");
  auto hospital = demographics("Example", "Anne", born, "ZZ99 1AA");
  auto tx = begin();
  ok(tx->add_demographics(id, v1, DemographicsSource{.source = ods(kGp), .valid_from = t0}));
  ok(tx->add_demographics(id, v3, DemographicsSource{.source = ods(kGp), .valid_from = t0 + 48h}));
  // Arrives last but held in between: it is closed by the version after it.
  ok(tx->add_demographics(id, v2, DemographicsSource{.source = ods(kGp), .valid_from = t0 + 24h}));
  ok(tx->add_demographics(id, hospital,
                          DemographicsSource{.source = ods(kAcute), .valid_from = t0 + 1h}));
  ok(tx->commit());

  auto history = ok(repo_->demographics_history(id));
  ASSERT_EQ(history.size(), 4U);
  // Ordered by source then time: RZZ01 (acute) sorts before Y90001 (GP).
  EXPECT_EQ(history[0].source, ods(kAcute));
  EXPECT_EQ(history[1].data.postcode, "ZZ99 1AA");
  EXPECT_EQ(history[1].valid_to, t0 + 24h);
  EXPECT_EQ(history[2].data.postcode, "ZZ99 2AA");
  EXPECT_EQ(history[2].valid_to, t0 + 48h);
  EXPECT_EQ(history[3].data.postcode, "ZZ99 3AA");
  EXPECT_FALSE(history[3].valid_to);
  auto current = ok(repo_->current_demographics(id));
  ASSERT_EQ(current.size(), 2U);  // one per source, latest first
  EXPECT_EQ(current[0].data.postcode, "ZZ99 3AA");
  EXPECT_EQ(current[1].source, ods(kAcute));
}

TEST_F(SqliteMpiRepository, DemographicsAreCheckedBeforeTheyAreStored) {
  const auto id = person(kNhsA);
  auto tx = begin();
  auto bad = demographics("Example", "Ann", year{1984} / month{2} / day{30}, "ZZ99 3AA");
  EXPECT_EQ(outcome(tx->add_demographics(id, bad, DemographicsSource{.source = ods(kGp)})),
            "bad_request");
  auto huge = demographics(std::string(5000, 'x'), "Ann", year{1984} / month{2} / day{1}, "");
  EXPECT_EQ(outcome(tx->add_demographics(id, huge, DemographicsSource{.source = ods(kGp)})),
            "bad_request");
  auto ctrl = demographics("Exa\nmple", "Ann", year{1984} / month{2} / day{1}, "");
  EXPECT_EQ(outcome(tx->add_demographics(id, ctrl, DemographicsSource{.source = ods(kGp)})),
            "bad_request");
}

TEST_F(SqliteMpiRepository, AfterAMergeTheOldNhsNumberFindsTheSurvivor) {
  const auto survivor = person(kNhsA, "emis-guid-0001");
  const auto superseded = person(kNhsB, "emis-guid-0002");
  {
    auto tx = begin();
    ok(tx->add_demographics(superseded,
                            demographics("Example", "Ann", year{1970} / 1 / 1, "ZZ99 1AA"),
                            DemographicsSource{.source = ods(kGp)}));
    ok(tx->add_blocking_keys(superseded, {"fam:EXAMPLE|1970"}));
    ok(tx->commit());
  }
  clock_.advance(1h);
  const auto merge_id = merge(survivor, superseded);

  auto by_old = ok(repo_->find_by_nhs_number(nhs(kNhsB)));
  ASSERT_TRUE(by_old);
  EXPECT_EQ(by_old->id, survivor);
  EXPECT_EQ(by_old->nhs_number, nhs(kNhsA));
  EXPECT_EQ(ok(repo_->resolve(superseded)), survivor);
  EXPECT_EQ(
      ok(repo_->find_by_local_id(local(kGp, LocalIdType::kEmisPatientGuid, "emis-guid-0002")))->id,
      survivor);
  // History is kept: the superseded row, its links and demographics are all still there.
  auto row = ok(repo_->get_person(superseded));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->superseded_by, survivor);
  EXPECT_EQ(row->nhs_number, nhs(kNhsB));
  auto view = ok(repo_->person_view(superseded));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->person.id, survivor);
  EXPECT_EQ(view->merged, std::vector<PersonId>{superseded});
  EXPECT_EQ(view->local_ids.size(), 2U);
  EXPECT_EQ(view->current_demographics.size(), 1U);
  EXPECT_EQ(ok(repo_->links(survivor)).size(), 2U);
  EXPECT_EQ(ok(repo_->candidates({"fam:EXAMPLE|1970"}, 10)), std::vector<PersonId>{survivor});
  auto merges = ok(repo_->merges(survivor));
  ASSERT_EQ(merges.size(), 1U);
  EXPECT_EQ(merges[0].id, merge_id);
  EXPECT_EQ(merges[0].survivor, survivor);
  EXPECT_EQ(merges[0].superseded, superseded);
  EXPECT_EQ(merges[0].actor, kAcute);
  EXPECT_EQ(merges[0].message_id, "adt-a40-1");
  EXPECT_FALSE(merges[0].unmerged_at);
  // Writes against the superseded id land on the survivor.
  auto tx = begin();
  EXPECT_EQ(ok(tx->link_local_identifier(local(kAcute, LocalIdType::kHospitalMrn, "MRN-5"),
                                         superseded, LinkProvenance::exact_identifier("m"))),
            LinkOutcome::kCreated);
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->find_by_local_id(local(kAcute, LocalIdType::kHospitalMrn, "MRN-5")))->id,
            survivor);
}

TEST_F(SqliteMpiRepository, UnmergeRestoresThePersonAndRecordsIt) {
  const auto survivor = person(kNhsA, "emis-guid-0001");
  const auto superseded = person(kNhsB, "emis-guid-0002");
  merge(survivor, superseded);
  clock_.advance(2h);
  const auto unmerged_at = clock_.now();
  {
    auto tx = begin();
    ok(tx->unmerge(superseded, UnmergeRequest{.reason = "merged in error",
                                              .actor = "reviewer.one",
                                              .message_id = "adt-a37-1"}));
    EXPECT_EQ(outcome(tx->unmerge(superseded,
                                  UnmergeRequest{.reason = "again", .actor = "reviewer.one"})),
              "conflict");
    EXPECT_EQ(outcome(tx->unmerge(survivor, UnmergeRequest{.reason = "x", .actor = "r"})),
              "conflict");  // never merged
    ok(tx->commit());
  }
  EXPECT_EQ(ok(repo_->find_by_nhs_number(nhs(kNhsB)))->id, superseded);
  EXPECT_EQ(
      ok(repo_->find_by_local_id(local(kGp, LocalIdType::kEmisPatientGuid, "emis-guid-0002")))->id,
      superseded);
  EXPECT_TRUE(ok(repo_->person_view(survivor))->merged.empty());
  EXPECT_EQ(ok(repo_->local_identifiers(survivor)).size(), 1U);
  auto merges = ok(repo_->merges(superseded));
  ASSERT_EQ(merges.size(), 1U);
  EXPECT_EQ(merges[0].unmerged_at, unmerged_at);
  EXPECT_EQ(merges[0].unmerge_actor, "reviewer.one");
  EXPECT_EQ(merges[0].unmerge_reason, "merged in error");
  EXPECT_EQ(merges[0].unmerge_message_id, "adt-a37-1");
  // The two can be merged again later; the history then holds both merges.
  merge(survivor, superseded);
  EXPECT_EQ(ok(repo_->merges(survivor)).size(), 2U);
}

TEST_F(SqliteMpiRepository, MergeCyclesAndRepeatsAreRefused) {
  const auto a = person(kNhsA);
  const auto b = person(kNhsB);
  const auto c = person(kNhsC);
  auto tx = begin();
  const auto req = [](PersonId survivor, PersonId superseded) {
    return MergeRequest{
        .survivor = survivor, .superseded = superseded, .reason = "test", .actor = "reviewer.one"};
  };
  EXPECT_EQ(outcome(tx->merge(req(a, a))), "bad_request");
  ok(tx->merge(req(b, a)));                              // a → b
  EXPECT_EQ(outcome(tx->merge(req(b, a))), "conflict");  // a is already merged
  EXPECT_EQ(outcome(tx->merge(req(a, b))), "conflict");  // b → a would close a cycle
  ok(tx->merge(req(c, b)));                              // b → c, so a → b → c
  EXPECT_EQ(outcome(tx->merge(req(a, c))), "conflict");  // a resolves to c: a cycle
  EXPECT_EQ(outcome(tx->merge(req(PersonId{999}, c))), "not_found");
  EXPECT_EQ(outcome(tx->merge(MergeRequest{.survivor = c, .superseded = a})), "bad_request");
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->resolve(a)), c);
  EXPECT_EQ(ok(repo_->find_by_nhs_number(nhs(kNhsA)))->id, c);
  auto view = ok(repo_->person_view(a));
  EXPECT_EQ(view->merged, (std::vector<PersonId>{a, b}));
}

TEST_F(SqliteMpiRepository, CandidatesByBlockingKeys) {
  const auto ann = person(kNhsA);
  const auto bea = person(kNhsB);
  const auto cat = person(kNhsC);
  const auto dot = person(kNhsD);
  {
    auto tx = begin();
    ok(tx->add_blocking_keys(ann, {"fy:EXAMPLE|1984", "pd:ZZ99|1984-06-12"}));
    ok(tx->add_blocking_keys(bea, {"fy:EXAMPLE|1984"}));
    ok(tx->add_blocking_keys(cat, {"fy:SAMPLE|1984", "pd:ZZ99|1984-06-12"}));
    ok(tx->add_blocking_keys(dot, {"fy:EXAMPLE|1984", "pd:ZZ99|1984-06-12"}));
    ok(tx->add_blocking_keys(dot, {"fy:EXAMPLE|1984"}));  // idempotent
    ok(tx->commit());
  }
  const std::vector<std::string> keys{"fy:EXAMPLE|1984", "pd:ZZ99|1984-06-12", "fy:EXAMPLE|1984"};
  EXPECT_EQ(ok(repo_->candidates(keys, 10)), (std::vector<PersonId>{ann, dot, bea, cat}));
  EXPECT_EQ(ok(repo_->candidates(keys, 2)), (std::vector<PersonId>{ann, dot}));
  EXPECT_TRUE(ok(repo_->candidates({"fy:NOBODY|1900"}, 10)).empty());
  EXPECT_TRUE(ok(repo_->candidates({}, 10)).empty());
  // Merged persons count once, as their survivor.
  merge(ann, dot);
  EXPECT_EQ(ok(repo_->candidates(keys, 10)), (std::vector<PersonId>{ann, bea, cat}));
  EXPECT_EQ(outcome(repo_->candidates(std::vector<std::string>(kMaxBlockingKeys + 1, "k"), 10)),
            "bad_request");
  EXPECT_EQ(outcome(repo_->candidates(keys, kMaxCandidates + 1)), "bad_request");
  EXPECT_EQ(outcome(repo_->candidates({""}, 10)), "bad_request");
}

TEST_F(SqliteMpiRepository, AnUnselectiveBlockingKeyIsSkipped) {
  auto tx = begin();
  PersonId last;
  for (std::size_t i = 0; i <= sqlite::detail::MpiQueries::kMaxBlockSize; ++i) {
    last = ok(tx->create_person(NewPerson{.source = ods(kGp)}));
    ok(tx->add_blocking_keys(last, {"common"}));
  }
  ok(tx->add_blocking_keys(last, {"rare"}));
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->candidates({"common", "rare"}, 5)), std::vector<PersonId>{last});
  EXPECT_TRUE(ok(repo_->candidates({"common"}, 5)).empty());
}

TEST_F(SqliteMpiRepository, UncommittedWorkIsInvisibleAndRolledBack) {
  {
    auto tx = begin();
    const auto id = ok(tx->create_person(NewPerson{.nhs_number = nhs(kNhsA), .source = ods(kGp)}));
    EXPECT_EQ(ok(tx->find_by_nhs_number(nhs(kNhsA)))->id, id);  // the transaction sees it
    EXPECT_FALSE(ok(repo_->find_by_nhs_number(nhs(kNhsA))));    // nobody else does
  }                                                             // dropped without commit
  EXPECT_FALSE(ok(repo_->find_by_nhs_number(nhs(kNhsA))));
  auto tx = begin();  // the writer was released
  ok(tx->create_person(NewPerson{.nhs_number = nhs(kNhsA), .source = ods(kGp)}));
  ok(tx->commit());
  EXPECT_TRUE(ok(repo_->find_by_nhs_number(nhs(kNhsA))));
  EXPECT_EQ(outcome(tx->create_person(NewPerson{.source = ods(kGp)})), "internal");  // finished
  EXPECT_EQ(outcome(tx->commit()), "internal");
}

TEST_F(SqliteMpiRepository, AFailedCallChangesNothingAndTheTransactionGoesOn) {
  const auto ann = person(kNhsA, "emis-guid-0001");
  auto tx = begin();
  const auto bea = ok(tx->create_person(NewPerson{.nhs_number = nhs(kNhsB), .source = ods(kGp)}));
  // A merge that fails half-way through its checks writes nothing.
  EXPECT_EQ(outcome(tx->merge(MergeRequest{
                .survivor = PersonId{999}, .superseded = bea, .reason = "x", .actor = "r"})),
            "not_found");
  EXPECT_FALSE(ok(tx->get_person(bea))->superseded_by);
  ok(tx->link_local_identifier(local(kAcute, LocalIdType::kHospitalMrn, "MRN-1"), bea,
                               LinkProvenance::exact_identifier("m")));
  ok(tx->commit());
  EXPECT_EQ(ok(repo_->find_by_local_id(local(kAcute, LocalIdType::kHospitalMrn, "MRN-1")))->id,
            bea);
  EXPECT_EQ(ok(repo_->resolve(ann)), ann);
}

TEST_F(SqliteMpiRepository, OneWriterAtATimeReadersNeverWait) {
  reopen(sqlite::SqliteMpiOptions{.writer_wait = std::chrono::milliseconds{50}});
  person(kNhsA);
  auto tx = begin();
  ok(tx->create_person(NewPerson{.nhs_number = nhs(kNhsB), .source = ods(kGp)}));
  auto other = std::async(std::launch::async, [&] {
    auto second = repo_->begin();
    auto read = repo_->find_by_nhs_number(nhs(kNhsA));
    return std::make_pair(outcome(second), read && read->has_value());
  });
  auto [second, read] = other.get();
  EXPECT_EQ(second, "unavailable");  // the writer stayed busy past writer_wait
  EXPECT_TRUE(read);                 // a read is not blocked by the open transaction
  ok(tx->commit());
  EXPECT_TRUE(ok(repo_->begin()));
}

TEST_F(SqliteMpiRepository, ATransactionMayFinishOnAnotherThread) {
  auto tx = begin();
  ok(tx->create_person(NewPerson{.nhs_number = nhs(kNhsA), .source = ods(kGp)}));
  auto committed = std::async(std::launch::async, [&] { return outcome(tx->commit()); });
  EXPECT_EQ(committed.get(), "ok");
  EXPECT_TRUE(ok(repo_->find_by_nhs_number(nhs(kNhsA))));
  auto next = begin();  // the writer was released by the other thread
  ok(next->commit());
}

TEST_F(SqliteMpiRepository, ConcurrentReadersAndAWriterAgree) {
  constexpr int kPersons = 60;
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int i = 0; i < kPersons; ++i) {
      auto tx = repo_->begin();
      if (!tx) {
        failed = true;
        return;
      }
      auto id = (*tx)->create_person(NewPerson{.source = ods(kGp)});
      std::string key = "k";
      key += std::to_string(i % 7);
      if (!id || !(*tx)->add_blocking_keys(*id, {key}) || !(*tx)->commit()) {
        failed = true;
      }
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto c = repo_->candidates({"k1", "k2"}, 100);
        if (!c) {
          failed = true;
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_FALSE(failed);
  EXPECT_EQ(ok(repo_->candidates({"k0", "k1", "k2", "k3", "k4", "k5", "k6"}, 1000)).size(),
            static_cast<std::size_t>(kPersons));
}

TEST_F(SqliteMpiRepository, NothingIsEverDeleted) {
  const auto ann = person(kNhsA, "emis-guid-0001");
  const auto bea = person(kNhsB);
  merge(ann, bea);
  auto db = ok(sqlite::open_store_database(data_dir()));
  for (auto table : {"person", "person_nhs_history", "local_identifier", "link", "person_merge"}) {
    auto r = db.exec("DELETE FROM " + std::string(table));
    EXPECT_EQ(outcome(r), "conflict") << table;
    if (!r) {
      EXPECT_NE(r.error().detail.find("never deleted"), std::string::npos) << r.error().detail;
    }
  }
  EXPECT_EQ(outcome(db.exec("UPDATE link SET method = 'manual', reviewer = 'x'")), "conflict");
  EXPECT_EQ(outcome(db.exec("UPDATE person SET nhs_number = '9990000050'")), "conflict");
  EXPECT_EQ(outcome(db.exec("UPDATE person_merge SET reason = 'rewritten'")), "conflict");
  EXPECT_EQ(ok(db.query_int64("SELECT count(*) FROM person")), 2);
}

TEST_F(SqliteMpiRepository, EverythingSurvivesCloseAndReopen) {
  const auto ann = person(kNhsA, "emis-guid-0001");
  const auto bea = person(kNhsB, "emis-guid-0002");
  ReviewItemId item;
  {
    auto tx = begin();
    ok(tx->add_demographics(ann, demographics("Example", "Ann", year{1984} / 6 / 12, "ZZ99 3AA"),
                            DemographicsSource{.source = ods(kGp), .message_id = "g1"}));
    ok(tx->add_blocking_keys(ann, {"fy:EXAMPLE|1984"}));
    ok(tx->link_local_identifier(local(kAcute, LocalIdType::kHospitalMrn, "MRN-1"), ann,
                                 LinkProvenance::probabilistic(12.5, "adt-1")));
    item = ok(tx->open_review_item(NewReviewItem{.kind = ReviewKind::kPossibleMatch,
                                                 .source = ods(kAcute),
                                                 .incoming_json = "{}",
                                                 .candidates = {{ann, 7.0}},
                                                 .opened_by = "caregw-mpi"}));
    ok(tx->commit());
  }
  merge(ann, bea);
  repo_.reset();  // closed: every commit above was synchronous=FULL
  reopen();

  EXPECT_EQ(ok(repo_->find_by_nhs_number(nhs(kNhsB)))->id, ann);
  EXPECT_EQ(ok(repo_->find_by_local_id(local(kAcute, LocalIdType::kHospitalMrn, "MRN-1")))->id,
            ann);
  auto links = ok(repo_->links(ann));
  ASSERT_EQ(links.size(), 3U);
  EXPECT_EQ(links[2].provenance.score, 12.5);
  EXPECT_EQ(ok(repo_->demographics_history(ann)).at(0).data.given, std::vector<std::string>{"Ann"});
  EXPECT_EQ(ok(repo_->candidates({"fy:EXAMPLE|1984"}, 5)), std::vector<PersonId>{ann});
  EXPECT_EQ(ok(repo_->merges(ann)).size(), 1U);
  auto review = ok(repo_->get_review_item(item));
  ASSERT_TRUE(review);
  EXPECT_EQ(review->candidates.at(0).score, 7.0);
  EXPECT_EQ(ok(repo_->review_actions(item)).size(), 1U);
}

}  // namespace
}  // namespace gw::store::test
