// Demographic matching: the cases of the issue (twins, a changed surname, transposed dates,
// double-barrelled names, no postcode, the ambulance, a wrong NHS number) with synthetic people
// (999 test-range NHS numbers only), then blocking and link quality on the generator's set.
#include "gateway/identity/matching.hpp"

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/identity/match_index.hpp"
#include "gateway/identity/match_population.hpp"

namespace gw::identity {
namespace {

/** test_nhs: the k-th valid NHS number of the 999 test range (k from 0). */
NhsNumber test_nhs(std::size_t k) {
  synthetic::TestNhsNumbers numbers;
  std::optional<NhsNumber> n;
  for (std::size_t i = 0; i <= k; ++i) {
    n = numbers.next();
  }
  return *n;
}

Demographics person(std::vector<std::string> given, std::string family, Date birth,
                    std::string gender, std::string postcode) {
  Demographics d;
  d.given = std::move(given);
  d.family = std::move(family);
  d.birth_date = birth;
  d.gender = std::move(gender);
  d.postcode = std::move(postcode);
  return d;
}

Demographics with_nhs(Demographics d, std::size_t k, bool verified = true) {
  d.nhs_number = test_nhs(k);
  d.nhs_status =
      verified ? VerificationStatus::kPresentVerified : VerificationStatus::kPresentNotTraced;
  return d;
}

const MatchWeights& weights() {
  static const MatchWeights kWeights = default_weights();
  return kWeights;
}

MatchScore compare(const Demographics& query, const Demographics& candidate) {
  return score(query, candidate, weights());
}

/** shares_key: whether blocking would bring the two records together. */
bool shares_key(const Demographics& a, const Demographics& b) {
  const auto ka = blocking_keys(a);
  const auto kb = blocking_keys(b);
  return std::any_of(ka.begin(), ka.end(), [&](const std::string& k) {
    return std::binary_search(kb.begin(), kb.end(), k);
  });
}

/** ranked: scores a query against candidates and ranks them (ids are the vector positions). */
std::vector<RankedCandidate> ranked(const Demographics& query,
                                    const std::vector<Demographics>& candidates,
                                    MatchDecision* decision = nullptr) {
  std::vector<RankedCandidate> out;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    out.push_back(RankedCandidate{i, compare(query, candidates[i])});
  }
  const MatchDecision d = rank(out, MatchThresholds{});
  if (decision != nullptr) {
    *decision = d;
  }
  return out;
}

const Demographics kEmma =
    with_nhs(person({"Emma", "Louise"}, "Taylor", {1984, 3, 12}, "female", "LS6 2QT"), 0);

TEST(Matching, ExactDemographicsAutoLink) {
  Demographics message = person({"EMMA"}, "TAYLOR", {1984, 3, 12}, "F", "ls62qt");
  const MatchScore s = compare(message, kEmma);
  EXPECT_EQ(s.grade, MatchGrade::kCertain);
  EXPECT_EQ(s.decision, MatchDecision::kAutoLink);
  EXPECT_GE(s.score, 0.95);
  EXPECT_LE(s.score, 1.0);
  for (MatchField f : {MatchField::kFamily, MatchField::kGiven, MatchField::kBirthDate,
                       MatchField::kGender, MatchField::kPostcode}) {
    EXPECT_EQ(s.field(f).level, Agreement::kExact) << field_name(f);
    EXPECT_GT(s.field(f).weight, 0) << field_name(f);
  }
  EXPECT_EQ(s.field(MatchField::kNhsNumber).level, Agreement::kMissing);
  EXPECT_EQ(s.field(MatchField::kNhsNumber).weight, 0);
  EXPECT_TRUE(shares_key(message, kEmma));
}

TEST(Matching, TwinsWithTheSameSurnameAndBirthDateDoNotAutoLink) {
  const Demographics oliver =
      with_nhs(person({"Oliver"}, "Wood", {2012, 6, 1}, "male", "M14 5AB"), 1);
  const Demographics jack = with_nhs(person({"Jack"}, "Wood", {2012, 6, 1}, "male", "M14 5AB"), 2);

  // A message about Jack's twin brother, who is not yet registered.
  const Demographics harry = person({"Harry"}, "Wood", {2012, 6, 1}, "male", "M14 5AB");
  for (const auto& twin : {oliver, jack}) {
    const MatchScore s = compare(harry, twin);
    EXPECT_NE(s.decision, MatchDecision::kAutoLink);
    EXPECT_EQ(s.field(MatchField::kGiven).level, Agreement::kDisagree);
    EXPECT_TRUE(s.has_rule(MatchRule::kGivenNameUnconfirmed));
  }
  // A message about Oliver links to Oliver, not to Jack.
  MatchDecision decision{};
  const auto r = ranked(person({"Oliver"}, "WOOD", {2012, 6, 1}, "male", "M14 5AB"), {jack, oliver},
                        &decision);
  EXPECT_EQ(decision, MatchDecision::kAutoLink);
  EXPECT_EQ(r.front().id, 1U);
  EXPECT_EQ(r.back().score.decision, MatchDecision::kReview);
  // Only an initial, and it fits both: neither may auto-link.
  const Demographics james = person({"James"}, "Wood", {2012, 6, 1}, "male", "M14 5AB");
  ranked(person({"J"}, "Wood", {2012, 6, 1}, "male", "M14 5AB"), {jack, james}, &decision);
  EXPECT_EQ(decision, MatchDecision::kReview);
}

TEST(Matching, WomanWhoChangedSurnameLinksWhenThePreviousSurnameIsKnown) {
  const Demographics registered =
      with_nhs(person({"Sarah"}, "Hughes", {1979, 11, 2}, "female", "CF10 3AT"), 3);
  Demographics married = person({"Sarah"}, "Evans", {1979, 11, 2}, "female", "CF10 3AT");
  const MatchScore unknown = compare(married, registered);
  married.previous_families = {"Hughes"};
  const MatchScore known = compare(married, registered);
  EXPECT_EQ(known.field(MatchField::kFamily).level, Agreement::kAlias);
  EXPECT_NE(known.decision, MatchDecision::kNewPerson);
  EXPECT_EQ(known.decision, MatchDecision::kAutoLink);
  EXPECT_GT(known.total, unknown.total);
  EXPECT_TRUE(shares_key(married, registered));

  // Married and moved house: still at least review.
  married.postcode = "NP20 1AB";
  const MatchScore moved = compare(married, registered);
  EXPECT_NE(moved.decision, MatchDecision::kNewPerson);
  EXPECT_TRUE(shares_key(married, registered));

  // The MPI may be the side that knows the maiden name.
  Demographics updated = registered;
  updated.family = "Evans";
  updated.previous_families = {"Hughes"};
  const MatchScore reverse =
      compare(person({"Sarah"}, "Hughes", {1979, 11, 2}, "female", "CF10 3AT"), updated);
  EXPECT_EQ(reverse.field(MatchField::kFamily).level, Agreement::kAlias);
  EXPECT_NE(reverse.decision, MatchDecision::kNewPerson);
}

TEST(Matching, TransposedDayAndMonthStillMatches) {
  const Demographics registered =
      with_nhs(person({"Daniel"}, "Okafor", {1990, 4, 7}, "male", "SE15 4QN"), 4);
  Demographics message = person({"Daniel"}, "Okafor", {1990, 7, 4}, "male", "SE15 4QN");
  MatchScore s = compare(message, registered);
  EXPECT_EQ(s.field(MatchField::kBirthDate).level, Agreement::kTransposed);
  EXPECT_EQ(s.decision, MatchDecision::kAutoLink);
  EXPECT_TRUE(shares_key(message, registered));
  message.postcode.clear();
  s = compare(message, registered);
  EXPECT_EQ(s.decision, MatchDecision::kReview);
  EXPECT_TRUE(shares_key(message, registered));
}

TEST(Matching, BirthDateOneDigitOffIsPartial) {
  const Demographics registered = person({"Aisha"}, "Khan", {1984, 3, 12}, "female", "B11 1AB");
  EXPECT_EQ(compare(person({"Aisha"}, "Khan", {1984, 3, 13}, "female", "B11 1AB"), registered)
                .field(MatchField::kBirthDate)
                .level,
            Agreement::kPartial);
  EXPECT_EQ(compare(person({"Aisha"}, "Khan", {1948, 3, 12}, "female", "B11 1AB"), registered)
                .field(MatchField::kBirthDate)
                .level,
            Agreement::kPartial);  // adjacent digits swapped
  EXPECT_EQ(compare(person({"Aisha"}, "Khan", {1985, 4, 12}, "female", "B11 1AB"), registered)
                .field(MatchField::kBirthDate)
                .level,
            Agreement::kDisagree);
}

TEST(Matching, HyphenatedAndDoubleBarrelledVariantsMatch) {
  const Demographics registered =
      with_nhs(person({"Anne-Marie"}, "Smith-Jones", {1968, 9, 30}, "female", "BS8 1TH"), 5);
  for (const char* family : {"SMITH JONES", "Smithjones", "smith-jones", "Smith  -  Jones"}) {
    const Demographics message = person({"Anne Marie"}, family, {1968, 9, 30}, "female", "BS8 1TH");
    const MatchScore s = compare(message, registered);
    EXPECT_EQ(s.field(MatchField::kFamily).level, Agreement::kExact) << family;
    EXPECT_EQ(s.field(MatchField::kGiven).level, Agreement::kExact) << family;
    EXPECT_EQ(s.decision, MatchDecision::kAutoLink) << family;
  }
  for (const char* family : {"Jones", "Smith"}) {
    const Demographics message = person({"Anne-Marie"}, family, {1968, 9, 30}, "female", "BS8 1TH");
    const MatchScore s = compare(message, registered);
    EXPECT_EQ(s.field(MatchField::kFamily).level, Agreement::kPartial) << family;
    EXPECT_EQ(s.decision, MatchDecision::kAutoLink) << family;
    EXPECT_TRUE(shares_key(message, registered)) << family;
  }
  EXPECT_EQ(
      compare(person({"ANNEMARIE"}, "Smith-Jones", {1968, 9, 30}, "female", "BS8 1TH"), registered)
          .field(MatchField::kGiven)
          .level,
      Agreement::kExact);
  EXPECT_EQ(compare(person({"Anne"}, "Smith-Jones", {1968, 9, 30}, "female", "BS8 1TH"), registered)
                .field(MatchField::kGiven)
                .level,
            Agreement::kPartial);
  // Apostrophes and accents.
  const Demographics sian = person({"Siân"}, "O'Brien", {2001, 1, 15}, "female", "CF24 4HQ");
  const MatchScore s =
      compare(person({"SIAN"}, "OBRIEN", {2001, 1, 15}, "female", "CF24 4HQ"), sian);
  EXPECT_EQ(s.field(MatchField::kGiven).level, Agreement::kExact);
  EXPECT_EQ(s.field(MatchField::kFamily).level, Agreement::kExact);
}

TEST(Matching, MissingPostcodeStillMatchesWithALowerScore) {
  Demographics message = person({"Emma"}, "Taylor", {1984, 3, 12}, "female", "LS6 2QT");
  const MatchScore with_postcode = compare(message, kEmma);
  message.postcode.clear();
  const MatchScore without = compare(message, kEmma);
  EXPECT_EQ(without.field(MatchField::kPostcode).level, Agreement::kMissing);
  EXPECT_LT(without.total, with_postcode.total);
  EXPECT_LT(without.score, with_postcode.score);
  EXPECT_EQ(without.grade, MatchGrade::kProbable);
  EXPECT_EQ(without.decision, MatchDecision::kReview);
  EXPECT_TRUE(shares_key(message, kEmma));
  // And it still ranks the right person first.
  const auto r =
      ranked(message, {person({"Emma"}, "Taylor", {1984, 3, 21}, "female", "LS6 2QT"), kEmma});
  EXPECT_EQ(r.front().id, 1U);
}

TEST(Matching, AmbulanceRecordWithOnlyNameAndApproximateAgeNeverAutoLinks) {
  // The population: three John Smiths of about the right age, one much older.
  std::vector<Demographics> mpi = {
      with_nhs(person({"John"}, "Smith", {1953, 2, 14}, "male", "YO1 7HH"), 6),
      with_nhs(person({"John", "Paul"}, "Smith", {1956, 10, 1}, "male", "YO10 3DD"), 7),
      with_nhs(person({"John"}, "Smith", {1949, 7, 30}, "male", "YO31 8EJ"), 8),
      with_nhs(person({"John"}, "Smith", {1925, 7, 30}, "male", "YO31 8EJ"), 9),
  };
  Demographics crew;  // "John Smith, about 70" in 2024
  crew.given = {"John"};
  crew.family = "Smith";
  crew.birth_date = Date{1954, 0, 0};
  crew.birth_year_tolerance = 5;
  crew.gender = "male";

  MatchIndex index;
  std::vector<NormalisedDemographics> records;
  for (std::uint32_t i = 0; i < mpi.size(); ++i) {
    records.push_back(prepare(mpi[i]));
    index.add(i, blocking_keys(records.back()));
  }
  index.build();
  const auto r = match(prepare(crew), index, records, weights(), MatchThresholds{});
  ASSERT_EQ(r.size(), 3U);  // candidates, but not the man born in 1925
  for (const auto& c : r) {
    EXPECT_NE(c.score.decision, MatchDecision::kAutoLink);
    EXPECT_NE(c.id, 3U);
    EXPECT_EQ(c.score.field(MatchField::kBirthDate).level, Agreement::kPartial);
  }
  // Even with more to go on, an estimated age never auto-links.
  crew.postcode = "YO1 7HH";
  const MatchScore s = compare(crew, mpi[0]);
  EXPECT_GE(s.total, MatchThresholds{}.auto_link);
  EXPECT_EQ(s.decision, MatchDecision::kReview);
  EXPECT_TRUE(s.has_rule(MatchRule::kBirthDateUnconfirmed));
}

TEST(Matching, WrongNhsNumberOnAHospitalMessageGoesToReview) {
  const Demographics a =
      with_nhs(person({"Priya"}, "Patel", {1995, 5, 5}, "female", "LE4 6AB"), 10);
  const Demographics b = with_nhs(person({"Gary"}, "Brown", {1961, 12, 9}, "male", "NG7 2UH"), 11);
  // The hospital's demographics are Priya's, exactly; its NHS number is Gary's.
  Demographics message =
      with_nhs(person({"Priya"}, "Patel", {1995, 5, 5}, "female", "LE4 6AB"), 11);
  const MatchScore vs_a = compare(message, a);
  EXPECT_EQ(vs_a.field(MatchField::kNhsNumber).level, Agreement::kDisagree);
  EXPECT_LT(vs_a.field(MatchField::kNhsNumber).weight, -7);
  EXPECT_GE(vs_a.total, MatchThresholds{}.auto_link);  // the weight alone would link
  EXPECT_EQ(vs_a.decision, MatchDecision::kReview);
  EXPECT_TRUE(vs_a.has_rule(MatchRule::kNhsNumberDisagrees));
  const MatchScore vs_b = compare(message, b);
  EXPECT_EQ(vs_b.field(MatchField::kNhsNumber).level, Agreement::kExact);
  EXPECT_EQ(vs_b.decision, MatchDecision::kReview);  // same verified number: a person looks
  EXPECT_TRUE(vs_b.has_rule(MatchRule::kVerifiedNhsNumberAgrees));
  MatchDecision decision{};
  ranked(message, {a, b}, &decision);
  EXPECT_EQ(decision, MatchDecision::kReview);
  // Unverified on the message: still never auto-links to Priya.
  message.nhs_status = VerificationStatus::kPresentNotTraced;
  ranked(message, {a, b}, &decision);
  EXPECT_EQ(decision, MatchDecision::kReview);
}

TEST(Matching, NhsNumberHeldByAnotherCandidateBlocksAutoLink) {
  Demographics a = person({"Tomasz"}, "Nowak", {1988, 8, 8}, "male", "PE1 1AA");  // no number
  const Demographics b = with_nhs(person({"Linda"}, "Ward", {1950, 1, 2}, "female", "PE2 9ZZ"), 12);
  const Demographics message =
      with_nhs(person({"Tomasz"}, "Nowak", {1988, 8, 8}, "male", "PE1 1AA"), 12, false);
  MatchDecision decision{};
  const auto r = ranked(message, {a, b}, &decision);
  EXPECT_EQ(decision, MatchDecision::kReview);
  EXPECT_EQ(r.front().id, 0U);
  EXPECT_TRUE(r.front().score.has_rule(MatchRule::kNhsNumberElsewhere));
}

TEST(Matching, VerifiedNhsNumberAgreementDominates) {
  Demographics message;
  message.nhs_number = kEmma.nhs_number;
  message.nhs_status = VerificationStatus::kPresentVerified;
  MatchScore s = compare(message, kEmma);
  EXPECT_EQ(s.field(MatchField::kNhsNumber).level, Agreement::kExact);
  EXPECT_EQ(s.decision, MatchDecision::kAutoLink);  // the number alone
  // With a different date of birth (a recording error) and a new address: still linked.
  message.given = {"Emma"};
  message.family = "Taylor";
  message.birth_date = Date{1985, 3, 12};
  message.postcode = "M1 1AE";
  s = compare(message, kEmma);
  EXPECT_EQ(s.decision, MatchDecision::kAutoLink);
  // Unverified numbers agree with less weight.
  message.nhs_status = VerificationStatus::kPresentNotTraced;
  const MatchScore unverified = compare(message, kEmma);
  EXPECT_EQ(unverified.field(MatchField::kNhsNumber).level, Agreement::kPartial);
  EXPECT_LT(unverified.total, s.total);
  // The verified weight outweighs every demographic disagreement together.
  const MatchWeights& w = weights();
  double all_disagree = 0;
  for (MatchField f : {MatchField::kFamily, MatchField::kGiven, MatchField::kBirthDate,
                       MatchField::kGender, MatchField::kPostcode}) {
    all_disagree += w.at(f, Agreement::kDisagree);
  }
  EXPECT_GT(w.at(MatchField::kNhsNumber, Agreement::kExact) + all_disagree, 0);
}

TEST(Matching, DuplicateRecordsAreAmbiguous) {
  MatchDecision decision{};
  const auto r =
      ranked(person({"Emma"}, "Taylor", {1984, 3, 12}, "female", "LS6 2QT"),
             {kEmma, person({"Emma"}, "Taylor", {1984, 3, 12}, "female", "LS6 2QT")}, &decision);
  EXPECT_EQ(decision, MatchDecision::kReview);
  for (const auto& c : r) {
    EXPECT_TRUE(c.score.has_rule(MatchRule::kAmbiguous));
    EXPECT_EQ(c.score.grade, MatchGrade::kProbable);
    EXPECT_LT(c.score.score, 0.95);
  }
}

TEST(Matching, NicknamesAndInitials) {
  const Demographics william =
      person({"William", "George"}, "Hughes", {1972, 2, 2}, "male", "LL57 2DG");
  MatchScore s = compare(person({"Bill"}, "Hughes", {1972, 2, 2}, "male", "LL57 2DG"), william);
  EXPECT_EQ(s.field(MatchField::kGiven).level, Agreement::kAlias);
  EXPECT_EQ(s.decision, MatchDecision::kAutoLink);
  s = compare(person({"George"}, "Hughes", {1972, 2, 2}, "male", "LL57 2DG"), william);
  EXPECT_EQ(s.field(MatchField::kGiven).level, Agreement::kTransposed);  // known by middle name
  s = compare(person({"Wiliam"}, "Hughes", {1972, 2, 2}, "male", "LL57 2DG"), william);
  EXPECT_EQ(s.field(MatchField::kGiven).level, Agreement::kPhonetic);
  s = compare(person({"W"}, "Hughes", {1972, 2, 2}, "male", "LL57 2DG"), william);
  EXPECT_EQ(s.field(MatchField::kGiven).level, Agreement::kPartial);
  EXPECT_EQ(s.decision, MatchDecision::kReview);
  EXPECT_TRUE(s.has_rule(MatchRule::kGivenNameUnconfirmed));
}

TEST(Matching, UnrelatedPersonIsANewPerson) {
  const MatchScore s =
      compare(person({"Kwame"}, "Mensah", {2003, 10, 10}, "male", "N17 0AP"), kEmma);
  EXPECT_EQ(s.grade, MatchGrade::kNoMatch);
  EXPECT_EQ(s.decision, MatchDecision::kNewPerson);
  EXPECT_LT(s.score, 0.05);
  EXPECT_FALSE(shares_key(person({"Kwame"}, "Mensah", {2003, 10, 10}, "male", "N17 0AP"), kEmma));
}

TEST(Matching, ScoreIsSymmetricForSymmetricRecords) {
  const Demographics a = person({"Jo"}, "Reid", {1999, 1, 5}, "female", "G12 8QQ");
  const Demographics b = person({"Joanne"}, "Reed", {1999, 5, 1}, "female", "G12 8QW");
  EXPECT_DOUBLE_EQ(compare(a, b).total, compare(b, a).total);
}

TEST(MatchWeightsModel, WeightsAreLog2OfMOverU) {
  const MatchWeights w = default_weights();
  for (const auto& row : default_model()) {
    EXPECT_GT(row.m, 0);
    EXPECT_LE(row.m, 1);
    EXPECT_GT(row.u, 0);
    EXPECT_LE(row.u, 1);
    EXPECT_DOUBLE_EQ(w.at(row.field, row.level), std::log2(row.m / row.u));
    if (row.level == Agreement::kDisagree) {
      EXPECT_LT(w.at(row.field, row.level), 0) << field_name(row.field);
    } else {
      EXPECT_GT(w.at(row.field, row.level), 0) << field_name(row.field);
    }
  }
  for (std::size_t f = 0; f < kMatchFieldCount; ++f) {
    EXPECT_EQ(w.at(static_cast<MatchField>(f), Agreement::kMissing), 0);
  }
  EXPECT_GT(w.approx_birth_agree, 0);
  EXPECT_LT(w.approx_birth_disagree, 0);
}

TEST(MatchWeightsModel, ScoreBandsFollowTheThresholds) {
  const MatchThresholds t;
  EXPECT_NEAR(normalised_score(t.review, t), 0.5, 1e-9);
  EXPECT_NEAR(normalised_score(t.auto_link, t), 0.95, 1e-9);
  double previous = 0;
  for (double w = -20; w <= 70; w += 0.5) {
    const double s = normalised_score(w, t);
    EXPECT_GE(s, previous);
    EXPECT_GE(s, 0);
    EXPECT_LE(s, 1);
    previous = s;
  }
  EXPECT_EQ(match_grade_code(MatchGrade::kCertain), "certain");
  EXPECT_EQ(match_grade_code(MatchGrade::kProbable), "probable");
  EXPECT_EQ(match_grade_code(MatchGrade::kPossible), "possible");
  EXPECT_EQ(match_grade_code(MatchGrade::kNoMatch), "certainly-not");
  EXPECT_EQ(decision_name(MatchDecision::kReview), "review");
}

TEST(MatchWeightsModel, ConfigurableThresholds) {
  Demographics message = person({"Emma"}, "Taylor", {1984, 3, 12}, "female", "");
  EXPECT_EQ(compare(message, kEmma).decision, MatchDecision::kReview);
  const MatchScore lenient = score(message, kEmma, weights(), MatchThresholds{30, 15});
  EXPECT_EQ(lenient.decision, MatchDecision::kAutoLink);
  const MatchScore strict = score(message, kEmma, weights(), MatchThresholds{60, 40});
  EXPECT_EQ(strict.decision, MatchDecision::kNewPerson);
}

TEST(MatchBlocking, KeysOfOneRecord) {
  Demographics d = person({"Anne-Marie"}, "Smith-Jones", {1968, 9, 30}, "female", "bs81th");
  d.previous_families = {"Evans"};
  const auto keys = blocking_keys(with_nhs(d, 13));
  const std::set<std::string> set(keys.begin(), keys.end());
  EXPECT_EQ(set.size(), keys.size());
  EXPECT_TRUE(set.count("N:" + test_nhs(13).str()));
  EXPECT_TRUE(set.count("FIY:JAN:a:1968"));  // each part of the surname...
  EXPECT_TRUE(set.count("FIY:SNAT:a:1968"));
  EXPECT_TRUE(set.count("FIY:EVAN:a:1968"));  // ...and the previous one
  EXPECT_TRUE(set.count("FD:EVAN:19680930"));
  EXPECT_TRUE(set.count("FS:SNATJA:BS8 1"));
  EXPECT_TRUE(set.count("GD:ANANAR:19680930"));
  EXPECT_TRUE(set.count("DS:19680930:BS8 1"));
  EXPECT_TRUE(blocking_keys(Demographics{}).empty());
}

TEST(MatchBlocking, KeysAreCappedForRecordsWithManyNames) {
  Demographics d = person({"Jo"}, "Ap Rhys-Vaughan-Lloyd-Price-Owen", {1950, 0, 0}, "", "CF10 1AA");
  d.birth_year_tolerance = 10;
  for (const char* previous : {"Evans", "Hughes", "Morgan", "Jenkins", "Price", "Powell", "Lewis",
                               "Howells", "Bevan", "Pryce", "Griffiths", "Thomas"}) {
    d.previous_families.emplace_back(previous);
  }
  const auto keys = blocking_keys(with_nhs(d, 14));
  EXPECT_EQ(keys.size(), kMaxBlockingKeys);
  EXPECT_TRUE(std::binary_search(keys.begin(), keys.end(), "N:" + test_nhs(14).str()));
  EXPECT_TRUE(std::binary_search(keys.begin(), keys.end(), std::string("FIY:EVAN:j:1950")));
  EXPECT_FALSE(std::binary_search(keys.begin(), keys.end(), std::string("FIY:EVAN:j:1960")));
}

TEST(MatchBlocking, ApproximateAgeLooksUpEachYear) {
  Demographics crew;
  crew.given = {"John"};
  crew.family = "Smith";
  crew.birth_date = Date{1954, 0, 0};
  crew.birth_year_tolerance = 5;
  const auto keys = blocking_keys(crew);
  EXPECT_EQ(keys.size(), 11U);
  EXPECT_EQ(keys.front(), "FIY:SNAT:j:1949");
  EXPECT_EQ(keys.back(), "FIY:SNAT:j:1959");
}

/** The labelled set used by the quality tests: 50,000 people, 10,000 messages. */
struct LabelledSet {
  std::vector<synthetic::Person> people = synthetic::generate_people(50000, 7);
  std::vector<synthetic::LabelledMessage> messages = synthetic::generate_messages(people, 10000, 7);
  std::vector<NormalisedDemographics> records;
  MatchIndex index;

