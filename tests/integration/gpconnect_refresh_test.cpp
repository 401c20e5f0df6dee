// POST /fhir/Patient/{id}/$gpc-refresh over real TLS against a fake GP Connect provider: an
// HTTPS server in the test that requires the gateway's client certificate (mutual TLS, the test
// CA) and answers the GP Connect specification's sample structured record
// (../shared/reference/gpconnect-structured/allergies_response1.json, practice O001; its NHS
// number 9999999999, which no real check accepts, is swapped for the synthetic 9990000018).
// The record lands in the shared record with the practice as its source, journalled with the
// practice as sender and audited; a provider's error OperationOutcome becomes 502 naming the
// practice and the Spine code; silence becomes 504. Synthetic patients only (999 range).
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <gtest/gtest.h>

#include "adapters/emis/emis.hpp"
#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/gpconnect/client.hpp"
#include "gateway/ingest/adapter_set.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/routing/https_transport.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/demo_tokens.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr std::string_view kNhs = "9990000018";  // synthetic, 999 range, Modulus 11 valid

/** the specification's sample answer, for the synthetic patient. */
std::string sample_record() {
  std::ifstream in(
      source_path("../shared/reference/gpconnect-structured/allergies_response1.json"));
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  for (auto pos = text.find("9999999999"); pos != std::string::npos;
       pos = text.find("9999999999", pos)) {
    text.replace(pos, 10, kNhs);
  }
  return text;
}

/** A GP Connect error OperationOutcome as providers send them (GP Connect 1.x). */
std::string error_outcome(std::string_view code) {
  return R"({"resourceType":"OperationOutcome","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},"issue":[{"severity":"error","code":"not-found","details":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1","code":")" +
         std::string(code) + R"("}]},"diagnostics":"NHS number )" + std::string(kNhs) +
         R"( not found"}]})";
}

/**
 * Provider: an HTTPS GP Connect provider on 127.0.0.1 that requires a client certificate from the
 * test CA, keeps the last request it got, and answers with the status and body it is given (or
 * not at all, when told to stall).
 */
class Provider {
public:
  Provider() : acceptor_(ioc_) {
    tls_.use_certificate_chain_file(cert_path("server.crt"));
    tls_.use_private_key_file(cert_path("server.key"), ssl::context::pem);
    tls_.load_verify_file(cert_path("ca.crt"));
    tls_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Provider() {
    net::post(ioc_, [this] { acceptor_.close(); });
    ioc_.stop();
    thread_.join();
  }
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void answer(unsigned status, std::string body, bool stall = false) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
    stall_ = stall;
  }
  bhttp::request<bhttp::string_body> last() {
    std::lock_guard lock(mutex_);
    return last_;
  }
  int requests() const { return requests_.load(); }

private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        co_return;
      }
      net::co_spawn(ioc_, session(std::move(socket)), net::detached);
    }
  }
  net::awaitable<void> session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> s(std::move(socket), tls_);
    auto [hec] = co_await s.async_handshake(ssl::stream_base::server, kTuple);
    if (hec) {
      co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [rec, rn] = co_await bhttp::async_read(s, buffer, req, kTuple);
      if (rec) {
        co_return;
      }
      ++requests_;
      bhttp::response<bhttp::string_body> res;
      bool stall = false;
      {
        std::lock_guard lock(mutex_);
        last_ = req;
        res.result(status_);
        res.body() = body_;
        stall = stall_;
      }
      if (stall) {  // never answers; the gateway's deadline has to end it
        net::steady_timer t(ioc_, std::chrono::seconds(10));
        co_await t.async_wait(kTuple);
        co_return;
      }
      res.version(11);
      res.set(bhttp::field::content_type, "application/fhir+json");
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await bhttp::async_write(s, res, kTuple);
      if (wec) {
        co_return;
      }
    }
  }

  net::io_context ioc_;
  ssl::context tls_{ssl::context::tls_server};
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  unsigned status_ = 200;
  std::string body_;
  bool stall_ = false;
  bhttp::request<bhttp::string_body> last_;
  std::atomic<int> requests_{0};
};

