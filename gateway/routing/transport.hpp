// The outbound transport interface the delivery worker calls: one blocking send of one queued
// message. Implementations: https_transport.hpp (HTTPS POST with mTLS); tests use fakes.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/store/message_store.hpp"

namespace gw::routing {

/** SendStatus: delivered; failed but worth retrying; or failed for good (dead-letter now). */
enum class SendStatus : std::uint8_t { kDelivered, kRetry, kPermanent };

/** SendResult: the status and, when not delivered, an operator-safe reason (no PHI). */
struct SendResult {
  SendStatus status = SendStatus::kDelivered;
  std::string error;
  /** response: the recipient's answer body when it took the message (HTTP 2xx), for a renderer
   * that reads a business answer in it (an ITK3 response); empty otherwise. */
  std::string response{};
};

/**
 * Transport: sends one message to its recipient and reports the outcome. The message carries
 * its idempotency key: send it (HTTP `Idempotency-Key` header), so a recipient that sees the
 * message again after a retry or a crash can drop the duplicate.
 *
 * Thread safety: send() is called from several worker threads at once. It blocks (with its own
 * timeouts) and must not throw.
 */
class Transport {
public:
  virtual ~Transport() = default;
  [[nodiscard]] virtual SendResult send(const store::OutboxEntry& message) = 0;
};

}  // namespace gw::routing