  LabelledSet() {
    records.reserve(people.size());
    for (const auto& p : people) {
      records.push_back(prepare(p.demographics));
      index.add(p.id, blocking_keys(records.back()));
    }
    index.build();
  }
};

const LabelledSet& labelled() {
  static const LabelledSet kSet;
  return kSet;
}

TEST(MatchBlocking, LabelledErrorsShareAKeyWithTheTrueRecord) {
  const auto& set = labelled();
  std::size_t single = 0;
  std::size_t single_found = 0;
  std::size_t all = 0;
  std::size_t all_found = 0;
  for (const auto& m : set.messages) {
    if (!m.truth) {
      continue;
    }
    const auto ids = set.index.candidates(blocking_keys(prepare(m.demographics)));
    const bool found = std::binary_search(ids.begin(), ids.end(), *m.truth);
    ++all;
    all_found += found ? 1 : 0;
    // One error of any kind but the ambulance's (a nickname there may change the initial).
    if (!m.second && m.kind != synthetic::MessageKind::kAmbulanceApproximateAge) {
      ++single;
      single_found += found ? 1 : 0;
      EXPECT_TRUE(found) << synthetic::message_kind_name(m.kind) << " message " << m.id;
    }
  }
  EXPECT_GT(single, 7000U);
  EXPECT_EQ(single_found, single);
  EXPECT_GE(static_cast<double>(all_found) / static_cast<double>(all), 0.99);
}

TEST(MatchBlocking, KeysAreSelective) {
  const auto& set = labelled();
  std::size_t lookups = 0;
  std::size_t total = 0;
  std::size_t largest = 0;
  std::size_t candidates = 0;
  for (const auto& m : set.messages) {
    const auto keys = blocking_keys(prepare(m.demographics));
    for (const auto& k : keys) {
      const std::size_t n = set.index.block_size(k);
      ++lookups;
      total += n;
      largest = std::max(largest, n);
    }
    candidates += set.index.candidates(keys).size();
  }
  // 50,000 people: a key finds a handful, a query a few dozen at most on average.
  EXPECT_LT(static_cast<double>(total) / static_cast<double>(lookups), 5.0);
  EXPECT_LT(largest, 100U);
  EXPECT_LT(static_cast<double>(candidates) / static_cast<double>(set.messages.size()), 15.0);
}

TEST(MatchQuality, PrecisionAndRecallOnTheLabelledSetAtBothThresholds) {
  const auto& set = labelled();
  const MatchThresholds thresholds;
  std::size_t existing = 0;
  std::size_t auto_linked = 0;
  std::size_t auto_correct = 0;
  std::size_t flagged = 0;
  std::size_t flagged_correct = 0;
  std::size_t twins_auto_linked = 0;
  std::size_t ambulance_auto_linked = 0;
  std::size_t wrong_nhs_auto_linked = 0;
  for (const auto& m : set.messages) {
    const auto r = match(prepare(m.demographics), set.index, set.records, weights(), thresholds);
    const MatchDecision d = r.empty() ? MatchDecision::kNewPerson : r.front().score.decision;
    const bool correct = m.truth && !r.empty() && r.front().id == *m.truth;
    existing += m.truth ? 1 : 0;
    if (d == MatchDecision::kAutoLink) {
      ++auto_linked;
      auto_correct += correct ? 1 : 0;
      twins_auto_linked += m.kind == synthetic::MessageKind::kTwinNotRegistered ? 1 : 0;
      ambulance_auto_linked += m.kind == synthetic::MessageKind::kAmbulanceApproximateAge ||
                                       m.kind == synthetic::MessageKind::kAmbulanceUnknownPerson
                                   ? 1
                                   : 0;
      wrong_nhs_auto_linked += m.kind == synthetic::MessageKind::kWrongNhsNumber ? 1 : 0;
    }
    if (d != MatchDecision::kNewPerson) {
      ++flagged;
      flagged_correct += correct ? 1 : 0;
    }
  }
  const double auto_precision =
      static_cast<double>(auto_correct) / static_cast<double>(auto_linked);
  const double auto_recall = static_cast<double>(auto_correct) / static_cast<double>(existing);
  const double review_precision =
      static_cast<double>(flagged_correct) / static_cast<double>(flagged);
  const double review_recall = static_cast<double>(flagged_correct) / static_cast<double>(existing);
  RecordProperty("auto_precision", std::to_string(auto_precision));
  RecordProperty("auto_recall", std::to_string(auto_recall));
  RecordProperty("review_precision", std::to_string(review_precision));
  RecordProperty("review_recall", std::to_string(review_recall));
  EXPECT_GE(auto_precision, 0.99);
  EXPECT_GE(auto_recall, 0.5);
  EXPECT_GE(review_recall, 0.93);
  EXPECT_GE(review_precision, 0.85);  // twins not yet registered are sent to review on purpose
  EXPECT_EQ(twins_auto_linked, 0U);
  EXPECT_EQ(ambulance_auto_linked, 0U);
  EXPECT_EQ(wrong_nhs_auto_linked, 0U);
}

TEST(MatchPopulation, DeterministicFromTheSeed) {
  const auto a = synthetic::generate_people(500, 42);
  const auto b = synthetic::generate_people(500, 42);
  const auto c = synthetic::generate_people(500, 43);
  ASSERT_EQ(a.size(), 500U);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].demographics.family, b[i].demographics.family);
    EXPECT_EQ(a[i].demographics.given, b[i].demographics.given);
    EXPECT_EQ(a[i].demographics.birth_date, b[i].demographics.birth_date);
    EXPECT_EQ(a[i].demographics.postcode, b[i].demographics.postcode);
    differs = differs || a[i].demographics.family != c[i].demographics.family;
  }
  EXPECT_TRUE(differs);
  const auto ma = synthetic::generate_messages(a, 200, 42);
  const auto mb = synthetic::generate_messages(b, 200, 42);
  for (std::size_t i = 0; i < ma.size(); ++i) {
    EXPECT_EQ(ma[i].demographics.family, mb[i].demographics.family);
    EXPECT_EQ(ma[i].truth, mb[i].truth);
    EXPECT_EQ(ma[i].kind, mb[i].kind);
  }
}

