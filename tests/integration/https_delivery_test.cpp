// The HTTPS transport against a real local recipient: TLS with client certificates (the test CA
// from make_test_certs), the Idempotency-Key header, connection reuse, status handling, and the
// whole outbox -> worker -> HTTPS path with the recipient down, then up.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <gtest/gtest.h>

#include "gateway/routing/delivery_worker.hpp"
#include "gateway/routing/https_transport.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace gw::routing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

/** free_port: a port nothing listens on now (bound to port 0, then closed). */
std::uint16_t free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

/**
 * Recipient: an HTTPS server on 127.0.0.1 that requires a client certificate from the test CA,
 * answers every POST with `status`, and counts requests per Idempotency-Key (a real recipient
 * would keep the first and drop the rest).
 */
class Recipient {
public:
  explicit Recipient(std::uint16_t port) : acceptor_(ioc_) {
    tls_.use_certificate_chain_file(gw::test::cert_path("server.crt"));
    tls_.use_private_key_file(gw::test::cert_path("server.key"), ssl::context::pem);
    tls_.load_verify_file(gw::test::cert_path("ca.crt"));
    tls_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Recipient() {
    net::post(ioc_, [this] { acceptor_.close(); });
    ioc_.stop();
    thread_.join();
  }
  Recipient(const Recipient&) = delete;
  Recipient& operator=(const Recipient&) = delete;

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void set_status(unsigned s) { status_ = s; }
  void set_answer(std::string body) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(body);
  }
  std::map<std::string, int> keys() {
    std::lock_guard lock(mutex_);
    return keys_;
  }
  int handshakes() const { return handshakes_.load(); }
  std::string last_body() {
    std::lock_guard lock(mutex_);
    return last_body_;
  }
  /** arrivals: the bodies taken, in the order they arrived. */
  std::vector<std::string> arrivals() {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }

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
    ++handshakes_;
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [rec, rn] = co_await bhttp::async_read(s, buffer, req, kTuple);
      if (rec) {
        co_return;
      }
      const unsigned status = status_.load();
      if (status >= 200 && status < 300) {
        std::lock_guard lock(mutex_);
        ++keys_[std::string(req["Idempotency-Key"])];
        last_body_ = req.body();
        arrivals_.push_back(req.body());
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
      {
        std::lock_guard lock(mutex_);
        res.body() = answer_;
      }
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
  std::atomic<unsigned> status_{200};
  std::atomic<int> handshakes_{0};
  std::mutex mutex_;
  std::map<std::string, int> keys_;
  std::string last_body_;
  std::vector<std::string> arrivals_;
  std::string answer_;
};

HttpsTransportOptions options(std::uint16_t port, bool with_client_cert = true) {
  HttpsTransportOptions o;
  if (with_client_cert) {
    o.client_certificate = gw::test::cert_path("Z9A01.crt");
    o.client_key = gw::test::cert_path("Z9A01.key");
  }
  o.ca = gw::test::cert_path("ca.crt");
  o.timeout = std::chrono::milliseconds(5000);
  o.endpoints["Z90001"] = "https://127.0.0.1:" + std::to_string(port) + "/fhir/$process-message";
  return o;
}

store::OutboxEntry entry(std::string key, std::string payload) {
  store::OutboxEntry e{store::OutboxId{1}, std::nullopt, OdsCode::parse("Z90001").value()};
  e.idempotency_key = std::move(key);
  e.kind = "discharge-summary";
  e.content_type = "application/fhir+json";
  e.payload = std::move(payload);
  return e;
}

TEST(HttpsDelivery, PostsWithClientCertificateAndIdempotencyKeyReusingTheConnection) {
  Recipient r(0);
  auto t = HttpsTransport::create(options(r.port()));
  ASSERT_TRUE(t) << t.error().detail;
  for (int i = 0; i < 5; ++i) {
    auto res = (*t)->send(entry("key-" + std::to_string(i), R"({"resourceType":"Bundle"})"));
    EXPECT_EQ(res.status, SendStatus::kDelivered) << res.error;
  }
  EXPECT_EQ(r.keys().size(), 5U);
  EXPECT_EQ(r.keys().at("key-3"), 1);
  EXPECT_EQ(r.last_body(), R"({"resourceType":"Bundle"})");
  EXPECT_EQ((*t)->connections_opened(), 1U);
  EXPECT_EQ(r.handshakes(), 1);
}

TEST(HttpsDelivery, TheRecipientsAnswerBodyIsHandedBackWhenItTookTheMessage) {
  // What a practice answers synchronously (an ITK3 response) reaches the renderer's reader.
  Recipient r(0);
  auto t = HttpsTransport::create(options(r.port()));
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ((*t)->send(entry("k0", "{}")).response, "");
  r.set_answer(R"({"resourceType":"Bundle","type":"message"})");
  auto res = (*t)->send(entry("k1", "{}"));
  EXPECT_EQ(res.status, SendStatus::kDelivered) << res.error;
  EXPECT_EQ(res.response, R"({"resourceType":"Bundle","type":"message"})");
  r.set_status(400);  // a refusal's body is not a business answer
  auto refused = (*t)->send(entry("k2", "{}"));
  EXPECT_EQ(refused.status, SendStatus::kPermanent);
  EXPECT_EQ(refused.response, "");
}

TEST(HttpsDelivery, AReloadedConfigsEndpointsApplyToTheNextSend) {
  // SIGHUP: a practice moved its endpoint; the next message goes to the new one. A reload whose
  // endpoint is unusable changes nothing.
  Recipient before(0);
  Recipient after(0);
  auto t = HttpsTransport::create(options(before.port()));
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ((*t)->send(entry("k1", "{}")).status, SendStatus::kDelivered);
  std::map<std::string, std::string> moved{
      {"Z90001", "https://127.0.0.1:" + std::to_string(after.port()) + "/fhir/$process-message"}};
  ASSERT_TRUE((*t)->set_endpoints(moved));
  EXPECT_EQ((*t)->send(entry("k2", "{}")).status, SendStatus::kDelivered);
  EXPECT_EQ(before.keys().count("k2"), 0U);
  EXPECT_EQ(after.keys().count("k2"), 1U);
  auto bad = (*t)->set_endpoints({{"Z90001", "http://127.0.0.1:1/"}, {"Z9S01", "https://x/"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("(recipient Z90001)"), std::string::npos) << bad.error().detail;
  EXPECT_EQ((*t)->send(entry("k3", "{}")).status, SendStatus::kDelivered);
  EXPECT_EQ(after.keys().count("k3"), 1U);
  ASSERT_TRUE((*t)->set_endpoints({}));  // the subscription was removed
  auto none = (*t)->send(entry("k4", "{}"));
  EXPECT_EQ(none.status, SendStatus::kRetry);
  EXPECT_EQ(none.error, "no https endpoint is configured for the recipient");
}

TEST(HttpsDelivery, AReloadedIdentityIsUsedFromTheNextConnectionAndABadOneChangesNothing) {
  // SIGHUP with a new `delivery:` certificate: idle connections made with the old one are
  // closed and the next message goes out with the new one.
  Recipient r(0);
  auto t = HttpsTransport::create(options(r.port()));
  ASSERT_TRUE(t) << t.error().detail;
  EXPECT_EQ((*t)->send(entry("k1", "{}")).status, SendStatus::kDelivered);
  const tls::ClientIdentity good{gw::test::cert_path("ca.crt"), gw::test::cert_path("Z9A01.crt"),
                                 gw::test::cert_path("Z9A01.key")};
  const tls::ClientIdentity untrusted{gw::test::cert_path("ca.crt"),
                                      gw::test::cert_path("rogue.crt"),
                                      gw::test::cert_path("rogue.key")};
  ASSERT_TRUE((*t)->set_identity(untrusted));
  EXPECT_EQ((*t)->send(entry("k2", "{}")).status, SendStatus::kRetry);  // refused by the recipient
  EXPECT_EQ(r.keys().count("k2"), 0U);
  auto missing =
      (*t)->set_identity(tls::ClientIdentity{good.ca, gw::test::cert_path("nosuch.crt"), good.key});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail.find("cannot load the TLS files"), std::string::npos);
  EXPECT_EQ((*t)->send(entry("k3", "{}")).status, SendStatus::kRetry);  // still the rogue one
  ASSERT_TRUE((*t)->set_identity(good));
  EXPECT_EQ((*t)->send(entry("k4", "{}")).status, SendStatus::kDelivered);
  EXPECT_EQ(r.keys().count("k4"), 1U);
  // The recipient completed two handshakes: the first connection, then one with the good
  // identity again (the connection pooled before the change was not reused).
  EXPECT_EQ(r.handshakes(), 2);
}

TEST(HttpsDelivery, StatusDecidesRetryOrDeadLetter) {
  Recipient r(0);
  auto t = HttpsTransport::create(options(r.port()));
  ASSERT_TRUE(t);
  r.set_status(503);
  auto res = (*t)->send(entry("k1", "{}"));
  EXPECT_EQ(res.status, SendStatus::kRetry);
  EXPECT_EQ(res.error, "the endpoint answered HTTP 503");
  r.set_status(429);
  EXPECT_EQ((*t)->send(entry("k1", "{}")).status, SendStatus::kRetry);
  r.set_status(400);
  EXPECT_EQ((*t)->send(entry("k1", "{}")).status, SendStatus::kPermanent);
}

TEST(HttpsDelivery, WithoutAClientCertificateTheRecipientRefusesAndWeRetry) {
  Recipient r(0);
  auto t = HttpsTransport::create(options(r.port(), /*with_client_cert=*/false));
  ASSERT_TRUE(t);
  auto res = (*t)->send(entry("k1", "{}"));
  EXPECT_EQ(res.status, SendStatus::kRetry);
  EXPECT_TRUE(r.keys().empty());
}

TEST(HttpsDelivery, ARecipientWithAnUntrustedCertificateIsNotSentTo) {
  Recipient r(0);
  auto o = options(r.port());
  o.ca = gw::test::cert_path("rogue-ca.crt");
  auto t = HttpsTransport::create(o);
  ASSERT_TRUE(t) << t.error().detail;
  auto res = (*t)->send(entry("k1", "{}"));
  EXPECT_EQ(res.status, SendStatus::kRetry);
  EXPECT_NE(res.error.find("TLS handshake"), std::string::npos) << res.error;
  EXPECT_TRUE(r.keys().empty());
}

TEST(HttpsDelivery, RecipientDownThenUpIsDeliveredExactlyOnceThroughTheOutbox) {
  gw::test::TempDir dir;
  SystemClock clock;
  auto store = store::sqlite::SqliteMessageStore::open_in_data_dir(dir.file("data"), clock);
  ASSERT_TRUE(store);
  const auto port = free_port();
  auto t = HttpsTransport::create(options(port));
  ASSERT_TRUE(t);
  std::vector<store::OutboundMessage> out;
  for (int i = 0; i < 20; ++i) {
    out.push_back(
        store::OutboundMessage{OdsCode::parse("Z90001").value(), store::TransportKind::kHttps,
                               i % 2 == 0 ? "9990000018" : "9990000026", "discharge-summary",
                               "application/fhir+json", R"({"n":)" + std::to_string(i) + "}"});
  }
  ASSERT_TRUE((*store)->enqueue(out));
  metrics::Registry registry;
  DeliveryStats stats(registry);
  DeliveryOptions o;
  o.retry.initial_backoff = std::chrono::milliseconds(20);
  o.retry.max_backoff = std::chrono::milliseconds(100);
  o.retry.max_attempts = 1000;
  o.idle_poll = std::chrono::milliseconds(10);
  DeliveryWorker w(**store, **t, clock, &stats, o);
  // Down: nothing listens on the port.
  ASSERT_TRUE(w.run_once());
  // One attempt; the other line's head is deferred with it (no second connection attempt).
  EXPECT_EQ(stats.retries.find({"Z90001"})->value(), 1U);
  // Up.
  Recipient r(port);
  w.start();
  for (int i = 0; i < 1000 && r.keys().size() < out.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  w.stop();
  auto keys = r.keys();
  EXPECT_EQ(keys.size(), out.size());
  for (const auto& [key, n] : keys) {
    EXPECT_EQ(n, 1) << key;
  }
  auto queues = (*store)->queues();
  ASSERT_TRUE(queues);
  EXPECT_TRUE(queues->empty());
  EXPECT_EQ(stats.deliveries.find({"Z90001"})->value(), out.size());
}

TEST(HttpsDelivery, AlwaysFailingGoesToDeadLettersAndAReplayAfterTheFixDelivers) {
  gw::test::TempDir dir;
  SystemClock clock;
  auto store = store::sqlite::SqliteMessageStore::open_in_data_dir(dir.file("data"), clock);
  ASSERT_TRUE(store);
  Recipient r(0);
  r.set_status(500);
  auto t = HttpsTransport::create(options(r.port()));
  ASSERT_TRUE(t);
  auto ids = (*store)->enqueue({store::OutboundMessage{
      OdsCode::parse("Z90001").value(), store::TransportKind::kHttps, "9990000018",
      "discharge-summary", "application/fhir+json", R"({"resourceType":"Bundle"})"}});
  ASSERT_TRUE(ids);
  DeliveryOptions o;
  o.retry.max_attempts = 3;
  o.retry.initial_backoff = std::chrono::milliseconds(1);
  o.retry.max_backoff = std::chrono::milliseconds(2);
  DeliveryWorker w(**store, **t, clock, nullptr, o);
  for (int i = 0; i < 500; ++i) {
    auto dead = (*store)->dead_letters(store::DeadLetterFilter{});
    ASSERT_TRUE(dead);
    if (!dead->empty()) {
      break;
    }
    ASSERT_TRUE(w.run_once());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto dead = (*store)->dead_letters(store::DeadLetterFilter{});
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1U);
  EXPECT_EQ((*dead)[0].attempts, 3);
  EXPECT_EQ((*dead)[0].last_error, "the endpoint answered HTTP 500");
  EXPECT_TRUE(r.keys().empty());

  r.set_status(200);  // the recipient is fixed
  auto replayed = (*store)->replay({(*dead)[0].id}, "operator-1");
  ASSERT_TRUE(replayed);
  EXPECT_EQ(*replayed, 1U);
  ASSERT_TRUE(w.run_once());
  auto keys = r.keys();
  ASSERT_EQ(keys.size(), 1U);
  EXPECT_EQ(keys.begin()->first, (*dead)[0].idempotency_key);
  auto e = (*store)->outbox_entry((*dead)[0].id);
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->state, store::OutboxState::kDelivered);
}

TEST(HttpsDelivery, ABatchGoesOutSeveralAtOnceOnPooledConnectionsEachOnce) {
  Recipient r(0);
  auto o = options(r.port());
  o.max_in_flight_per_recipient = 4;
  auto t = HttpsTransport::create(o);
  ASSERT_TRUE(t) << t.error().detail;
  for (int round = 0; round < 2; ++round) {
    std::vector<store::OutboxEntry> batch;
    for (int i = 0; i < 40; ++i) {
      batch.push_back(entry("r" + std::to_string(round) + "-" + std::to_string(i), "{}"));
    }
    auto results = (*t)->send_all(batch);
    ASSERT_EQ(results.size(), batch.size());
    for (const auto& res : results) {
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, SendStatus::kDelivered) << res->error;
    }
  }
  EXPECT_EQ(r.keys().size(), 80U);
  for (const auto& [key, n] : r.keys()) {
    EXPECT_EQ(n, 1) << key;
  }
  // One more connection per answer up to the limit, then those four reused (the second batch
  // opened none).
  EXPECT_EQ((*t)->connections_opened(), 4U);
  EXPECT_EQ(r.handshakes(), 4);
}

TEST(HttpsDelivery, ABatchForARecipientThatIsDownCostsOneAttemptTheRestComeBackUntried) {
  auto t = HttpsTransport::create(options(free_port()));
  ASSERT_TRUE(t);
  std::vector<store::OutboxEntry> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(entry("k" + std::to_string(i), "{}"));
  }
  auto unknown = entry("k-unknown", "{}");
  unknown.recipient = OdsCode::parse("Z90002").value();  // no endpoint configured
  batch.push_back(unknown);
  auto results = (*t)->send_all(batch);
  ASSERT_EQ(results.size(), batch.size());
  ASSERT_TRUE(results[0]);
  EXPECT_EQ(results[0]->status, SendStatus::kRetry);
  for (std::size_t i = 1; i < 10; ++i) {
    EXPECT_FALSE(results[i]) << i;
  }
  ASSERT_TRUE(results[10]);
  EXPECT_EQ(results[10]->status, SendStatus::kRetry);
  EXPECT_EQ(results[10]->error, "no https endpoint is configured for the recipient");
}

