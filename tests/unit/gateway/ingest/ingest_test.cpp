// The ingest service end to end on real SQLite stores and a real audit log: an R4 message from
// the mental health trust is journalled, its patient identified, its resources filed, routed to
// the subscribers the agreements allow, rendered, queued, audited and acknowledged.
#include "gateway/ingest/ingest.hpp"

#include <gtest/gtest.h>

#include "adapters/hl7v2/adapter.hpp"
#include "adapters/itk/itk3_adapter.hpp"
#include "gateway/ingest/fhir_message.hpp"
#include "gateway/mapping/registry.hpp"
#include "gateway/policy/embedded.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/adapters/emis/emis_test_support.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::ingest {
namespace {

using policy::test::kPatientA;

template <class T>
T ok(Result<T> r) {
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().detail);
  return std::move(*r);
}

OdsCode ods(const char* s) { return *OdsCode::parse(s); }

config::Subscription subscription(const char* name, const char* recipient,
                                  std::vector<std::string> kinds) {
  config::Subscription s{name,
                         ods(recipient),
                         std::move(kinds),
                         {},
                         {},
                         config::PatientScope::kAll,
                         config::SubscriptionTransport::kMailbox,
                         "",
                         "fhir-r4",
                         0};
  return s;
}

/** A crisis plan update from the mental health trust (synthetic patient, invented content). */
std::string crisis_plan_message(const std::string& header_id, const std::string& nhs = kPatientA,
                                const std::string& plan_status = "active") {
  return R"({"resourceType":"Bundle","id":"b-)" + header_id +
         R"(","type":"message","entry":[
 {"resource":{"resourceType":"MessageHeader","id":")" +
         header_id +
         R"(","eventCoding":{"system":"https://caregw.dev/CodeSystem/message-event","code":"crisis-plan"},
   "source":{"endpoint":"https://mh.example/fhir"}}},
 {"resource":{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
         nhs +
         R"(","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"coding":[{"code":"01"}]}}]}],
   "name":[{"family":"Testpatient","given":["Alex"]}],"birthDate":"1980-02-03","gender":"female",
   "address":[{"line":["1 Invented Road"],"postalCode":"ZZ99 3AB"}]}},
 {"resource":{"resourceType":"CarePlan","id":"crisis-1","status":")" +
         plan_status +
         R"(","intent":"plan","subject":{"reference":"Patient/p1"},"title":"Crisis plan"}},
 {"resource":{"resourceType":"Flag","id":"flag-1","status":"active","code":{"text":"Crisis plan in place"},"subject":{"reference":"Patient/p1"}}}
]})";
}

class IngestTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto data = dir.file("data");
    std::filesystem::create_directories(data);
    mpi_repo = ok(store::sqlite::SqliteMpiRepository::open_in_data_dir(data, clock));
    records = ok(store::sqlite::SqliteRecordStore::open_in_data_dir(data, clock));
    messages = ok(store::sqlite::SqliteMessageStore::open_in_data_dir(data, clock));
    mpi = std::make_unique<identity::MpiService>(*mpi_repo, identity::MpiSettings{});
    audit::AuditLogOptions ao;
    ao.data_dir = data;
    ao.node_id = "test-node";
    log = ok(audit::AuditLog::open(ao, clock));
    auto cfg = std::make_shared<config::Config>(policy::test::demo_config());
    cfg->subscriptions = {subscription("ambulance-crisis-plans", "Z9L01", {"crisis-plan"}),
                          subscription("gp-crisis-plans", "Z90001", {"crisis-plan"}),
                          subscription("council-crisis-plans", "Z9S01", {"crisis-plan"})};
    config = cfg;
    // Direct care between MH, ambulance and GP (no safeguarding category: the Flag stays
    // behind); the council is a party to none.
    auto dc = policy::test::parse(policy::test::replace(
        policy::test::kDirectCareYaml,
        "  - kind: gp\n  - kind: acute\n  - kind: mental-health\n  - kind: social-care\n"
        "  - kind: ambulance\n",
        "  - kind: gp\n  - kind: mental-health\n  - kind: ambulance\n"));
    index = std::make_shared<policy::PolicyIndex>(std::vector<policy::Agreement>{dc},
                                                  cfg->organisations, policy::RelationshipRules{});
    adapter = make_fhir_r4_message_adapter();
    renderer = make_fhir_r4_renderer();
    ingest = std::make_unique<Ingest>(IngestDeps{*messages,
                                                 *records,
                                                 *mpi,
                                                 clock,
                                                 [this] {
                                                   return Snapshot{config, index};
                                                 },
                                                 nullptr,
                                                 log.get(),
                                                 {renderer.get()},
                                                 [this] { ++wakes; }});
  }

  Reply send(const std::string& body, const char* sender = "Z9M01") {
    return ingest->receive(*adapter,
                           Receipt{ods(sender), "CN=" + std::string(sender), "192.0.2.7", "req-1",
                                   "application/fhir+json"},
                           body);
  }

  std::vector<audit::StoredRecord> audit_of(audit::EventType type) {
    audit::QueryFilter f;
    f.types = {type};
    return ok(log->query(f, {})).records;
  }

  test::TempDir dir;
  test::FakeClock clock{policy::test::kNow};
  std::unique_ptr<store::sqlite::SqliteMpiRepository> mpi_repo;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records;
  std::unique_ptr<store::sqlite::SqliteMessageStore> messages;
  std::unique_ptr<identity::MpiService> mpi;
  std::unique_ptr<audit::AuditLog> log;
  config::ConfigPtr config;
  std::shared_ptr<const policy::PolicyIndex> index;
  std::unique_ptr<InboundAdapter> adapter;
  std::unique_ptr<OutboundRenderer> renderer;
  std::unique_ptr<Ingest> ingest;
  int wakes = 0;
};

