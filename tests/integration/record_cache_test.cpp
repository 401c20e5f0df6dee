// The shared record's answer cache end to end over real TLS (record.cache_mb): an answer from the
// cache is the answer the gateway would assemble, for this requester only, until anything it
// depends on changes: a write to the person's record (also from another connection to the
// store, as a CLI verb or another node would write), a merge or unmerge, an agreement reloaded.
// Its audit records carry the same disclosures as a freshly assembled answer's.
#include <gtest/gtest.h>

#include "tests/integration/record_api_fixture.hpp"

namespace gw::test {
namespace {

/** without_request_parts: the Bundle's JSON without Bundle.id and Bundle.timestamp. */
std::string without_request_parts(const std::string& body) {
  auto doc = fhir::parse_json(body);
  EXPECT_TRUE(doc) << body;
  if (!doc || !doc->IsObject()) {
    return {};
  }
  doc->RemoveMember("id");
  doc->RemoveMember("timestamp");
  return fhir::to_json(*doc);
}

class RecordCacheTest : public RecordApiTest {
protected:
  store::PersonView person(std::string_view nhs) {
    auto p = mpi_->find_by_nhs_number(NhsNumber::parse(nhs).value());
    EXPECT_TRUE(p && p->has_value());
    return p && p->has_value() ? **p : store::PersonView{};
  }

  /** file: one resource from the GP for `nhs`, committed through `store`. */
  void file(store::RecordStore& store, std::string_view nhs, const std::string& id,
            const std::string& json) {
    auto tx = store.begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->upsert({{OdsCode::parse("Z90001").value(), "Condition", id},
                               person(nhs).person.id,
                               "emis-extract-cache",
                               json}));
    ASSERT_TRUE((*tx)->commit());
  }

  static std::string condition(const std::string& id, std::string_view extra = "") {
    return R"({"resourceType":"Condition","id":")" + id + "\"" + std::string(extra) +
           R"(,"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},)"
           R"("subject":{"reference":"Patient/9991554335"}})";
  }

  /** last_read: the newest record-read audit record. */
  audit::AuditRecord last_read() {
    audit::AuditRecord out;
    for (auto& r : audited()) {
      if (r.type == audit::EventType::kRecordRead) {
        out = r;
      }
    }
    return out;
  }
};

TEST_F(RecordCacheTest, ASecondReadIsAnsweredFromTheCacheWithTheSameAnswerAndAudit) {
  const auto first = everything("gp", kOlivia);
  ASSERT_EQ(first.status, 200U) << first.body;
  const auto a1 = last_read();
  const auto second = everything("gp", kOlivia);
  ASSERT_EQ(second.status, 200U) << second.body;
  const auto a2 = last_read();
  EXPECT_EQ(cache_->stats().hits, 1U);
  EXPECT_EQ(without_request_parts(first.body), without_request_parts(second.body));
  // Bundle.id is this request's own, never shared.
  EXPECT_STRNE(json(first)["id"].GetString(), json(second)["id"].GetString());
  // The audit record of the hit says what the miss's said.
  EXPECT_NE(a1.request_id, a2.request_id);
  EXPECT_FALSE(a1.disclosed.empty());
  EXPECT_EQ(a1.disclosed, a2.disclosed);
  EXPECT_EQ(a1.withheld, a2.withheld);
  EXPECT_EQ(a1.decision, a2.decision);
  EXPECT_EQ(a1.decision, audit::Decision::kPermitRedacted);
  EXPECT_EQ(a1.dsa_id, a2.dsa_id);
  EXPECT_EQ(a1.dsa_version, a2.dsa_version);
  EXPECT_EQ(a1.dsa_rule, a2.dsa_rule);
  EXPECT_EQ(a1.nhs_number, a2.nhs_number);
  // The dry run's recorded inputs of the hit name the same resources as the miss's.
  auto recorded =
      policy::read_recorded(std::filesystem::path(dir_.file("data")) / "policy", 100, std::nullopt);
  ASSERT_TRUE(recorded) << recorded.error().detail;
  ASSERT_GE(recorded->inputs.size(), 2U);
  const auto& hit = recorded->inputs[0];  // newest first
  const auto& miss = recorded->inputs[1];
  EXPECT_NE(miss.id, hit.id);
  ASSERT_FALSE(miss.resources.empty());
  ASSERT_EQ(miss.resources.size(), hit.resources.size());
  for (std::size_t i = 0; i < miss.resources.size(); ++i) {
    EXPECT_EQ(miss.resources[i].id, hit.resources[i].id);
    EXPECT_EQ(miss.resources[i].category, hit.resources[i].category);
    EXPECT_EQ(miss.resources[i].sensitivity, hit.resources[i].sensitivity);
  }
  // The XML answer is the same Bundle.
  const auto xml = everything("gp", kOlivia, "?_format=xml");
  ASSERT_EQ(xml.status, 200U);
  EXPECT_NE(xml.body.find("<Bundle"), std::string::npos);
}

