// The real server on ephemeral ports, spoken to over real TLS: who is let in, limits, timeouts,
// keep-alive and the built-in endpoints.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "tests/support/running_server.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;

class ServerTest : public ::testing::Test {
protected:
  void start(const std::string& limits = "", const std::string& extra_orgs = "") {
    server_ = std::make_unique<RunningServer>(config_yaml(limits, extra_orgs));
  }
  std::uint16_t provider() const { return server_->port("provider"); }
  std::uint16_t browser() const { return server_->port("browser"); }
  http::ServerStats& stats() { return server_->stats(); }

  std::unique_ptr<RunningServer> server_;
};

TEST_F(ServerTest, KnownOrganisationCertificateIsAccepted) {
  start();
  const auto r = https_get(provider(), "/healthz", client_for("Z90001"));
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.body, R"({"status":"pass"})");
  EXPECT_EQ(r.header("X-Request-ID").size(), 32U);
  EXPECT_EQ(counter_value(stats().requests, {"provider", "healthz", "200"}), 1U);
}

TEST_F(ServerTest, NoClientCertificateIsRefusedInTheHandshake) {
  start();
  const auto r = https_get(provider(), "/healthz", client_for(""));
  EXPECT_EQ(r.status, 0U);
  EXPECT_TRUE(eventually([&] {
    return counter_value(stats().handshake_failures, {"provider", "no_certificate"}) == 1;
  }));
  EXPECT_EQ(counter_value(stats().requests, {"provider", "healthz", "200"}), 0U);
}

TEST_F(ServerTest, CertificateFromAnotherCaIsRefused) {
  start();
  const auto r = https_get(provider(), "/healthz", client_for("rogue"));
  EXPECT_EQ(r.status, 0U);
  EXPECT_TRUE(eventually([&] {
    return counter_value(stats().handshake_failures, {"provider", "unknown_ca"}) == 1;
  }));
}

TEST_F(ServerTest, ExpiredCertificateIsRefused) {
  start();
  const auto r = https_get(provider(), "/healthz", client_for("expired"));
  EXPECT_EQ(r.status, 0U);
  EXPECT_TRUE(eventually([&] {
    return counter_value(stats().handshake_failures, {"provider", "certificate_expired"}) == 1;
  }));
}

TEST_F(ServerTest, UnknownOrganisationGetsForbiddenWithOperationOutcome) {
  start();
  const auto r = https_get(provider(), "/healthz", client_for("unknown-org"));
  EXPECT_EQ(r.status, 403U);
  EXPECT_NE(r.body.find(R"("resourceType":"OperationOutcome")"), std::string::npos);
  EXPECT_NE(r.body.find("ZZ999"), std::string::npos) << r.body;
  EXPECT_NE(r.header("Content-Type").find("application/fhir+json"), std::string::npos);
  EXPECT_EQ(counter_value(stats().peers_refused, {"provider", "unknown_organisation"}), 1U);
}

TEST_F(ServerTest, Tls11IsRefused) {
  start();
  auto opts = client_for("Z90001");
  opts.max_tls_version = TLS1_1_VERSION;
  const auto r = https_get(provider(), "/healthz", opts);
  EXPECT_EQ(r.status, 0U);
  EXPECT_TRUE(eventually([&] {
    return counter_value(stats().handshake_failures, {"provider", "protocol_version"}) == 1;
  }));
}

TEST_F(ServerTest, Tls12AndTls13AreAccepted) {
  start();
  for (int v : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto opts = client_for("Z90001");
    opts.max_tls_version = v;
    EXPECT_EQ(https_get(provider(), "/healthz", opts).status, 200U) << "version " << v;
  }
}

TEST_F(ServerTest, BrowserPortServesWithoutClientCertificate) {
  start();
  const auto r = https_get(browser(), "/healthz", client_for(""));
  EXPECT_EQ(r.status, 200U);
}

