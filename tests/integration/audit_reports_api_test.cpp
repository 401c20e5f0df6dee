// The IG reports over HTTP, over real TLS against the real audit log: who has accessed a
// patient's record (plain words, JSON or the CLI's text), the denied-access report, unusual
// activity under the configured thresholds, and the CSV / AuditEvent export with paging. Only
// the IG purpose may ask; every question is itself audited before the answer; bad parameters
// are named. Synthetic people only (999 test range).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/export.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/policy/embedded.hpp"
#include "gateway/policy/policy_set.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/demo_tokens.hpp"
#include "tests/support/running_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

constexpr std::string_view kNhsOlivia = "9990000018";

class AuditReportsApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(dir_.file("data"), clock_);
    ASSERT_TRUE(repo) << repo.error().detail;
    repo_ = std::move(*repo);
    mpi_ = std::make_unique<identity::MpiService>(*repo_, identity::MpiSettings{});
    identity::IncomingIdentity in{.source = OdsCode::parse("Z90001").value()};
    in.local_id = store::LocalId{in.source, store::LocalIdType::kEmisPatientGuid, "GUID-1"};
    in.match.family = "Testwood";
    in.match.given = {"Olivia"};
    in.match.birth_date = identity::Date{1984, 7, 12};
    in.match.gender = "female";
    in.match.nhs_number = NhsNumber::parse(kNhsOlivia).value();
    in.match.nhs_status = VerificationStatus::kPresentVerified;
    in.message_id = "seed-1";
    ASSERT_TRUE(mpi_->identify(in));
    auto issuer = auth::ensure_demo_issuer(dir_.file("data"));
    ASSERT_TRUE(issuer) << issuer.error().detail;
    issuer_ = std::move(*issuer);
    auto verifier = demo_verifier(issuer_);
    ASSERT_TRUE(verifier) << verifier.error().detail;
    tokens_ = std::move(*verifier);
    audit::AuditLogOptions options;
    options.data_dir = dir_.file("data");
    options.node_id = "test-1";
    auto log = audit::AuditLog::open(options, clock_);
    ASSERT_TRUE(log) << log.error().detail;
    audit_ = std::move(*log);
    // Three different patients within half an hour flag a user here (default 50 in 60).
    // Patient reads are decided under the demo agreements (examples/demo/dsa), as in
    // patient_api_test.cpp, with the relationship context from the record store.
    const std::string yaml = config_yaml("", kDemoPartiesAndAgreements) +
                             "audit:\n"
                             "  unusual_activity:\n"
                             "    distinct_patients: 3\n"
                             "    window_minutes: 30\n" +
                             staff_directory_yaml();
    auto records = store::sqlite::SqliteRecordStore::open_in_data_dir(dir_.file("data"), clock_);
    ASSERT_TRUE(records) << records.error().detail;
    records_ = std::move(*records);
    auto lr = config::load_text(yaml, "test.yaml", "/tmp");
    ASSERT_TRUE(lr.errors.empty()) << lr.errors.front().str();
    std::vector<config::Diagnostic> errors;
    auto set = policy::load_policy_set(*lr.config, policy::read_demo_file,
                                       std::chrono::system_clock::now(), errors);
    ASSERT_TRUE(set) << (errors.empty() ? "" : errors.front().str());
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*set));
    pipeline::Backends backends{mpi_.get(), tokens_.get(), audit_.get()};
    backends.records = records_.get();
    backends.policy = policy_.get();
    server_ = std::make_unique<RunningServer>(yaml, http::Reloader{}, backends);
  }

  /** staff_directory_yaml: extra lines of the `audit:` section (a staff directory). */
  virtual std::string staff_directory_yaml() { return {}; }

  void TearDown() override {
    server_.reset();
    if (audit_) {
      audit_->close();
    }
  }

  std::string token(std::string_view login) const { return demo_token(issuer_, login); }

  /** call: a GET as `login` (a demo user) with `cert`'s client certificate. */
  HttpResponse call(const std::string& target, std::string_view login = "ig-lead",
                    const std::string& cert = "Z9A01", const std::string& accept = "") {
    TlsClient client(client_for(cert));
    HttpResponse out;
    if (client.connect(server_->port("provider"))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("Authorization", "Bearer " + token(login));
    if (!accept.empty()) {
      headers.emplace_back("Accept", accept);
    }
    (void)client.request("GET", target, out, "", headers);
    return out;
  }

  HttpResponse gp_reads_olivia() {
    return call("/fhir/Patient/" + std::string(kNhsOlivia), "gp", "Z90001");
  }

  /** audited: the audit records written so far, oldest first. */
  std::vector<audit::AuditRecord> audited() {
    audit::PageRequest p;
    p.limit = audit::kMaxPageSize;
    auto page = audit_->query(audit::QueryFilter{}, p);
    EXPECT_TRUE(page) << page.error().detail;
    std::vector<audit::AuditRecord> out;
    if (page) {
      for (auto& r : page->records) {
        out.push_back(std::move(r.record));
      }
    }
    return out;
  }

  static fhir::Json json(const HttpResponse& r) {
    auto doc = fhir::parse_json(r.body);
    EXPECT_TRUE(doc) << r.body;
    return doc ? std::move(*doc) : fhir::Json{};
  }

  /** issue_text: what the OperationOutcome's first issue says was wrong (details.text). */
  static std::string issue_text(const HttpResponse& r) {
    auto doc = json(r);
    if (!doc.IsObject() || !doc.HasMember("issue") || !doc["issue"][0].HasMember("details")) {
      return {};
    }
    return doc["issue"][0]["details"]["text"].GetString();
  }

  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> repo_;
  std::unique_ptr<identity::MpiService> mpi_;
  auth::DemoIssuer issuer_;
  std::unique_ptr<auth::TokenVerifierHolder> tokens_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(AuditReportsApiTest, OnlyTheIgPurposeMayAskAndTheRefusalIsAudited) {
  for (const char* target : {"/audit/access-report?patient=9990000018", "/audit/denied",
                             "/audit/unusual", "/audit/export?format=csv"}) {
    auto r = call(target, "gp", "Z90001");
    EXPECT_EQ(r.status, 403U) << target;
    EXPECT_STREQ(json(r)["resourceType"].GetString(), "OperationOutcome") << r.body;
    EXPECT_NE(issue_text(r).find("ig-audit"), std::string::npos) << r.body;
  }
  std::size_t refusals = 0;
  for (const auto& a : audited()) {
    refusals += a.decision == audit::Decision::kDeny && a.user_id == "demo-user-gp" &&
                        (a.type == audit::EventType::kAuditQuery ||
                         a.type == audit::EventType::kAuditExport)
                    ? 1
                    : 0;
  }
  EXPECT_EQ(refusals, 4U);
}

TEST_F(AuditReportsApiTest, WhoHasAccessedMyRecordAnswersInPlainWordsAndIsAudited) {
  ASSERT_EQ(gp_reads_olivia().status, 200U);
  ASSERT_EQ(gp_reads_olivia().status, 200U);
  auto r = call("/audit/access-report?patient=" + std::string(kNhsOlivia));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  auto doc = json(r);
  EXPECT_STREQ(doc["report"].GetString(), "access-history");
  ASSERT_EQ(doc["entries"].Size(), 2U) << r.body;
  const std::string sentence = doc["entries"][0]["sentence"].GetString();
  // The organisation's name from the config, not its code; no codes or hashes.
  EXPECT_NE(sentence.find("Test Practice"), std::string::npos) << sentence;
  EXPECT_EQ(sentence.find("Z90001"), std::string::npos) << sentence;
  // The CLI's text, one sentence a line, the same sentences.
  auto text = call("/audit/access-report?patient=" + std::string(kNhsOlivia) + "&_format=text");
  ASSERT_EQ(text.status, 200U) << text.body;
  EXPECT_EQ(text.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(text.body.substr(0, text.body.find('\n')), sentence);
  auto by_accept = call("/audit/access-report?patient=" + std::string(kNhsOlivia), "ig-lead",
                        "Z9A01", "text/plain");
  EXPECT_EQ(by_accept.header("Content-Type"), "text/plain; charset=utf-8");
  // Each report was recorded, naming the patient, under the IG lead's name.
  std::size_t reports = 0;
  for (const auto& a : audited()) {
    reports += a.type == audit::EventType::kAuditQuery && a.user_id == "demo-user-ig" &&
                       a.nhs_number == kNhsOlivia && a.outcome == audit::Outcome::kSuccess
                   ? 1
                   : 0;
  }
  EXPECT_EQ(reports, 3U);
  // The reports themselves are not accesses to the record: still two entries.
  EXPECT_EQ(json(call("/audit/access-report?patient=" + std::string(kNhsOlivia)))["entries"].Size(),
            2U);
}

TEST_F(AuditReportsApiTest, TheWaitForTheDurableAuditRecordIsMeasuredPerRoute) {
  ASSERT_EQ(gp_reads_olivia().status, 200U);
  ASSERT_EQ(gp_reads_olivia().status, 200U);
  ASSERT_EQ(call("/audit/denied").status, 200U);
  const auto* reads = server_->stats().audit_wait.find({"fhir_patient_read"});
  ASSERT_NE(reads, nullptr);
  EXPECT_EQ(reads->count(), 2U);
  EXPECT_GT(reads->sum(), 0.0);  // a durable write takes time
  const auto* reports = server_->stats().audit_wait.find({"audit_denied"});
  ASSERT_NE(reports, nullptr);
  EXPECT_EQ(reports->count(), 1U);
}

TEST_F(AuditReportsApiTest, BadParametersAreNamedWithoutEchoingTheNumber) {
  auto bad_nhs = call("/audit/access-report?patient=9990000019");
  EXPECT_EQ(bad_nhs.status, 400U);
  EXPECT_EQ(issue_text(bad_nhs).rfind("patient: ", 0), 0U) << bad_nhs.body;
  EXPECT_EQ(bad_nhs.body.find("9990000019"), std::string::npos) << bad_nhs.body;
  auto missing = call("/audit/access-report");
  EXPECT_EQ(missing.status, 400U);
  EXPECT_NE(issue_text(missing).find("patient"), std::string::npos) << missing.body;
  auto bad_from = call("/audit/denied?from=26/11/2026");
  EXPECT_EQ(bad_from.status, 400U);
  EXPECT_EQ(issue_text(bad_from).rfind("from: ", 0), 0U) << bad_from.body;
  auto bad_to = call("/audit/unusual?to=yesterday");
  EXPECT_EQ(bad_to.status, 400U);
  EXPECT_EQ(issue_text(bad_to).rfind("to: ", 0), 0U) << bad_to.body;
  auto unknown = call("/audit/denied?user=x");
  EXPECT_EQ(unknown.status, 400U);
  EXPECT_NE(issue_text(unknown).find("'user'"), std::string::npos) << unknown.body;
  auto format = call("/audit/export?format=xlsx");
  EXPECT_EQ(format.status, 400U);
  EXPECT_NE(issue_text(format).find("format"), std::string::npos) << format.body;
  auto cursor = call("/audit/export?format=csv&_cursor=not-a-cursor");
  EXPECT_EQ(cursor.status, 400U) << cursor.body;
}

TEST_F(AuditReportsApiTest, TheDeniedReportCountsRefusalsByUserInThePeriod) {
  // Two refused AuditEvent searches by the GP (direct care may not read the audit log).
  EXPECT_EQ(call("/fhir/AuditEvent", "gp", "Z90001").status, 403U);
  EXPECT_EQ(call("/fhir/AuditEvent", "gp", "Z90001").status, 403U);
  auto r = call("/audit/denied?from=2020-01-01");
  ASSERT_EQ(r.status, 200U) << r.body;
  auto doc = json(r);
  ASSERT_EQ(doc["rows"].Size(), 1U) << r.body;
  EXPECT_STREQ(doc["rows"][0]["user"].GetString(), "demo-user-gp");
  EXPECT_STREQ(doc["rows"][0]["organization"].GetString(), "Z90001");
  EXPECT_EQ(doc["rows"][0]["refusals"].GetUint64(), 2U);
  EXPECT_STREQ(doc["from"].GetString(), "2020-01-01T00:00:00.000000Z");
  // A period before any of it: nothing.
  EXPECT_EQ(json(call("/audit/denied?to=2020-01-01"))["rows"].Size(), 0U);
  auto text = call("/audit/denied?_format=text");
  EXPECT_EQ(text.body.rfind("REFUSALS", 0), 0U) << text.body;
  EXPECT_NE(text.body.find("demo-user-gp"), std::string::npos) << text.body;
}

TEST_F(AuditReportsApiTest,
       UnusualActivityFlagsAUserOpeningManyRecordsWithTheConfiguredThresholds) {
  // A user opening three different patients' records within minutes (threshold 3 in 30).
  const std::int64_t t0 = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  const char* patients[] = {"9990000034", "9990000042", "9990000050"};
  for (int i = 0; i < 3; ++i) {
    audit::AuditRecord r;
    r.type = audit::EventType::kRecordRead;
    r.decision = audit::Decision::kPermit;
    r.user_id = "invented-user-7";
    r.org_ods = "Z90001";
    r.nhs_number = patients[i];
    r.recorded_us = t0 + std::int64_t{i} * 60'000'000;
    ASSERT_TRUE(audit_->append_sync(r));
  }
  // Another user opening two: below the threshold.
  for (int i = 0; i < 2; ++i) {
    audit::AuditRecord r;
    r.type = audit::EventType::kRecordRead;
    r.decision = audit::Decision::kPermit;
    r.user_id = "invented-user-8";
    r.nhs_number = patients[i];
    ASSERT_TRUE(audit_->append_sync(r));
  }
  auto r = call("/audit/unusual");
  ASSERT_EQ(r.status, 200U) << r.body;
  auto doc = json(r);
  EXPECT_EQ(doc["thresholds"]["distinctPatients"].GetUint(), 3U);
  EXPECT_EQ(doc["thresholds"]["windowMinutes"].GetInt64(), 30);
  ASSERT_EQ(doc["findings"].Size(), 1U) << r.body;
  EXPECT_STREQ(doc["findings"][0]["kind"].GetString(), "many-patients");
  EXPECT_STREQ(doc["findings"][0]["user"].GetString(), "invented-user-7");
  EXPECT_EQ(doc["findings"][0]["patients"].GetUint(), 3U);
  // surname/address: this config has no staff directory, and the report says so.
  ASSERT_TRUE(doc.HasMember("notChecked"));
  EXPECT_NE(std::string(doc["notChecked"].GetString()).find("audit.staff_directory"),
            std::string::npos);
  auto text = call("/audit/unusual?_format=text");
  EXPECT_EQ(text.body.rfind("(thresholds: 3 patients within 30 minutes", 0), 0U) << text.body;
  EXPECT_NE(text.body.find("many-patients  user invented-user-7  3 patients"), std::string::npos)
      << text.body;
  // Outside the period asked for: nothing.
  EXPECT_EQ(json(call("/audit/unusual?to=2020-01-01"))["findings"].Size(), 0U);
}

/** With a staff directory (audit.staff_directory): the demo GP shares Olivia Testwood's surname;
 * the mental health nurse does too but never opens her record. */
class AuditUnusualStaffApiTest : public AuditReportsApiTest {
protected:
  std::string staff_directory_yaml() override {
    const std::string csv = dir_.write("staff.csv",
                                       "user_id,family_name,postcode,address_line\n"
                                       "demo-user-gp,TESTWOOD,SE1 9XQ,3 Pretend Terrace\n"
                                       "demo-user-mh,Testwood,N1 0QH,\n"
                                       "demo-user-ig,Test,SE15 6TE,\n");
    return "  staff_directory: " + csv + "\n";
  }
};

TEST_F(AuditUnusualStaffApiTest, AUserWhoOpenedTheRecordOfAPatientWithTheirSurnameIsReported) {
  ASSERT_EQ(gp_reads_olivia().status, 200U);
  auto r = call("/audit/unusual");
  ASSERT_EQ(r.status, 200U) << r.body;
  auto doc = json(r);
  EXPECT_FALSE(doc.HasMember("notChecked")) << r.body;  // both sides were there: it ran
  EXPECT_TRUE(doc["thresholds"]["matchSurname"].GetBool());
  ASSERT_EQ(doc["findings"].Size(), 1U) << r.body;
  const auto& f = doc["findings"][0];
  EXPECT_STREQ(f["kind"].GetString(), "shared-surname");
  EXPECT_STREQ(f["user"].GetString(), "demo-user-gp");
  EXPECT_STREQ(f["patient"].GetString(), kNhsOlivia.data());
  // The record it points at is the GP's read of her record.
  auto first = audit_->get(f["firstRecord"].GetUint64());
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->record.type, audit::EventType::kRecordRead);
  EXPECT_EQ(first->record.user_id, "demo-user-gp");
  EXPECT_EQ(first->record.nhs_number, kNhsOlivia);
  // The nurse shares the surname too but opened nothing; the IG lead opened only reports.
  for (const auto& x : doc["findings"].GetArray()) {
    EXPECT_STRNE(x["user"].GetString(), "demo-user-mh");
    EXPECT_STRNE(x["user"].GetString(), "demo-user-ig");
  }
  auto text = call("/audit/unusual?_format=text");
  EXPECT_NE(text.body.find("shared-surname  user demo-user-gp"), std::string::npos) << text.body;
  EXPECT_EQ(text.body.find("not run"), std::string::npos) << text.body;
}

TEST_F(AuditReportsApiTest, ExportPagesAsCsvAndAsAuditEventsAndIsAuditedAsAnExport) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(gp_reads_olivia().status, 200U);
  }
  const std::string q =
      "/audit/export?format=csv&patient=" + std::string(kNhsOlivia) + "&type=record-read&_count=2";
  auto first = call(q);
  ASSERT_EQ(first.status, 200U) << first.body;
  EXPECT_EQ(first.header("Content-Type"), "text/csv; charset=utf-8");
  auto rows = audit::read_csv(first.body);
  ASSERT_TRUE(rows) << rows.error().detail;
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ((*rows)[0].record.user_id, "demo-user-gp");
  const std::string link = first.header("Link");
  ASSERT_NE(link.find("rel=\"next\""), std::string::npos) << link;
  const auto start = link.find("/audit/export?");
  const std::string next = link.substr(start, link.find('>') - start);
  auto second = call(next);
  ASSERT_EQ(second.status, 200U) << second.body;
  auto rest = audit::read_csv(second.body);
  ASSERT_TRUE(rest) << rest.error().detail;
  ASSERT_EQ(rest->size(), 1U);
  EXPECT_GT((*rest)[0].record.seq, (*rows)[1].record.seq);
  EXPECT_TRUE(second.header("Link").empty());
  // The same records as AuditEvents.
  auto bundle =
      call("/audit/export?format=bundle&patient=" + std::string(kNhsOlivia) + "&type=record-read");
  ASSERT_EQ(bundle.status, 200U) << bundle.body;
  auto events = audit::read_audit_event_bundle(bundle.body);
  ASSERT_TRUE(events) << events.error().detail;
  EXPECT_EQ(events->size(), 3U);
  // Each export recorded as one, with the patient it was about.
  std::size_t exports = 0;
  for (const auto& a : audited()) {
    exports += a.type == audit::EventType::kAuditExport && a.user_id == "demo-user-ig" &&
                       a.nhs_number == kNhsOlivia
                   ? 1
                   : 0;
  }
  EXPECT_EQ(exports, 3U);
}

}  // namespace
}  // namespace gw::test