class GpConnectRefreshTest : public ::testing::Test {
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
    extra_ =
        "  - ods: O001\n"
        "    name: Test GP Connect Practice\n"
        "    kind: gp\n"
        "    gpconnect:\n"
        "      endpoint: https://127.0.0.1:" +
        std::to_string(provider_.port()) +
        "/O001/STU3/1/gpconnect\n"
        "      asid: \"918999198738\"\n"
        "gpconnect:\n"
        "  asid: \"200000000359\"\n"
        "  ods: Z9G01\n"
        "  name: Test Care Gateway\n"
        "  timeout_ms: 1000\n"
        "delivery:\n"
        "  client_certificate: " +
        cert_path("Z9A01.crt") + "\n  client_key: " + cert_path("Z9A01.key") +
        "\n  ca: " + cert_path("ca.crt") + "\n";
    const std::string yaml = config_yaml("", extra_);
    auto lr = config::load_text(yaml, "test.yaml", "/tmp");
    ASSERT_TRUE(lr.errors.empty()) << lr.errors.front().str();
    snapshot_ = ingest::Snapshot{lr.config, nullptr};
    adapters_.add(adapters::emis::make_gpconnect_adapter());
    ingest_ = std::make_unique<ingest::Ingest>(ingest::IngestDeps{*messages_,
                                                                  *records_,
                                                                  *mpi_,
                                                                  clock_,
                                                                  [this] { return snapshot_; },
                                                                  nullptr,
                                                                  audit_.get(),
                                                                  adapters_.renderers(),
                                                                  {}});
    // The gateway's GP Connect client, as serve makes it: the delivery identity, its timeout.
    auto options = routing::HttpsTransportOptions::from_config(*lr.config);
    options.timeout = lr.config->gpconnect.timeout;
    auto https = routing::HttpsTransport::create(std::move(options));
    ASSERT_TRUE(https) << https.error().detail;
    https_ = std::move(*https);
    client_ = std::make_unique<gpconnect::Client>(
        [t = https_.get()](const routing::HttpCall& c) { return t->call(c); }, *ingest_,
        *adapters_.find("gpconnect"), clock_);
    auto issuer = auth::ensure_demo_issuer(data);
    ASSERT_TRUE(issuer) << issuer.error().detail;
    issuer_ = std::move(*issuer);
    auto verifier = demo_verifier(issuer_);
    ASSERT_TRUE(verifier) << verifier.error().detail;
    tokens_ = std::move(*verifier);
    pipeline::Backends b{mpi_.get(), tokens_.get(),   audit_.get(),  ingest_.get(),
                         &adapters_, messages_.get(), records_.get()};
    b.gpconnect = client_.get();
    server_ = std::make_unique<RunningServer>(yaml, http::Reloader{}, b);
  }

  void TearDown() override {
    server_.reset();
    if (audit_) {
      audit_->close();
    }
  }

  /** refresh: POST $gpc-refresh as a demo user, with their organisation's certificate. */
  HttpResponse refresh(const std::string& query = "?practice=O001", std::string_view login = "gp",
                       std::string_view id = kNhs) {
    const std::string cert = login == "ig-lead" ? "Z9A01" : "Z90001";
    TlsClient client(client_for(cert));
    HttpResponse out;
    if (client.connect(server_->port("provider"))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    (void)client.request("POST", "/fhir/Patient/" + std::string(id) + "/$gpc-refresh" + query, out,
                         "", {{"Authorization", "Bearer " + demo_token(issuer_, login)}});
    return out;
  }

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

  /** the refresh request's own audit record (type record-read, naming the practice). */
  std::optional<audit::AuditRecord> refresh_record() {
    std::optional<audit::AuditRecord> found;
    for (auto& r : audited()) {
      if (r.type == audit::EventType::kRecordRead && r.peer_ods == "O001") {
        found = r;
      }
    }
    return found;
  }

  static std::string param(const fhir::Json& p, std::string_view name) {
    for (const auto& e : p["parameter"].GetArray()) {
      if (name == e["name"].GetString()) {
        for (const auto& m : e.GetObject()) {
          if (m.value.IsString() && std::string_view(m.name.GetString()) != "name") {
            return m.value.GetString();
          }
          if (m.value.IsInt64()) {
            return std::to_string(m.value.GetInt64());
          }
          if (m.value.IsBool()) {
            return m.value.GetBool() ? "true" : "false";
          }
        }
      }
    }
    return {};
  }

  Provider provider_;  // first: the config names its port
  std::string extra_;  // the practice, the gpconnect section and the delivery identity
  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> mpi_repo_;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records_;
  std::unique_ptr<store::sqlite::SqliteMessageStore> messages_;
  std::unique_ptr<identity::MpiService> mpi_;
  std::unique_ptr<audit::AuditLog> audit_;
  ingest::Snapshot snapshot_;
  ingest::AdapterSet adapters_;
  std::unique_ptr<ingest::Ingest> ingest_;
  std::unique_ptr<routing::HttpsTransport> https_;
  std::unique_ptr<gpconnect::Client> client_;
  auth::DemoIssuer issuer_;
  std::unique_ptr<auth::TokenVerifierHolder> tokens_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(GpConnectRefreshTest, ThePracticesRecordLandsInTheSharedRecordWithThePracticeAsSource) {
  const std::string body = sample_record();
  ASSERT_FALSE(body.empty()) << "reference sample missing";
  provider_.answer(200, body);
  const auto res = refresh();
  ASSERT_EQ(res.status, 200U) << res.body;

  // What the practice was asked, as GP Connect specifies.
  const auto req = provider_.last();
  EXPECT_EQ(std::string(req.target()), "/O001/STU3/1/gpconnect/Patient/$gpc.getstructuredrecord");
  EXPECT_EQ(std::string(req["Ssp-From"]), "200000000359");
  EXPECT_EQ(std::string(req["Ssp-To"]), "918999198738");
  EXPECT_EQ(std::string(req["Ssp-InteractionID"]),
            "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1");
  EXPECT_NE(req.body().find(kNhs), std::string::npos);

  // The answer: a summary, no clinical content.
  auto doc = fhir::parse_json(res.body);
  ASSERT_TRUE(doc) << res.body;
  EXPECT_STREQ((*doc)["resourceType"].GetString(), "Parameters");
  EXPECT_EQ(param(*doc, "practice"), "O001");
  EXPECT_EQ(param(*doc, "trace-id"), std::string(req["Ssp-TraceID"]));
  EXPECT_EQ(param(*doc, "duplicate"), "false");
  const auto filed = std::stoul(param(*doc, "filed"));
  EXPECT_GT(filed, 3U);

  // In the shared record, every resource from the practice.
  auto page =
      records_->read_by_nhs_number(*NhsNumber::parse(kNhs), store::RecordQuery{.limit = 1000});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->records.size(), filed);
  bool allergy = false;
  for (const auto& r : page->records) {
    EXPECT_NE(r.resource_json.find(R"("source":"urn:caregw:ods:O001")"), std::string::npos)
        << r.key.resource_type << "/" << r.key.resource_id;
    allergy = allergy || r.key.resource_type == "AllergyIntolerance";
  }
  EXPECT_TRUE(allergy);

  // Journalled with the practice as sender.
  const auto journal = std::stoll(param(*doc, "journal-id"));
  auto entry = messages_->journal_entry(store::JournalId{journal});
  ASSERT_TRUE(entry && *entry);
  EXPECT_EQ((*entry)->sender.str(), "O001");
  EXPECT_EQ((*entry)->adapter, "gpconnect");

  // Audited: the user's request naming patient and practice, and the message's movements.
  const auto rec = refresh_record();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->nhs_number, kNhs);
  EXPECT_EQ(rec->user_id, "demo-user-gp");
  EXPECT_EQ(rec->outcome, audit::Outcome::kSuccess);
  EXPECT_EQ(rec->message_id, std::string(req["Ssp-TraceID"]));
  bool stored = false;
  for (const auto& r : audited()) {
    stored = stored || (r.type == audit::EventType::kMessageStored && r.peer_ods == "O001");
  }
  EXPECT_TRUE(stored);
}

