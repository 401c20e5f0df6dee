// The MLLP over TLS transport against a real local HL7 v2 recipient: framing, the client
// certificate, connection reuse, and the ACK code deciding delivered / retry / dead letter.
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "gateway/routing/mllp_transport.hpp"
#include "tests/support/test_env.hpp"

namespace gw::routing {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

/** HL7 v2 ADT^A03 with invented content and a 999 test-range NHS number. */
constexpr std::string_view kAdt =
    "MSH|^~\\&|CAREGW|Z9A01|GPSYS|Z90001|20240301090000||ADT^A03|MSG00042|P|2.4\r"
    "PID|1||9990000018^^^NHS^NH||Testperson^Ada||19700101|F\r";

/** MllpRecipient: TLS with a required client certificate; answers each message `code`. */
class MllpRecipient {
public:
  MllpRecipient() : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    tls_.use_certificate_chain_file(gw::test::cert_path("server.crt"));
    tls_.use_private_key_file(gw::test::cert_path("server.key"), ssl::context::pem);
    tls_.load_verify_file(gw::test::cert_path("ca.crt"));
    tls_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~MllpRecipient() {
    net::post(ioc_, [this] { acceptor_.close(); });
    ioc_.stop();
    thread_.join();
  }
  MllpRecipient(const MllpRecipient&) = delete;
  MllpRecipient& operator=(const MllpRecipient&) = delete;
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void set_code(std::string c) {
    std::lock_guard lock(mutex_);
    code_ = std::move(c);
  }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int connections() const { return connections_.load(); }

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
    ssl::stream<tcp::socket> s(std::move(socket), tls_);
    if (auto [hec] = co_await s.async_handshake(ssl::stream_base::server, kTuple); hec) {
      co_return;
    }
    ++connections_;
    std::string in;
    for (;;) {
      auto [rec, n] = co_await net::async_read_until(s, net::dynamic_buffer(in), "\x1c\r", kTuple);
      if (rec) {
        co_return;
      }
      std::string frame = in.substr(0, n);
      in.erase(0, n);
      std::string code;
      {
        std::lock_guard lock(mutex_);
        code = code_;
        if (code == "AA") {
          received_.push_back(frame.substr(1, frame.size() - 3));
        }
      }
      const std::string ack =
          "\x0bMSH|^~\\&|GPSYS|Z90001|CAREGW|Z9A01|20240301090001||ACK|A1|P|2.4\r"
          "MSA|" +
          code + "|MSG00042\r\x1c\r";
      if (auto [wec, wn] = co_await net::async_write(s, net::buffer(ack), kTuple); wec) {
        co_return;
      }
    }
  }

  net::io_context ioc_;
  ssl::context tls_{ssl::context::tls_server};
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::string code_ = "AA";
  std::vector<std::string> received_;
  std::atomic<int> connections_{0};
};

store::OutboxEntry entry() {
  store::OutboxEntry e{store::OutboxId{1}, std::nullopt, OdsCode::parse("Z90001").value()};
  e.transport = store::TransportKind::kMllp;
  e.idempotency_key = "k";
  e.kind = "adt";
  e.content_type = "x-application/hl7-v2+er7";
  e.payload = std::string(kAdt);
  return e;
}

std::unique_ptr<MllpTransport> transport(std::uint16_t port) {
  MllpTransportOptions o;
  o.client_certificate = gw::test::cert_path("Z9A01.crt");
  o.client_key = gw::test::cert_path("Z9A01.key");
  o.ca = gw::test::cert_path("ca.crt");
  o.timeout = std::chrono::milliseconds(5000);
  o.endpoints["Z90001"] = "127.0.0.1:" + std::to_string(port);
  auto t = MllpTransport::create(o);
  EXPECT_TRUE(t);
  return t ? std::move(*t) : nullptr;
}

TEST(MllpDelivery, FramesTheMessageOverTlsAndReusesTheConnection) {
  MllpRecipient r;
  auto t = transport(r.port());
  ASSERT_TRUE(t);
  for (int i = 0; i < 3; ++i) {
    auto res = t->send(entry());
    EXPECT_EQ(res.status, SendStatus::kDelivered) << res.error;
  }
  auto got = r.received();
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0], kAdt);
  EXPECT_EQ(r.connections(), 1);
}

TEST(MllpDelivery, AReloadedIdentityReplacesTheConnectionMadeWithTheOldOne) {
  MllpRecipient r;
  auto t = transport(r.port());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->send(entry()).status, SendStatus::kDelivered);
  const tls::ClientIdentity untrusted{gw::test::cert_path("ca.crt"),
                                      gw::test::cert_path("rogue.crt"),
                                      gw::test::cert_path("rogue.key")};
  ASSERT_TRUE(t->set_identity(untrusted));
  EXPECT_EQ(t->send(entry()).status, SendStatus::kRetry);  // the recipient refuses the new one
  EXPECT_FALSE(t->set_identity(tls::ClientIdentity{"", gw::test::cert_path("nosuch.crt"), ""}));
  ASSERT_TRUE(t->set_identity(tls::ClientIdentity{gw::test::cert_path("ca.crt"),
                                                  gw::test::cert_path("Z9A01.crt"),
                                                  gw::test::cert_path("Z9A01.key")}));
  EXPECT_EQ(t->send(entry()).status, SendStatus::kDelivered);
  EXPECT_EQ(r.received().size(), 2U);
}

TEST(MllpDelivery, TheAckCodeDecides) {
  MllpRecipient r;
  auto t = transport(r.port());
  ASSERT_TRUE(t);
  r.set_code("AE");
  EXPECT_EQ(t->send(entry()).status, SendStatus::kRetry);
  r.set_code("AR");
  auto res = t->send(entry());
  EXPECT_EQ(res.status, SendStatus::kPermanent);
  EXPECT_EQ(res.error, "the recipient rejected the message (MSA-1 AR)");
  r.set_code("CA");
  EXPECT_EQ(t->send(entry()).status, SendStatus::kDelivered);
}

TEST(MllpDelivery, NobodyListeningIsRetried) {
  std::uint16_t port = 0;
  {
    MllpRecipient r;
    port = r.port();
  }
  auto t = transport(port);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->send(entry()).status, SendStatus::kRetry);
}

TEST(MllpDelivery, AckClassification) {
  EXPECT_EQ(classify_hl7_ack("MSH|^~\\&|A|B\rMSA|AA|1\r").status, SendStatus::kDelivered);
  EXPECT_EQ(classify_hl7_ack("MSH|^~\\&|A|B\rMSA|CR|1\r").status, SendStatus::kPermanent);
  EXPECT_EQ(classify_hl7_ack("MSH|^~\\&|A|B\rMSA|AE|1\r").status, SendStatus::kRetry);
  EXPECT_EQ(classify_hl7_ack("garbage").status, SendStatus::kRetry);
}

TEST(MllpDelivery, TransportByKindDispatches) {
  MllpRecipient r;
  auto mllp = transport(r.port());
  ASSERT_TRUE(mllp);
  TransportByKind both(nullptr, mllp.get());
  EXPECT_EQ(both.send(entry()).status, SendStatus::kDelivered);
  auto https_entry = entry();
  https_entry.transport = store::TransportKind::kHttps;
  EXPECT_EQ(both.send(https_entry).status, SendStatus::kRetry);  // no https transport given
}

}  // namespace
}  // namespace gw::routing
