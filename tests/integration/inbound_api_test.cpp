// Pushing messages over real TLS: POST /fhir/$process-message from the hospital's system
// (its client certificate is its identity), journalled, filed, routed within the agreements to
// the GP practice's mailbox, fetched and acknowledged by the practice; repeats, bad messages,
// unknown adapters and callers without a certificate. Synthetic patients only (999 range).
#include <atomic>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/ingest/adapter_set.hpp"
#include "gateway/ingest/fhir_message.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/policy/agreement.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/demo_tokens.hpp"
#include "tests/support/running_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

constexpr std::string_view kNhs = "9990000018";

constexpr const char* kAgreement = R"yaml(id: DSA-TEST-DC
title: Direct care between the practice and the hospital (test)
version: "1"
parties:
  - kind: gp
  - kind: acute
purposes: [direct-care]
categories: [demographics, encounters, documents]
roles: [R8000]
legal_basis:
  article_6: ["6(1)(e)"]
  article_9: ["9(2)(h)"]
valid_from: 2025-04-01
valid_to: 2099-03-31
legitimate_relationship_required: true
break_glass_allowed: false
)yaml";

/** An R4 discharge message from the hospital (invented content, synthetic patient). */
std::string discharge(const std::string& id, const std::string& extra_entry = "") {
  return R"({"resourceType":"Bundle","id":"b-)" + id +
         R"(","type":"message","entry":[
 {"resource":{"resourceType":"MessageHeader","id":")" +
         id +
         R"(","eventCoding":{"system":"https://caregw.dev/CodeSystem/message-event","code":"discharge-summary"},"source":{"endpoint":"https://pas.example"}}},
 {"resource":{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
         std::string(kNhs) +
         R"("}],"name":[{"family":"Testperson","given":["Robin"]}],"birthDate":"1971-05-06",
   "generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Z90001"}}]}},
 {"resource":{"resourceType":"Encounter","id":"visit-77","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"}}})" +
         extra_entry + "]}";
}

/**
 * Fixable: the FHIR R4 message adapter, except that while `broken` it refuses every message as
 * a gateway whose code tables lack a local code would; clearing it stands for the mapping fix.
 */
class Fixable final : public ingest::InboundAdapter {
public:
  explicit Fixable(const std::atomic<bool>& broken)
      : real_(ingest::make_fhir_r4_message_adapter()), broken_(broken) {}
  std::string_view name() const override { return real_->name(); }
  std::string_view ack_content_type() const override { return real_->ack_content_type(); }
  std::string message_id(std::string_view body) const override { return real_->message_id(body); }
  Result<ingest::TranslatedMessage> translate(const OdsCode& sender, std::string_view body,
                                              const mapping::Mapper& mapper) const override {
    if (broken_.load()) {
      return make_error(Errc::kUnprocessable,
                        "/Bundle/entry[2]/resource/class: code LOCAL-IMP has no mapping");
    }
    return real_->translate(sender, body, mapper);
  }
  std::string acknowledge(std::string_view body, const ingest::AckRequest& ack) const override {
    return real_->acknowledge(body, ack);
  }

private:
  std::unique_ptr<ingest::InboundAdapter> real_;
  const std::atomic<bool>& broken_;
};

class InboundApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto data = dir_.file("data");
    std::filesystem::create_directories(data);
    mpi_repo_ = std::move(*store::sqlite::SqliteMpiRepository::open_in_data_dir(data, clock_));
    records_ = std::move(*store::sqlite::SqliteRecordStore::open_in_data_dir(data, clock_));
    messages_ = std::move(*store::sqlite::SqliteMessageStore::open_in_data_dir(data, clock_));
    mpi_ = std::make_unique<identity::MpiService>(*mpi_repo_, identity::MpiSettings{});
    audit::AuditLogOptions ao;
    ao.data_dir = data;
    ao.node_id = "test-1";
    audit_ = std::move(*audit::AuditLog::open(ao, clock_));
    const std::string yaml = config_yaml("",
                                         "subscriptions:\n"
                                         "  - name: gp-discharges\n"
                                         "    recipient: Z90001\n"
                                         "    message_kinds: [discharge-summary]\n"
                                         "    patients: registered-practice\n"
                                         "    transport: mailbox\n"
                                         "    format: fhir-r4\n");
    auto lr = config::load_text(yaml, "test.yaml", "/tmp");
    ASSERT_TRUE(lr.errors.empty()) << lr.errors.front().str();
    auto parsed = policy::parse_agreement(kAgreement, "dsa.yaml");
    ASSERT_TRUE(parsed.errors.empty()) << parsed.errors.front().str();
    index_ = std::make_shared<policy::PolicyIndex>(parsed.agreements, lr.config->organisations,
                                                   policy::RelationshipRules{});
    snapshot_ = ingest::Snapshot{lr.config, index_};
    adapters_.add(std::make_unique<Fixable>(broken_));
    adapters_.add(ingest::make_fhir_r4_renderer());
    ingest_ = std::make_unique<ingest::Ingest>(ingest::IngestDeps{*messages_,
                                                                  *records_,
                                                                  *mpi_,
                                                                  clock_,
                                                                  [this] { return snapshot_; },
                                                                  nullptr,
                                                                  audit_.get(),
                                                                  adapters_.renderers(),
                                                                  {}});
    // Operator tokens from the demo issuer (as `serve --demo` trusts them).
    auto issuer = auth::ensure_demo_issuer(data);
    ASSERT_TRUE(issuer) << issuer.error().detail;
    issuer_ = std::move(*issuer);
    auto verifier = demo_verifier(issuer_);
    ASSERT_TRUE(verifier) << verifier.error().detail;
    tokens_ = std::move(*verifier);
    server_ = std::make_unique<RunningServer>(
        yaml, http::Reloader{},
        pipeline::Backends{mpi_.get(), tokens_.get(), audit_.get(), ingest_.get(), &adapters_,
                           messages_.get()});
  }

  std::string token(std::string_view login) const { return demo_token(issuer_, login); }

  /** as: one request with a user token (an operator's, unless said otherwise). */
  HttpResponse as(const std::string& login, const std::string& method, const std::string& target,
                  const std::string& body = "") {
    TlsClient client(client_for("Z9A01"));
    HttpResponse out;
    if (client.connect(server_->port("provider"))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    std::vector<std::pair<std::string, std::string>> headers{
        {"Authorization", "Bearer " + token(login)}};
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    (void)client.request(method, target, out, body, headers);
    return out;
  }

  /** dead_letter: one HTTPS message to the practice that the recipient refused. */
  store::OutboxId dead_letter(const std::string& kind) {
    auto ids = messages_->enqueue(
        {store::OutboundMessage{*OdsCode::parse("Z90001"), store::TransportKind::kHttps,
                                std::string(kNhs), kind, "application/fhir+json", "{}"}});
    EXPECT_TRUE(ids && ids->size() == 1);
    auto due = messages_->due(std::chrono::system_clock::now() + std::chrono::hours(1), 10);
    EXPECT_TRUE(due);
    for (const auto& m : *due) {
      if (m.id == ids->front()) {
        EXPECT_TRUE(messages_->record_outcomes({{m.id, false, "HTTP 400 from the recipient",
                                                 std::nullopt, std::chrono::system_clock::now()}}));
      }
    }
    return ids->front();
  }

  HttpResponse call(const std::string& method, const std::string& target, const std::string& cert,
                    const std::string& body = "", const std::string& listener = "provider") {
    TlsClient client(client_for(cert));
    HttpResponse out;
    if (client.connect(server_->port(listener))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/fhir+json");
    }
    (void)client.request(method, target, out, body, headers);
    return out;
  }

  std::atomic<bool> broken_{false};
  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> mpi_repo_;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records_;
  std::unique_ptr<store::sqlite::SqliteMessageStore> messages_;
  std::unique_ptr<identity::MpiService> mpi_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::shared_ptr<const policy::PolicyIndex> index_;
  ingest::Snapshot snapshot_;
  ingest::AdapterSet adapters_;
  std::unique_ptr<ingest::Ingest> ingest_;
  auth::DemoIssuer issuer_;
  std::unique_ptr<auth::TokenVerifierHolder> tokens_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(InboundApiTest, ADischargeReachesThePracticeMailboxAndIsAcknowledgedOnce) {
  const auto sent = call("POST", "/fhir/$process-message", "Z9A01", discharge("acute-1"));
  ASSERT_EQ(sent.status, 200U) << sent.body;
  EXPECT_NE(sent.body.find(R"("code":"ok")"), std::string::npos) << sent.body;

  // The practice fetches its mailbox with its own certificate.
  const auto box = call("GET", "/mailbox?limit=10", "Z90001");
  ASSERT_EQ(box.status, 200U) << box.body;
  auto doc = fhir::parse_json(box.body);
  ASSERT_TRUE(doc) << box.body;
  const auto& msgs = (*doc)["messages"];
  ASSERT_EQ(msgs.Size(), 1U) << box.body;
  const std::string payload = msgs[0]["payload"].GetString();
  EXPECT_NE(payload.find(R"("code":"discharge-summary")"), std::string::npos);
  EXPECT_NE(payload.find("visit-77"), std::string::npos);
  // The hospital sees none of the practice's mail.
  const auto other = call("GET", "/mailbox", "Z9A01");
  EXPECT_EQ(other.body.find("visit-77"), std::string::npos);

  const auto ack = call("POST", "/mailbox/ack", "Z90001",
                        R"({"ids":[)" + std::to_string(msgs[0]["id"].GetInt64()) + "]}");
  ASSERT_EQ(ack.status, 200U) << ack.body;
  EXPECT_EQ(ack.body, R"({"acknowledged":1})");
  const auto empty = call("GET", "/mailbox", "Z90001");
  EXPECT_EQ(empty.body.find("visit-77"), std::string::npos) << empty.body;

  // The hand-over was audited as a disclosure to the practice, with the patient.
  audit::QueryFilter f;
  f.types = {audit::EventType::kDisclosure};
  f.nhs_number = std::string(kNhs);
  const auto page = audit_->query(f, {});
  ASSERT_TRUE(page);
  bool fetched = false;
  for (const auto& r : page->records) {
    fetched = fetched || r.record.detail.find("mailbox fetch") != std::string::npos;
  }
  EXPECT_TRUE(fetched);
}

TEST_F(InboundApiTest, ARepeatIsAnsweredWithTheSameAcknowledgementAndQueuedOnce) {
  const auto first = call("POST", "/fhir/$process-message", "Z9A01", discharge("acute-2"));
  const auto second = call("POST", "/fhir/$process-message", "Z9A01", discharge("acute-2"));
  ASSERT_EQ(first.status, 200U);
  ASSERT_EQ(second.status, 200U);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("X-Caregw-Duplicate"), "true");
  auto box = messages_->mailbox_fetch(*OdsCode::parse("Z90001"), 10);
  ASSERT_TRUE(box);
  EXPECT_EQ(box->size(), 1U);
}

