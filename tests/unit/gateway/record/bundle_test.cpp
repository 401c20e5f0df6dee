// Assembling the shared care record's Bundle under a policy grant: withheld entries and the
// references to them removed, a notice that names the reason and never the content, sources on
// every entry, Provenance per message, the same fact from two sources linked. Synthetic data.
#include "gateway/record/bundle.hpp"

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"

namespace gw::record {
namespace {

/** A grant with one agreement (all parties, problems and allergies only), built by hand. */
class RecordBundleTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (auto [ods, kind] :
         {std::pair{"Z90001", config::OrgKind::kGp}, std::pair{"Z9A01", config::OrgKind::kAcute}}) {
      config::Organisation o{OdsCode::parse(ods).value(), "", config::OrgKind::kGp, "", 0};
      o.kind = kind;
      o.name = std::string("Org ") + ods;
      cfg_.organisations.push_back(o);
    }
    policy::Agreement a;
    a.id = "DSA-T";
    a.version = "1";
    a.parties = {{"", config::OrgKind::kGp, 0}, {"", config::OrgKind::kAcute, 0}};
    a.purposes = 1U << static_cast<unsigned>(policy::Purpose::kDirectCare);
    a.categories = policy::category_bit(policy::DataCategory::kDemographics) |
                   policy::category_bit(policy::DataCategory::kProblems) |
                   policy::category_bit(policy::DataCategory::kAllergies) |
                   policy::category_bit(policy::DataCategory::kEncounters);
    a.roles = {"R8000"};
    a.valid_from = policy::TimePoint{};
    a.valid_to = std::chrono::system_clock::now() + std::chrono::hours(24);
    a.relationship_required = false;
    index_ = std::make_unique<policy::PolicyIndex>(std::vector<policy::Agreement>{a},
                                                   cfg_.organisations, policy::RelationshipRules{});
    const policy::Requester who{"Z90001",
                                {"u1", "User", "R8000", "Z90001", policy::Purpose::kDirectCare}};
    grant_ = policy::authorise(*index_, who, policy::PatientContext{"9991158383", "", {}, false},
                               std::chrono::system_clock::now());
    ASSERT_EQ(grant_.effect, policy::Effect::kPermit);
  }

  void add(std::string_view ods, std::string type, std::string id, std::string json,
           std::string message = "m-1") {
    store::StoredRecord r{{OdsCode::parse(ods).value(), std::move(type), std::move(id)},
                          store::PersonId{},
                          1,
                          store::RecordStatus::kActive,
                          "",
                          store::TimePoint{},
                          "",
                          0};
    r.resource_json = std::move(json);
    r.source_message_id = std::move(message);
    stored_.push_back(std::move(r));
  }

  Result<Assembled> run(BundleOptions o = {}) {
    entries_.clear();
    for (const auto& r : stored_) {
      auto e = make_entry(r, nullptr);
      EXPECT_TRUE(e);
      entries_.push_back(std::move(*e));
    }
    order_entries(entries_);
    o.config = &cfg_;
    o.self = "https://gw/fhir/Patient/9991158383/$everything";
    o.base = "https://gw/fhir";
    return assemble(grant_, entries_, o);
  }

  config::Config cfg_;
  std::unique_ptr<policy::PolicyIndex> index_;
  policy::AccessGrant grant_;
  std::vector<store::StoredRecord> stored_;  // reserve: entries point into it
  std::vector<Entry> entries_;
};

