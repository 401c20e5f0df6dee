// What a refused person is told: each refusing rule in words, the kind of data named where the
// agreement does not cover it, and nothing about the patient.
#include "gateway/policy/refusal.hpp"

#include <gtest/gtest.h>

namespace gw::policy {
namespace {

TEST(RefusalWords, EachRefusingRuleSaysWhyInItsOwnWords) {
  EXPECT_NE(refusal_words(Rule::kNoAgreement).find("no data-sharing agreement covers your"),
            std::string::npos);
  EXPECT_NE(refusal_words(Rule::kRoleNotAllowed).find("your role"), std::string::npos);
  EXPECT_NE(refusal_words(Rule::kPatientObjection).find("opted out"), std::string::npos);
  EXPECT_NE(refusal_words(Rule::kNoLegitimateRelationship).find("legitimate relationship"),
            std::string::npos);
  EXPECT_EQ(refusal_words(Rule::kCategoryNotInAgreement, "demographics"),
            "no data-sharing agreement for your organisation, purpose and role covers "
            "demographics");
  EXPECT_NE(refusal_words(Rule::kCategoryNotInAgreement).find("this kind of data"),
            std::string::npos);
  EXPECT_EQ(refusal_words(Rule::kLegalExclusion), "the policy refused it");
}

}  // namespace
}  // namespace gw::policy
