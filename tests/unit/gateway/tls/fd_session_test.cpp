// The server's TLS on a socket descriptor, against an OpenSSL client over a socket pair, both
// non-blocking and stepped in turn: the errors a session and the handshake-failure metrics read
// (eof, truncation, plain HTTP), an empty error queue after every call, and buffers given back.
#include "gateway/tls/fd_session.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/http/tls_stream.hpp"
#include "gateway/tls/context_factory.hpp"

namespace gw::tls {
namespace {

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

/** server_ctx: a TLS server context with a fresh self-signed P-256 certificate. */
CtxPtr server_ctx() {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  static constexpr unsigned char kCn[] = "localhost";
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCn, -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx.get(), cert);
  SSL_CTX_use_PrivateKey(ctx.get(), key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

/** Pair: a connected socket pair, both ends non-blocking; the server end is `fds[0]`. */
struct Pair {
  Pair() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()), 0);
    for (int fd : fds) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
  }
  ~Pair() {
    for (int fd : fds) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  std::array<int, 2> fds{-1, -1};
};

class FdSessionTest : public ::testing::Test {
protected:
  FdSessionTest()
      : sctx_(server_ctx()),
        cctx_(SSL_CTX_new(TLS_client_method())),
        server_(sctx_.get(), pair_.fds[0]),
        client_(SSL_new(cctx_.get())) {
    SSL_set_fd(client_.get(), pair_.fds[1]);
    SSL_set_connect_state(client_.get());
  }

  /** handshake: steps both sides in turn until the server's handshake is done (or fails). */
  Step handshake() {
    Step s;
    for (int i = 0; i < 100; ++i) {
      (void)SSL_do_handshake(client_.get());
      s = server_.handshake();
      if (s.want == Want::kNothing) {
        (void)SSL_do_handshake(client_.get());  // takes the server's last flight
        ERR_clear_error();
        return s;
      }
    }
    ADD_FAILURE() << "handshake did not finish";
    return s;
  }

  /** client_write: the client sends application data. */
  void client_write(std::string_view data) {
    std::size_t n = 0;
    ASSERT_EQ(SSL_write_ex(client_.get(), data.data(), data.size(), &n), 1);
    ASSERT_EQ(n, data.size());
  }

