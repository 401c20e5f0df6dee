// The shared care record over real TLS, for the integration tests of the record routes and of
// break-glass: a real SQLite MPI and record store loaded with the demo's synthetic patients and
// records (examples/demo/patients.json, records.json), the demo agreements (examples/demo/dsa/),
// bearer tokens from the demo issuer, durable break-glass grants and the real audit log.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/identity/identity_json.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/policy/break_glass.hpp"
#include "gateway/policy/embedded.hpp"
#include "gateway/policy/policy_set.hpp"
#include "gateway/policy/recorder.hpp"
#include "gateway/policy/sqlite_grant_store.hpp"
#include "gateway/record/answer_cache.hpp"
#include "gateway/record/demo_records.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/demo_tokens.hpp"
#include "tests/support/running_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {

// The demo patients (examples/demo/patients.json; synthetic, 999 range, Modulus 11 checked).
constexpr std::string_view kOlivia = "9991158383";  // GP, acute (open admission), social care
constexpr std::string_view kRhys = "9991237577";    // GP, mental health (open episode), ambulance
constexpr std::string_view kAmelia = "9991316760";  // safeguarding flag; detail withheld
constexpr std::string_view kGrace = "9991395954";   // has opted out
constexpr std::string_view kHannah = "9991475141";  // survivor of a merge
constexpr std::string_view kHannahOld = "9991631011";  // the merged (superseded) number
constexpr std::string_view kEileen = "9991554335";     // DNACPR, open A&E attendance, social care