TEST(HttpsDelivery, EachPatientsMessagesArriveInOrderWithSeveralInFlight) {
  gw::test::TempDir dir;
  SystemClock clock;
  auto store = store::sqlite::SqliteMessageStore::open_in_data_dir(dir.file("data"), clock);
  ASSERT_TRUE(store);
  Recipient r(0);
  auto o = options(r.port());
  o.max_in_flight_per_recipient = 4;
  auto t = HttpsTransport::create(o);
  ASSERT_TRUE(t);
  // 8 invented patients (999 test-range NHS numbers), 6 messages each, queued interleaved.
  const std::vector<std::string> patients{"9990000018", "9990000026", "9990000034", "9990000042",
                                          "9990000050", "9990000069", "9990000077", "9990000085"};
  std::vector<store::OutboundMessage> out;
  for (int n = 0; n < 6; ++n) {
    for (std::size_t p = 0; p < patients.size(); ++p) {
      out.push_back(store::OutboundMessage{OdsCode::parse("Z90001").value(),
                                           store::TransportKind::kHttps, patients[p],
                                           "discharge-summary", "application/fhir+json",
                                           "p" + std::to_string(p) + "-" + std::to_string(n)});
    }
  }
  ASSERT_TRUE((*store)->enqueue(out));
  DeliveryOptions wo;
  wo.threads = 3;
  wo.batch = 4;
  wo.idle_poll = std::chrono::milliseconds(5);
  DeliveryWorker w(**store, **t, clock, nullptr, wo);
  w.start();
  for (int i = 0; i < 1000 && r.arrivals().size() < out.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  w.stop();
  const auto arrivals = r.arrivals();
  ASSERT_EQ(arrivals.size(), out.size());
  std::map<std::string, int> last;  // patient -> the last message number seen
  for (const auto& body : arrivals) {
    const auto dash = body.find('-');
    const auto patient = body.substr(0, dash);
    const int n = std::stoi(body.substr(dash + 1));
    const auto seen = last.find(patient);
    EXPECT_EQ(n, seen == last.end() ? 0 : seen->second + 1) << body;
    last[patient] = n;
  }
}

}  // namespace
}  // namespace gw::routing
