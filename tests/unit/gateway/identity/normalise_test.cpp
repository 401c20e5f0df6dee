// Normalisation of names, NYSIIS codes, nicknames, postcodes, dates and gender before matching
// (gateway/identity/MATCHING.md). Names here are common names, not people.
#include "gateway/identity/normalise.hpp"

#include <string>

#include <gtest/gtest.h>

namespace gw::identity {
namespace {

TEST(NormaliseFold, FoldsCaseAndLatinAccents) {
  EXPECT_EQ(fold_text("José GARCÍA"), "jose garcia");
  EXPECT_EQ(fold_text("Zoë Müller"), "zoe muller");
  EXPECT_EQ(fold_text("Łukasz Wiśniewski"), "lukasz wisniewski");
  EXPECT_EQ(fold_text("Søren Ødegård"), "soren odegard");
  EXPECT_EQ(fold_text("Straße"), "strasse");
  EXPECT_EQ(fold_text("Æthelred Œuvre Þór"), "aethelred oeuvre thor");
  EXPECT_EQ(fold_text("Đorđević"), "dordevic");
  EXPECT_EQ(fold_text("Ștefan Țurcan"), "stefan turcan");  // Romanian comma-below letters
  EXPECT_EQ(fold_text("Siân Ó Ceallaigh"), "sian o ceallaigh");
  EXPECT_EQ(fold_text("Çelik Yılmaz Öztürk"), "celik yilmaz ozturk");
}

TEST(NormaliseFold, DropsCombiningAccentsAndApostrophes) {
  EXPECT_EQ(fold_text("Rene\xCC\x81"
                      "e"),
            "renee");  // e + U+0301 (decomposed é)
  EXPECT_EQ(fold_text("O'Brien"), "obrien");
  EXPECT_EQ(fold_text("O\xE2\x80\x99"
                      "Brien"),
            "obrien");  // ’ U+2019
  EXPECT_EQ(fold_text("D`Arcy"), "darcy");
}

TEST(NormaliseFold, SeparatorsBecomeOneSpace) {
  EXPECT_EQ(fold_text("  Smith--Jones  "), "smith jones");
  EXPECT_EQ(fold_text("Smith\xE2\x80\x93Jones"), "smith jones");  // en dash
  EXPECT_EQ(fold_text("Anne\xC2\xA0Marie"), "anne marie");        // NBSP
  EXPECT_EQ(fold_text("St.John, 3rd"), "st john rd");
  EXPECT_EQ(fold_text(""), "");
  EXPECT_EQ(fold_text(" -.' "), "");
}

TEST(NormaliseFold, ReadsInvalidUtf8AsWindows1252) {
  EXPECT_EQ(fold_text("Jos\xE9"), "jose");  // Latin-1 é
  EXPECT_EQ(fold_text("O\x92"
                      "Brien"),
            "obrien");  // cp1252 right single quote
  EXPECT_EQ(fold_text("\x8A"
                      "imon"),
            "simon");                       // cp1252 Š
  EXPECT_EQ(fold_text("\xFF\xFE"), "yth");  // stray bytes never fail
}

TEST(NormaliseFold, KeepsOtherScripts) { EXPECT_EQ(fold_text("Αλέξης Smith"), "Αλέξης smith"); }

TEST(NormaliseName, RemovesTitlesAndSuffixes) {
  EXPECT_EQ(normalise_name("Mrs Anne-Marie O'Brien"), "anne marie obrien");
  EXPECT_EQ(normalise_name("Dr. John Smith Jr"), "john smith");
  EXPECT_EQ(normalise_name("Prof Sir Tom Jones OBE"), "tom jones");
  EXPECT_EQ(normalise_name("Rev. Canon Ann Ellis"), "canon ann ellis");  // "canon" is kept
  EXPECT_EQ(normalise_name("MISS  EMMA   TAYLOR"), "emma taylor");
}

TEST(NormaliseName, KeepsTheLastWordEvenIfItLooksLikeATitle) {
  EXPECT_EQ(normalise_name("Major"), "major");
  EXPECT_EQ(normalise_name("Lord"), "lord");
  EXPECT_EQ(normalise_name("Mr Lord"), "lord");
  EXPECT_EQ(normalise_name("Col"), "col");  // Colin's short form, not a title
  EXPECT_EQ(normalise_name("Dean Smith"), "dean smith");
}

TEST(NormaliseName, SplitsAndJoinsDoubleBarrelledNames) {
  EXPECT_EQ(name_parts("Smith-Jones"), (std::vector<std::string>{"smith", "jones"}));
  EXPECT_EQ(name_parts("Bowes Lyon"), (std::vector<std::string>{"bowes", "lyon"}));
  EXPECT_EQ(joined_name("Smith-Jones"), "smithjones");
  EXPECT_EQ(joined_name("SMITH JONES"), "smithjones");
  EXPECT_EQ(joined_name("Smithjones"), "smithjones");
  EXPECT_TRUE(name_parts("").empty());
}

TEST(NormaliseName, Particles) {
  EXPECT_TRUE(is_name_particle("van"));
  EXPECT_TRUE(is_name_particle("de"));
  EXPECT_FALSE(is_name_particle("smith"));
}

TEST(NormaliseNysiis, KnownCodes) {
  EXPECT_EQ(nysiis("Smith"), "SNAT");
  EXPECT_EQ(nysiis("Knight"), "NAGT");
  EXPECT_EQ(nysiis("Jones"), "JAN");
  EXPECT_EQ(nysiis("Williams"), "WALAN");
  EXPECT_EQ(nysiis("Schmidt"), "SNAD");
  EXPECT_EQ(nysiis("Evans"), "EVAN");
  EXPECT_EQ(nysiis("Phillips"), nysiis("Filips"));
}

TEST(NormaliseNysiis, SoundAlikesShareACode) {
  EXPECT_EQ(nysiis("MacDonald"), nysiis("McDonald"));
  EXPECT_EQ(nysiis("Catherine"), nysiis("Katherine"));
  EXPECT_EQ(nysiis("Sean"), nysiis("Shaun"));
  EXPECT_EQ(nysiis("Seán"), nysiis("Shaun"));
  EXPECT_EQ(nysiis("Mohammed"), nysiis("Muhammad"));
  EXPECT_EQ(nysiis("Sarah"), nysiis("Sara"));
  EXPECT_EQ(nysiis("O'Brien"), nysiis("OBRIEN"));
  EXPECT_NE(nysiis("Smith"), nysiis("Jones"));
}

TEST(NormaliseNysiis, TruncatesToSixAndHandlesEmpty) {
  EXPECT_EQ(nysiis("Richardson"), "RACARD");
  EXPECT_EQ(nysiis("Richards"), "RACARD");
  EXPECT_EQ(nysiis(""), "");
  EXPECT_EQ(nysiis("Αλέξης"), "");
  EXPECT_EQ(nysiis("A"), "A");
}

TEST(NormaliseNickname, KnownVariantsAreEquivalent) {
  EXPECT_TRUE(nickname_equivalent("bill", "william"));
  EXPECT_TRUE(nickname_equivalent("william", "bill"));
  EXPECT_TRUE(nickname_equivalent("bill", "will"));  // both short for william
  EXPECT_TRUE(nickname_equivalent("peggy", "margaret"));
  EXPECT_TRUE(nickname_equivalent("jack", "john"));
  EXPECT_TRUE(nickname_equivalent("emma", "emma"));
  EXPECT_FALSE(nickname_equivalent("john", "james"));
  EXPECT_FALSE(nickname_equivalent("", "john"));
}

TEST(NormaliseEditDistance, WithinOneEdit) {
  EXPECT_TRUE(within_one_edit("thompson", "thomson"));  // deletion
  EXPECT_TRUE(within_one_edit("jonhson", "johnson"));   // adjacent swap
  EXPECT_TRUE(within_one_edit("smith", "smyth"));       // substitution
  EXPECT_TRUE(within_one_edit("ann", "anne"));          // insertion at the end
  EXPECT_TRUE(within_one_edit("same", "same"));
  EXPECT_FALSE(within_one_edit("smith", "smithers"));
  EXPECT_FALSE(within_one_edit("abcd", "badc"));
}

TEST(NormalisePostcode, NormalisesSpacingAndCase) {
  auto p = parse_postcode(" sw1a1aa ");
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->full, "SW1A 1AA");
  EXPECT_EQ(p->outward, "SW1A");
  EXPECT_EQ(p->sector, "SW1A 1");
  p = parse_postcode("M1   1AE");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->full, "M1 1AE");
  EXPECT_EQ(p->sector, "M1 1");
}

