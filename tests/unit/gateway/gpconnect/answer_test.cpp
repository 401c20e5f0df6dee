// What a GP Connect provider's answer means: the patient's Bundle (the specification's sample
// ../shared/reference/gpconnect-structured/allergies_response1.json, its NHS number 9999999999
// swapped for a valid synthetic 999 number), or an error naming the practice and the Spine code
// of its OperationOutcome (GP Connect 1.x error handling), never the provider's diagnostics.
#include "gateway/gpconnect/answer.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace gw::gpconnect {
namespace {

constexpr std::string_view kNhs = "9990000018";  // synthetic, 999 range, Modulus 11 valid

std::string sample() {
  std::ifstream in(std::string(CAREGW_SOURCE_DIR) +
                   "/../shared/reference/gpconnect-structured/allergies_response1.json");
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  for (auto pos = text.find("9999999999"); pos != std::string::npos;
       pos = text.find("9999999999", pos)) {
    text.replace(pos, 10, kNhs);
  }
  return text;
}

std::string outcome(std::string_view code) {
  return R"({"resourceType":"OperationOutcome","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
    "issue":[{"severity":"error","code":"not-found","details":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1","code":")" +
         std::string(code) +
         R"(","display":"Patient not found"}]},"diagnostics":"No patient with NHS number 9990000018"}]})";
}

const OdsCode kPractice = *OdsCode::parse("O001");
const NhsNumber kNumber = *NhsNumber::parse(kNhs);

TEST(GpConnectAnswerTest, TheReferenceBundleForThePatientIsAccepted) {
  const auto body = sample();
  ASSERT_FALSE(body.empty()) << "reference sample missing";
  EXPECT_TRUE(check_answer({200, "application/fhir+json", body}, kPractice, kNumber));
}

TEST(GpConnectAnswerTest, ARecordForAnotherPatientIsRefused) {
  const auto other = *NhsNumber::parse("9990000026");
  auto r = check_answer({200, "application/fhir+json", sample()}, kPractice, other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUpstreamMalformed);
  EXPECT_NE(r.error().detail.find("another patient"), std::string::npos);
  EXPECT_EQ(r.error().detail.find("9990000026"), std::string::npos);
}

TEST(GpConnectAnswerTest, NotABundleIsRefused) {
  auto r = check_answer({200, "application/fhir+json", outcome("PATIENT_NOT_FOUND")}, kPractice,
                        kNumber);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUpstreamMalformed);
  r = check_answer({200, "text/html", "<html>"}, kPractice, kNumber);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUpstreamMalformed);
}

TEST(GpConnectAnswerTest, AnErrorOutcomeNamesThePracticeAndTheSpineCode) {
  for (const auto& [status, code] :
       std::vector<std::pair<unsigned, std::string>>{{404, "PATIENT_NOT_FOUND"},
                                                     {400, "INVALID_NHS_NUMBER"},
                                                     {403, "NO_RELATIONSHIP"},
                                                     {422, "INVALID_RESOURCE"},
                                                     {403, "ACCESS_DENIED"}}) {
    auto r = check_answer({status, "application/fhir+json", outcome(code)}, kPractice, kNumber);
    ASSERT_FALSE(r) << code;
    EXPECT_EQ(r.error().code, Errc::kUpstreamUnavailable) << code;
    EXPECT_EQ(http_status(r.error().code), 502U);
    EXPECT_NE(r.error().detail.find("practice O001"), std::string::npos) << r.error().detail;
    EXPECT_NE(r.error().detail.find("HTTP " + std::to_string(status) + " " + code),
              std::string::npos)
        << r.error().detail;
    // The provider's diagnostics repeat the NHS number: never copied.
    EXPECT_EQ(r.error().detail.find(kNhs), std::string::npos) << r.error().detail;
  }
}

TEST(GpConnectAnswerTest, AProvidersTimeoutIsATimeout) {
  auto r = check_answer({504, "application/fhir+json", ""}, kPractice, kNumber);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUpstreamTimeout);
  EXPECT_NE(r.error().detail.find("without a GP Connect OperationOutcome"), std::string::npos);
}

TEST(GpConnectAnswerTest, OnlyPlainCodesAreRepeated) {
  EXPECT_EQ(spine_error_code(outcome("PATIENT_NOT_FOUND")), "PATIENT_NOT_FOUND");
  EXPECT_EQ(spine_error_code(outcome("Mrs Example 9990000018")), "(an unrecognised code)");
  EXPECT_EQ(spine_error_code(R"({"resourceType":"Bundle"})"), "");
  EXPECT_EQ(explain_spine_error("NO_RELATIONSHIP"),
            "the practice found no legitimate relationship for this request");
}

}  // namespace
}  // namespace gw::gpconnect