TEST_F(IngestTest, AcceptedMessageIsFiledRoutedWithinTheAgreementsAndAcknowledged) {
  const auto reply = send(crisis_plan_message("mh-msg-1"));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.code, AckRequest::Code::kAccepted);
  EXPECT_NE(reply.body.find(R"("code":"ok")"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find(R"("identifier":"mh-msg-1")"), std::string::npos);
  EXPECT_EQ(reply.queued, 2U);  // ambulance and GP; the council has no agreement
  EXPECT_EQ(wakes, 1);

  // Filed under the patient, with the sender as the source.
  auto page = ok(records->read_by_nhs_number(*NhsNumber::parse(kPatientA), {}));
  ASSERT_EQ(page.records.size(), 3U);
  for (const auto& r : page.records) {
    EXPECT_EQ(r.key.source.str(), "Z9M01");
    EXPECT_EQ(r.source_message_id, "mh-msg-1");
  }
  // Journal: processed, with the acknowledgement kept for repeats.
  auto entry = ok(messages->journal_entry(*reply.journal));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->status, store::JournalStatus::kProcessed);
  ASSERT_TRUE(entry->ack.has_value());
  EXPECT_EQ(entry->ack->body, reply.body);

  // Each recipient's message: an R4 message Bundle without the Flag (not in the agreement).
  auto ambulance = ok(messages->mailbox_fetch(ods("Z9L01"), 10));
  ASSERT_EQ(ambulance.size(), 1U);
  EXPECT_EQ(ambulance[0].patient_key, kPatientA);
  EXPECT_NE(ambulance[0].payload.find(R"("resourceType":"CarePlan")"), std::string::npos);
  EXPECT_EQ(ambulance[0].payload.find(R"("resourceType":"Flag")"), std::string::npos);
  EXPECT_NE(ambulance[0].payload.find(R"("code":"crisis-plan")"), std::string::npos);
  EXPECT_TRUE(ok(messages->mailbox_fetch(ods("Z9S01"), 10)).empty());

  // Audited: received, stored, two disclosures (redacted) and one denial naming the reason.
  EXPECT_EQ(audit_of(audit::EventType::kMessageReceived).size(), 1U);
  EXPECT_EQ(audit_of(audit::EventType::kMessageStored).size(), 1U);
  const auto disclosures = audit_of(audit::EventType::kDisclosure);
  ASSERT_EQ(disclosures.size(), 3U);
  int permitted = 0;
  for (const auto& d : disclosures) {
    EXPECT_EQ(d.record.nhs_number, kPatientA);
    if (d.record.peer_ods == "Z9S01") {
      EXPECT_EQ(d.record.decision, audit::Decision::kDeny);
      EXPECT_NE(d.record.detail.find("no agreement between Z9M01 and Z9S01"), std::string::npos)
          << d.record.detail;
    } else {
      ++permitted;
      EXPECT_EQ(d.record.decision, audit::Decision::kPermitRedacted);
      EXPECT_EQ(d.record.dsa_id, "DSA-DC");
      EXPECT_EQ(d.record.withheld, std::vector<std::string>{"safeguarding"});
      EXPECT_EQ(d.record.disclosed.size(), 2U);  // Patient and CarePlan
    }
  }
  EXPECT_EQ(permitted, 2);
}