TEST_F(RecordCacheTest, AKeptAnswerGoesOutWholeAsJsonAsXmlAndToHead) {
  // A kept JSON answer is sent as this request's Bundle opening followed by the kept part,
  // which is shared rather than copied: Content-Length must count both, HEAD must send neither.
  const auto miss = everything("gp", kOlivia);
  ASSERT_EQ(miss.status, 200U) << miss.body;
  const auto hit = everything("gp", kOlivia);
  ASSERT_EQ(hit.status, 200U) << hit.body;
  EXPECT_EQ(cache_->stats().hits, 1U);
  EXPECT_EQ(hit.header("Content-Length"), std::to_string(hit.body.size()));
  EXPECT_EQ(hit.body.size(), miss.body.size());  // ids and timestamps are of fixed length
  EXPECT_EQ(hit.body.rfind(R"({"resourceType":"Bundle","id":")", 0), 0U);
  EXPECT_EQ(without_request_parts(miss.body), without_request_parts(hit.body));
  const auto head = call("HEAD", "/fhir/Patient/" + std::string(kOlivia) + "/$everything");
  EXPECT_EQ(head.status, 200U);
  EXPECT_EQ(cache_->stats().hits, 2U);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(hit.body.size()));
  EXPECT_TRUE(head.body.empty());
  // XML: the second read is kept too, and written whole from it.
  const auto xml_miss = everything("gp", kOlivia, "?_format=xml");
  const auto xml_hit = everything("gp", kOlivia, "?_format=xml");
  ASSERT_EQ(xml_hit.status, 200U) << xml_hit.body;
  EXPECT_EQ(cache_->stats().hits, 3U);
  EXPECT_EQ(xml_hit.header("Content-Length"), std::to_string(xml_hit.body.size()));
  EXPECT_EQ(xml_hit.body.size(), xml_miss.body.size());
  EXPECT_NE(xml_hit.body.find("<Bundle"), std::string::npos);
  EXPECT_NE(xml_hit.body.find("</Bundle>"), std::string::npos);
}

TEST_F(RecordCacheTest, WritesToThePersonsRecordAreSeenByTheNextRead) {
  ASSERT_EQ(everything("gp", kEileen).status, 200U);
  ASSERT_EQ(everything("gp", kEileen).status, 200U);  // cached
  file(*records_, kEileen, "gp-eileen-cache1", condition("gp-eileen-cache1"));
  auto r = everything("gp", kEileen);
  ASSERT_EQ(r.status, 200U);
  EXPECT_TRUE(ids(json(r)).count("gp-eileen-cache1"));
  // Entered in error: no longer shown.
  file(*records_, kEileen, "gp-eileen-cache1",
       condition("gp-eileen-cache1",
                 R"(,"verificationStatus":{"coding":[{"system":)"
                 R"("http://terminology.hl7.org/CodeSystem/condition-ver-status",)"
                 R"("code":"entered-in-error"}]})"));
  r = everything("gp", kEileen);
  EXPECT_FALSE(ids(json(r)).count("gp-eileen-cache1"));
  // Deleted by its source: no longer shown.
  ASSERT_TRUE(ids(json(r)).count("gp-eileen-htn"));
  {
    auto tx = records_->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->remove({OdsCode::parse("Z90001").value(), "Condition", "gp-eileen-htn"},
                              "emis-extract-cache2"));
    ASSERT_TRUE((*tx)->commit());
  }
  r = everything("gp", kEileen);
  EXPECT_FALSE(ids(json(r)).count("gp-eileen-htn"));
  // A write through another connection to the same database (a CLI verb, another process).
  auto other = store::sqlite::SqliteRecordStore::open_in_data_dir(dir_.file("data"), clock_);
  ASSERT_TRUE(other) << other.error().detail;
  file(**other, kEileen, "gp-eileen-cache2", condition("gp-eileen-cache2"));
  r = everything("gp", kEileen);
  EXPECT_TRUE(ids(json(r)).count("gp-eileen-cache2"));
  EXPECT_GE(cache_->stats().hits, 1U);
}

