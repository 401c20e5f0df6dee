// The MPI service over a real SQLite store: the identity cases of the identity issue (twins, a
// changed surname, transposed dates, hyphenated names, a missing postcode, an ambulance-only
// patient, a wrong NHS number on a hospital message, a merge then a read of the old number) and
// the review decisions. Synthetic people only: 999 test-range NHS numbers, invented names.
#include "gateway/identity/mpi_service.hpp"

#include <gtest/gtest.h>

#include "tests/unit/gateway/store/mpi_fixture.hpp"

namespace gw::identity {
namespace {

using store::LocalIdType;
using store::PersonId;
using store::test::kAcute;
using store::test::kGp;
using store::test::local;
using store::test::nhs;
using store::test::ods;
using store::test::ok;

constexpr std::string_view kNhsA = "9990000018";
constexpr std::string_view kNhsB = "9990000026";
constexpr std::string_view kAmbulance = "RZX01";
constexpr std::string_view kCouncil = "Z90002";

Date date(int y, int m, int d) { return Date{y, m, d}; }

class MpiServiceTest : public store::test::MpiFixture {
protected:
  void SetUp() override {
    MpiFixture::SetUp();
    service_ = std::make_unique<MpiService>(*repo_, MpiSettings{});
  }

  /** incoming: an identity from `source` with a local id and the given details. */
  static IncomingIdentity incoming(std::string_view source, LocalIdType type, std::string id,
                                   std::string family, std::string given, Date born,
                                   std::string postcode, std::string gender = "female") {
    IncomingIdentity in{.source = ods(source)};
    in.local_id = local(source, type, std::move(id));
    in.match.family = std::move(family);
    in.match.given = {std::move(given)};
    in.match.birth_date = born;
    in.match.gender = std::move(gender);
    in.match.postcode = std::move(postcode);
    in.message_id = "msg-" + in.local_id->value;
    return in;
  }
  static IncomingIdentity with_nhs(IncomingIdentity in, std::string_view n,
                                   VerificationStatus s = VerificationStatus::kPresentVerified) {
    in.match.nhs_number = nhs(n);
    in.match.nhs_status = s;
    return in;
  }

  IdentifyResult identify(const IncomingIdentity& in) { return ok(service_->identify(in)); }

  /** gp_patient: Olivia Testwood, born 1984-07-12, registered at the GP with a verified number. */
  IdentifyResult gp_patient() {
    return identify(with_nhs(incoming(kGp, LocalIdType::kEmisPatientGuid, "GUID-OLIVIA", "Testwood",
                                      "Olivia", date(1984, 7, 12), "SE1 7PB"),
                             kNhsA));
  }

  std::unique_ptr<MpiService> service_;
};

TEST_F(MpiServiceTest, FirstSightingCreatesAPersonAndTheSameLocalIdFindsThemAgain) {
  const auto first = gp_patient();
  EXPECT_EQ(first.outcome, IdentifyOutcome::kNewPerson);
  const auto again = gp_patient();
  EXPECT_EQ(again.outcome, IdentifyOutcome::kKnownLocalId);
  EXPECT_EQ(again.person, first.person);
  auto view = ok(service_->find_by_nhs_number(nhs(kNhsA)));
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->person.id, first.person);
  ASSERT_EQ(view->current_demographics.size(), 1U);
  EXPECT_EQ(view->current_demographics[0].data.family, "Testwood");
}

TEST_F(MpiServiceTest, AVerifiedNhsNumberLinksAnotherOrganisationsIdentifier) {
  const auto gp = gp_patient();
  // The hospital spells the name differently, but the verified number decides.
  const auto acute = identify(with_nhs(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN100",
                                                "Test-Wood", "Livvy", date(1984, 7, 12), ""),
                                       kNhsA));
  EXPECT_EQ(acute.outcome, IdentifyOutcome::kVerifiedNhsNumber);
  EXPECT_EQ(acute.person, gp.person);
  auto by_mrn = ok(service_->find_by_local_id(local(kAcute, LocalIdType::kHospitalMrn, "MRN100")));
  ASSERT_TRUE(by_mrn.has_value());
  EXPECT_EQ(by_mrn->person.id, gp.person);
  auto links = ok(repo_->links(gp.person));
  ASSERT_EQ(links.size(), 2U);
  EXPECT_EQ(links[1].provenance.method, store::LinkMethod::kVerifiedNhsNumber);
}