TEST_F(InboundApiTest, ABadMessageIsRefusedSayingWhereAndKeptInTheJournal) {
  const auto r = call("POST", "/fhir/$process-message", "Z9A01",
                      R"({"resourceType":"Bundle","id":"x","type":"collection","entry":[]})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.body.find(R"("code":"fatal-error")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("expected a Bundle of type message"), std::string::npos) << r.body;
  auto failed = messages_->unfinished(10);
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->empty());  // failed, not left half-done
}

TEST_F(InboundApiTest, UnknownAdaptersAndCallersWithoutACertificateAreRefused) {
  const auto unknown = call("POST", "/adapters/nosuch/messages", "Z9A01", "<x/>");
  EXPECT_EQ(unknown.status, 404U);
  EXPECT_NE(unknown.body.find("no 'nosuch' adapter"), std::string::npos) << unknown.body;
  EXPECT_NE(unknown.body.find("fhir-r4"), std::string::npos);
  const auto anonymous =
      call("POST", "/fhir/$process-message", "", discharge("acute-3"), "browser");
  EXPECT_EQ(anonymous.status, 403U) << anonymous.body;
  const auto box = call("GET", "/mailbox", "", "", "browser");
  EXPECT_EQ(box.status, 403U);
}

TEST_F(InboundApiTest, AnOperatorListsInspectsReplaysAndDiscardsDeadLetters) {
  const auto first = dead_letter("discharge-summary");
  const auto second = dead_letter("discharge-summary");
  const auto queues = as("operator", "GET", "/admin/queues");
  ASSERT_EQ(queues.status, 200U) << queues.body;
  EXPECT_NE(queues.body.find(R"("recipient":"Z90001","queued":0,"dead":2)"), std::string::npos)
      << queues.body;
  const auto list = as("operator", "GET", "/admin/dead-letters?recipient=Z90001");
  ASSERT_EQ(list.status, 200U) << list.body;
  EXPECT_NE(list.body.find("HTTP 400 from the recipient"), std::string::npos);
  EXPECT_EQ(list.body.find("payload"), std::string::npos);  // listing shows no clinical content
  const auto one = as("operator", "GET", "/admin/outbox/" + std::to_string(first.value));
  ASSERT_EQ(one.status, 200U) << one.body;
  EXPECT_NE(one.body.find(R"("payload":"{}")"), std::string::npos) << one.body;

  const auto replay = as("operator", "POST", "/admin/dead-letters/replay",
                         R"({"ids":[)" + std::to_string(first.value) + "]}");
  ASSERT_EQ(replay.status, 200U) << replay.body;
  EXPECT_EQ(replay.body, R"({"replayed":1})");
  const auto no_reason = as("operator", "POST", "/admin/dead-letters/discard",
                            R"({"ids":[)" + std::to_string(second.value) + "]}");
  EXPECT_EQ(no_reason.status, 400U);
  EXPECT_NE(no_reason.body.find("'reason' is required"), std::string::npos) << no_reason.body;
  const auto discard =
      as("operator", "POST", "/admin/dead-letters/discard",
         R"({"ids":[)" + std::to_string(second.value) + R"(],"reason":"superseded by a resend"})");
  ASSERT_EQ(discard.status, 200U) << discard.body;
  EXPECT_EQ(discard.body, R"({"discarded":1})");
  auto after = messages_->outbox_entry(second);
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->state, store::OutboxState::kDiscarded);
  EXPECT_EQ((*after)->discarded_by, "demo-user-ops");

  // Each action is in the audit log under the operator's name.
  audit::QueryFilter f;
  f.user_id = "demo-user-ops";
  const auto page = audit_->query(f, {});
  ASSERT_TRUE(page);
  bool replayed = false;
  bool inspected = false;
  for (const auto& r : page->records) {
    replayed = replayed || r.record.type == audit::EventType::kMessageReplayed;
    inspected = inspected ||
                (r.record.type == audit::EventType::kRecordRead && r.record.nhs_number == kNhs);
  }
  EXPECT_TRUE(replayed);
  EXPECT_TRUE(inspected);
}