TEST_F(RecordCacheTest, AnMpiChangeToThePersonIsSeenByTheNextRead) {
  // The GP's answer (and the person behind the NHS number) are cached.
  ASSERT_EQ(everything("gp", kEileen).status, 200U);
  ASSERT_EQ(everything("gp", kEileen).status, 200U);
  EXPECT_GE(cache_->stats().hits, 1U);
  // The mental health trust registers her (verified NHS number): linked to the same person.
  identity::IncomingIdentity in{.source = OdsCode::parse("Z9M01").value()};
  in.local_id = store::LocalId{in.source, store::LocalIdType::kMentalHealthId, "MH-CACHE-1"};
  in.match.family = "Delacroix-Ward";
  in.match.given = {"Eileen"};
  in.match.birth_date = identity::Date{1938, 6, 19};
  in.match.gender = "female";
  in.match.postcode = "SE15 4QF";
  in.match.nhs_number = NhsNumber::parse(kEileen).value();
  in.match.nhs_status = VerificationStatus::kPresentVerified;
  in.message_id = "mh-reg-cache-1";
  ASSERT_TRUE(mpi_->identify(in));
  const auto r = everything("gp", kEileen);
  ASSERT_EQ(r.status, 200U);
  EXPECT_NE(r.body.find("MH-CACHE-1"), std::string::npos) << "the Patient's new identifier";
}

TEST_F(RecordCacheTest, ARequesterWithOtherRightsNeverGetsAnotherRequestersAnswer) {
  // The GP's answer for Eileen is cached; each other requester gets their own decision.
  const auto gp = everything("gp", kEileen);
  ASSERT_EQ(gp.status, 200U);
  ASSERT_EQ(everything("gp", kEileen).status, 200U);
  EXPECT_EQ(everything("mh-nurse", kEileen).status, 403U);   // other organisation, no episode
  EXPECT_EQ(everything("paramedic", kEileen).status, 403U);  // no relationship
  // The social worker (open case) sees Eileen under their own decision: assembled for them
  // (a miss), not the GP's kept answer, though here the agreements let both see the same.
  const auto misses = cache_->stats().misses;
  const auto sw = everything("social-worker", kEileen);
  ASSERT_EQ(sw.status, 200U);
  EXPECT_EQ(cache_->stats().misses, misses + 1);
  // The same organisation as a permitted requester but another purpose (IG audit): refused.
  ASSERT_EQ(everything("ae-doctor", kEileen).status, 200U);
  ASSERT_EQ(everything("ae-doctor", kEileen).status, 200U);
  EXPECT_EQ(everything("ig-lead", kEileen).status, 403U);
  // The patient records an objection: the GP's next read is only the notice.
  auto tx = records_->begin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE((*tx)->upsert(
      {{OdsCode::parse("Z90001").value(), "Consent", "gp-eileen-optout"},
       person(kEileen).person.id,
       "emis-extract-cache3",
       R"({"resourceType":"Consent","id":"gp-eileen-optout","status":"active",)"
       R"("scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope",)"
       R"("code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org",)"
       R"("code":"59284-0"}]}],"patient":{"reference":"Patient/9991554335"},)"
       R"("policy":[{"uri":"https://caregw.dev/policy/shared-care-record-opt-out"}],)"
       R"("provision":{"type":"deny"}})"}));
  ASSERT_TRUE((*tx)->commit());
  const auto after = everything("gp", kEileen);
  ASSERT_EQ(after.status, 200U);
  EXPECT_TRUE(ids(json(after)).empty()) << after.body;
  EXPECT_TRUE(rules(json(after)).count("patient-objection"));
}

TEST_F(RecordCacheTest, AReloadedAgreementChangesTheNextAnswer) {
  const auto before = everything("gp", kEileen);
  ASSERT_EQ(before.status, 200U);
  ASSERT_TRUE(ids(json(before)).count("gp-eileen-amlodipine"));
  ASSERT_EQ(everything("gp", kEileen).status, 200U);  // cached
  // What SIGHUP does (pipeline/reload.hpp): a new policy set in force, here with medications
  // taken out of the direct-care agreement.
  auto lr = config::load_text(record_config(), "test.yaml", "/tmp");
  ASSERT_TRUE(lr.errors.empty());
  const auto read = [](const config::FileRef& ref) {
    auto text = policy::read_demo_file(ref);
    if (text && ref.path.find("direct-care") != std::string::npos) {
      const auto at = text->find("  - medications\n");
      if (at != std::string::npos) {
        text->erase(at, std::string_view("  - medications\n").size());
      }
    }
    return text;
  };
  std::vector<config::Diagnostic> errors;
  auto set = policy::load_policy_set(*lr.config, read, std::chrono::system_clock::now(), errors);
  ASSERT_TRUE(set) << (errors.empty() ? "" : errors.front().str());
  policy_->replace(std::move(*set));
  const auto after = everything("gp", kEileen);
  ASSERT_EQ(after.status, 200U);
  EXPECT_FALSE(ids(json(after)).count("gp-eileen-amlodipine")) << after.body;
  EXPECT_TRUE(rules(json(after)).count("category-not-in-agreement"));
}

