// The query of GET /policy/explain: what an IG lead or integrator types becomes a typed
// question, and every mistake is refused naming the parameter (never echoing an NHS number).
#include "gateway/pipeline/handlers/explain_query.hpp"

#include <gtest/gtest.h>

namespace gw::pipeline {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// Synthetic: 999 test range, valid Modulus 11 check digit.
constexpr const char* kNhs = "9990000018";

Params base() {
  return {{"organisation", "z9a01"},
          {"role", "R0050"},
          {"purpose", "direct-care"},
          {"patient", kNhs},
          {"resource-type", "Condition"}};
}

Params with(Params p, const std::string& name, const std::string& value) {
  p.emplace_back(name, value);
  return p;
}

Params without(Params p, const std::string& name) {
  std::erase_if(p, [&](const auto& kv) { return kv.first == name; });
  return p;
}

/** refusal: the detail of the kBadRequest a query gets (fails the test if it parses). */
std::string refusal(const Params& p) {
  auto q = parse_explain_query(p);
  EXPECT_FALSE(q);
  if (q) {
    return {};
  }
  EXPECT_EQ(q.error().code, Errc::kBadRequest);
  EXPECT_EQ(q.error().detail.find(kNhs), std::string::npos) << q.error().detail;
  return q.error().detail;
}

TEST(ExplainQuery, ReadsTheRequesterPatientAndKindOfData) {
  auto q = parse_explain_query(base());
  ASSERT_TRUE(q) << q.error().detail;
  EXPECT_EQ(q->user.ods, "Z9A01");  // upper-cased, as ODS codes are kept
  EXPECT_EQ(q->user.role_code, "R0050");
  EXPECT_EQ(q->user.purpose, policy::Purpose::kDirectCare);
  EXPECT_TRUE(q->user.id.empty());
  EXPECT_EQ(q->nhs_number, kNhs);
  EXPECT_EQ(q->resource_type, "Condition");
  EXPECT_EQ(q->category, policy::DataCategory::kProblems);  // the type's usual category
  EXPECT_EQ(q->sensitivity, 0);
  EXPECT_TRUE(q->source.empty());
  EXPECT_FALSE(q->break_glass);
}

TEST(ExplainQuery, TakesTheOptionalParameters) {
  Params p = without(base(), "resource-type");
  p = with(p, "category", "safeguarding");
  p = with(p, "user", "demo-user-ae");
  p = with(p, "patient-unused", "x");
  EXPECT_NE(refusal(p).find("unknown parameter 'patient-unused'"), std::string::npos);
  p = without(p, "patient-unused");
  p = without(p, "patient");
  p = with(p, "patient", std::string("https://fhir.nhs.uk/Id/nhs-number|") + kNhs);
  p = with(p, "sensitivity", "sexual-health,mental-health-notes");
  p = with(p, "source", "Z90001");
  p = with(p, "break-glass", "true");
  p = with(p, "break-glass-reason", "patient-request");
  p = with(p, "_format", "json");
  auto q = parse_explain_query(p);
  ASSERT_TRUE(q) << q.error().detail;
  EXPECT_EQ(q->user.id, "demo-user-ae");
  EXPECT_EQ(q->nhs_number, kNhs);
  EXPECT_TRUE(q->resource_type.empty());
  EXPECT_EQ(q->category, policy::DataCategory::kSafeguarding);
  EXPECT_EQ(q->sensitivity, policy::sensitivity_bit(policy::Sensitivity::kSexualHealth) |
                                policy::sensitivity_bit(policy::Sensitivity::kMentalHealthNotes));
  EXPECT_EQ(q->source, "Z90001");
  EXPECT_TRUE(q->break_glass);
  EXPECT_EQ(q->break_glass_reason, policy::BreakGlassReason::kPatientRequest);
}

TEST(ExplainQuery, ACategoryNamesWhatATypeWithoutAUsualOneIs) {
  // A Flag may be an alert or safeguarding: the type alone cannot be decided.
  EXPECT_NE(refusal(with(without(base(), "resource-type"), "resource-type", "Flag"))
                .find("parameter 'resource-type'"),
            std::string::npos);
  auto q = parse_explain_query(with(with(without(base(), "resource-type"), "resource-type", "Flag"),
                                    "category", "safeguarding"));
  ASSERT_TRUE(q) << q.error().detail;
  EXPECT_EQ(q->resource_type, "Flag");
  EXPECT_EQ(q->category, policy::DataCategory::kSafeguarding);
}

TEST(ExplainQuery, EachMissingParameterIsNamed) {
  for (const char* name : {"organisation", "role", "purpose", "patient"}) {
    const auto detail = refusal(without(base(), name));
    EXPECT_NE(detail.find(std::string("parameter '") + name + "': is required"), std::string::npos)
        << detail;
  }
  const auto detail = refusal(without(base(), "resource-type"));
  EXPECT_NE(detail.find("resource-type"), std::string::npos) << detail;
  EXPECT_NE(detail.find("category"), std::string::npos) << detail;
  EXPECT_NE(refusal(with(without(base(), "role"), "role", "")).find("parameter 'role'"),
            std::string::npos);
}

TEST(ExplainQuery, EachBadValueIsNamedWithoutEchoingIt) {
  struct Case {
    const char* name;
    const char* value;
  };
  for (const Case& c : {Case{"organisation", "Z9-A01"}, Case{"role", "R0005"},
                        Case{"purpose", "curiosity"}, Case{"patient", "9990000019"},
                        Case{"category", "gossip"}, Case{"sensitivity", "sexual-health,x"},
                        Case{"source", "not an ods"}, Case{"break-glass", "yes"}}) {
    const auto detail = refusal(with(without(base(), c.name), c.name, c.value));
    EXPECT_NE(detail.find(std::string("parameter '") + c.name + "'"), std::string::npos)
        << c.name << ": " << detail;
  }
  // Another identifier system than the NHS number's.
  EXPECT_NE(refusal(with(without(base(), "patient"), "patient", std::string("urn:x|") + kNhs))
                .find("identifier system"),
            std::string::npos);
  // A reason without break-glass, and any parameter twice.
  EXPECT_NE(refusal(with(base(), "break-glass-reason", "patient-request"))
                .find("only with break-glass=true"),
            std::string::npos);
  EXPECT_NE(refusal(with(base(), "role", "R0050")).find("parameter 'role': may be given once"),
            std::string::npos);
}

}  // namespace
}  // namespace gw::pipeline