TEST_F(IngestTest, ARepeatIsAnsweredAsBeforeAndNotProcessedAgain) {
  const auto first = send(crisis_plan_message("mh-msg-2"));
  ASSERT_EQ(first.status, 200);
  const auto again = send(crisis_plan_message("mh-msg-2"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.queued, 0U);
  EXPECT_EQ(ok(messages->mailbox_fetch(ods("Z9L01"), 10)).size(), 1U);
  EXPECT_EQ(audit_of(audit::EventType::kMessageReceived).size(), 1U);
}

TEST_F(IngestTest, AnUpdateReplacesTheResourceVersionAndIsQueuedBehindTheFirst) {
  ASSERT_EQ(send(crisis_plan_message("mh-msg-3")).status, 200);
  ASSERT_EQ(send(crisis_plan_message("mh-msg-4", kPatientA, "revoked")).status, 200);
  auto current = ok(records->current({ods("Z9M01"), "CarePlan", "crisis-1"}));
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->version, 2);
  EXPECT_NE(current->resource_json.find("revoked"), std::string::npos);
  auto queued = ok(messages->mailbox_fetch(ods("Z90001"), 10));
  ASSERT_EQ(queued.size(), 2U);  // in the order accepted
  EXPECT_NE(queued[1].payload.find("revoked"), std::string::npos);
}

TEST_F(IngestTest, AMessageThatCannotBeReadIsKeptAsFailedAndRejectedWithWhere) {
  const std::string bad =
      R"({"resourceType":"Bundle","id":"b-x","type":"message","entry":[{"resource":{"resourceType":"Patient","id":"p"}}]})";
  const auto reply = send(bad);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.code, AckRequest::Code::kRejected);
  EXPECT_NE(reply.body.find(R"("code":"fatal-error")"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("/Bundle/entry[0]/resource"), std::string::npos) << reply.body;
  ASSERT_TRUE(reply.journal.has_value());
  auto entry = ok(messages->journal_entry(*reply.journal));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->status, store::JournalStatus::kFailed);
  EXPECT_EQ(entry->body, bad);  // kept as received, for reprocessing after a fix
  // Sent again unchanged: the same rejection, not a second failure.
  const auto again = send(bad);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body, reply.body);
}