  Pair pair_;
  CtxPtr sctx_;
  CtxPtr cctx_;
  FdSession server_;
  SslPtr client_;
};

TEST_F(FdSessionTest, BytesGoBothWaysAfterTheHandshake) {
  ASSERT_FALSE(handshake().ec);
  std::array<char, 64> buf{};
  EXPECT_EQ(server_.read(buf.data(), buf.size()).want, Want::kRead);  // nothing sent yet
  client_write("GET /healthz HTTP/1.1\r\n\r\n");
  const Step r = server_.read(buf.data(), buf.size());
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(std::string_view(buf.data(), r.bytes), "GET /healthz HTTP/1.1\r\n\r\n");

  const Step w = server_.write("HTTP/1.1 200 OK\r\n\r\n", 19);
  ASSERT_FALSE(w.ec);
  EXPECT_EQ(w.bytes, 19U);
  std::size_t n = 0;
  ASSERT_EQ(SSL_read_ex(client_.get(), buf.data(), buf.size(), &n), 1);
  EXPECT_EQ(std::string_view(buf.data(), n), "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_F(FdSessionTest, ThePeersCloseNotifyIsEofAndOursIsSentOnShutdown) {
  ASSERT_FALSE(handshake().ec);
  ASSERT_EQ(SSL_shutdown(client_.get()), 0);  // close_notify sent
  std::array<char, 16> buf{};
  const Step r = server_.read(buf.data(), buf.size());
  EXPECT_EQ(r.ec, boost::asio::error::eof);
  EXPECT_FALSE(server_.shutdown().ec);
  EXPECT_EQ(SSL_shutdown(client_.get()), 1);  // the client received ours
}

TEST_F(FdSessionTest, ATcpCloseWithoutCloseNotifyIsTruncation) {
  ASSERT_FALSE(handshake().ec);
  ::shutdown(pair_.fds[1], SHUT_WR);  // FIN, no close_notify
  std::array<char, 16> buf{};
  const Step r = server_.read(buf.data(), buf.size());
  EXPECT_EQ(r.ec, boost::asio::ssl::error::stream_truncated);
  // After a fatal error nothing more is sent (OpenSSL forbids it), and shutdown says so.
  EXPECT_TRUE(server_.shutdown().ec);
}

TEST_F(FdSessionTest, PlainHttpIsRefusedWithItsReasonAndLeavesNoErrorBehind) {
  constexpr std::string_view kHttp = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(pair_.fds[1], kHttp.data(), kHttp.size()), static_cast<ssize_t>(kHttp.size()));
  const Step s = server_.handshake();
  ASSERT_TRUE(s.ec);
  EXPECT_EQ(handshake_failure_reason(s.ec, server_.native_handle()), "plain_http");
  // The next connection served on this thread must not see this one's error.
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST_F(FdSessionTest, AQuietConnectionGivesItsBuffersBack) {
  ASSERT_FALSE(handshake().ec);
  client_write("ping");
  std::array<char, 16> buf{};
  ASSERT_EQ(server_.read(buf.data(), buf.size()).bytes, 4U);
  EXPECT_TRUE(server_.release_buffers());
  client_write("pong");  // and reads on afterwards
  const Step r = server_.read(buf.data(), buf.size());
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(std::string_view(buf.data(), r.bytes), "pong");
}

// The server's stream over FdSession: a response larger than the socket takes at once is written
// partly by write_now and the rest by an asynchronous write that repeats the step that would have
// blocked with the same bytes (OpenSSL fails a retry with other bytes as "bad write retry").
TEST_F(FdSessionTest, AResponseTheSocketCannotTakeAtOnceArrivesWholeThroughTheServersStream) {
  const int client_fd = pair_.fds[1];
  fcntl(client_fd, F_SETFL, fcntl(client_fd, F_GETFL) & ~O_NONBLOCK);  // the client blocks
  boost::asio::io_context ioc;
  http::TlsStream stream(
      boost::asio::ip::tcp::socket(ioc, boost::asio::ip::tcp::v4(), dup(pair_.fds[0])),
      sctx_.get());
  std::string received;
  // The client reads only once write_now has returned, so that the socket pair's buffers fill
  // however the threads are scheduled (a client reading as fast as the server writes could
  // otherwise take the whole 2 MiB at once).
  std::atomic<bool> read_now{false};
  std::thread client([&] {
    SslPtr ssl(SSL_new(cctx_.get()));
    SSL_set_fd(ssl.get(), client_fd);
    if (SSL_connect(ssl.get()) != 1) {
      return;
    }
    while (!read_now.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while (SSL_read_ex(ssl.get(), buf.data(), buf.size(), &n) == 1) {
      received.append(buf.data(), n);
    }
    (void)SSL_shutdown(ssl.get());  // answers the server's close_notify with ours
  });
  struct JoinAfterClose {  // a failed assertion returns early: the client must still end
    std::thread& t;
    int fd;
    std::atomic<bool>& go;
    ~JoinAfterClose() {
      go = true;
      ::shutdown(fd, SHUT_RDWR);
      if (t.joinable()) {
        t.join();
      }
    }
  } guard{client, pair_.fds[0], read_now};
  boost::system::error_code hec = boost::asio::error::would_block;
  stream.async_handshake([&](boost::system::error_code ec) { hec = ec; });
  ioc.run();
  ASSERT_FALSE(hec) << hec.message();

  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n";
  // 2 MiB, more than the socket pair buffers, in a pattern that shows a lost or repeated piece.
  std::string body(std::size_t{2} << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + (i * 7 + i / 4099) % 26);
  }
  const std::array<boost::asio::const_buffer, 2> out{boost::asio::buffer(head),
                                                     boost::asio::buffer(body)};
  boost::beast::buffers_suffix<decltype(out)> rest(out);
  const boost::system::error_code ec = stream.write_now(rest);
  ASSERT_FALSE(ec) << ec.message();
  const std::size_t left = boost::asio::buffer_size(rest);
  read_now = true;
  EXPECT_LT(left, body.size());  // the header and part of the body went at once
  ASSERT_GT(left, 0U);           // the socket could not take 2 MiB: the rest waits
  // The rest as the server writes it: each step a repeat of the one that would have blocked.
  boost::system::error_code wec;
  std::function<void()> next = [&] {
    if (boost::asio::buffer_size(rest) == 0) {
      return;
    }
    stream.async_write_some(rest, [&](boost::system::error_code e, std::size_t k) {
      wec = e;
      rest.consume(k);
      if (!e) {
        next();
      }
    });
  };
  next();
  ioc.restart();
  ioc.run();
  ASSERT_FALSE(wec) << wec.message();
  EXPECT_EQ(boost::asio::buffer_size(rest), 0U);
  stream.expires_after(std::chrono::seconds(5));
  stream.async_shutdown([](boost::system::error_code) {});
  ioc.restart();
  ioc.run();
  stream.socket().close();
  ::shutdown(pair_.fds[0], SHUT_RDWR);
  client.join();
  ASSERT_EQ(received.size(), head.size() + body.size());
  EXPECT_TRUE(received == head + body) << "the bytes arrived changed or out of order";
}

}  // namespace
}  // namespace gw::tls