TEST_F(GpConnectRefreshTest, TheRegisteredPracticeIsTheDefault) {
  provider_.answer(200, sample_record());
  ASSERT_EQ(refresh().status, 200U);  // first time the practice must be named
  // Now the record says the patient is registered at O001: no parameter needed.
  const auto again = refresh("");
  EXPECT_EQ(again.status, 200U) << again.body;
  EXPECT_EQ(provider_.requests(), 2);
}

TEST_F(GpConnectRefreshTest, AnUnknownPatientWithoutAPracticeIs404) {
  const auto res = refresh("");
  EXPECT_EQ(res.status, 404U) << res.body;
  EXPECT_NE(res.body.find("?practice=<ODS code>"), std::string::npos) << res.body;
  EXPECT_EQ(provider_.requests(), 0);
  const auto rec = refresh_record();
  EXPECT_FALSE(rec);  // no practice was named; the patient's record is still audited
  bool audited_404 = false;
  for (const auto& r : audited()) {
    audited_404 = audited_404 || (r.type == audit::EventType::kRecordRead && r.nhs_number == kNhs &&
                                  r.outcome == audit::Outcome::kMinorFailure);
  }
  EXPECT_TRUE(audited_404);
}

TEST_F(GpConnectRefreshTest, APracticesErrorOutcomeIs502NamingTheCodeAndPractice) {
  provider_.answer(404, error_outcome("PATIENT_NOT_FOUND"));
  const auto res = refresh();
  ASSERT_EQ(res.status, 502U) << res.body;
  EXPECT_NE(res.body.find("OperationOutcome"), std::string::npos);
  EXPECT_NE(res.body.find("practice O001"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("PATIENT_NOT_FOUND"), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find(kNhs), std::string::npos) << "the practice's diagnostics leaked";
  auto page =
      records_->read_by_nhs_number(*NhsNumber::parse(kNhs), store::RecordQuery{.limit = 10});
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->records.empty());
  const auto rec = refresh_record();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->outcome, audit::Outcome::kSeriousFailure);
  EXPECT_NE(rec->detail.find("PATIENT_NOT_FOUND"), std::string::npos) << rec->detail;

  provider_.answer(403, error_outcome("NO_RELATIONSHIP"));
  const auto denied = refresh();
  EXPECT_EQ(denied.status, 502U);
  EXPECT_NE(denied.body.find("NO_RELATIONSHIP"), std::string::npos) << denied.body;
}