TEST_F(RecordCacheTest, AMergeAndAnUnmergeChangeTheNextAnswer) {
  // The demo's merged registration is undone first, so that the old number is its own person.
  const auto hannah = person(kHannah);
  ASSERT_EQ(hannah.merged.size(), 1U);
  ASSERT_TRUE(mpi_->unmerge(hannah.merged.front(), "not the same person", "ig-lead", "msg-u1"));
  ASSERT_EQ(everything("gp", kHannah).status, 200U);
  ASSERT_EQ(everything("gp", kHannah).status, 200U);  // cached
  // A record for the old registration is not Hannah's while they are apart.
  file(*records_, kHannahOld, "ac-hannah-old1", condition("ac-hannah-old1"));
  auto r = everything("gp", kHannah);
  ASSERT_EQ(r.status, 200U);
  EXPECT_FALSE(ids(json(r)).count("ac-hannah-old1"));
  // Merged (an HL7 A40): the old registration's record is in Hannah's next answer.
  const auto old = person(kHannahOld);
  const auto survivor = person(kHannah);
  ASSERT_NE(old.person.id, survivor.person.id);
  ASSERT_FALSE(old.local_ids.empty());
  ASSERT_FALSE(survivor.local_ids.empty());
  ASSERT_TRUE(mpi_->merge_local_ids(survivor.local_ids.front().local_id,
                                    old.local_ids.front().local_id, "same person", "ig-lead",
                                    "msg-m1"));
  r = everything("gp", kHannah);
  ASSERT_EQ(r.status, 200U);
  EXPECT_TRUE(ids(json(r)).count("ac-hannah-old1"));
  ASSERT_EQ(everything("gp", kHannah).status, 200U);  // cached
  // Unmerged again: gone from the next answer.
  ASSERT_TRUE(mpi_->unmerge(old.person.id, "not the same person", "ig-lead", "msg-u2"));
  r = everything("gp", kHannah);
  ASSERT_EQ(r.status, 200U);
  EXPECT_FALSE(ids(json(r)).count("ac-hannah-old1"));
}

TEST_F(RecordCacheTest, TheCacheTurnedOffAnswersTheSame) {
  const auto on = everything("gp", kOlivia);
  ASSERT_EQ(on.status, 200U);
  const auto hit = everything("gp", kOlivia);
  ASSERT_EQ(cache_->stats().hits, 1U);
  const auto a_on = last_read();
  cache_bytes_ = 0;  // record.cache_mb: 0
  restart();
  const auto off = everything("gp", kOlivia);
  ASSERT_EQ(off.status, 200U);
  ASSERT_EQ(everything("gp", kOlivia).status, 200U);
  EXPECT_EQ(cache_->stats().hits, 0U);
  EXPECT_EQ(cache_->stats().entries, 0U);
  EXPECT_EQ(without_request_parts(on.body), without_request_parts(off.body));
  EXPECT_EQ(without_request_parts(hit.body), without_request_parts(off.body));
  const auto a_off = last_read();
  EXPECT_EQ(a_on.disclosed, a_off.disclosed);
  EXPECT_EQ(a_on.withheld, a_off.withheld);
  EXPECT_EQ(a_on.decision, a_off.decision);
}

TEST_F(RecordCacheTest, BreakGlassReadsAreNeverCached) {
  ASSERT_EQ(
      break_the_glass("paramedic", kRhys,
                      R"({"reason":"emergency-treatment","justification":"collapsed in clinic"})")
          .status,
      200U);
  const auto before = cache_->stats();
  ASSERT_EQ(everything("paramedic", kRhys).status, 200U);
  ASSERT_EQ(everything("paramedic", kRhys).status, 200U);
  EXPECT_EQ(cache_->stats().hits, before.hits);
  EXPECT_EQ(last_read().decision, audit::Decision::kBreakGlass);
}

}  // namespace
}  // namespace gw::test