TEST(NormalisePostcode, AcceptsEveryFormat) {
  for (const char* pc :
       {"M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB", "GIR 0AA", "LS1 6AE"}) {
    EXPECT_TRUE(parse_postcode(pc)) << pc;
  }
}

TEST(NormalisePostcode, RefusesMalformedWithoutRepeatingThem) {
  for (const char* pc : {"SW1A 1CA", "Q1 1AA", "AB1", "12345", "SW1A-1AA", "SW1A 1AAA", "1W1 1AA",
                         "W1I 1AA", "AZ1 1AA", "EC1C 1AA", "", "SW1A 1A"}) {
    auto p = parse_postcode(pc);
    ASSERT_FALSE(p) << pc;
    EXPECT_EQ(p.error().code, Errc::kBadRequest);
    if (std::string(pc).size() > 2) {
      EXPECT_EQ(p.error().detail.find(pc), std::string::npos) << p.error().detail;
    }
  }
}

TEST(NormaliseDate, ParsesFhirDates) {
  auto d = parse_date("1970-03-12");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, (Date{1970, 3, 12}));
  EXPECT_TRUE(d->complete());
  EXPECT_EQ(d->str(), "1970-03-12");
  EXPECT_EQ(d->digits(), "19700312");
  d = parse_date("1970-03");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, (Date{1970, 3, 0}));
  EXPECT_FALSE(d->complete());
  EXPECT_EQ(d->str(), "1970-03");
  d = parse_date("1970");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->str(), "1970");
  EXPECT_TRUE(parse_date("2000-02-29"));
}

