// route(): subscriptions matched against one message's facts.
#include "gateway/routing/router.hpp"

#include <algorithm>

namespace gw::routing {
namespace {

bool wants(const std::vector<std::string>& wanted, const std::string& value) {
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

bool wants_any(const std::vector<std::string>& wanted, const std::vector<std::string>& values) {
  if (wanted.empty()) {
    return true;
  }
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& v) { return wants(wanted, v); });
}

bool in_scope(const config::Subscription& s, const MessageFacts& f) {
  switch (s.patients) {
    case config::PatientScope::kAll:
      return true;
    case config::PatientScope::kRegisteredPractice:
      return f.registered_practice && *f.registered_practice == s.recipient;
    case config::PatientScope::kOpenCase:
      return std::find(f.open_cases.begin(), f.open_cases.end(), s.recipient) != f.open_cases.end();
  }
  return false;
}

}  // namespace

store::TransportKind transport_kind(config::SubscriptionTransport t) {
  switch (t) {
    case config::SubscriptionTransport::kHttps:
      return store::TransportKind::kHttps;
    case config::SubscriptionTransport::kMllp:
      return store::TransportKind::kMllp;
    case config::SubscriptionTransport::kMailbox:
      return store::TransportKind::kMailbox;
  }
  return store::TransportKind::kHttps;
}

std::vector<RouteTarget> route(const MessageFacts& facts,
                               std::span<const config::Subscription> subscriptions) {
  std::vector<RouteTarget> out;
  for (const auto& s : subscriptions) {
    if (s.recipient == facts.sender || !wants(s.message_kinds, facts.kind) ||
        !wants(s.events, facts.event) || !wants_any(s.resource_types, facts.resource_types) ||
        !in_scope(s, facts)) {
      continue;
    }
    const auto kind = transport_kind(s.transport);
    const bool already = std::any_of(out.begin(), out.end(), [&](const RouteTarget& t) {
      return t.recipient == s.recipient && t.transport == kind;
    });
    if (!already) {
      out.push_back(RouteTarget{s.recipient, kind, s.endpoint, s.format, s.name});
    }
  }
  return out;
}

}  // namespace gw::routing