TEST_F(GpConnectRefreshTest, NoAnswerInTimeIs504) {
  provider_.answer(200, sample_record(), /*stall=*/true);
  const auto res = refresh();
  EXPECT_EQ(res.status, 504U) << res.body;
  EXPECT_NE(res.body.find("practice O001"), std::string::npos) << res.body;
}

TEST_F(GpConnectRefreshTest, APracticeWithoutAnEndpointIs422AndOtherPurposesAre403) {
  EXPECT_EQ(refresh("?practice=Z90001").status, 422U);
  EXPECT_EQ(refresh("?practice=O001", "ig-lead").status, 403U);
  EXPECT_EQ(refresh("?practice=O001&since=2020").status, 400U);
  EXPECT_EQ(provider_.requests(), 0);
}

/** `caregw gpconnect fetch`: the same query from the command line, into the same data directory
 * (the test's own stores stay open: SQLite and the audit log take a second writer). */
class GpConnectFetchCliTest : public GpConnectRefreshTest {
protected:
  RunResult fetch(const std::string& practice) {
    const std::string file = dir_.file("caregw.yaml");
    std::ofstream(file) << config_yaml_in(dir_.file("data"), "", extra_);
    std::vector<std::string> args{caregw_binary(), "gpconnect",      "fetch", "--config", file,
                                  "--nhs-number",  std::string(kNhs)};
    if (!practice.empty()) {
      args.insert(args.end(), {"--practice", practice});
    }
    return run_command(args);
  }
};

TEST_F(GpConnectFetchCliTest, FetchesAndFilesTheRecordFromTheCommandLine) {
  provider_.answer(200, sample_record());
  const auto r = fetch("O001");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("practice O001: 9 resources filed"), std::string::npos) << r.out;
  auto page =
      records_->read_by_nhs_number(*NhsNumber::parse(kNhs), store::RecordQuery{.limit = 1000});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_EQ(page->records.size(), 9U);
  bool audited_cli = false;
  for (const auto& a : audited()) {
    audited_cli = audited_cli || (a.type == audit::EventType::kRecordRead &&
                                  a.user_id == "caregw-cli" && a.peer_ods == "O001" &&
                                  a.nhs_number == kNhs && a.outcome == audit::Outcome::kSuccess);
  }
  EXPECT_TRUE(audited_cli);
  // Registered there now: the practice may be left out.
  const auto again = fetch("");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already received"), std::string::npos) << again.out;
}

TEST_F(GpConnectFetchCliTest, APracticesErrorExitsOneNamingTheCode) {
  provider_.answer(404, error_outcome("PATIENT_NOT_FOUND"));
  const auto r = fetch("O001");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("practice O001 answered HTTP 404 PATIENT_NOT_FOUND"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(kNhs), std::string::npos) << r.err;
  EXPECT_EQ(fetch("").exit_code, 1);  // unknown patient, no practice named
}

}  // namespace
}  // namespace gw::test
