// The MLLP over TLS transport for HL7 v2 recipients: each queued message is framed
// (<VT> message <FS><CR>, HL7 v2 MLLP release 2), sent over TLS with the gateway's client
// certificate, and the recipient's HL7 ACK decides the outcome. Asio stays in
// mllp_transport.cpp; this header shows none of it.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/routing/transport.hpp"
#include "gateway/tls/client_identity.hpp"

namespace gw::routing {

/** MllpTransportOptions: client identity, trust, timeouts, and recipient -> host:port. */
struct MllpTransportOptions {
  std::string client_certificate;  // PEM chain file; empty: no client certificate
  std::string client_key;
  std::string ca;  // PEM bundle to verify recipients; empty: system defaults
  std::chrono::milliseconds timeout{30'000};
  std::size_t max_ack_bytes = std::size_t{64} * 1024;
  std::map<std::string, std::string> endpoints;  // recipient ODS code -> "host:port"

  /** from_config: the `delivery:` identity and the mllp subscriptions' endpoints. */
  [[nodiscard]] static MllpTransportOptions from_config(const config::Config& c);
  /** identity: the client certificate, key and CA as one value. */
  [[nodiscard]] tls::ClientIdentity identity() const {
    return tls::ClientIdentity{ca, client_certificate, client_key};
  }
};

/**
 * classify_hl7_ack: the outcome an HL7 v2 acknowledgement (MSA-1) means: AA / CA delivered;
 * AR / CR (rejected: the same message will be rejected again) permanent; AE / CE (an error the
 * recipient may get past) and anything unreadable: retry.
 */
[[nodiscard]] SendResult classify_hl7_ack(std::string_view ack);

/**
 * MllpTransport: Transport over MLLP and TLS 1.2+. One connection per recipient is kept open
 * and reused (MLLP is one message at a time per connection); a reused connection that fails is
 * replaced once at once. HL7 v2 has no idempotency header: the recipient drops a repeat by
 * MSH-10 (message control id), so the rendering adapter must set MSH-10 to an id stable across
 * retries (the outbox's idempotency key, or one derived from the journal entry and recipient).
 *
 * Thread safety: send() may be called from many threads; the I/O runs on the transport's own
 * thread.
 */
class MllpTransport final : public Transport {
public:
  /** create: loads the TLS files and checks every endpoint (host:port). */
  [[nodiscard]] static Result<std::unique_ptr<MllpTransport>> create(MllpTransportOptions options);
  ~MllpTransport() override;
  MllpTransport(const MllpTransport&) = delete;
  MllpTransport& operator=(const MllpTransport&) = delete;

  [[nodiscard]] SendResult send(const store::OutboxEntry& message) override;

  /** set_endpoints: the recipients' endpoints (host:port) from now on (a reloaded config's);
   * the old ones stay when one of the new is unusable (kBadRequest naming it). Thread-safe. */
  [[nodiscard]] Result<void> set_endpoints(const std::map<std::string, std::string>& endpoints);

  /** set_identity: the client certificate, key and CA from now on (a reloaded `delivery:`).
   * New connections use them; idle ones made with the old identity are closed; a message
   * being sent finishes on its connection. The old identity stays when the new one cannot be
   * loaded (kInternal naming what). Thread-safe. */
  [[nodiscard]] Result<void> set_identity(const tls::ClientIdentity& identity);

  struct Impl;

private:
  explicit MllpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/**
 * TransportByKind: hands each message to the transport for its OutboxEntry::transport (the
 * delivery worker takes one Transport). A kind with none configured is retried (and so ends in
 * the dead-letter queue with a clear error if it is never configured).
 */
class TransportByKind final : public Transport {
public:
  TransportByKind(Transport* https, Transport* mllp) : https_(https), mllp_(mllp) {}
  [[nodiscard]] SendResult send(const store::OutboxEntry& message) override;
  /** send_all: each kind's messages to its transport's send_all, as one batch per kind. */
  [[nodiscard]] std::vector<std::optional<SendResult>> send_all(
      std::span<const store::OutboxEntry> messages) override;

private:
  [[nodiscard]] Transport* for_kind(store::TransportKind kind) const;
  Transport* https_;
  Transport* mllp_;
};

}  // namespace gw::routing
