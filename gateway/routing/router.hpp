// The router: a pure function from what an accepted message is about (its facts) and the
// configured subscriptions to the recipients that should receive it. No I/O, no state: the
// caller supplies the patient's relationships (registered practice, open cases) it looked up.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/store/message_store.hpp"

namespace gw::routing {

/** MessageFacts: what the router needs to know about one accepted message. */
struct MessageFacts {
  OdsCode sender;
  std::string kind{};   // e.g. "discharge-summary"
  std::string event{};  // the adapter's event type, e.g. "ADT^A03"; may be empty
  std::vector<std::string> resource_types{};
  std::optional<OdsCode> registered_practice{};  // the patient's GP practice, if known
  std::vector<OdsCode> open_cases{};             // organisations with an open case / episode
};

/** RouteTarget: one recipient to render for and queue to. */
struct RouteTarget {
  OdsCode recipient;
  store::TransportKind transport = store::TransportKind::kHttps;
  std::string endpoint{};
  std::string format{};
  std::string subscription{};  // the matching subscription's name (for audit)
};

/**
 * route: the recipients whose subscriptions match, in subscription order, one per (recipient,
 * transport): the first matching subscription for a recipient wins. A subscription matches when
 * each of its non-empty lists (message kinds, events, resource types) contains the message's
 * value (for resource types: any of them) and its patient scope holds (registered-practice: the
 * recipient is the patient's registered practice; open-case: the recipient has an open case).
 * The sender never receives its own message back.
 * Thread safety: pure; safe from any thread.
 */
[[nodiscard]] std::vector<RouteTarget> route(const MessageFacts& facts,
                                             std::span<const config::Subscription> subscriptions);

/** transport_kind: the store's transport code for a configured transport. */
[[nodiscard]] store::TransportKind transport_kind(config::SubscriptionTransport t);

}  // namespace gw::routing
