// Security labels and note types over the real shared-record API: a resource labelled PSYTHPN
// or SDV (HL7 v3 ActCode, in meta.security or a DocumentReference's securityLabel) and a
// document whose type is a psychotherapy note code are withheld from every reader as legal
// exclusions, with a notice naming the category (never the content), left out of search totals,
// and recorded as withheld in the audit log. The code lists are the shipped ones
// (mappings/terminology/sensitive/, compiled in).
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/record_api_fixture.hpp"

namespace gw::test {
namespace {

constexpr std::string_view kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
// A phrase only the labelled resources carry: it must never leave the gateway.
constexpr std::string_view kSecret = "zzsecret-narrative-marker";

class SecurityLabelsApiTest : public RecordApiTest {
protected:
  /** file: one resource for Olivia (kOlivia) from `ods`, as an inbound message would file it. */
  void file(std::string_view ods, std::string_view type, std::string_view id,
            const std::string& json) {
    auto tx = records_->begin();
    ASSERT_TRUE(tx);
    auto person = mpi_->find_by_nhs_number(NhsNumber::parse(kOlivia).value());
    ASSERT_TRUE(person && person->has_value());
    ASSERT_TRUE((*tx)->upsert({{OdsCode::parse(ods).value(), std::string(type), std::string(id)},
                               (**person).person.id,
                               "labels-test-0001",
                               json}));
    ASSERT_TRUE((*tx)->commit());
  }

  /** file_labelled: a psychotherapy note (by type), and a PSYTHPN and an SDV labelled resource. */
  void file_labelled() {
    const std::string subject = R"("subject":{"reference":"Patient/9991158383"})";
    // A mental health trust's psychotherapy note: type SNOMED 444175001 (SHIFT PSYTHPN list).
    file("Z9M01", "DocumentReference", "mh-olivia-psynote",
         R"({"resourceType":"DocumentReference","id":"mh-olivia-psynote","status":"current",)"
         R"("type":{"coding":[{"system":"http://snomed.info/sct","code":"444175001"}]},)"
         R"("description":")" +
             std::string(kSecret) + R"(",)" + subject + "}");
    // The hospital's problem labelled SDV: sexual assault, abuse or domestic violence.
    file("Z9A01", "Condition", "ac-olivia-sdv",
         R"({"resourceType":"Condition","id":"ac-olivia-sdv","meta":{"security":[)"
         R"({"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"},)"
         R"({"system":")" +
             std::string(kActCode) + R"(","code":"SDV"}]},"code":{"text":")" +
             std::string(kSecret) + R"("},)" + subject + "}");
    // The GP's letter whose securityLabel says PSYTHPN.
    file("Z90001", "DocumentReference", "gp-olivia-labelled",
         R"({"resourceType":"DocumentReference","id":"gp-olivia-labelled","status":"current",)"
         R"("securityLabel":[{"coding":[{"system":")" +
             std::string(kActCode) + R"(","code":"PSYTHPN"}]}],"description":")" +
             std::string(kSecret) + R"(",)" + subject + "}");
  }

  /** total: a search's Bundle.total. */
  unsigned total(const std::string& target, std::string_view login = "gp") {
    const auto r = call("GET", target, login);
    EXPECT_EQ(r.status, 200U) << r.body;
    const auto doc = json(r);
    return doc.IsObject() && doc.HasMember("total") ? doc["total"].GetUint() : 9999U;
  }
};

