// NHS number parsing and the Modulus 11 check, against published numbers and their verdicts
// (../shared/reference/nhs-numbers/, see SOURCES-nhs-samples.md there).
#include "gateway/identity/nhs_number.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gw {
namespace {

std::string reference(const std::string& name) {
  return std::string(CAREGW_SOURCE_DIR) + "/../shared/reference/nhs-numbers/" + name;
}

/** csv_rows: the rows of a simple CSV (quoted fields with commas are kept whole). */
std::vector<std::vector<std::string>> csv_rows(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("\xEF\xBB\xBF", 0) == 0) {
      line.erase(0, 3);  // byte order mark
    }
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.push_back(cell);
        cell.clear();
      } else if (c != '\r') {
        cell += c;
      }
    }
    cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

TEST(NhsNumber, TestRangeNumbersAreValid) {
  const auto rows = csv_rows(reference("testdata-9-valid-nhs-numbers.csv"));
  ASSERT_EQ(rows.size(), 9U);
  for (const auto& r : rows) {
    auto n = NhsNumber::parse(r[0]);
    ASSERT_TRUE(n) << r[0] << ": " << n.error().detail;
    EXPECT_EQ(n->str(), r[0]);
  }
}

TEST(NhsNumber, PublishedNumbersGetThePublishedVerdict) {
  const auto rows = csv_rows(reference("nhs_numbers_compiled_from_public_sources.csv"));
  ASSERT_GT(rows.size(), 40U);
  int checked = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.size() < 3) {
      continue;
    }
    const std::string& number = r[0];
    const std::string& verdict = r[2];
    auto n = NhsNumber::parse(number);
    std::string digits;
    for (char ch : number) {
      if (ch >= '0' && ch <= '9') {
        digits += ch;
      }
    }
    const bool identical =
        digits.size() == 10 && digits.find_first_not_of(digits[0]) == std::string::npos;
    if (verdict == "valid" && identical) {
      // Modulus 11 passes these, but no NHS number is ten identical digits: refused by rule.
      ASSERT_FALSE(n) << number;
      EXPECT_NE(n.error().detail.find("identical"), std::string::npos);
    } else if (verdict == "valid") {
      EXPECT_TRUE(n) << number;
    } else if (verdict == "invalid-checkdigit-10") {
      ASSERT_FALSE(n) << number;
      // Refused for the check digit, or earlier for its layout (e.g. double spaces).
      const auto& d = n.error().detail;
      EXPECT_TRUE(d.find("gives 10") != std::string::npos || d.find("found") != std::string::npos)
          << number << " -> " << d;
    } else if (verdict == "invalid-checkdigit-mismatch") {
      ASSERT_FALSE(n) << number;
      EXPECT_NE(n.error().detail.find("check digit is wrong"), std::string::npos);
    } else if (verdict == "invalid-format") {
      EXPECT_FALSE(n) << number;
    } else {
      continue;
    }
    ++checked;
  }
  EXPECT_GE(checked, 40);
}

TEST(NhsNumber, AcceptsWhatPeopleType) {
  for (const char* text : {"9990000018", "999 000 0018", "999-000-0018"}) {
    auto n = NhsNumber::parse(text);
    ASSERT_TRUE(n) << text;
    EXPECT_EQ(n->str(), "9990000018");
    EXPECT_EQ(n->formatted(), "999 000 0018");
  }
}

TEST(NhsNumber, RefusesWithAReasonThatDoesNotRepeatTheNumber) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case c :
       {Case{"999000001", "has 10 digits, this has 9"},
        Case{"99900000180", "has 10 digits, this has 11"}, Case{"", "has 10 digits, this has 0"},
        Case{"99900000A8", "found 'A' at position 9"},
        Case{"999  000 0018", "found ' ' at position 4"}, Case{"999 000-0018", "found '-'"},
        Case{"999 0000018", "in both places"}, Case{" 9990000018", "found ' ' at position 1"},
        Case{"9990000018 ", "found ' ' at position 11"},
        Case{"9990000019", "check digit is wrong (Modulus 11 gives 8)"}}) {
    auto n = NhsNumber::parse(c.text);
    ASSERT_FALSE(n) << c.text;
    EXPECT_NE(n.error().detail.find(c.reason), std::string::npos)
        << c.text << " -> " << n.error().detail;
    EXPECT_EQ(n.error().code, Errc::kBadRequest);
    if (std::string(c.text).size() >= 9) {
      EXPECT_EQ(n.error().detail.find(c.text), std::string::npos)
          << "the reason repeats the number";
    }
  }
}

TEST(NhsNumber, TenIdenticalDigitsAreRefused) {
  // Several of these pass Modulus 11 (e.g. all nines), but none is an NHS number.
  for (char c = '0'; c <= '9'; ++c) {
    auto n = NhsNumber::parse(std::string(10, c));
    ASSERT_FALSE(n) << c;
    EXPECT_NE(n.error().detail.find("ten identical digits"), std::string::npos);
  }
}

TEST(NhsNumber, CheckDigit) {
  EXPECT_EQ(NhsNumber::check_digit("999000002"), 6);
  EXPECT_EQ(NhsNumber::check_digit("999000001"), 8);
  EXPECT_EQ(NhsNumber::check_digit("12345678"), -1);
  EXPECT_EQ(NhsNumber::check_digit("12345678x"), -1);
  // Sum 10*0+...: a remainder of 1 gives 11 - 1 = 10, which no NHS number may have.
  int found10 = 0;
  for (int i = 0; i < 1000 && found10 == 0; ++i) {
    const std::string nine =
        "999" + std::string(6 - std::to_string(i).size(), '0') + std::to_string(i);
    if (NhsNumber::check_digit(nine) == -1) {
      ++found10;
      EXPECT_FALSE(NhsNumber::parse(nine + "0"));
    }
  }
  EXPECT_EQ(found10, 1);
}

TEST(VerificationStatus, CodesAndDisplays) {
  VerificationStatus s{};
  ASSERT_TRUE(parse_verification_status("01", s));
  EXPECT_EQ(s, VerificationStatus::kPresentVerified);
  EXPECT_TRUE(links_records(s));
  ASSERT_TRUE(parse_verification_status("8", s));
  EXPECT_EQ(s, VerificationStatus::kTracePostponed);
  EXPECT_FALSE(links_records(s));
  EXPECT_EQ(verification_code(VerificationStatus::kTraceRequired), "03");
  // Displays as in the CareConnect code system (gpconnect-send-document-update-record/
  // CodeSystem-CareConnect-NHSNumberVerificationStatus-1.xml).
  EXPECT_EQ(verification_display(VerificationStatus::kTraceNeedsResolution),
            "Trace needs to be resolved - (NHS number or patient detail conflict)");
  for (const char* bad : {"", "0", "00", "09", "10", "1a", "001"}) {
    EXPECT_FALSE(parse_verification_status(bad, s)) << bad;
  }
}

}  // namespace
}  // namespace gw