TEST_F(IngestTest, NoAgreementsLoadedMeansNothingIsSentAndEachDenialIsAudited) {
  index.reset();
  const auto reply = send(crisis_plan_message("mh-msg-5"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.queued, 0U);
  const auto disclosures = audit_of(audit::EventType::kDisclosure);
  ASSERT_EQ(disclosures.size(), 3U);
  for (const auto& d : disclosures) {
    EXPECT_EQ(d.record.decision, audit::Decision::kDeny);
  }
}

TEST_F(IngestTest, AnUnfinishedEntryIsProcessedOnResume) {
  // As if the process died after journalling: the entry is there, status received.
  store::InboundMessage in{ods("Z9M01"), "fhir-r4", "mh-msg-6", "application/fhir+json",
                           crisis_plan_message("mh-msg-6")};
  ASSERT_TRUE(messages->journal(in).has_value());
  const auto resumed = ok(ingest->resume([this](std::string_view name) -> const InboundAdapter* {
    return name == adapter->name() ? adapter.get() : nullptr;
  }));
  EXPECT_EQ(resumed, 1U);
  EXPECT_EQ(ok(messages->mailbox_fetch(ods("Z9L01"), 10)).size(), 1U);
  EXPECT_TRUE(ok(messages->unfinished(10)).empty());
}

TEST_F(IngestTest, DeliveryOutcomesBecomeAuditedMessageMovements) {
  ASSERT_EQ(send(crisis_plan_message("mh-msg-7")).status, 200);
  auto queued = ok(messages->mailbox_fetch(ods("Z9L01"), 10));
  ASSERT_EQ(queued.size(), 1U);
  const auto& m = queued[0];
  const std::vector<store::OutboxEntry> sent{m, m, m};
  const std::vector<store::DeliveryOutcome> done{
      {m.id, true, {}, std::nullopt, policy::test::kNow},
      {m.id, false, "HTTP 503 from the recipient", policy::test::kNow, policy::test::kNow},
      {m.id, false, "HTTP 400 from the recipient", std::nullopt, policy::test::kNow}};
  const auto recs = delivery_audit_records(sent, done, "node-1");
  ASSERT_EQ(recs.size(), 3U);
  EXPECT_EQ(recs[0].type, audit::EventType::kMessageDelivered);
  EXPECT_EQ(recs[1].type, audit::EventType::kMessageRetried);
  EXPECT_EQ(recs[2].type, audit::EventType::kMessageDeadLettered);
  EXPECT_EQ(recs[2].outcome, audit::Outcome::kSeriousFailure);
  for (const auto& r : recs) {
    EXPECT_EQ(r.peer_ods, "Z9L01");
    EXPECT_EQ(r.nhs_number, kPatientA);
    EXPECT_EQ(r.message_id, m.idempotency_key);
    EXPECT_FALSE(r.correlation_id.empty());
  }
  EXPECT_NE(recs[2].detail.find("HTTP 400"), std::string::npos);
  // Each is a valid audit record (the log refuses invalid ones, naming the field).
  for (auto r : recs) {
    EXPECT_TRUE(log->append_sync(std::move(r)).has_value());
  }
}

/** A discharge from the PAS whose discharge destination (PV1-36) is a local code no mapping
 * knows ("ZZ"); segments after ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A03_ADT_A03.hl7,
 * synthetic patient. */
std::string a03_with_local_destination() {
  std::string pv1 = "PV1|1|I|WARD1^BED2^^Z9A01";
  for (int f = 4; f <= 45; ++f) {
    pv1 += f == 19   ? "|V000777"
           : f == 36 ? "|ZZ"
           : f == 44 ? "|20261120090000"
           : f == 45 ? "|20261126120000"
                     : "|";
  }
  return "MSH|^~\\&|PAS|Z9A01|CAREGW|CAREGW|20261126120000||ADT^A03^ADT_A03|A03-777|P|2.4\r"
         "EVN|A03|20261126120000\r"
         "PID|1||" +
         std::string(kPatientA) + "^^^NHS^NH~RZZ7770001^^^Z9A01^MR||Testperson^Sam||19600101|M\r" +
         pv1 + "\r";
}

TEST_F(IngestTest, AnUnmappedCodeIsKeptAsSentThroughToTheRecordStoreAndCounted) {
  mapping::UnmappedTracker tracker;
  mapping::MappingRegistry registry(std::string(CAREGW_SOURCE_DIR) + "/mappings", {}, &tracker);
  ASSERT_TRUE(registry.reload().swapped);
  auto hl7 = adapters::hl7v2::make_hl7v2_adapter();
  Ingest with_mappings(IngestDeps{*messages,
                                  *records,
                                  *mpi,
                                  clock,
                                  [this] {
                                    return Snapshot{config, index};
                                  },
                                  &registry,
                                  log.get(),
                                  {renderer.get()},
                                  {}});
  const auto reply = with_mappings.receive(
      *hl7, Receipt{ods("Z9A01"), "CN=Z9A01", "192.0.2.8", "req-2", "x-application/hl7-v2+er7"},
      a03_with_local_destination());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.body.find("MSA|AA|A03-777"), std::string::npos) << reply.body;
  auto page = ok(records->read_by_nhs_number(*NhsNumber::parse(kPatientA), {}));
  std::string encounter;
  for (const auto& r : page.records) {
    if (r.key.resource_type == "Encounter") {
      encounter = r.resource_json;
    }
  }
  ASSERT_FALSE(encounter.empty());
  EXPECT_NE(encounter.find(R"("dischargeDisposition")"), std::string::npos) << encounter;
  EXPECT_NE(encounter.find(R"("code":"ZZ")"), std::string::npos) << encounter;
  EXPECT_GE(tracker.total(), 1U);
  bool counted = false;
  for (const auto& e : tracker.top(20)) {
    counted = counted || e.code == "ZZ";
  }
  EXPECT_TRUE(counted);
}