TEST_F(MpiServiceTest, AnUnverifiedNumberIsKeptButNeverLinksOnItsOwn) {
  const auto gp = gp_patient();
  // Same number, status 02 (present, not traced), and a different person's details.
  const auto other =
      identify(with_nhs(incoming(kCouncil, LocalIdType::kLasPersonId, "LAS-1", "Hargreave", "Derek",
                                 date(1950, 1, 3), "N1 9GU", "male"),
                        kNhsA, VerificationStatus::kPresentNotTraced));
  EXPECT_NE(other.person, gp.person);
  // The number belongs to someone else, so a human must look.
  EXPECT_EQ(other.outcome, IdentifyOutcome::kPossibleMatch);
  ASSERT_TRUE(other.review.has_value());
  auto held = ok(repo_->get_person(other.person));
  ASSERT_TRUE(held.has_value());
  EXPECT_FALSE(held->nhs_number.has_value());
}

TEST_F(MpiServiceTest, ADemographicMatchAboveTheThresholdAutoLinksWithItsScore) {
  const auto gp = gp_patient();
  // The council has no NHS number yet; full name, date of birth, sex and postcode agree.
  const auto las = identify(incoming(kCouncil, LocalIdType::kLasPersonId, "LAS-77", "Testwood",
                                     "Olivia", date(1984, 7, 12), "SE1 7PB"));
  EXPECT_EQ(las.outcome, IdentifyOutcome::kProbabilistic);
  EXPECT_EQ(las.person, gp.person);
  ASSERT_TRUE(las.score.has_value());
  EXPECT_GT(*las.score, MpiSettings{}.thresholds.auto_link);
  auto links = ok(repo_->links(gp.person));
  ASSERT_EQ(links.size(), 2U);
  EXPECT_EQ(links[1].provenance.method, store::LinkMethod::kProbabilistic);
  ASSERT_TRUE(links[1].provenance.score.has_value());
}

TEST_F(MpiServiceTest, TwinsWithTheSameSurnameAndBirthDateAreNotMerged) {
  const auto amelia = identify(with_nhs(incoming(kGp, LocalIdType::kEmisPatientGuid, "GUID-AMELIA",
                                                 "Quayle", "Amelia", date(2015, 2, 2), "E8 1DY"),
                                        kNhsA));
  const auto grace = identify(with_nhs(incoming(kGp, LocalIdType::kEmisPatientGuid, "GUID-GRACE",
                                                "Quayle", "Grace", date(2015, 2, 2), "E8 1DY"),
                                       kNhsB));
  EXPECT_NE(amelia.person, grace.person);
  // An ambulance crew gives only the initial "G": both twins fit, so nobody is auto-linked.
  auto in = incoming(std::string(kAmbulance), LocalIdType::kAmbulancePatientRef, "INC-1/P1",
                     "Quayle", "G", date(2015, 2, 2), "E8 1DY");
  const auto crew = identify(in);
  EXPECT_NE(crew.outcome, IdentifyOutcome::kProbabilistic);
  EXPECT_NE(crew.person, amelia.person);
  EXPECT_NE(crew.person, grace.person);
}

TEST_F(MpiServiceTest, AWomanWhoChangedHerSurnameIsFoundByHerEarlierName) {
  const auto gp = gp_patient();
  // Married: the GP now sends a new surname with the old one as a previous name.
  auto renamed = with_nhs(incoming(kGp, LocalIdType::kEmisPatientGuid, "GUID-OLIVIA", "Marchbank",
                                   "Olivia", date(1984, 7, 12), "SE1 7PB"),
                          kNhsA);
  renamed.match.previous_families = {"Testwood"};
  EXPECT_EQ(identify(renamed).outcome, IdentifyOutcome::kKnownLocalId);
  auto history = ok(repo_->demographics_history(gp.person));
  ASSERT_EQ(history.size(), 2U);
  // The hospital still knows her by her maiden name, without a number: still the same person.
  const auto acute = identify(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN200", "Testwood",
                                       "Olivia", date(1984, 7, 12), "SE1 7PB"));
  EXPECT_EQ(acute.person, gp.person);
}