TEST_F(ServerTest, OversizedBodyGets413) {
  start("  max_body_bytes: 1024\n");
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  HttpResponse r;
  ASSERT_FALSE(c.request("POST", "/healthz", r, std::string(4096, 'x'),
                         {{"Content-Type", "application/fhir+json"}}));
  EXPECT_EQ(r.status, 413U);
  EXPECT_NE(r.body.find("too-long"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("1024"), std::string::npos) << r.body;
  EXPECT_FALSE(r.keep_alive);
}

TEST_F(ServerTest, OversizedChunkedBodyGets413) {
  start("  max_body_bytes: 1024\n");
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  std::string req =
      "POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) {
    req += "400\r\n" + std::string(1024, 'y') + "\r\n";
  }
  req += "0\r\n\r\n";
  ASSERT_FALSE(c.write_raw(req));
  HttpResponse r;
  ASSERT_FALSE(c.read_response(r));
  EXPECT_EQ(r.status, 413U);
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  start("  max_header_bytes: 2048\n");
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  HttpResponse r;
  ASSERT_FALSE(c.request("GET", "/healthz", r, "", {{"X-Padding", std::string(4096, 'p')}}));
  EXPECT_EQ(r.status, 431U);
}

TEST_F(ServerTest, SlowHeaderClientIsDropped) {
  start("  header_timeout_ms: 400\n");
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  // One byte every 100 ms: the whole header would take seconds; the server must cut it off.
  const std::string req =
      "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  bool dropped = false;
  for (char ch : req) {
    if (c.write_raw(std::string(1, ch))) {  // fails once the server has closed the connection
      dropped = true;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(dropped) << "the server served a client that sent one byte per 100 ms";
  EXPECT_TRUE(eventually([&] {
    return counter_value(stats().timeouts, {"provider", "header"}) == 1;
  }));
  EXPECT_EQ(counter_value(stats().requests, {"provider", "healthz", "200"}), 0U);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  start("  idle_timeout_ms: 300\n");
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  HttpResponse r;
  ASSERT_FALSE(c.request("GET", "/healthz", r));
  EXPECT_TRUE(c.wait_closed(3000ms));
  EXPECT_TRUE(eventually([&] {
    return counter_value(stats().timeouts, {"provider", "idle"}) == 1;
  }));
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  start();
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  for (int i = 0; i < 5; ++i) {
    HttpResponse r;
    ASSERT_FALSE(c.request("GET", "/healthz", r));
    EXPECT_EQ(r.status, 200U);
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(counter_value(stats().connections, {"provider"}), 1U);
  EXPECT_EQ(counter_value(stats().requests, {"provider", "healthz", "200"}), 5U);
}

TEST_F(ServerTest, ABodyOfManyTlsRecordsIsReadWholeAndTheConnectionGoesOn) {
  start("  max_body_bytes: 1048576\n");
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  HttpResponse r;
  // About 19 TLS records: had any byte of the body been lost or left unread, the next request on
  // this connection would be misread.
  ASSERT_FALSE(c.request("POST", "/healthz", r, std::string(300000, 'x'),
                         {{"Content-Type", "application/fhir+json"}}));
  EXPECT_EQ(r.status, 405U);
  EXPECT_TRUE(r.keep_alive);
  HttpResponse next;
  ASSERT_FALSE(c.request("GET", "/healthz", next));
  EXPECT_EQ(next.status, 200U);
  EXPECT_EQ(counter_value(stats().connections, {"provider"}), 1U);
}

TEST_F(ServerTest, RequestsPerConnectionLimitClosesTheConnection) {
  start("  max_requests_per_connection: 2\n");
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  HttpResponse r1, r2;
  ASSERT_FALSE(c.request("GET", "/healthz", r1));
  EXPECT_TRUE(r1.keep_alive);
  ASSERT_FALSE(c.request("GET", "/healthz", r2));
  EXPECT_FALSE(r2.keep_alive);
  EXPECT_TRUE(c.wait_closed(2000ms));
}

TEST_F(ServerTest, ConnectionLimitRefusesExtraConnections) {
  start("  max_connections: 1\n");
  TlsClient first(client_for("Z90001"));
  ASSERT_FALSE(first.connect(provider()));
  HttpResponse r;
  ASSERT_FALSE(first.request("GET", "/healthz", r));
  const auto second = https_get(provider(), "/healthz", client_for("Z90001"));
  EXPECT_EQ(second.status, 0U);
  EXPECT_TRUE(eventually([&] {
    return counter_value(stats().connections_refused, {"provider", "connection_limit"}) == 1;
  }));
}

TEST_F(ServerTest, UnknownPathGets404AndWrongMethod405WithAllow) {
  start();
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  HttpResponse r;
  ASSERT_FALSE(c.request("GET", "/fhir/Nothing", r));
  EXPECT_EQ(r.status, 404U);
  EXPECT_NE(r.body.find("not-found"), std::string::npos);
  ASSERT_FALSE(c.request("DELETE", "/healthz", r));
  EXPECT_EQ(r.status, 405U);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

TEST_F(ServerTest, HeadAnswersWithoutABody) {
  start();
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  HttpResponse head;
  ASSERT_FALSE(c.request("HEAD", "/healthz", head));
  EXPECT_EQ(head.status, 200U);
  EXPECT_EQ(head.header("Content-Length"), "17");
  EXPECT_TRUE(head.body.empty());
  // The connection is still in step: had the server sent a body, this would read it as garbage.
  HttpResponse get;
  ASSERT_FALSE(c.request("GET", "/healthz", get));
  EXPECT_EQ(get.status, 200U);
  EXPECT_EQ(get.body, R"({"status":"pass"})");
}

TEST_F(ServerTest, MalformedRequestGets400) {
  start();
  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(provider()));
  ASSERT_FALSE(c.write_raw("GARBAGE\r\n\r\n"));
  HttpResponse r;
  ASSERT_FALSE(c.read_response(r));
  EXPECT_EQ(r.status, 400U);
}

TEST_F(ServerTest, MetricsAndMetadataAreServed) {
  start();
  const auto cap = https_get(provider(), "/fhir/metadata", client_for("Z90001"));
  EXPECT_EQ(cap.status, 200U);
  EXPECT_NE(cap.body.find(R"("resourceType":"CapabilityStatement")"), std::string::npos);
  const auto m = https_get(provider(), "/metrics", client_for("Z90001"));
  EXPECT_EQ(m.status, 200U);
  EXPECT_NE(
      m.body.find(
          R"(caregw_http_requests_total{listener="provider",route="fhir_metadata",status="200"} 1)"),
      std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("caregw_open_connections"), std::string::npos);
}

TEST_F(ServerTest, ReloadWithBrokenConfigKeepsTheOldOne) {
  std::string next = "listeners: [";  // not YAML
  server_ = std::make_unique<RunningServer>(
      config_yaml(), [&next] { return config::load_text(next, "reloaded.yaml", "/tmp"); });
  EXPECT_FALSE(server_->server().reload());
  EXPECT_EQ(counter_value(stats().config_reloads, {"rejected"}), 1U);
  EXPECT_EQ(https_get(provider(), "/healthz", client_for("Z90001")).status, 200U);
  // A good config that adds organisation ZZ999 is applied, and its certificate is then accepted.
  EXPECT_EQ(https_get(provider(), "/healthz", client_for("unknown-org")).status, 403U);
  next = config_yaml("", "  - ods: ZZ999\n    name: Added Later\n    kind: social-care\n");
  EXPECT_TRUE(server_->server().reload());
  EXPECT_EQ(counter_value(stats().config_reloads, {"applied"}), 1U);
  EXPECT_EQ(https_get(provider(), "/healthz", client_for("unknown-org")).status, 200U);
}

}  // namespace
}  // namespace gw::test