TEST_F(IngestTest, ALegalExclusionNeverLeavesAndNothingSentNamesIt) {
  // A crisis plan that addresses a condition coded as HIV infection (SNOMED CT 111880001, in
  // mappings/terminology/sensitive/sexual-health-snomed.csv) and a psychotherapy note labelled
  // PSYTHPN: neither goes to any recipient, whatever the agreement, and the plan that goes no
  // longer points at the condition. Synthetic content.
  std::vector<config::Diagnostic> errors;
  const auto lists = policy::embedded_sensitive_code_lists();
  auto classifier = std::make_shared<const policy::SensitiveCodeClassifier>(
      policy::SensitiveCodeClassifier::load(lists, errors));
  ASSERT_TRUE(errors.empty());
  ingest = std::make_unique<Ingest>(IngestDeps{*messages,
                                               *records,
                                               *mpi,
                                               clock,
                                               [this, classifier] {
                                                 return Snapshot{config, index, classifier};
                                               },
                                               nullptr,
                                               log.get(),
                                               {renderer.get()},
                                               [this] { ++wakes; }});
  std::string body = crisis_plan_message("mh-msg-legal");
  const std::string plan = R"("title":"Crisis plan"})";
  body.replace(body.find(plan), plan.size(),
               R"("title":"Crisis plan","addresses":[{"reference":"Condition/c-hiv"}]})");
  const std::string flag = R"( {"resource":{"resourceType":"Flag")";
  body.insert(
      body.find(flag),
      R"( {"resource":{"resourceType":"Condition","id":"c-hiv","subject":{"reference":"Patient/p1"},
   "code":{"coding":[{"system":"http://snomed.info/sct","code":"111880001"}]}}},
 {"resource":{"resourceType":"DocumentReference","id":"note-1","status":"current",
   "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSYTHPN"}]},
   "subject":{"reference":"Patient/p1"},"content":[{"attachment":{"contentType":"text/plain","data":"bm90ZQ=="}}]}},
)");
  const auto reply = send(body);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.queued, 2U);
  auto gp = ok(messages->mailbox_fetch(ods("Z90001"), 10));
  ASSERT_EQ(gp.size(), 1U);
  EXPECT_NE(gp[0].payload.find(R"("resourceType":"CarePlan")"), std::string::npos);
  EXPECT_EQ(gp[0].payload.find("c-hiv"), std::string::npos) << gp[0].payload;
  EXPECT_EQ(gp[0].payload.find("111880001"), std::string::npos);
  EXPECT_EQ(gp[0].payload.find("note-1"), std::string::npos);
  EXPECT_EQ(gp[0].payload.find("addresses"), std::string::npos);  // emptied, so removed
  // The sender's own record keeps everything (the shared record withholds on reading).
  auto page = ok(records->read_by_nhs_number(*NhsNumber::parse(kPatientA), {}));
  EXPECT_EQ(page.records.size(), 5U);
  // Audited: what was left out, by class; nothing withheld is listed as disclosed.
  for (const auto& d : audit_of(audit::EventType::kDisclosure)) {
    if (d.record.peer_ods != "Z90001") {
      continue;
    }
    EXPECT_EQ(d.record.decision, audit::Decision::kPermitRedacted);
    EXPECT_EQ(d.record.withheld,
              (std::vector<std::string>{"safeguarding", "sexual-health", "mental-health-notes"}));
    for (const auto& r : d.record.disclosed) {
      EXPECT_NE(r.resource_id, "c-hiv");
      EXPECT_NE(r.resource_id, "note-1");
    }
    EXPECT_NE(d.record.detail.find("queued"), std::string::npos);
  }
}