TEST_F(MpiServiceTest, TransposedDayAndMonthStillLinksWhenEverythingElseAgrees) {
  const auto gp = gp_patient();
  // 1984-12-07 instead of 1984-07-12 (a US-style date): MATCHING.md weighs it as a specific
  // error, so with full name, sex and postcode agreeing it links, and says how.
  const auto acute = identify(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN300", "Testwood",
                                       "Olivia", date(1984, 12, 7), "SE1 7PB"));
  EXPECT_EQ(acute.outcome, IdentifyOutcome::kProbabilistic);
  EXPECT_EQ(acute.person, gp.person);
}

TEST_F(MpiServiceTest, AnInitialInsteadOfAGivenNameGoesToReviewNotAutoLink) {
  const auto gp = gp_patient();
  const auto acute = identify(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN310", "Testwood", "O",
                                       date(1984, 7, 12), "SE1 7PB"));
  EXPECT_EQ(acute.outcome, IdentifyOutcome::kPossibleMatch);
  EXPECT_NE(acute.person, gp.person);
  ASSERT_TRUE(acute.review.has_value());
  auto item = ok(repo_->get_review_item(*acute.review));
  ASSERT_TRUE(item.has_value());
  ASSERT_FALSE(item->candidates.empty());
  EXPECT_EQ(item->candidates[0].person, gp.person);
  EXPECT_NE(item->scores_json.find("given-name-unconfirmed"), std::string::npos);
  EXPECT_FALSE(acute.warning.empty());
}

TEST_F(MpiServiceTest, HyphenatedAndDoubleBarrelledNamesMatchTheirParts) {
  const auto gp =
      identify(with_nhs(incoming(kGp, LocalIdType::kEmisPatientGuid, "GUID-RHYS",
                                 "Ashby-Pennington", "Rhys", date(1972, 3, 30), "BS1 4DJ", "male"),
                        kNhsB));
  // The hospital records only the second part of the surname.
  const auto acute = identify(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN400", "Pennington",
                                       "Rhys", date(1972, 3, 30), "BS1 4DJ", "male"));
  EXPECT_NE(acute.outcome, IdentifyOutcome::kNewPerson);
  ASSERT_FALSE(ok(service_->search(
                      [] {
                        Demographics q;
                        q.family = "Ashby Pennington";
                        q.given = {"Rhys"};
                        q.birth_date = Date{1972, 3, 30};
                        return q;
                      }(),
                      10))
                   .empty());
  (void)gp;
}

TEST_F(MpiServiceTest, AMissingPostcodeStillLinksOnNameBirthDateAndSex) {
  const auto gp = gp_patient();
  const auto acute = identify(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN500", "Testwood",
                                       "Olivia", date(1984, 7, 12), ""));
  EXPECT_NE(acute.outcome, IdentifyOutcome::kNewPerson);
  if (acute.outcome == IdentifyOutcome::kProbabilistic) {
    EXPECT_EQ(acute.person, gp.person);
  }
}

TEST_F(MpiServiceTest, APersonKnownOnlyToTheAmbulanceServiceIsKeptAsANewUnverifiedPerson) {
  gp_patient();
  // "About 40", a first name and a surname nobody else has.
  auto in = incoming(std::string(kAmbulance), LocalIdType::kAmbulancePatientRef, "INC-9/P1",
                     "Okonkwo-Lind", "Tobias", Date{1986, 0, 0}, "", "male");
  in.match.birth_year_tolerance = 5;
  const auto crew = identify(in);
  EXPECT_EQ(crew.outcome, IdentifyOutcome::kNewPerson);
  auto p = ok(repo_->get_person(crew.person));
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->nhs_number.has_value());
  // The approximate age is not stored as a date of birth.
  auto view = ok(service_->person(crew.person));
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->current_demographics.size(), 1U);
  EXPECT_FALSE(view->current_demographics[0].data.birth_date.has_value());
  // The same incident reference again is the same person.
  EXPECT_EQ(identify(in).person, crew.person);
}