TEST_F(SecurityLabelsApiTest, LabelledResourcesAreWithheldWithANoticeNamingTheCategory) {
  file_labelled();
  for (const char* login : {"gp", "ae-doctor"}) {
    const auto r = everything(login, kOlivia);
    ASSERT_EQ(r.status, 200U) << login << ": " << r.body;
    const auto doc = json(r);
    const auto shown = ids(doc);
    EXPECT_TRUE(shown.count("ac-olivia-asthma")) << login;  // the rest of the record is there
    for (const char* id : {"mh-olivia-psynote", "ac-olivia-sdv", "gp-olivia-labelled"}) {
      EXPECT_FALSE(shown.count(id)) << login << " " << id;
      EXPECT_EQ(r.body.find(id), std::string::npos) << login << " " << id;
    }
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << login;
    EXPECT_TRUE(rules(doc).count("legal-exclusion")) << login;
    // The notice names the categories, never what was withheld.
    EXPECT_NE(r.body.find("detailed mental health notes"), std::string::npos) << login;
    EXPECT_NE(r.body.find("third-party safeguarding information"), std::string::npos) << login;
  }
}

TEST_F(SecurityLabelsApiTest, BreakGlassDoesNotLiftALabel) {
  file_labelled();
  // The paramedic has no relationship with Olivia; the glass lets them in, not to the labels.
  ASSERT_EQ(break_the_glass("paramedic", kOlivia,
                            R"({"reason":"emergency-treatment","justification":"unresponsive )"
                            R"(on scene, need history"})")
                .status,
            200U);
  const auto r = everything("paramedic", kOlivia);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_TRUE(ids(json(r)).count("ac-olivia-asthma"));
  EXPECT_EQ(r.body.find(kSecret), std::string::npos);
  EXPECT_TRUE(rules(json(r)).count("legal-exclusion"));
}

TEST_F(SecurityLabelsApiTest, SearchTotalsDoNotCountLabelledResourcesAndGiveNoHint) {
  const std::string docs = "/fhir/DocumentReference?patient=" + std::string(kOlivia);
  const std::string conditions = "/fhir/Condition?patient=" + std::string(kOlivia);
  const unsigned docs_before = total(docs);
  const unsigned conditions_before = total(conditions);
  file_labelled();
  EXPECT_EQ(total(docs), docs_before);
  EXPECT_EQ(total(conditions), conditions_before);
  const auto r = call("GET", docs);
  EXPECT_EQ(r.body.find(kSecret), std::string::npos);
  EXPECT_TRUE(rules(json(r)).empty());  // a search carries no notice that would hint at them
  // Paging one at a time never reaches them, and ends where the visible ones end.
  std::set<std::string> seen;
  std::string target = docs + "&_count=1";
  for (int pages = 0; !target.empty() && pages < 20; ++pages) {
    const auto page = call("GET", target);
    ASSERT_EQ(page.status, 200U) << page.body;
    const auto doc = json(page);
    for (const auto& id : ids(doc)) {
      seen.insert(id);
    }
    target.clear();
    for (const auto& l : doc["link"].GetArray()) {
      if (std::string_view(l["relation"].GetString()) == "next") {
        const std::string url = l["url"].GetString();
        target = url.substr(url.find("/fhir/"));
      }
    }
  }
  EXPECT_EQ(seen.size(), docs_before);
  EXPECT_FALSE(seen.count("mh-olivia-psynote"));
  EXPECT_FALSE(seen.count("gp-olivia-labelled"));
  // _include is not served at all, so nothing reaches a reader that way either.
  EXPECT_EQ(call("GET", docs + "&_include=DocumentReference:subject").status, 400U);
}

TEST_F(SecurityLabelsApiTest, TheAuditRecordsWhatWasWithheldByClass) {
  file_labelled();
  ASSERT_EQ(everything("gp", kOlivia).status, 200U);
  const auto records = audited();
  ASSERT_FALSE(records.empty());
  const auto& read = records.back();
  EXPECT_EQ(read.type, audit::EventType::kRecordRead);
  const std::set<std::string> withheld(read.withheld.begin(), read.withheld.end());
  EXPECT_TRUE(withheld.count("mental-health-notes (legal-exclusion)"))
      << ::testing::PrintToString(read.withheld);
  EXPECT_TRUE(withheld.count("safeguarding-third-party (legal-exclusion)"))
      << ::testing::PrintToString(read.withheld);
  EXPECT_EQ(read.decision, audit::Decision::kPermitRedacted);
}

}  // namespace
}  // namespace gw::test