TEST_F(InboundApiTest, AFailedMessageIsReprocessedAfterTheFixAndReachesThePractice) {
  broken_ = true;
  const auto refused = call("POST", "/fhir/$process-message", "Z9A01", discharge("acute-fix-1"));
  ASSERT_EQ(refused.status, 422U) << refused.body;
  const auto failed = as("operator", "GET", "/admin/journal?status=failed");
  ASSERT_EQ(failed.status, 200U) << failed.body;
  EXPECT_NE(failed.body.find("code LOCAL-IMP has no mapping"), std::string::npos) << failed.body;
  EXPECT_NE(failed.body.find(R"("sender":"Z9A01")"), std::string::npos) << failed.body;
  EXPECT_EQ(failed.body.find("Testperson"), std::string::npos);  // no message content listed
  auto entries = messages_->journal_entries(store::JournalFilter{store::JournalStatus::kFailed});
  ASSERT_TRUE(entries && entries->size() == 1);
  const auto id = std::to_string(entries->front().id.value);
  // Reprocessing while still broken fails again, saying why; then the fix, and it goes through.
  const auto again = as("operator", "POST", "/admin/journal/reprocess", R"({"ids":[)" + id + "]}");
  ASSERT_EQ(again.status, 200U) << again.body;
  EXPECT_NE(again.body.find(R"("outcome":"failed")"), std::string::npos) << again.body;
  broken_ = false;
  const auto fixed =
      as("operator", "POST", "/admin/journal/reprocess", R"({"ids":[)" + id + R"(,424242]})");
  ASSERT_EQ(fixed.status, 200U) << fixed.body;
  EXPECT_NE(fixed.body.find(R"({"id":)" + id + R"(,"outcome":"processed","queued":1})"),
            std::string::npos)
      << fixed.body;
  EXPECT_NE(fixed.body.find(R"({"id":424242,"outcome":"refused","error":"no journal entry)"),
            std::string::npos)
      << fixed.body;
  // A processed message is not processed twice.
  const auto twice = as("operator", "POST", "/admin/journal/reprocess", R"({"ids":[)" + id + "]}");
  EXPECT_NE(twice.body.find("only a failed message is processed again"), std::string::npos)
      << twice.body;
  const auto entry = messages_->journal_entry(entries->front().id);
  ASSERT_TRUE(entry && *entry);
  EXPECT_EQ((*entry)->status, store::JournalStatus::kProcessed);
  EXPECT_EQ((*entry)->reprocessed, 2);
  EXPECT_EQ((*entry)->reprocessed_by, "demo-user-ops");
  // The practice now has the discharge in its mailbox, once.
  const auto box = call("GET", "/mailbox", "Z90001");
  ASSERT_EQ(box.status, 200U) << box.body;
  EXPECT_NE(box.body.find("visit-77"), std::string::npos) << box.body;
  // The operator's action is audited under their name.
  audit::QueryFilter f;
  f.user_id = "demo-user-ops";
  const auto page = audit_->query(f, {});
  ASSERT_TRUE(page);
  bool recorded = false;
  for (const auto& r : page->records) {
    recorded = recorded || r.record.detail.find("reprocessed journal entries [" + id +
                                                ",424242]: 1 "
                                                "processed") != std::string::npos;
  }
  EXPECT_TRUE(recorded);
  // Clinicians cannot.
  EXPECT_EQ(as("ae-doctor", "GET", "/admin/journal").status, 403U);
}

TEST_F(InboundApiTest, DeadLettersAreOnlyForOperators) {
  (void)dead_letter("discharge-summary");
  const auto clinician = as("ae-doctor", "GET", "/admin/dead-letters");
  EXPECT_EQ(clinician.status, 403U);
  EXPECT_NE(clinician.body.find("operations"), std::string::npos) << clinician.body;
  TlsClient client(client_for("Z9A01"));
  ASSERT_FALSE(client.connect(server_->port("provider")));
  HttpResponse anonymous;
  (void)client.request("GET", "/admin/dead-letters", anonymous);
  EXPECT_EQ(anonymous.status, 401U);
}

}  // namespace
}  // namespace gw::test
