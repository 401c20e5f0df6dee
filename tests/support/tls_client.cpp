// Blocking test client built on Asio's async operations run to completion with a deadline.
#include "tests/support/tls_client.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include "tests/support/test_env.hpp"

namespace gw::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using boost::system::error_code;

std::string HttpResponse::header(const std::string& name) const {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  for (const auto& [k, v] : headers) {
    if (lower(k) == lower(name)) {
      return v;
    }
  }
  return {};
}

struct TlsClient::Impl {
  explicit Impl(ClientOptions o) : opts(std::move(o)) {
    SSL_CTX* h = ctx.native_handle();
    if (opts.max_tls_version != 0) {
      SSL_CTX_set_security_level(h, 0);  // let the client offer versions the server must refuse
      SSL_CTX_set_min_proto_version(h, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(h, opts.max_tls_version);
      SSL_CTX_set_cipher_list(h, "ALL:@SECLEVEL=0");
    }
    ctx.load_verify_file(opts.ca);
    ctx.set_verify_mode(ssl::verify_peer);
    if (!opts.cert.empty()) {
      ctx.use_certificate_chain_file(opts.cert);
      ctx.use_private_key_file(opts.key, ssl::context::pem);
    }
  }

  template <class Start>
  error_code run(Start&& start) {
    error_code result = net::error::timed_out;
    stream->next_layer().expires_after(opts.timeout);
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  ClientOptions opts;
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::string raw;  // bytes read by read_until and not yet returned
};

TlsClient::TlsClient(ClientOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
TlsClient::~TlsClient() = default;

error_code TlsClient::connect(std::uint16_t port) {
  auto& i = *impl_;
  i.stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(i.ioc, i.ctx);
  // SSL_set_tlsext_host_name is a macro with an old-style cast; this is what it expands to.
  static char kHost[] = "localhost";
  SSL_ctrl(i.stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           kHost);
  i.stream->set_verify_callback(ssl::host_name_verification("localhost"));
  const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  if (auto ec = i.run([&](auto h) { i.stream->next_layer().async_connect(ep, h); }); ec) {
    return ec;
  }
  return i.run([&](auto h) { i.stream->async_handshake(ssl::stream_base::client, h); });
}

error_code TlsClient::request(const std::string& method, const std::string& target,
                              HttpResponse& out, const std::string& body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  auto& i = *impl_;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "localhost");
  for (const auto& [k, v] : headers) {
    req.set(k, v);
  }
  req.body() = body;
  req.prepare_payload();
  if (auto ec = i.run([&](auto h) { bhttp::async_write(*i.stream, req, h); }); ec) {
    return ec;
  }
  return read_response(out, method == "HEAD");
}

error_code TlsClient::write_raw(const std::string& bytes) {
  auto& i = *impl_;
  return i.run([&](auto h) { net::async_write(*i.stream, net::buffer(bytes), h); });
}

error_code TlsClient::read_until(char delim, std::string& out) {
  auto& i = *impl_;
  std::size_t n = 0;
  auto ec = i.run([&](auto h) {
    net::async_read_until(*i.stream, net::dynamic_buffer(i.raw), std::string_view(&delim, 1),
                          [&n, h](error_code e, std::size_t got) mutable {
                            n = got;
                            h(e);
                          });
  });
  if (ec) {
    return ec;
  }
  out = i.raw.substr(0, n);
  i.raw.erase(0, n);
  return {};
}

error_code TlsClient::read_response(HttpResponse& out, bool head) {
  auto& i = *impl_;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.skip(head);  // a reply to HEAD has a Content-Length but no body
  auto ec = i.run([&](auto h) { bhttp::async_read(*i.stream, i.buffer, parser, h); });
  if (ec) {
    return ec;
  }
  auto& res = parser.get();
  out.status = res.result_int();
  out.headers.clear();
  for (const auto& f : res) {
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  return {};
}

bool TlsClient::wait_closed(std::chrono::milliseconds within) {
  auto& i = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + within;
  char buf[512];
  while (std::chrono::steady_clock::now() < deadline) {
    i.stream->next_layer().expires_at(deadline);
    error_code result = net::error::timed_out;
    i.stream->async_read_some(net::buffer(buf), [&](error_code ec, std::size_t) { result = ec; });
    i.ioc.restart();
    i.ioc.run();
    if (result == beast::error::timeout) {
      return false;
    }
    if (result) {
      return true;  // EOF, close_notify, reset: the server closed it
    }
  }
  return false;
}

HttpResponse https_get(std::uint16_t port, const std::string& target, const ClientOptions& opts) {
  TlsClient c(opts);
  HttpResponse out;
  if (c.connect(port)) {
    return out;
  }
  if (c.request("GET", target, out)) {
    out.status = 0;
  }
  return out;
}

ClientOptions client_for(const std::string& cert_basename) {
  ClientOptions o;
  o.ca = cert_path("ca.crt");
  if (!cert_basename.empty()) {
    o.cert = cert_path(cert_basename + ".crt");
    o.key = cert_path(cert_basename + ".key");
  }
  return o;
}

}  // namespace gw::test