TEST_F(IngestTest, AnItk3ResponseFromThePracticeSettlesTheMessageItAnswers) {
  // A practice answers a Send Document message later, as its own ITK3 message (ITK008M, the
  // shape of the ITK3 response in gpconnect-send-document-update-record): fatal-error puts the
  // delivered message in the dead letters, audited as such; the practice gets an ITK3 reply.
  // An answer from an organisation the message was not sent to is refused with the reason.
  auto sent = store::OutboundMessage{ods("Z90001"),
                                     store::TransportKind::kHttps,
                                     kPatientA,
                                     "discharge-summary",
                                     "application/fhir+json",
                                     "{}",
                                     "gp-connect-send-document",
                                     "0c6f4a2e-1b3d-4e5f-8a9b-7c6d5e4f3a21"};
  const auto ids = ok(messages->enqueue({sent}));
  ASSERT_TRUE(messages->record_outcomes(
      {store::DeliveryOutcome{ids[0], true, "", std::nullopt, clock.now()}}));
  const auto itk3 = adapters::itk::make_itk3_adapter();
  const std::string body =
      adapters::emis::test::itk_response(sent.idempotency_key, "fatal-error", "20009");
  auto from = [&](const char* org, const std::string& text) {
    return ingest->receive(
        *itk3,
        Receipt{ods(org), "CN=" + std::string(org), "192.0.2.8", "req-2", "application/fhir+json"},
        text);
  };
  auto wrong = from("Z9A01", body);
  EXPECT_EQ(wrong.code, AckRequest::Code::kRejected) << wrong.body;
  EXPECT_NE(wrong.body.find("names no message this gateway sent to Z9A01"), std::string::npos)
      << wrong.body;
  EXPECT_EQ(ok(messages->outbox_entry(ids[0]))->state, store::OutboxState::kDelivered);

  auto reply = from("Z90001", body);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.code, AckRequest::Code::kAccepted);
  const auto dead = ok(messages->outbox_entry(ids[0]));
  EXPECT_EQ(dead->state, store::OutboxState::kDead);
  EXPECT_EQ(dead->last_error, "ITK3 response fatal-error: 20009");
  const auto audited = audit_of(audit::EventType::kMessageDeadLettered);
  ASSERT_EQ(audited.size(), 1U);
  EXPECT_EQ(audited[0].record.nhs_number, kPatientA);
  EXPECT_EQ(audited[0].record.outcome, audit::Outcome::kSeriousFailure);
  EXPECT_NE(audited[0].record.detail.find("ITK3 response fatal-error: 20009 to outbound"),
            std::string::npos)
      << audited[0].record.detail;
}

TEST_F(IngestTest, AnOpenCaseSubscriptionFollowsTheCasesTheRecordsShow) {
  // The council wants crisis plans only for people it has an open case for. It has none at
  // first: the plan is not routed to it at all. Once the council's own message files an active
  // EpisodeOfCare for the person, the next plan is routed to it (and, with no agreement between
  // the trust and the council in this fixture, refused and audited as such).
  auto cfg = std::make_shared<config::Config>(*config);
  cfg->subscriptions[2].patients = config::PatientScope::kOpenCase;
  config = cfg;
  auto council_denials = [&] {
    int n = 0;
    for (const auto& d : audit_of(audit::EventType::kDisclosure)) {
      n += d.record.peer_ods == "Z9S01" ? 1 : 0;
    }
    return n;
  };
  ASSERT_EQ(send(crisis_plan_message("mh-open-case-1")).status, 200);
  EXPECT_EQ(council_denials(), 0);

  std::string opened = crisis_plan_message("council-case-1");
  const std::string plan_entry =
      opened.substr(opened.find(R"( {"resource":{"resourceType":"CarePlan")"));
  opened.replace(opened.find(plan_entry), plan_entry.size(),
                 R"( {"resource":{"resourceType":"EpisodeOfCare","id":"case-1","status":"active",
   "patient":{"reference":"Patient/p1"},"period":{"start":"2026-11-01"}}}
]})");
  const auto filed = send(opened, "Z9S01");
  ASSERT_EQ(filed.status, 200) << filed.body;

  ASSERT_EQ(send(crisis_plan_message("mh-open-case-2")).status, 200);
  EXPECT_EQ(council_denials(), 1);
}

TEST(DeliveryPolicy, SupportingResourcesTravelWithWhatTheySupport) {
  EXPECT_FALSE(resource_category("Practitioner").has_value());
  EXPECT_EQ(resource_category("Flag"), policy::DataCategory::kSafeguarding);
  EXPECT_EQ(resource_category("Condition"), policy::DataCategory::kProblems);
}

}  // namespace
}  // namespace gw::ingest
