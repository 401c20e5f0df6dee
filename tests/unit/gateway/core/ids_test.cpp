// Unit tests for gateway/core/ids.hpp: OdsCode parsing.
#include "gateway/core/ids.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace gw {
namespace {

TEST(OdsCodeParse, AcceptsPracticeCode) {
  auto r = OdsCode::parse("Z90001");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->str(), "Z90001");
}

TEST(OdsCodeParse, UpperCasesLowerCaseInput) {
  auto r = OdsCode::parse("rxx");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->str(), "RXX");
}

TEST(OdsCodeParse, AcceptsShortestAndLongest) {
  auto shortest = OdsCode::parse("A1b");
  ASSERT_TRUE(shortest);
  EXPECT_EQ(shortest->str(), "A1B");
  auto longest = OdsCode::parse("abcde12345");
  ASSERT_TRUE(longest);
  EXPECT_EQ(longest->str(), "ABCDE12345");
}

TEST(OdsCodeParse, CaseInsensitiveCodesCompareEqual) {
  auto a = OdsCode::parse("z9a01");
  auto b = OdsCode::parse("Z9A01");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, *b);
  auto c = OdsCode::parse("Z9A02");
  ASSERT_TRUE(c);
  EXPECT_NE(*a, *c);
  EXPECT_LT(*a, *c);
}

void expect_rejected(std::string_view text, std::string_view detail_part) {
  auto r = OdsCode::parse(text);
  ASSERT_FALSE(r) << "'" << text << "' was accepted as " << r->str();
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  EXPECT_NE(r.error().detail.find(detail_part), std::string::npos) << r.error().detail;
}

TEST(OdsCodeParse, RejectsEmpty) { expect_rejected("", "got 0 characters"); }

TEST(OdsCodeParse, RejectsTooShort) { expect_rejected("Z9", "got 2 characters"); }

TEST(OdsCodeParse, RejectsTooLong) { expect_rejected("Z900010000X", "got 11 characters"); }

TEST(OdsCodeParse, RejectsPunctuation) {
  expect_rejected("Z9-001", "only letters and digits");
  expect_rejected("Z9.001", "only letters and digits");
  expect_rejected("Z9/001", "only letters and digits");
  expect_rejected("Z9'001", "only letters and digits");
}

TEST(OdsCodeParse, RejectsSpaces) {
  expect_rejected(" Z90001", "only letters and digits");
  expect_rejected("Z90001 ", "only letters and digits");
  expect_rejected("Z9 001", "only letters and digits");
}

TEST(OdsCodeParse, RejectsControlAndNonAsciiBytes) {
  expect_rejected(std::string_view("Z9\0"
                                   "01",
                                   5),
                  "only letters and digits");  // an embedded NUL
  expect_rejected(
      "Z9\xC3\xA9"
      "01",
      "only letters and digits");  // U+00E9 in UTF-8
}

}  // namespace
}  // namespace gw
