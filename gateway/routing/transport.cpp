// Transport::send_all's default: one message at a time, in order, skipping the rest of a
// recipient's messages once one of its attempts asks to be retried.
#include "gateway/routing/transport.hpp"

#include <set>

namespace gw::routing {

std::vector<std::optional<SendResult>> Transport::send_all(
    std::span<const store::OutboxEntry> messages) {
  std::vector<std::optional<SendResult>> out(messages.size());
  std::set<std::string, std::less<>> failing;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto recipient = messages[i].recipient.str();
    if (failing.contains(recipient)) {
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    auto r = send(messages[i]);
    if (r.took == std::chrono::nanoseconds{0}) {
      r.took = std::chrono::steady_clock::now() - started;
    }
    if (r.status == SendStatus::kRetry) {
      failing.emplace(recipient);
    }
    out[i] = std::move(r);
  }
  return out;
}

}  // namespace gw::routing
