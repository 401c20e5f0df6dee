// The HTTPS transport: POSTs each queued message to its recipient's endpoint over TLS 1.2+ with
// the gateway's client certificate (mTLS), reusing keep-alive connections per recipient. Beast
// and Asio stay inside https_transport.cpp; this header shows neither.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/routing/http_call.hpp"
#include "gateway/routing/transport.hpp"
#include "gateway/tls/client_identity.hpp"

namespace gw::routing {

/** HttpsTransportOptions: the client identity, trust, timeouts and pool bounds. */
struct HttpsTransportOptions {
  std::string client_certificate;  // PEM chain file; empty: no client certificate
  std::string client_key;          // PEM private key file
  std::string ca;                  // PEM bundle to verify recipients; empty: system defaults
  std::chrono::milliseconds timeout{30'000};  // each of connect+handshake, write, read
  std::size_t max_idle_per_recipient = 8;
  /** max_in_flight_per_recipient: messages send_all keeps in flight to one endpoint at once
   * (one connection each), across all delivery threads. */
  std::size_t max_in_flight_per_recipient = 8;
  std::size_t max_response_bytes = std::size_t{1} * 1024 * 1024;
  /** endpoints: recipient ODS code -> https URL (https://host[:port]/path). */
  std::map<std::string, std::string> endpoints;

  /** from_config: the `delivery:` identity and the https subscriptions' endpoints. */
  [[nodiscard]] static HttpsTransportOptions from_config(const config::Config& c);
  /** identity: the client certificate, key and CA as one value. */
  [[nodiscard]] tls::ClientIdentity identity() const {
    return tls::ClientIdentity{ca, client_certificate, client_key};
  }
};

/**
 * HttpsTransport: Transport over HTTPS. Each send() is one POST of the payload with headers
 * `Content-Type`, `Idempotency-Key` (the outbox's key) and `X-Caregw-Message-Kind`. 2xx is
 * delivered; 408, 425, 429, 5xx and network or TLS failures are retried; any other status is
 * permanent (the recipient refused this message; it goes to the dead-letter queue). The peer's
 * certificate must chain to `ca` and name the endpoint's host.
 *
 * Thread safety: send() and send_all() may be called from many threads; the I/O runs on the
 * transport's own thread (one io_context), each call waiting for its own exchanges. Idle
 * connections are kept per recipient host and reused; a reused connection that fails is replaced
 * once at once.
 */
class HttpsTransport final : public Transport {
public:
  /**
   * create: loads the certificate, key and CA and checks every endpoint URL.
   * @return kBadRequest for an unusable URL; kInternal if the files cannot be loaded.
   */
  [[nodiscard]] static Result<std::unique_ptr<HttpsTransport>> create(
      HttpsTransportOptions options);
  ~HttpsTransport() override;
  HttpsTransport(const HttpsTransport&) = delete;
  HttpsTransport& operator=(const HttpsTransport&) = delete;

  [[nodiscard]] SendResult send(const store::OutboxEntry& message) override;

  /**
   * send_all: the batch's messages at once: per recipient, up to max_in_flight_per_recipient
   * POSTs in flight on as many keep-alive connections, opened one more per answer (so a
   * recipient that is down gets one attempt). After a kRetry no more of that recipient's
   * messages are started: they come back nullopt. Blocks until every started one is answered
   * or has failed. Thread-safe; the lane limit holds across concurrent calls.
   */
  [[nodiscard]] std::vector<std::optional<SendResult>> send_all(
      std::span<const store::OutboxEntry> messages) override;

  /**
   * call: one POST to `request.url` with its headers and body, on the same pool of keep-alive
   * connections, client certificate and CA as send(); blocks until answered. Any HTTP status is
   * an answer. @return kUpstreamTimeout when a step took longer than the timeout;
   * kUpstreamUnavailable for a network or TLS failure; kBadRequest for a URL that is not https.
   * Thread-safe.
   */
  [[nodiscard]] Result<HttpAnswer> call(const HttpCall& request);

  /** set_endpoints: the recipients' endpoints from now on (a reloaded config's); the old ones
   * stay when one of the new is unusable (kBadRequest naming it). Thread-safe. */
  [[nodiscard]] Result<void> set_endpoints(const std::map<std::string, std::string>& endpoints);

  /** set_identity: the client certificate, key and CA from now on (a reloaded `delivery:`).
   * New connections use them; idle ones made with the old identity are closed; a message
   * being sent finishes on its connection. The old identity stays when the new one cannot be
   * loaded (kInternal naming what). Thread-safe. */
  [[nodiscard]] Result<void> set_identity(const tls::ClientIdentity& identity);

  /** connections_opened: TLS connections made so far (reuse shows as fewer than sends). */
  [[nodiscard]] std::size_t connections_opened() const;

  struct Impl;

private:
  explicit HttpsTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::routing
