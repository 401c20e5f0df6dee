// Whether the agreements allow a routed message to go to a recipient, and which of its
// resources: the DSA check of every delivery (DESIGN.md, inbound flow: "per recipient: policy").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gateway/core/ids.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/policy/engine.hpp"

namespace gw::ingest {

/** DeliveryDecision: what may go to one recipient. */
struct DeliveryDecision {
  bool allowed = false;
  const policy::Agreement* agreement = nullptr;  // the agreement relied on (allowed)
  std::vector<std::size_t> resources{};          // indexes of the resources that may go
  policy::CategorySet withheld = 0;              // categories left out
  std::string reason{};                          // operator-safe: why denied, or what was left out
};

/**
 * resource_category: the data category of a translated resource: the policy vocabulary's usual
 * category for its type; Flag counts as safeguarding (the most restricted reading); the
 * supporting resources (Organization, Practitioner, PractitionerRole, Location, Provenance,
 * MessageHeader) have none and travel with whatever they support. nullopt: supporting.
 */
[[nodiscard]] std::optional<policy::DataCategory> resource_category(std::string_view type);

/**
 * check_delivery: a push from `sender` to `recipient` for direct care is allowed under the first
 * agreement (in file order) that names both organisations as parties, covers direct care and is
 * valid at `now`; only the resources whose category the agreement covers go (with their
 * supporting resources). Denied when no agreement applies or none of the clinical resources is
 * covered. A message with no clinical resource at all (demographics only) needs the
 * demographics category.
 */
[[nodiscard]] DeliveryDecision check_delivery(const policy::PolicyIndex& index,
                                              const OdsCode& sender, const OdsCode& recipient,
                                              const TranslatedMessage& msg, policy::TimePoint now);

}  // namespace gw::ingest
