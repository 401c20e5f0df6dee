// The outbound transport interface the delivery worker calls: a blocking send of one queued
// message, and of a batch (several at once where the transport can). Implementations:
// https_transport.hpp (HTTPS POST with mTLS), mllp_transport.hpp; tests use fakes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

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
  /** took: how long the attempt took (caregw_delivery_attempt_seconds); 0: not measured. */
  std::chrono::nanoseconds took{0};
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

  /**
   * send_all: sends a batch whose messages are each the head of a different (recipient,
   * patient) line, so they may go in any order or at once; a transport that can keeps several
   * in flight. Result i is message i's; nullopt when message i was not tried because an attempt
   * to the same recipient in this call failed with kRetry (the recipient is down or slow: the
   * caller defers the rest to that attempt's retry time, so a recipient that is down costs about
   * one attempt per batch, not one per message). The default sends one at a time with send(),
   * in order, timing each. Thread safety: as send().
   */
  [[nodiscard]] virtual std::vector<std::optional<SendResult>> send_all(
      std::span<const store::OutboxEntry> messages);
};

}  // namespace gw::routing