inline std::string read_source(const std::string& relative) {
  std::ifstream in(source_path(relative));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/** The demo's organisations and agreements, on the test listeners and certificates. */
inline std::string record_config() { return config_yaml("", kDemoPartiesAndAgreements); }

/** The login's organisation (its client certificate). */
inline std::string org_of(std::string_view login) {
  const auto* u = auth::find_demo_user(login);
  return u == nullptr ? std::string() : std::string(u->ods);
}

class RecordApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    const std::string data = dir_.file("data");
    auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(data, clock_);
    ASSERT_TRUE(repo) << repo.error().detail;
    repo_ = std::move(*repo);
    mpi_ = std::make_unique<identity::MpiService>(*repo_, identity::MpiSettings{});
    auto ids = identity::parse_identities_json(read_source("examples/demo/patients.json"),
                                               "patients.json");
    ASSERT_TRUE(ids) << ids.error().detail;
    ASSERT_TRUE(identity::load_identities(*mpi_, *ids));
    auto records = store::sqlite::SqliteRecordStore::open_in_data_dir(data, clock_);
    ASSERT_TRUE(records) << records.error().detail;
    records_ = std::move(*records);
    auto loaded =
        record::load_demo_records(*mpi_, *records_, read_source("examples/demo/records.json"));
    ASSERT_TRUE(loaded) << loaded.error().detail;
    ASSERT_EQ(loaded->merges, 1U);

    auto lr = config::load_text(record_config(), "test.yaml", "/tmp");
    ASSERT_TRUE(lr.errors.empty()) << lr.errors.front().str();
    std::vector<config::Diagnostic> errors;
    auto set = policy::load_policy_set(*lr.config, policy::read_demo_file,
                                       std::chrono::system_clock::now(), errors);
    ASSERT_TRUE(set) << (errors.empty() ? "" : errors.front().str());
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*set));
    open_break_glass();

    auto issuer = auth::ensure_demo_issuer(data);
    ASSERT_TRUE(issuer) << issuer.error().detail;
    issuer_ = std::move(*issuer);
    auto verifier = demo_verifier(issuer_);
    ASSERT_TRUE(verifier) << verifier.error().detail;
    tokens_ = std::move(*verifier);
    audit::AuditLogOptions options;
    options.data_dir = data;
    options.node_id = "test-1";
    auto log = audit::AuditLog::open(options, clock_);
    ASSERT_TRUE(log) << log.error().detail;
    audit_ = std::move(*log);
    backends_.mpi = mpi_.get();
    backends_.tokens = tokens_.get();
    backends_.audit = audit_.get();
    backends_.records = records_.get();
    backends_.policy = policy_.get();
    backends_.break_glass = break_glass_.get();
    recorder_ = std::make_unique<policy::InputRecorder>(
        policy::RecorderOptions{std::filesystem::path(data) / "policy", 30, 20});
    ASSERT_TRUE(recorder_->open(std::chrono::system_clock::now()));
    backends_.recorder = recorder_.get();
    cache_ = std::make_unique<record::AnswerCache>(cache_bytes_);
    backends_.record_cache = cache_.get();
    server_ = std::make_unique<RunningServer>(record_config(), http::Reloader{}, backends_);
  }

  /** open_break_glass: the durable registry over <data>/db/break-glass.db, as serve makes it. */
  void open_break_glass() {
    auto store = policy::SqliteGrantStore::open(dir_.file("data"));
    ASSERT_TRUE(store) << store.error().detail;
    auto reg =
        policy::BreakGlassRegistry::durable(clock_, std::chrono::hours{4}, std::move(*store));
    ASSERT_TRUE(reg) << reg.error().detail;
    break_glass_ = std::move(*reg);
  }

  /** restart: the gateway stops (server and break-glass registry gone) and starts again on the
   * same data directory. */
  void restart() {
    server_.reset();
    break_glass_.reset();
    open_break_glass();
    backends_.break_glass = break_glass_.get();
    cache_ = std::make_unique<record::AnswerCache>(cache_bytes_);  // a new process: a cold cache
    backends_.record_cache = cache_.get();
    server_ = std::make_unique<RunningServer>(record_config(), http::Reloader{}, backends_);
  }

  void TearDown() override {
    server_.reset();
    if (audit_) {
      audit_->close();
    }
  }

  std::string token(std::string_view login) const { return demo_token(issuer_, login); }

  std::vector<audit::AuditRecord> audited() {
    audit::PageRequest page_request;
    page_request.limit = 1000;
    auto page = audit_->query(audit::QueryFilter{}, page_request);
    EXPECT_TRUE(page) << page.error().detail;
    std::vector<audit::AuditRecord> out;
    if (page) {
      for (auto& r : page->records) {
        out.push_back(std::move(r.record));
      }
    }
    return out;
  }

  /** call: one request as a demo user with their organisation's certificate. */
  HttpResponse call(const std::string& method, const std::string& target,
                    std::string_view login = "gp", const std::string& body = "",
                    const std::string& listener = "provider") {
    TlsClient client(client_for(org_of(login)));
    HttpResponse out;
    if (client.connect(server_->port(listener))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("Authorization", "Bearer " + token(login));
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    (void)client.request(method, target, out, body, headers);
    return out;
  }

  HttpResponse everything(std::string_view login, std::string_view nhs,
                          const std::string& query = "") {
    return call("GET", "/fhir/Patient/" + std::string(nhs) + "/$everything" + query, login);
  }

  HttpResponse break_the_glass(std::string_view login, std::string_view nhs,
                               const std::string& body) {
    return call("POST", "/fhir/Patient/" + std::string(nhs) + "/$break-glass", login, body);
  }

  static fhir::Json json(const HttpResponse& r) {
    auto doc = fhir::parse_json(r.body);
    EXPECT_TRUE(doc) << r.body;
    return doc ? std::move(*doc) : fhir::Json{};
  }

  /** ids: the ids of the clinical entries (not Provenance, not OperationOutcome). */
  static std::set<std::string> ids(const fhir::Json& bundle) {
    std::set<std::string> out;
    if (!bundle.IsObject() || !bundle.HasMember("entry")) {
      return out;
    }
    for (const auto& e : bundle["entry"].GetArray()) {
      const auto& r = e["resource"];
      const std::string type = r["resourceType"].GetString();
      if (type != "Provenance" && type != "OperationOutcome") {
        out.insert(r["id"].GetString());
      }
    }
    return out;
  }

  /** rules: the policy rule codes of the OperationOutcome entry's issues. */
  static std::set<std::string> rules(const fhir::Json& bundle) {
    std::set<std::string> out;
    for (const auto& e : bundle["entry"].GetArray()) {
      const auto& r = e["resource"];
      if (std::string_view(r["resourceType"].GetString()) != "OperationOutcome") {
        continue;
      }
      for (const auto& issue : r["issue"].GetArray()) {
        out.insert(issue["details"]["coding"][0]["code"].GetString());
      }
    }
    return out;
  }

  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> repo_;
  std::unique_ptr<identity::MpiService> mpi_;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<policy::BreakGlassRegistry> break_glass_;
  std::unique_ptr<policy::InputRecorder> recorder_;
  auth::DemoIssuer issuer_;
  std::unique_ptr<auth::TokenVerifierHolder> tokens_;
  std::unique_ptr<audit::AuditLog> audit_;
  pipeline::Backends backends_;
  /** cache_bytes_: record.cache_mb of the gateway under test (every record test runs with the
   * answer cache on, as serve does by default; record_cache_test.cpp also turns it off). */
  std::size_t cache_bytes_ = std::size_t{64} * 1024 * 1024;
  std::unique_ptr<record::AnswerCache> cache_;
  std::unique_ptr<RunningServer> server_;
};

}  // namespace gw::test