TEST_F(RecordBundleTest, WithheldEntriesAndReferencesGoAndTheNoticeSaysWhyNotWhat) {
  stored_.reserve(4);
  add("Z90001", "Condition", "c1",
      R"({"resourceType":"Condition","id":"c1","code":{"text":"Asthma"}})");
  add("Z90001", "MedicationStatement", "m1",
      R"({"resourceType":"MedicationStatement","id":"m1","medicationCodeableConcept":)"
      R"({"text":"Secret medicine"}})");
  add("Z9A01", "Encounter", "e1",
      R"({"resourceType":"Encounter","id":"e1","status":"finished",)"
      R"("reasonReference":[{"reference":"MedicationStatement/m1"}]})");
  auto a = run();
  ASSERT_TRUE(a) << a.error().detail;
  EXPECT_EQ(a->json.find("Secret medicine"), std::string::npos);
  EXPECT_EQ(a->json.find("MedicationStatement/m1"), std::string::npos);
  EXPECT_NE(a->json.find("Some medications information is withheld"), std::string::npos);
  ASSERT_EQ(a->notices.size(), 1U);
  EXPECT_EQ(a->notices[0].rule, policy::Rule::kCategoryNotInAgreement);
  ASSERT_EQ(a->disclosed.size(), 2U);
  EXPECT_EQ(a->summary.withheld, 1U);
  auto doc = fhir::parse_json(a->json);
  ASSERT_TRUE(doc);
  const auto& entries = (*doc)["entry"];
  // Condition, Encounter, two Provenance (one per message and source), the OperationOutcome.
  ASSERT_EQ(entries.Size(), 5U);
  EXPECT_STREQ(entries[4]["resource"]["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(entries[4]["search"]["mode"].GetString(), "outcome");
  EXPECT_STREQ(entries[0]["resource"]["meta"]["source"].GetString(), "urn:caregw:ods:Z90001#m-1");
}

TEST_F(RecordBundleTest, ASearchCarriesNoNoticeAndCountsOnlyWhatIsShown) {
  stored_.reserve(2);
  add("Z90001", "Condition", "c1", R"({"resourceType":"Condition","id":"c1"})");
  add("Z90001", "MedicationStatement", "m1", R"({"resourceType":"MedicationStatement","id":"m1"})");
  BundleOptions o;
  o.notices = false;
  o.total = true;
  auto a = run(o);
  ASSERT_TRUE(a);
  auto doc = fhir::parse_json(a->json);
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["total"].GetUint(), 1U);
  EXPECT_EQ(a->json.find("OperationOutcome"), std::string::npos);
  EXPECT_EQ(a->notices.size(), 1U);  // still known, for the audit record
}

TEST_F(RecordBundleTest, TheSameCodeFromTwoSourcesIsLinkedBothWays) {
  stored_.reserve(3);
  const std::string allergy =
      R"({"resourceType":"AllergyIntolerance","id":"a1","code":{"coding":[{"system":)"
      R"("http://snomed.info/sct","code":"91936005"}]}})";
  add("Z90001", "AllergyIntolerance", "a1", allergy);
  add("Z9A01", "AllergyIntolerance", "a1", allergy, "m-2");  // same id at another source
  add("Z90001", "AllergyIntolerance", "a2",
      R"({"resourceType":"AllergyIntolerance","id":"a2","code":{"coding":[{"system":)"
      R"("http://snomed.info/sct","code":"300916003"}]}})");
  auto a = run();
  ASSERT_TRUE(a);
  auto doc = fhir::parse_json(a->json);
  ASSERT_TRUE(doc);
  const auto& entries = (*doc)["entry"];
  const std::string gp_url = full_url(stored_[0].key);
  const std::string acute_url = full_url(stored_[1].key);
  EXPECT_NE(gp_url, acute_url);  // the same id from two sources: two fullUrls
  int linked = 0;
  for (const auto& e : entries.GetArray()) {
    const auto& r = e["resource"];
    if (!r.HasMember("extension")) {
      continue;
    }
    const std::string self = e["fullUrl"].GetString();
    const std::string other = r["extension"][0]["valueReference"]["reference"].GetString();
    EXPECT_EQ(other, self == gp_url ? acute_url : gp_url);
    ++linked;
  }
  EXPECT_EQ(linked, 2);
}

TEST_F(RecordBundleTest, FullUrlsAreStableNameBasedUuids) {
  const store::ResourceKey k{OdsCode::parse("Z90001").value(), "Condition", "c1"};
  EXPECT_EQ(full_url(k), full_url(k));
  EXPECT_EQ(full_url(k).size(), std::string("urn:uuid:").size() + 36);
  EXPECT_EQ(full_url(k)[9 + 14], '5');  // the version nibble
}

TEST_F(RecordBundleTest, TheWithheldBundleHoldsOnlyTheNotice) {
  BundleOptions o;
  o.self = "https://gw/fhir/Patient/9991158383/$everything";
  const auto json = withheld_bundle(policy::Rule::kPatientObjection,
                                    "withheld at the patient's "
                                    "request",
                                    o);
  auto doc = fhir::parse_json(json);
  ASSERT_TRUE(doc);
  ASSERT_EQ((*doc)["entry"].Size(), 1U);
  EXPECT_STREQ(
      (*doc)["entry"][0]["resource"]["issue"][0]["details"]["coding"][0]["code"].GetString(),
      "patient-objection");
}

}  // namespace
}  // namespace gw::record