TEST(NormaliseDate, RefusesInvalidDatesWithoutRepeatingThem) {
  for (const char* s : {"1900-02-29", "1970-13-01", "1970-04-31", "70-01-01", "1970/01/01", "0000",
                        "1970-1-1", "19700101", "", "1970-00-10", "1970-01-00"}) {
    auto d = parse_date(s);
    ASSERT_FALSE(d) << s;
    if (std::string(s).size() > 3) {
      EXPECT_EQ(d.error().detail.find(s), std::string::npos) << d.error().detail;
    }
  }
}

TEST(NormaliseGender, FhirAndNhsCodes) {
  EXPECT_EQ(parse_gender("male"), Gender::kMale);
  EXPECT_EQ(parse_gender("F"), Gender::kFemale);
  EXPECT_EQ(parse_gender("1"), Gender::kMale);
  EXPECT_EQ(parse_gender("2"), Gender::kFemale);
  EXPECT_EQ(parse_gender("9"), Gender::kOther);
  EXPECT_EQ(parse_gender("Other"), Gender::kOther);
  EXPECT_EQ(parse_gender("0"), Gender::kUnknown);
  EXPECT_EQ(parse_gender("unknown"), Gender::kUnknown);
  EXPECT_EQ(parse_gender("whatever"), Gender::kUnknown);
  EXPECT_EQ(gender_code(Gender::kFemale), "female");
  EXPECT_EQ(gender_code(Gender::kUnknown), "unknown");
}

}  // namespace
}  // namespace gw::identity
