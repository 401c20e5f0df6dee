// A small blocking HTTPS client for integration tests: real TLS (optionally with a client
// certificate or a capped protocol version), HTTP/1.1 keep-alive, raw byte writes, and a
// deadline on every step so a misbehaving server fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/system/error_code.hpp>

namespace gw::test {

struct ClientOptions {
  std::string ca;    // CA file that signs the server certificate
  std::string cert;  // client certificate (empty: none)
  std::string key;
  int max_tls_version = 0;  // e.g. TLS1_1_VERSION to offer only old versions; 0: library default
  std::chrono::milliseconds timeout{5000};
};

struct HttpResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;

  /** header: the first value of a header, case-insensitive; empty if absent. */
  [[nodiscard]] std::string header(const std::string& name) const;
};

class TlsClient {
public:
  explicit TlsClient(ClientOptions opts);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  /** connect: TCP connect and TLS handshake to 127.0.0.1:port. */
  boost::system::error_code connect(std::uint16_t port);

  /** request: one request on the open connection; the response in `out`. */
  boost::system::error_code request(
      const std::string& method, const std::string& target, HttpResponse& out,
      const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {});

  /** write_raw: writes bytes as they are (for slow or malformed requests). */
  boost::system::error_code write_raw(const std::string& bytes);

  /** read_until: reads raw bytes up to and including `delim` (MLLP frames end in FS CR). */
  boost::system::error_code read_until(char delim, std::string& out);

  /** read_response: reads one response after write_raw (`head`: the reply to a HEAD request). */
  boost::system::error_code read_response(HttpResponse& out, bool head = false);

  /** wait_closed: true if the server closes the connection within `within`. */
  bool wait_closed(std::chrono::milliseconds within);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** https_get: one GET on a fresh connection; status 0 if the connection or handshake failed. */
HttpResponse https_get(std::uint16_t port, const std::string& target, const ClientOptions& opts);

/** provider_client: options with the test CA and the client certificate of `ods` (e.g. "Z90001").
 */
ClientOptions client_for(const std::string& cert_basename);

}  // namespace gw::test