TEST_F(MpiServiceTest, AWrongNhsNumberOnAHospitalMessageIsHeldForReviewNotMerged) {
  const auto gp = gp_patient();
  const auto first = identify(with_nhs(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN600",
                                                "Testwood", "Olivia", date(1984, 7, 12), ""),
                                       kNhsA));
  ASSERT_EQ(first.person, gp.person);
  // Later, the PAS sends the same MRN with another number.
  auto wrong = with_nhs(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN600", "Testwood", "Olivia",
                                 date(1984, 7, 12), "ZZ"),
                        kNhsB);
  wrong.message_id = "adt-a08-77";
  const auto held = identify(wrong);
  EXPECT_EQ(held.outcome, IdentifyOutcome::kNhsNumberConflict);
  EXPECT_EQ(held.person, gp.person);
  ASSERT_TRUE(held.review.has_value());
  EXPECT_NE(held.warning.find("NHS number"), std::string::npos);
  // Nothing changed: the number held, and the demographics (no new version from the message).
  auto p = ok(repo_->get_person(gp.person));
  EXPECT_EQ(p->nhs_number->str(), kNhsA);
  EXPECT_EQ(ok(repo_->demographics_history(gp.person)).size(), 2U);
  // Sending it again does not open a second item.
  EXPECT_EQ(identify(wrong).review, held.review);
  EXPECT_FALSE(ok(service_->find_by_nhs_number(nhs(kNhsB))).has_value());
}

TEST_F(MpiServiceTest, AMergeThenAReadOfTheOldNumberAnswersWithTheSurvivor) {
  const auto a = gp_patient();
  const auto b = identify(with_nhs(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN-OLD",
                                            "Testwood", "Olive", date(1984, 7, 12), "SE1 7PB"),
                                   kNhsB));
  ASSERT_NE(a.person, b.person);
  ASSERT_TRUE(identify(with_nhs(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN-KEEP", "Testwood",
                                         "Olivia", date(1984, 7, 12), "SE1 7PB"),
                                kNhsA))
                  .person == a.person);
  // ADT^A40: MRN-OLD is merged into MRN-KEEP.
  ok(service_->merge_local_ids(local(kAcute, LocalIdType::kHospitalMrn, "MRN-KEEP"),
                               local(kAcute, LocalIdType::kHospitalMrn, "MRN-OLD"), "ADT^A40",
                               std::string(kAcute), "adt-a40-5"));
  auto old = ok(service_->find_by_nhs_number(nhs(kNhsB)));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->person.id, a.person);
  ASSERT_EQ(old->merged.size(), 1U);
  EXPECT_EQ(old->merged[0], b.person);
  // Unknown identifiers are refused, not guessed.
  auto r = service_->merge_local_ids(local(kAcute, LocalIdType::kHospitalMrn, "MRN-KEEP"),
                                     local(kAcute, LocalIdType::kHospitalMrn, "NOPE"), "ADT^A40",
                                     std::string(kAcute), "adt-a40-6");
  EXPECT_EQ(store::test::outcome(r), "not_found");
}

TEST_F(MpiServiceTest, LinkingAPossibleMatchMergesTheProvisionalPerson) {
  const auto gp = gp_patient();
  const auto acute = identify(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN700", "Testwood", "O",
                                       date(1984, 7, 12), "SE1 7PB"));
  ASSERT_EQ(acute.outcome, IdentifyOutcome::kPossibleMatch);
  auto inspection = ok(service_->inspect(*acute.review, "reviewer-1"));
  ASSERT_TRUE(inspection.has_value());
  EXPECT_EQ(inspection->candidates.size(), inspection->item.candidates.size());
  const auto person = ok(service_->resolve(
      *acute.review, {ReviewDecision::Kind::kLink, gp.person, "reviewer-1", "initial matches"}));
  EXPECT_EQ(person, gp.person);
  auto by_mrn = ok(service_->find_by_local_id(local(kAcute, LocalIdType::kHospitalMrn, "MRN700")));
  ASSERT_TRUE(by_mrn.has_value());
  EXPECT_EQ(by_mrn->person.id, gp.person);
  // The trail: opened, inspected, linked; and a resolved item cannot be decided twice.
  auto actions = ok(repo_->review_actions(*acute.review));
  ASSERT_EQ(actions.size(), 3U);
  EXPECT_EQ(actions[1].kind, store::ReviewActionKind::kInspected);
  EXPECT_EQ(actions[1].actor, "reviewer-1");
  auto again =
      service_->resolve(*acute.review, {ReviewDecision::Kind::kNotDuplicate, {}, "reviewer-2", ""});
  EXPECT_EQ(store::test::outcome(again), "conflict");
}