TEST(MatchPopulation, PeopleAreWellFormedWithTestRangeNhsNumbers) {
  const auto& people = labelled().people;
  std::set<std::string> numbers;
  std::size_t twins = 0;
  std::size_t double_barrelled = 0;
  std::size_t accented = 0;
  std::size_t previous = 0;
  for (std::size_t i = 0; i < people.size(); ++i) {
    const Demographics& d = people[i].demographics;
    ASSERT_TRUE(d.nhs_number);
    EXPECT_TRUE(d.nhs_number->str().starts_with("999"));
    EXPECT_TRUE(NhsNumber::parse(d.nhs_number->str()));
    numbers.insert(d.nhs_number->str());
    EXPECT_TRUE(parse_postcode(d.postcode)) << i;
    ASSERT_TRUE(d.birth_date);
    EXPECT_TRUE(parse_date(d.birth_date->str())) << i;
    EXPECT_FALSE(d.given.empty());
    double_barrelled += d.family.find_first_of("- ") != std::string::npos ? 1 : 0;
    auto non_ascii = [](const std::string& s) {
      return std::any_of(s.begin(), s.end(),
                         [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    };
    accented += non_ascii(d.given.front()) || non_ascii(d.family) ? 1 : 0;
    previous += d.previous_families.empty() ? 0 : 1;
    if (i > 0) {
      const Demographics& p = people[i - 1].demographics;
      twins += people[i].household == people[i - 1].household && p.birth_date == d.birth_date &&
                       p.family == d.family && p.given != d.given
                   ? 1
                   : 0;
    }
  }
  EXPECT_EQ(numbers.size(), people.size());
  EXPECT_EQ(*numbers.begin(), test_nhs(0).str());
  EXPECT_GT(twins, 50U);
  EXPECT_GT(double_barrelled, 1000U);
  EXPECT_GT(accented, 1000U);
  EXPECT_GT(previous, 3000U);
}

TEST(MatchPopulation, MessagesCoverEveryKind) {
  std::set<synthetic::MessageKind> kinds;
  for (const auto& m : labelled().messages) {
    kinds.insert(m.kind);
  }
  EXPECT_EQ(kinds.size(), synthetic::kMessageKindCount);
}

TEST(MatchPopulation, TestRangeHolds909090ValidNumbers) {
  synthetic::TestNhsNumbers numbers;
  std::size_t count = 0;
  std::optional<NhsNumber> last;
  while (auto n = numbers.next()) {
    last = n;
    ++count;
  }
  EXPECT_EQ(count, 909090U);  // 1,000,000 stems less those whose check digit is 10, and 9999999999
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->str().starts_with("99999999"));
}

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(MatchDemographicSearch, BuildsTheQueryFromPdsParameters) {
  const Params params = {{"family", "Smith-Jones"}, {"given", "Anne"},
                         {"given", "Marie"},        {"birthdate", "eq1968-09-30"},
                         {"gender", "female"},      {"address-postalcode", "BS8 1TH"},
                         {"_fuzzy-match", "true"}};
  auto d = demographics_from_search(params);
  ASSERT_TRUE(d) << d.error().detail;
  EXPECT_EQ(d->family, "Smith-Jones");
  EXPECT_EQ(d->given, (std::vector<std::string>{"Anne", "Marie"}));
  EXPECT_EQ(d->birth_date, (Date{1968, 9, 30}));
  EXPECT_EQ(d->birth_year_tolerance, 0);
  EXPECT_EQ(d->gender, "female");
  EXPECT_EQ(d->postcode, "BS8 1TH");
}

TEST(MatchDemographicSearch, RangeBecomesAnApproximateBirthYear) {
  auto d = demographics_from_search(
      Params{{"family", "Smith"}, {"birthdate", "ge1950-01-01"}, {"birthdate", "le1960-12-31"}});
  ASSERT_TRUE(d) << d.error().detail;
  EXPECT_EQ(d->birth_date, (Date{1955, 0, 0}));
  EXPECT_EQ(d->birth_year_tolerance, 5);
}

TEST(MatchDemographicSearch, NhsNumberIdentifier) {
  const std::string nhs = test_nhs(20).str();
  auto d =
      demographics_from_search(Params{{"identifier", std::string(kNhsNumberSystem) + "|" + nhs}});
  ASSERT_TRUE(d) << d.error().detail;
  ASSERT_TRUE(d->nhs_number);
  EXPECT_EQ(d->nhs_number->str(), nhs);
}

TEST(MatchDemographicSearch, RefusesBadParametersWithoutRepeatingValues) {
  const std::vector<Params> bad = {
      {{"family", "Smith"}},                                 // a name alone is not enough
      {{"family", "Smith"}, {"birthdate", "1970-02-30"}},    // not a date
      {{"family", "Smith"}, {"birthdate", "ge1970-01-01"}},  // half a range
      {{"family", "Smith"}, {"birthdate", "xx1970-01-01"}},  // unknown prefix
      {{"family", "Smith"}, {"gender", "yes"}},
      {{"family", "Smith"}, {"address-postalcode", "NOT A POSTCODE"}},
      {{"identifier", "9990000019"}},                         // wrong check digit
      {{"identifier", "https://example.org/id|9990000018"}},  // another system
      {{"family", "Smith"}, {"family", "Jones"}, {"birthdate", "1970"}},
      {{"family", ""}},
      {{"family", std::string(300, 'a')}, {"birthdate", "1970"}},
      {{"telecom", "01632960587"}},
  };
  for (const auto& params : bad) {
    auto d = demographics_from_search(params);
    ASSERT_FALSE(d) << params.front().first;
    EXPECT_EQ(d.error().code, Errc::kBadRequest);
    for (const auto& [name, value] : params) {
      if (value.size() > 4) {
        EXPECT_EQ(d.error().detail.find(value), std::string::npos) << d.error().detail;
      }
    }
  }
}

TEST(MatchDemographicSearch, SearchFindsAndGradesCandidates) {
  auto q = demographics_from_search(Params{{"family", "taylor"},
                                           {"given", "emma"},
                                           {"birthdate", "1984-03-12"},
                                           {"address-postalcode", "LS6 2QT"}});
  ASSERT_TRUE(q);
  const MatchScore s = compare(*q, kEmma);
  EXPECT_EQ(match_grade_code(s.grade), "certain");
  EXPECT_GE(s.score, 0.95);
}

}  // namespace
}  // namespace gw::identity