TEST_F(MpiServiceTest, NotADuplicateKeepsThePeopleApart) {
  const auto gp = gp_patient();
  const auto acute = identify(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN800", "Testwood", "O",
                                       date(1984, 7, 12), "SE1 7PB"));
  ASSERT_TRUE(acute.review.has_value());
  const auto person = ok(service_->resolve(
      *acute.review, {ReviewDecision::Kind::kNotDuplicate, {}, "reviewer-1", "different people"}));
  EXPECT_EQ(person, acute.person);
  EXPECT_NE(person, gp.person);
  auto item = ok(repo_->get_review_item(*acute.review));
  EXPECT_EQ(item->status, store::ReviewStatus::kNotDuplicate);
}

TEST_F(MpiServiceTest, AConflictResolvedAsNewPersonMovesTheLocalIdToAHolderOfTheNewNumber) {
  const auto gp = gp_patient();
  ASSERT_EQ(identify(with_nhs(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN900", "Testwood",
                                       "Olivia", date(1984, 7, 12), ""),
                              kNhsA))
                .person,
            gp.person);
  const auto held = identify(with_nhs(incoming(kAcute, LocalIdType::kHospitalMrn, "MRN900",
                                               "Testwood", "Olivia", date(1984, 7, 12), ""),
                                      kNhsB));
  ASSERT_EQ(held.outcome, IdentifyOutcome::kNhsNumberConflict);
  const auto person = ok(service_->resolve(
      *held.review, {ReviewDecision::Kind::kNewPerson, {}, "reviewer-1", "MRN was reused"}));
  EXPECT_NE(person, gp.person);
  auto holder = ok(service_->find_by_nhs_number(nhs(kNhsB)));
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->person.id, person);
  auto by_mrn = ok(service_->find_by_local_id(local(kAcute, LocalIdType::kHospitalMrn, "MRN900")));
  EXPECT_EQ(by_mrn->person.id, person);
  // The GP's link is untouched.
  auto by_guid =
      ok(service_->find_by_local_id(local(kGp, LocalIdType::kEmisPatientGuid, "GUID-OLIVIA")));
  EXPECT_EQ(by_guid->person.id, gp.person);
}

TEST_F(MpiServiceTest, SearchRanksCandidatesWithGrades) {
  const auto gp = gp_patient();
  identify(with_nhs(incoming(kGp, LocalIdType::kEmisPatientGuid, "GUID-OLGA", "Testwood", "Olga",
                             date(1961, 5, 1), "SE1 7PB"),
                    kNhsB));
  Demographics q;
  q.family = "testwood";
  q.given = {"Olivia"};
  q.birth_date = Date{1984, 7, 12};
  q.gender = "female";
  q.postcode = "se17pb";
  auto found = ok(service_->search(q, 10));
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].person.person.id, gp.person);
  EXPECT_EQ(found[0].score.grade, MatchGrade::kCertain);
  for (std::size_t i = 1; i < found.size(); ++i) {
    EXPECT_LE(found[i].score.total, found[i - 1].score.total);
  }
  EXPECT_EQ(ok(service_->search(q, 1)).size(), 1U);
}

TEST_F(MpiServiceTest, AnIdentityWithNothingToGoOnIsRefused) {
  IncomingIdentity in{.source = ods(kGp)};
  in.match.given = {"Sam"};
  EXPECT_EQ(store::test::outcome(service_->identify(in)), "bad_request");
}

}  // namespace
}  // namespace gw::identity
